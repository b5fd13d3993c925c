"""Line the targets' facts up (subject x fact x target) and find where they disagree.

Each row compares every pair of targets that state a value; a rule may give the view of a
value that a pair compares (``index0``: helm against the first port elsewhere, ...).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations
from typing import Any

from openim_config.artifacts import data_changes
from openim_config.verify.facts import (
    FRONTS,
    KUBERNETES_TARGETS,
    ExtraFacts,
    InfraFacts,
    NotApplicable,
    ProcessFacts,
    TargetFacts,
    Unknown,
    Volume,
)
from openim_config.verify.normalise import involves_kubernetes, kubernetes_document_view

__all__ = ["Finding", "Row", "compare"]

View = Callable[[frozenset[str], Any], Any]
ABSENT = "absent"


def _same(pair: frozenset[str], value: Any) -> Any:
    return value


@dataclass
class Row:
    subject: str
    fact: str
    values: dict[str, Any]
    show: Callable[[Any], str] = str
    view: View = _same
    rule: str | None = None
    compared: bool = True
    secret: bool = False
    problems: list[str] = field(default_factory=list)

    def known(self) -> dict[str, Any]:
        return {t: v for t, v in self.values.items() if not isinstance(v, Unknown | NotApplicable)}

    def differing(self) -> list[tuple[str, str]]:
        if not self.compared:
            return []
        known = self.known()
        out = []
        for a, b in combinations(sorted(known), 2):
            pair = frozenset({a, b})
            if self.view(pair, known[a]) != self.view(pair, known[b]):
                out.append((a, b))
        return out

    def cell(self, target: str) -> str:
        value = self.values.get(target, Unknown("not read"))
        if isinstance(value, Unknown):
            return "?"
        if isinstance(value, NotApplicable):
            return value.shown
        return self.show(value)


@dataclass(frozen=True)
class Finding:
    subject: str
    fact: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject} {self.fact}: {self.message}"


# ------------------------------------------------------------------------ how values show
def _ports(v: Any) -> str:
    return (",".join(str(p) for p in v) or "none") if v != ABSENT else ABSENT


def _list(v: Any) -> str:
    if isinstance(v, str):
        return v
    return f"{len(v)}: " + ",".join(str(x) for x in v) if v else "none"


def _credentials(v: Any) -> str:
    if isinstance(v, str):
        return v
    return f"{len(v)}: " + ",".join(sorted(set(v.values()))) if v else "none"


def _secrets(v: Any) -> str:
    return v if isinstance(v, str) else f"{len(v)} set" if v else "none"


def _doc(v: Any) -> str:
    if isinstance(v, str):
        return v
    return hashlib.sha256(json.dumps(v, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _volumes(v: Any) -> str:
    return v if isinstance(v, str) else "; ".join(f"{x.landing} -> {x.mount}" for x in v)


# ------------------------------------------------------------------------ rule views
def _index0(pair: frozenset[str], v: Any) -> Any:
    return v[:1] if involves_kubernetes(pair) and not isinstance(v, str) else v


def _infra_view(pair: frozenset[str], v: Any) -> Any:
    if not involves_kubernetes(pair) or isinstance(v, str):
        return v
    return tuple("discovery" if x.startswith("discovery=") else x for x in v)


def _volume_view(pair: frozenset[str], v: Any) -> Any:
    if isinstance(v, str):
        return v
    vols: tuple[Volume, ...] = v
    return tuple(x.mount for x in vols) if involves_kubernetes(pair) else tuple((x.mount, x.key) for x in vols)


def _doc_view(file: str) -> View:
    def view(pair: frozenset[str], v: Any) -> Any:
        return kubernetes_document_view(file, v) if involves_kubernetes(pair) and not isinstance(v, str) else v

    return view


# ------------------------------------------------------------------------ building rows
def _process_rows(name: str, procs: dict[str, ProcessFacts | Unknown | None]) -> list[Row]:
    def values(get: Callable[[ProcessFacts], Any]) -> dict[str, Any]:
        return {t: (ABSENT if p is None else p if isinstance(p, Unknown) else get(p)) for t, p in procs.items()}

    rows = [
        Row(name, "image", values(lambda p: p.image), rule="executable"),
        Row(name, "instances", values(lambda p: p.instances)),
    ]
    kinds = sorted({k for p in procs.values() if isinstance(p, ProcessFacts) for k in p.ports})
    for kind in kinds:
        rows.append(Row(name, f"port.{kind}", values(lambda p, k=kind: p.ports.get(k, ())), _ports, _index0, "index0"))  # type: ignore[misc]
    rows += [
        Row(name, "start", values(lambda p: p.start), _list, _index0, "index0"),
        Row(name, "published", values(lambda p: p.published), _ports, rule="published"),
        Row(name, "files", values(lambda p: p.files), _list),
        Row(name, "infra", values(lambda p: p.infra), _list, _infra_view, "addresses"),
        Row(name, "credentials", values(lambda p: p.credentials), _credentials),
        Row(name, "secret values", values(lambda p: p.secret_digests), _secrets, rule="credentials", secret=True),
        Row(name, "logs", values(lambda p: p.logs), rule="logs", compared=False),
    ]
    return rows


def _infra_rows(name: str, infra: dict[str, InfraFacts | Unknown | None]) -> list[Row]:
    def values(get: Callable[[InfraFacts], Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for t, f in infra.items():
            if f is None and name == "etcd" and t in KUBERNETES_TARGETS:
                out[t] = NotApplicable("discovery")
            else:
                out[t] = ABSENT if f is None else f if isinstance(f, Unknown) else get(f)
        return out

    subject = f"infra {name}"
    published = {
        t: NotApplicable("published", "Service") if t in KUBERNETES_TARGETS and isinstance(v, InfraFacts) else v for t, v in infra.items()
    }
    return [
        Row(subject, "image", values(lambda f: f.image)),
        # Clients reach MinIO; the others are published on the host only for the binary target's processes.
        Row(
            subject,
            "published",
            values(lambda f: f.published) | {t: v for t, v in published.items() if isinstance(v, NotApplicable)},
            _ports,
            rule="published",
            compared=name == "minio",
        ),
        Row(subject, "volumes", values(lambda f: f.volumes), _volumes, _volume_view, "volumes"),
        Row(subject, "credentials", values(lambda f: f.credentials), _list),
        Row(subject, "secret values", values(lambda f: f.secret_digests), _secrets, rule="credentials", secret=True),
    ]


def _extra_rows(name: str, extras: dict[str, ExtraFacts | Unknown | None]) -> list[Row]:
    """A front, which every target runs (its image, its port: rule ``fronts``), or a part of the
    monitoring stack: where the chart runs none of its own, not deployed (rule ``capabilities``);
    where it does, a Service stands for host ports."""
    front = name in FRONTS

    def values(get: Callable[[ExtraFacts], Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for t, f in extras.items():
            if f is None and t in KUBERNETES_TARGETS and not front:
                out[t] = NotApplicable("capabilities", "not deployed")
            else:
                out[t] = ABSENT if f is None else f if isinstance(f, Unknown) else get(f)
        return out

    subject = f"extra {name}"
    if front:
        # The container port of a front is its image's (80) everywhere.
        return [
            Row(subject, "image", values(lambda f: f.image)),
            Row(subject, "published", values(lambda f: f.published), _ports, rule="fronts"),
            Row(subject, "port", values(lambda f: f.listens), _ports),
        ]
    # The monitoring stack runs on the host's network in the binary target: no container port there.
    published = {
        t: NotApplicable("published", "Service") for t, f in extras.items() if t in KUBERNETES_TARGETS and isinstance(f, ExtraFacts)
    }
    return [
        Row(subject, "image", values(lambda f: f.image), rule="capabilities"),
        Row(subject, "published", values(lambda f: f.published) | published, _ports, rule="capabilities"),
    ]


def _extra_of(name: str, f: TargetFacts) -> ExtraFacts | None:
    return f.extras.get(name)


def _process_of(name: str, f: TargetFacts) -> ProcessFacts | None:
    return f.processes.get(name)


def _infra_of(name: str, f: TargetFacts) -> InfraFacts | None:
    return f.infra.get(name)


def _document_of(key: str, f: TargetFacts) -> Any:
    return f.documents.get(key, ABSENT)


def _doc_shown(view: View, v: Any) -> str:
    """Every column shows the part all targets compare, so equal digests mean agreement."""
    return _doc(view(KUBERNETES_TARGETS, v))


def rows_for(targets: dict[str, TargetFacts | Unknown], order: list[str]) -> list[Row]:
    """Rows of every service, component and config file any target states; a target that
    could not be read (``Unknown``) is unknown in every row."""
    read = [f for f in targets.values() if isinstance(f, TargetFacts)]

    def pick(f: TargetFacts | Unknown, get: Callable[[TargetFacts], Any]) -> Any:
        return f if isinstance(f, Unknown) else get(f)

    rows: list[Row] = []
    found = {n for f in read for n in f.processes}
    for name in sorted(found, key=lambda n: (order.index(n) if n in order else len(order), n)):
        rows += _process_rows(name, {t: pick(f, partial(_process_of, name)) for t, f in targets.items()})
    for name in sorted({n for f in read for n in f.infra}):
        rows += _infra_rows(name, {t: pick(f, partial(_infra_of, name)) for t, f in targets.items()})
    for name in sorted({n for f in read for n in f.extras}):
        rows += _extra_rows(name, {t: pick(f, partial(_extra_of, name)) for t, f in targets.items()})
    for key in sorted({k for f in read for k in f.documents}):
        view = _doc_view(key.split("/", 1)[1])
        values = {t: pick(f, partial(_document_of, key)) for t, f in targets.items()}
        rows.append(Row(f"config {key}", "data", values, partial(_doc_shown, view), view, "null"))
    return rows


def _message(row: Row, bad: list[tuple[str, str]]) -> str:
    if row.secret:
        a, b = bad[0]
        va, vb = row.values[a], row.values[b]
        names = sorted(k for k in set(va) | set(vb) if va.get(k) != vb.get(k))
        return f"values of {', '.join(names)} differ between " + " and ".join(sorted({t for p in bad for t in p}))
    known = row.known()
    if isinstance(next(iter(known.values())), dict) and all(isinstance(v, dict) for v in known.values()):
        a, b = bad[0]
        pair = frozenset({a, b})
        changes = data_changes(row.view(pair, known[a]), row.view(pair, known[b]))
        shown = "; ".join(changes[:6]) + (f"; ... {len(changes) - 6} more" if len(changes) > 6 else "")
        return f"{a} -> {b}: {shown}"
    if all(isinstance(v, tuple) and all(isinstance(x, str) for x in v) for v in known.values()):
        clauses = []
        for a, b in bad:
            pair = frozenset({a, b})
            va, vb = set(row.view(pair, known[a])), set(row.view(pair, known[b]))
            clauses.append(f"{a} has {_list(tuple(sorted(va - vb)))} where {b} has {_list(tuple(sorted(vb - va)))}")
        return "; ".join(clauses)
    parts = ", ".join(f"{t} {row.cell(t)}" for t in row.values)
    return parts + (" (helm is compared with index 0)" if row.rule == "index0" else "")


def compare(targets: dict[str, TargetFacts | Unknown], order: list[str]) -> tuple[list[Row], list[Finding]]:
    rows = rows_for(targets, order)
    findings = []
    for row in rows:
        bad = row.differing()
        if bad:
            findings.append(Finding(row.subject, row.fact, _message(row, bad)))
    for facts in targets.values():
        for p in facts.problems if isinstance(facts, TargetFacts) else []:
            findings.append(Finding(p.subject, p.fact, p.message))
            for row in rows:
                if (row.subject, row.fact) == (p.subject, p.fact):
                    row.problems.append(p.message)
    return rows, findings
