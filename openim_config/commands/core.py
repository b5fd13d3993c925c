"""The core commands: build, check, validate, schema. Imported only when one of them runs."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import click

from openim_config import artifacts, build, writer
from openim_config.artifacts import Artifact
from openim_config.errors import Location, Problem, UserError
from openim_config.loader import Source
from openim_config.options import model_inputs, output_dir_option, selected_targets, target_option
from openim_config.plan import Plan
from openim_config.plan.secrets import MIN_LENGTH, weak_credentials
from openim_config.rotation import changed_first_start_credentials
from openim_config.schema import schema_text

EXIT_DRIFT = 1

_target_option = target_option("Which target to generate.")
_out_option = output_dir_option("Output directory; each target goes to OUTPUT/<target>/.")


ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

_envs_option = click.option(
    "-e",
    "--env",
    "envs",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="An environment: an overlay on the model (-f files), built into OUTPUT/<its file name without .yaml>/. "
    "Repeatable (envs/*.yaml): every environment in one run, all checked before any is written.",
)


def _plans(files: Sequence[Path], sets: Sequence[str], envs: Sequence[Path], output: Path) -> dict[Path, Plan]:
    """Output directory -> plan: ``output`` for the model alone, ``output/<env>`` per environment.
    Every environment's problems are reported together."""
    if not envs:
        return {output: build.plan_for(Source(files, sets))}
    plans: dict[Path, Plan] = {}
    problems: list[Problem] = []
    for env in envs:
        name = env.name.removesuffix(".yaml").removesuffix(".yml")
        if not ENV_NAME.fullmatch(name) or output / name in plans:
            why = "names no usable directory" if not ENV_NAME.fullmatch(name) else f"has the same name as another environment ({name})"
            problems.append(Problem(Location(str(env)), (), why))
            continue
        try:
            plans[output / name] = build.plan_for(Source([*files, env], sets))
        except UserError as exc:
            problems += exc.problems
    if problems:
        raise UserError(problems)
    return plans


@click.command("build")
@model_inputs
@_envs_option
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
@click.option(
    "--accept-upgrade-breaks",
    "accept_breaks",
    is_flag=True,
    help="Write a chart even where `helm upgrade` of the one written before would fail (a smaller or "
    "re-classed volume, a changed StatefulSet or selector): each change is then only a warning.",
)
@click.option(
    "--fsync",
    "durable",
    is_flag=True,
    help="Flush every written file to the disk before renaming it into place: a power loss during the build "
    "then leaves each file whole, old or new (a killed build always does). Slower.",
)
def build_cmd(
    files: Sequence[Path],
    sets: Sequence[str],
    envs: Sequence[Path],
    target: str,
    output: Path,
    force: bool,
    strict: bool,
    accept_breaks: bool,
    durable: bool,
) -> None:
    """Generate the target(s) into OUTPUT/<target>/. Only files openim-gen wrote are replaced
    or removed; anything else there (data, .env, override files) is never touched. A generated
    file edited since it was written stops the build (nothing written) unless --force."""
    targets = selected_targets(target)
    plans = _plans(files, sets, envs, output)
    weak: list[Problem] = []
    for out, plan in plans.items():
        label = f"{out.name}: " if envs else ""
        for warning in plan.warnings:
            click.echo(f"warning: {label}{warning}", err=True)
        for note in build.notes(plan, targets):
            click.echo(f"note: {label}{note}", err=True)
        if strict:
            weak += [Problem(Location("--strict"), (), label + why) for why in weak_credentials(plan)]
    if weak:
        raise UserError(weak)
    rendered = {out: build.render(plan, targets) for out, plan in plans.items()}
    if "helm" in targets:
        _check_upgrades(plans, rendered, accept_breaks)
    written = writer.write_many(rendered, force, durable)
    for out, plan in plans.items():
        for note in changed_first_start_credentials(out, plan, targets):
            click.echo(f"note: {f'{out.name}: ' if envs else ''}{note}", err=True)
    for backup in written.backups:
        click.echo(f"kept the edited copy as {backup}", err=True)
    for kept in written.kept:
        click.echo(f"warning: {kept} is no longer generated but was edited since: left in place", err=True)
    for out, arts_by_target in rendered.items():
        for name, arts in arts_by_target.items():
            click.echo(f"wrote {out / name} ({len(arts)} files)")


