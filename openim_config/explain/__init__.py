"""``openim-gen explain``: what a model key is, which input layer set it, and every place in
the generated artifacts it flows into; or, for such a place, the keys that feed it.

The flow is measured, not listed: the targets are rendered twice, the second time with the key
set (as the highest ``--set`` layer) to a distinct value the model accepts, and every place
whose content changed is reported (``tests/test_key_effects.py``'s idea). Credential files are
compared with every credential replaced by a placeholder, so no real value is ever read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openim_config import build
from openim_config.errors import Location, Problem, UserError
from openim_config.errors import Path as KeyPath
from openim_config.explain import paths, probe
from openim_config.explain.spots import ABSENT, Rendered, Spot, changes, resolve, value_at
from openim_config.loader import DEFAULTS, ModelError, Provenance, Source, load
from openim_config.model import OpenIM, SecretRef
from openim_config.plan import Plan, build_plan
from openim_config.plan.types import SecretPlan

__all__ = ["Explanation", "Feeders", "Inputs", "Layer", "explain_key", "explain_spot"]


@dataclass(frozen=True)
class Layer:
    """Which input set a value: ``default``, ``file``, ``overlay`` (``-e``), ``environment``
    (``OPENIM_GEN_*``) or ``set`` (``--set``), and where."""

    kind: str
    where: str

    def __str__(self) -> str:
        return {
            "default": "the built-in default",
            "file": f"the model file, {self.where}",
            "overlay": f"the environment overlay (-e), {self.where}",
            "environment": f"the {self.where.removeprefix('environment ')} variable",
            "set": f"{self.where} on the command line",
        }[self.kind]


@dataclass
class Inputs:
    """One run's inputs, loaded once: the model, where each value came from, the plan and its
    rendering; ``with_set`` plans the same inputs with one more ``--set``."""

    source: Source
    overlays: tuple[str, ...]
    targets: tuple[str, ...]
    model: OpenIM = field(init=False)
    prov: Provenance = field(init=False)
    plan: Plan = field(init=False)
    rendered: Rendered = field(init=False)

    def __post_init__(self) -> None:
        try:
            self.model, self.prov = load(self.source)
        except ModelError:
            build.plan_for(self.source)  # every problem of the input, as `validate` says them
            raise
        self.plan = build_plan(self.model, self.prov)
        self.rendered = build.render(self.plan, self.targets)
        self.data = self.model.model_dump(by_alias=True, mode="json")

    @classmethod
    def of(cls, files: Sequence[Path], sets: Sequence[str], overlays: Sequence[Path], targets: Sequence[str]) -> Inputs:
        return cls(Source([*files, *overlays], sets), tuple(str(p) for p in overlays), tuple(targets))

    def with_set(self, item: str) -> Plan | Problem:
        try:
            return build.plan_for(dataclasses.replace(self.source, sets=[*self.source.sets, item]))
        except UserError as exc:
            return exc.problems[0]

    def layer(self, path: KeyPath) -> Layer:
        loc = self.prov.locations.get(path)
        for end in range(len(path) - 1, 0, -1):
            if loc is not None:
                break
            above = self.prov.locations.get(path[:end])
            if above is not None:  # the layer gave the whole list this is in, else only keys beside it
                loc = above if isinstance(paths.value_at(self.model, path[:end]), list) else DEFAULTS
        return self._kind(loc or DEFAULTS)

    def _kind(self, loc: Location) -> Layer:
        if loc == DEFAULTS:
            return Layer("default", "")
        if loc.source.startswith("--set "):
            return Layer("set", loc.source)
        if loc.source.startswith("environment "):
            return Layer("environment", loc.source)
        return Layer("overlay" if loc.source in self.overlays else "file", str(loc))

    def set_inside(self, path: KeyPath) -> list[tuple[str, Layer]]:
        """The keys under ``path`` the inputs set, each with its layer (a section's story)."""
        below = [p for p in self.prov.locations if p[: len(path)] == path and p != path]
        leaves = [p for p in below if not any(q != p and q[: len(p)] == p for q in below)]
        return sorted((paths.show(p), self._kind(self.prov.locations[p])) for p in leaves)

    def flows(self, plan: Plan, key: KeyPath, targets: Sequence[str] | None = None, secrets: bool = True) -> list[Spot]:
        """Every place where ``plan``'s artifacts differ from these inputs'; with ``secrets``,
        credential files too (compared with placeholders, ``key``'s own credential given another one)."""
        names = tuple(targets or self.targets)
        base = {t: self.rendered[t] for t in names}
        after = build.render(plan, names)
        return changes(base, after, _secret_contents(self.plan, plan, names, key) if secrets else None)


_PLACEHOLDER = "explain-placeholder-{}"


def _placeholders(plan: Plan, changed: KeyPath | None) -> Plan:
    """``plan`` with every credential a placeholder (``changed``'s another one)."""

    def swap(sp: SecretPlan) -> SecretPlan:
        mark = "-probe" if changed is not None and sp.path == paths.show(changed) else ""
        return SecretPlan(sp.id, sp.path, SecretRef.model_validate(_PLACEHOLDER.format(sp.id) + mark) if sp.ref else None)

    return dataclasses.replace(plan, secrets={sid: swap(sp) for sid, sp in plan.secrets.items()})


def _secret_contents(before: Plan, after: Plan, targets: Sequence[str], key: KeyPath | None) -> dict[tuple[str, str], tuple[bytes, bytes]]:
    old = build.render(_placeholders(before, None), targets)
    new = build.render(_placeholders(after, key), targets)
    out = {}
    for target in targets:
        mine = {a.path: a for a in new[target] if a.secret}
        for artifact in old[target]:
            if artifact.secret and artifact.path in mine:
                try:
                    out[(target, artifact.path)] = (artifact.data(), mine[artifact.path].data())
                except UserError:
                    continue  # cannot be produced even with placeholders: compared as present/absent only
    return out


# --------------------------------------------------------------------------- a model key
@dataclass
class Explanation:
    key: str
    value: Any
    planned: Any
    """What the plan uses where the model leaves the key unset (a service's ports), else ABSENT."""
    layer: Layer
    inside: list[tuple[str, Layer]]
    secret: bool
    probe: Any
    """The value the flows were measured with (``None`` for a credential: never shown)."""
    flows: list[tuple[Spot, Any]]
    """Each place with its current content (``ABSENT`` for credential files and text)."""
    untraced: str = ""
    """Why no flow could be measured (every probe refused), else empty."""


def explain_key(inputs: Inputs, text: str) -> Explanation:
    try:
        path = paths.parse(text, inputs.data)
    except paths.PathError as exc:
        raise UserError([Problem(Location("explain"), (), f"{text}: {exc}")]) from None
    schema = paths.schema_at(path) or {}
    current = paths.value_at(inputs.model, path)
    shown = None if current is paths.MISSING else paths.plain(current)
    secret = paths.is_secret(schema)
    planned = _planned(inputs.plan, path) if shown is None else ABSENT
    found = _trace(inputs, path, planned if planned is not ABSENT else shown)
    flows: list[tuple[Spot, Any]] = []
    untraced = ""
    if isinstance(found, tuple):
        value = found[0]
        flows = [(s, value_at(inputs.rendered, s)) for s in found[1]]
    else:
        untraced = found
        value = None
    return Explanation(
        key=paths.show(path),
        value=shown,
        planned=planned,
        layer=inputs.layer(path),
        inside=inputs.set_inside(path) if isinstance(shown, (dict, list)) else [],
        secret=secret,
        probe=None if secret else value,
        flows=flows,
        untraced=untraced,
    )


def _probes(inputs: Inputs, path: KeyPath, current: Any, schema: dict[str, Any]) -> Iterator[tuple[Any, Plan] | str]:
    """Distinct values of the key the model accepts, each with its plan, nearest first; when
    there is none, one string saying why."""
    first: Problem | None = None
    tried = 0
    for where, value in probe.candidates(path, current, schema):
        text = probe.set_text(value)
        if text is None:
            continue
        tried += 1
        result = inputs.with_set(f"{paths.set_key(where)}={text}")
        if isinstance(result, Plan):
            yield (value if where == path else {paths.show(where): value}), result
        else:
            first = first or result
        if tried >= MAX_PROBES:
            break
    if first is None:
        yield "the key takes no value openim-gen could vary"
    else:
        yield f"no different value was accepted with this model ({first})"


MAX_PROBES = 40


def _trace(
    inputs: Inputs, path: KeyPath, current: Any, targets: Sequence[str] | None = None, secrets: bool = True
) -> tuple[Any, list[Spot]] | str:
    """The first probe the targets render, and the places it changes; else why none."""
    why = ""
    for found in _probes(inputs, path, current, paths.schema_at(path) or {}):
        if isinstance(found, str):
            return why or found
        try:
            return found[0], inputs.flows(found[1], path, targets, secrets)
        except (ValueError, KeyError, TypeError) as exc:  # a value the model takes and a target does not: try another
            why = why or f"a target could not render {found[0]!r}: {type(exc).__name__}: {exc}"
    return why


def _planned(plan: Plan, path: KeyPath) -> Any:
    """The value the plan chose for a key the model leaves unset."""
    match path:
        case ("services", str(name), "ports", str(kind)) if name in plan.services:
            return list(plan.services[name].ports.get(kind, ()))  # type: ignore[call-overload]
        case ("services", str(name), "instances") if name in plan.services:
            return len(plan.services[name].instances)
        case ("services", str(name), "image") if name in plan.services:
            return plan.services[name].image
        case ("infra", str(name), "image") if name in plan.infra:
            return plan.infra[name].image
        case ("images", "tag" | "chatTag"):
            return plan.catalog.products["server" if path[1] == "tag" else "chat"].tag
    return ABSENT


# --------------------------------------------------------------------------- an artifact place
@dataclass
class Feeders:
    spot: Spot
    value: Any
    keys: list[tuple[str, Any, Layer]]
    """Each model key whose change changes the place: its value and the layer that set it."""


def explain_spot(inputs: Inputs, text: str) -> Feeders:
    """The model keys that feed one place: every leaf of the model is varied in turn, and
    those that change the place are kept (a few seconds: each is a plan and a rendering)."""
    try:
        spot = resolve(text, inputs.rendered)
    except ValueError as exc:
        raise UserError([Problem(Location("explain"), (), str(exc))]) from None
    keys = []
    for path in paths.leaves(inputs.model):
        current = paths.value_at(inputs.model, path)
        shown = None if current is paths.MISSING else paths.plain(current)
        planned = _planned(inputs.plan, path) if shown is None else ABSENT
        found = _trace(inputs, path, planned if planned is not ABSENT else shown, [spot.target], spot.secret)
        if isinstance(found, tuple) and any(spot.covers(s) for s in found[1]):
            keys.append((paths.show(path), shown, inputs.layer(path)))
    return Feeders(spot, value_at(inputs.rendered, spot), keys)
