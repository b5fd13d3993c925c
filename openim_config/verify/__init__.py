"""``openim-gen verify``: read every target back from what ``build`` wrote and show that they
state the same facts (per service: image, instances, ports, config files, infrastructure,
credentials; per component: image, volumes; per config file: its data).

Extraction reads artifacts, never the plan: a hand edit, a stale file or a target bug shows
up as a disagreement naming the service and the fact.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from openim_config.errors import UserError
from openim_config.verify import helm_render
from openim_config.verify.facts import TARGET_NAMES, TargetFacts, Unknown

if TYPE_CHECKING:
    from openim_config.verify.compare import Finding, Row

__all__ = ["Report", "verify"]


@dataclass
class Report:
    targets: tuple[str, ...]
    rows: list[Row]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    unverified: bool = False
    """The chart could not be rendered (no Helm engine): its column is unknown."""

    @property
    def agree(self) -> bool:
        return not self.findings

    def keys(self) -> set[tuple[str, str]]:
        """(subject, fact) of every finding."""
        return {(f.subject, f.fact) for f in self.findings}


def verify(out_dir: Path) -> Report:
    """Facts of the three targets under ``out_dir``, compared."""
    missing = [t for t in TARGET_NAMES if not (out_dir / t).is_dir()]
    if missing:
        raise UserError(f"{out_dir}: no {', '.join(missing)} target: verify compares all three; run `openim-gen build -o {out_dir}` first")
    notes: list[str] = []
    # Helm's engine is Go behind ctypes, which lets go of the interpreter: the chart renders on
    # the other core while the readers of the binary and compose targets are imported (which is
    # why they are imported only here) and read them. Rendering is the longest part of a run.
    with ThreadPoolExecutor(1) as pool:
        rendering = pool.submit(helm_render.render, out_dir / "helm")
        from openim_config.verify import binary, compose, helm
        from openim_config.verify.compare import compare
        from openim_config.verify.reading import catalog_for

        catalog = catalog_for([])
        facts = {
            "binary": binary.extract(out_dir / "binary", catalog),
            "compose": compose.extract(out_dir / "compose", catalog),
        }
        rendered = rendering.result()
    targets: dict[str, TargetFacts | Unknown] = dict(facts)
    if rendered is None:
        notes.append(f"helm: NOT VERIFIED: no Helm engine is installed ({helm_render.INSTALL_HINT}); its column is unknown")
        targets["helm"] = Unknown("no Helm engine")
    else:
        secrets = "" if rendered.with_secrets else f"; {helm_render.SECRETS_FILE} not written, so credential values are not compared"
        notes.append(f"helm: rendered with {rendered.engine}{secrets}")
        targets["helm"] = helm.extract(rendered.manifests, catalog, rendered.with_secrets)
    for f in targets.values():
        if isinstance(f, TargetFacts):
            notes.extend(f.notes)
    rows, findings = compare(targets, order=list(catalog.binaries))
    lacking = sorted({r.subject.removeprefix("extra ") for r in rows if r.rule == "capabilities" and r.cell("helm") == "not deployed"})
    if lacking:
        notes.append(f"helm does not deploy {', '.join(lacking)} (`openim-gen build -t helm` says what the chart does instead)")
    return Report(TARGET_NAMES, rows, findings, notes, unverified=rendered is None)
