"""The parity table and the findings, as plain text fit for CI logs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from openim_config.verify.compare import Finding, Row
from openim_config.verify.normalise import RULES

__all__ = ["render_table"]

WIDTH = 30


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _status(row: Row) -> str:
    if row.problems or row.differing():
        return "DIFFERS"
    if not row.compared:
        return "shown"
    return "ok"


def render_table(rows: Sequence[Row], targets: Sequence[str], width: int = WIDTH) -> Iterator[str]:
    """One line per (subject, fact): each target's value, then ok / DIFFERS / shown."""
    subject_w = max((len(r.subject) for r in rows), default=7)
    fact_w = max((len(r.fact) for r in rows), default=4)
    header = ["service".ljust(subject_w), "fact".ljust(fact_w), *(t.ljust(width) for t in targets), "status"]
    yield "  ".join(header)
    yield "  ".join(["-" * subject_w, "-" * fact_w, *("-" * width for _ in targets), "-" * 7])
    previous = None
    for row in rows:
        subject = row.subject if row.subject != previous else ""
        previous = row.subject
        cells = [_clip(row.cell(t), width).ljust(width) for t in targets]
        yield "  ".join([subject.ljust(subject_w), row.fact.ljust(fact_w), *cells, _status(row)]).rstrip()


def render_rules() -> Iterator[str]:
    yield "normalisation rules (what is not compared as written, and why):"
    for rule in RULES.values():
        yield f"  {rule.id}: {rule.text}"


def render_findings(findings: Sequence[Finding]) -> Iterator[str]:
    for finding in findings:
        yield f"  {finding}"
