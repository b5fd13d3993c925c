"""`openim-gen verify` (do the built targets state the same facts?) and `openim-gen diff`
(what would a change of the model change in each target?)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from openim_config.options import output_dir_option, selected_targets, set_option, target_option
from openim_config.verify import verify as verify_targets

if TYPE_CHECKING:
    from openim_config.artifacts import Artifact

EXIT_DIFFERS = 1


def _echo(line: str = "", *, err: bool = False, fg: str | None = None) -> None:
    """Plain text; colour only on a terminal and never with NO_COLOR set."""
    color = False if os.environ.get("NO_COLOR") else None
    click.echo(click.style(line, fg=fg) if fg else line, err=err, color=color)


@click.command("verify")
@output_dir_option("The directory `build` wrote: OUTPUT/binary, OUTPUT/compose and OUTPUT/helm.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the disagreements, not the parity table.")
@click.option(
    "--allow-unverified",
    is_flag=True,
    help="Exit 0 even when the chart could not be rendered (no Helm engine installed); it is still said.",
)
def verify(output: Path, quiet: bool, allow_unverified: bool) -> None:
    """Read the built targets back and check they state the same facts.

    Per service: image, instances, every port, the config files it loads, the infrastructure
    they point it at and the credentials it gets; per bundled component: image, volumes;
    per config file: its data. Documented target differences (addresses, discovery, logs,
    one port per listener in Kubernetes) are normalised by the rules printed below the table.
    Exit 0 when all agree, 1 naming each disagreement (or when the chart could not be
    rendered, unless --allow-unverified), 2 when OUTPUT lacks a target.
    """
    report = verify_targets(output)
    from openim_config.verify.table import render_findings, render_rules, render_table  # after: see verify()

    _echo(f"openim-gen verify: {output} ({', '.join(report.targets)})")
    for note in report.notes:
        _echo(f"note: {note}")
    if not quiet:
        _echo()
        for line in render_table(report.rows, report.targets):
            _echo(line, fg="red" if line.endswith("DIFFERS") else None)
        _echo()
        for line in render_rules():
            _echo(line)
    if report.agree:
        compared = sum(1 for r in report.rows if r.compared)
        if report.unverified:
            _echo(f"the helm target was NOT VERIFIED (no Helm engine); the other targets agree on {compared} facts", err=True)
            if not allow_unverified:
                sys.exit(EXIT_DIFFERS)
            return
        _echo(f"ok: the {len(report.targets)} targets agree on {compared} facts")
        return
    _echo()
    _echo(f"DISAGREEMENTS ({len(report.findings)}):", fg="red")
    for line in render_findings(report.findings):
        _echo(line)
    _echo(f"{len(report.findings)} disagreement(s) between the targets in {output}.", err=True)
    sys.exit(EXIT_DIFFERS)


# --------------------------------------------------------------------------- diff
def _changes(before: Sequence[Artifact], after: Sequence[Artifact]) -> list[tuple[str, str, bytes, bytes]]:
    """(kind, path, old, new) for every non-secret artifact that is added, removed or changed."""
    old = {a.path: a for a in before if not a.secret}
    new = {a.path: a for a in after if not a.secret}
    out = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a is None:
            out.append(("added", path, b"", new[path].content))
        elif b is None:
            out.append(("removed", path, a.content, b""))
        elif a.content != b.content or a.mode != b.mode:
            out.append(("changed", path, a.content, b.content))
    return out


@click.command("diff")
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@set_option("Override a model value in both models (like build's --set).")
@target_option("Which target to compare.")
@click.option("--text", is_flag=True, help="Also show the unified text diff of YAML/JSON files.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything changes (like `git diff --exit-code`).")
def diff(old: Path, new: Path, sets: Sequence[str], target: str, text: bool, exit_code: bool) -> None:
    """Show what changing the model OLD into NEW changes in each target, writing nothing.

    For each target: the files added, removed and changed; for a changed YAML/JSON file the
    data paths added, removed and changed (or "formatting only"), for other files the text
    diff. Credential files are never rendered or shown."""
    from openim_config import artifacts, build  # not verify's: it reads artifacts, never the model
    from openim_config.loader import Source

    targets = selected_targets(target)
    before = build.render(build.plan_for(Source([old], sets)), targets)
    after = build.render(build.plan_for(Source([new], sets)), targets)
    total = 0
    for name in targets:
        changes = _changes(before[name], after[name])
        total += len(changes)
        if not changes:
            _echo(f"{name}: no change")
            continue
        _echo(f"{name}: {len(changes)} file(s) change")
        for kind, path, a, b in changes:
            _echo(f"  {kind} {path}", fg={"added": "green", "removed": "red"}.get(kind))
            if kind != "changed":
                continue
            semantic = artifacts.semantic_diff(path, a, b)
            for line in semantic or []:
                _echo(f"      {line}")
            if semantic is None or text:
                drift = artifacts.Drift(f"{name}/{path}", "changed", a, b)
                for line in drift.diff().replace("on disk: ", "old: ").replace("generated: ", "new: ").splitlines():
                    _echo(f"      {line}")
    if total == 0:
        _echo("the two models give the same artifacts")
    if exit_code and total:
        sys.exit(EXIT_DIFFERS)