def _check_upgrades(plans: Mapping[Path, Plan], rendered: Mapping[Path, Mapping[str, Sequence[Artifact]]], accept: bool) -> None:
    """Stop, before anything is written, at a chart change `helm upgrade` cannot apply in place
    over the chart written before (see ``openim_config.targets.helm.upgrade``); ``accept``: warn instead."""
    from openim_config.targets.helm import upgrade

    breaks: list[Problem] = []
    for out, plan in plans.items():
        found = upgrade.check(out / "helm", rendered[out]["helm"], plan.model.targets.helm.release)
        for warning in found.warnings:
            click.echo(f"warning: {warning}", err=True)
        breaks += [Problem(Location(str(out / "helm")), (), f"helm upgrade would fail: {finding}") for finding in found.breaks]
    if breaks and accept:
        for problem in breaks:
            click.echo(f"warning: {problem} (accepted: {upgrade.ACCEPT_FLAG})", err=True)
    elif breaks:
        hint = f"nothing written: do what each line says, or rebuild with {upgrade.ACCEPT_FLAG} to write the chart anyway"
        raise UserError([*breaks, Problem(Location("openim-gen"), (), hint)])


@click.command("check")
@model_inputs
@_envs_option
@_target_option
@_out_option
def check_cmd(files: Sequence[Path], sets: Sequence[str], envs: Sequence[Path], target: str, output: Path) -> None:
    """Regenerate in memory and compare with OUTPUT; exit 1 and show the diff on drift.

    For a changed YAML/JSON file it also shows what changed as data (paths added, removed,
    changed), or that only the formatting differs. Secret files are neither compared nor
    shown, so no credential is needed to run it. With -e, every environment's directory."""
    drifted = False
    for out, plan in _plans(files, sets, envs, output).items():
        drifted |= _check_one(out, build.render(plan, selected_targets(target)), f"{out.name}/" if envs else "")
    if drifted:
        sys.exit(EXIT_DRIFT)


def _check_one(output: Path, rendered: Mapping[str, Sequence[Artifact]], env: str) -> bool:
    """Report one output directory's drift (paths under ``env``, the environment's directory);
    whether it drifted."""
    drifts = artifacts.compare(output, rendered)
    tracked = artifacts.tracked_secrets(output, rendered)
    for path in tracked:
        click.echo(f"credential file tracked by git: {path} (git rm --cached it; rotate what it holds)")
    if tracked:
        return True
    if not drifts:
        click.echo(f"{output}: up to date")
        return False
    for drift in drifts:
        click.echo(f"{drift.kind}: {env}{drift.path}")
    for drift in drifts:
        semantic = drift.semantic()
        if semantic is not None:
            click.echo(f"data of {env}{drift.path} (on disk -> generated):")
            for line in semantic:
                click.echo(f"    {line}")
        if drift.kind in ("changed", "mode", "unread"):
            click.echo(drift.diff(), nl=False)
    click.echo(f"{output}: {len(drifts)} file(s) differ from the model; run `openim-gen build` to regenerate.", err=True)
    return True


@click.command("validate")
@model_inputs
def validate_cmd(files: Sequence[Path], sets: Sequence[str]) -> None:
    """Check the model (syntax, types, domain rules) without writing anything."""
    plan = build.plan_for(Source(files, sets))
    count = sum(len(s.instances) for s in plan.services.values())
    click.echo(f"ok: {len(plan.services)} services, {count} processes, release line {plan.model.release}")


@click.command("schema")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE instead of stdout.")
def schema_cmd(output: Path | None) -> None:
    """Print the JSON Schema of openim.yaml."""
    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
