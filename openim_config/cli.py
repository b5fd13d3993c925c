"""``openim-gen``: each command parses flags, calls one function, maps errors to exit codes.

Exit codes: 0 ok, 1 drift (``check``), 2 input or usage error, 3 internal error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click

from openim_config import artifacts, build, commands, writer
from openim_config.errors import Location, OpenIMGenError, Problem, UserError
from openim_config.loader import Source
from openim_config.options import model_inputs, output_dir_option, selected_targets, target_option
from openim_config.plan.secrets import MIN_LENGTH, weak_credentials
from openim_config.rotation import changed_first_start_credentials
from openim_config.schema import schema_text

EXIT_OK, EXIT_DRIFT, EXIT_USER, EXIT_INTERNAL = 0, 1, 2, 3


def _version() -> str:
    try:
        return version("openim-gen")
    except PackageNotFoundError:  # running from a checkout without installing
        return "0+unknown"


_target_option = target_option("Which target to generate.")
_out_option = output_dir_option("Output directory; each target goes to OUTPUT/<target>/.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="openim-gen")
def cli() -> None:
    """Compile one openim.yaml into OpenIM deployments: systemd units (binary),
    a Compose file (compose) and a Helm chart (helm), all stating the same facts.

    With no -f, the built-in default model is used: a complete single-host OpenIM."""


@cli.command("build")
@model_inputs
@_target_option
@_out_option
@click.option(
    "--force",
    is_flag=True,
    help="Replace generated files edited by hand (or not written by openim-gen); each current copy is kept beside it.",
)
@click.option(
    "--strict",
    is_flag=True,
    help=f"Fail on a credential at an upstream default or shorter than {MIN_LENGTH} characters "
    "(`openim-gen secrets init` makes strong ones).",
)
def build_cmd(files: Sequence[Path], sets: Sequence[str], target: str, output: Path, force: bool, strict: bool) -> None:
    """Generate the target(s) into OUTPUT/<target>/. Only files openim-gen wrote are replaced
    or removed; anything else there (data, .env, override files) is never touched. A generated
    file edited since it was written stops the build (nothing written) unless --force."""
    plan = build.plan_for(Source(files, sets))
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    for note in build.notes(plan, selected_targets(target)):
        click.echo(f"note: {note}", err=True)
    if strict and (weak := weak_credentials(plan)):
        raise UserError([Problem(Location("--strict"), (), why) for why in weak])
    rendered = build.render(plan, selected_targets(target))
    written = writer.write(output, rendered, force)
    for note in changed_first_start_credentials(output, plan, selected_targets(target)):
        click.echo(f"note: {note}", err=True)
    for backup in written.backups:
        click.echo(f"kept the edited copy as {output / backup}", err=True)
    for kept in written.kept:
        click.echo(f"warning: {output / kept} is no longer generated but was edited since: left in place", err=True)
    for name, arts in rendered.items():
        click.echo(f"wrote {output / name} ({len(arts)} files)")


@cli.command("check")
@model_inputs
@_target_option
@_out_option
def check_cmd(files: Sequence[Path], sets: Sequence[str], target: str, output: Path) -> None:
    """Regenerate in memory and compare with OUTPUT; exit 1 and show the diff on drift.

    For a changed YAML/JSON file it also shows what changed as data (paths added, removed,
    changed), or that only the formatting differs. Secret files are neither compared nor
    shown, so no credential is needed to run it."""
    plan = build.plan_for(Source(files, sets))
    rendered = build.render(plan, selected_targets(target))
    drifts = artifacts.compare(output, rendered)
    tracked = artifacts.tracked_secrets(output, rendered)
    for path in tracked:
        click.echo(f"credential file tracked by git: {path} (git rm --cached it; rotate what it holds)")
    if tracked:
        sys.exit(EXIT_DRIFT)
    if not drifts:
        click.echo(f"{output}: up to date")
        return
    for drift in drifts:
        click.echo(f"{drift.kind}: {drift.path}")
    for drift in drifts:
        semantic = drift.semantic()
        if semantic is not None:
            click.echo(f"data of {drift.path} (on disk -> generated):")
            for line in semantic:
                click.echo(f"    {line}")
        if drift.kind in ("changed", "mode", "unread"):
            click.echo(drift.diff(), nl=False)
    click.echo(f"{len(drifts)} file(s) differ from the model; run `openim-gen build` to regenerate.", err=True)
    sys.exit(EXIT_DRIFT)


@cli.command("validate")
@model_inputs
def validate_cmd(files: Sequence[Path], sets: Sequence[str]) -> None:
    """Check the model (syntax, types, domain rules) without writing anything."""
    plan = build.plan_for(Source(files, sets))
    count = sum(len(s.instances) for s in plan.services.values())
    click.echo(f"ok: {len(plan.services)} services, {count} processes, release line {plan.model.release}")


@cli.command("schema")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE instead of stdout.")
def schema_cmd(output: Path | None) -> None:
    """Print the JSON Schema of openim.yaml."""
    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


for _command in commands.ALL:
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="openim-gen", standalone_mode=False)
    except UserError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        return EXIT_USER
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USER
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USER
    except OpenIMGenError as exc:
        click.echo(f"internal error: {exc}\nThis is a bug in openim-gen; please report it with the command you ran.", err=True)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in openim-gen; please report it with the command you ran.",
            err=True,
        )
        return EXIT_INTERNAL
    return EXIT_OK


def entry() -> None:
    sys.exit(main())
