"""What ``helm upgrade`` cannot apply in place, found when ``build`` writes over a chart it
wrote before, instead of by a failed upgrade on the cluster.

Both charts are rendered with Helm (the previous one as it is on disk, the new one from the
artifacts about to be written) under the model's release name, and the objects that keep their
kind and name are compared field by field, as the API server compares them: a StatefulSet's
``volumeClaimTemplates``, ``serviceName``, ``selector`` and ``podManagementPolicy`` and a
Deployment's ``selector`` are immutable; a Service cannot turn into or out of an
``ExternalName`` nor change its ``clusterIP``; a PersistentVolumeClaim never shrinks and keeps
its storage class and access modes (it grows only where its storage class allows expansion).
Each finding says what to do. Without a Helm engine, or with a previous chart Helm cannot
render, nothing is compared and the build says so.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openim_config import yamlio
from openim_config.artifacts import Artifact
from openim_config.errors import OpenIMGenError

__all__ = ["Finding", "Upgrade", "check", "compare"]

ACCEPT_FLAG = "--accept-upgrade-breaks"
SUFFIXES = {
    **{s: Decimal(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{s: Decimal(1000) ** (i + 1) for i, s in enumerate(("k", "M", "G", "T", "P", "E"))},
    "m": Decimal("0.001"),
    "": Decimal(1),
}
_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|)")


@dataclass(frozen=True)
class Finding:
    """One change Kubernetes refuses (``breaks``), or one it applies only under a condition."""

    what: str
    """The object and field: ``StatefulSet mongodb: volumeClaimTemplates[data] storage``."""
    old: str
    new: str
    todo: str
    value: str = ""
    """The values key it comes from, when one does (``infra.mongodb.persistence.size``), and
    after a comma the model's (``openim.yaml storage.mongodb-data.size``)."""
    breaks: bool = True

    def __str__(self) -> str:
        source = f" (values {self.value})" if self.value else ""
        return f"{self.what}{source}: {self.old} -> {self.new}: {self.todo}"


def _persistence(component: str, part: str) -> str:
    """Where a bundled component's claim setting comes from, in values and in the model."""
    return f"infra.{component}.persistence.{part}, openim.yaml storage.{component}-data.{part}" if component else ""


@dataclass
class Upgrade:
    breaks: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Conditions (a claim that grows) and why nothing was compared."""


def quantity(text: object) -> Decimal | None:
    """A Kubernetes quantity (``10Gi``, ``500M``, ``1.5``) as a number, or None."""
    match = _QUANTITY.fullmatch(str(text).strip())
    if match is None:
        return None
    try:
        return Decimal(match.group(1)) * SUFFIXES[match.group(2)]
    except InvalidOperation:
        return None


def _show(value: object) -> str:
    if value is None or value in ("", []):
        return "(unset)"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _storage(spec: Mapping[str, Any]) -> object:
    return ((spec.get("resources") or {}).get("requests") or {}).get("storage")


def _component(obj: Mapping[str, Any]) -> str:
    return str(((obj.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component", ""))


def _claim(where: str, old: Mapping[str, Any], new: Mapping[str, Any], component: str, grow: str | None) -> Iterable[Finding]:
    """A claim's spec. ``grow``: what to do for a larger size (a StatefulSet's template), or
    None for a PersistentVolumeClaim, which grows in place where its storage class expands."""
    migrate = "an existing claim keeps its {}: migrate the data to a new claim, or keep the old value"
    for key in ("storageClassName", "accessModes"):
        if (old.get(key) or None) != (new.get(key) or None):
            part = "storageClass" if key == "storageClassName" else key
            yield Finding(f"{where} {key}", _show(old.get(key)), _show(new.get(key)), migrate.format(part), _persistence(component, part))
    before, after = _storage(old), _storage(new)
    a, b = quantity(before), quantity(after)
    if before == after or a == b:
        return
    shown, size = (_show(before), _show(after)), _persistence(component, "size")
    if a is not None and b is not None and b < a:
        yield Finding(f"{where} storage", *shown, migrate.format("size (a claim never shrinks)"), size)
    elif grow is not None:
        yield Finding(f"{where} storage", *shown, grow, size)
    else:
        yield Finding(f"{where} storage", *shown, "applied only where its storage class has allowVolumeExpansion: true", size, False)


def _statefulset(name: str, old: Mapping[str, Any], new: Mapping[str, Any], component: str, namespace: str) -> Iterable[Finding]:
    where = f"StatefulSet {name}:"
    orphan = f"kubectl delete statefulset {name} -n {namespace} --cascade=orphan (its pods and claims stay), then helm upgrade"
    for key, default in (("serviceName", None), ("selector", None), ("podManagementPolicy", "OrderedReady")):
        before, after = old.get(key) or default, new.get(key) or default
        if before != after:
            yield Finding(f"{where} {key}", _show(before), _show(after), f"immutable: {orphan}")
    olds = {t["metadata"]["name"]: t.get("spec") or {} for t in old.get("volumeClaimTemplates") or []}
    news = {t["metadata"]["name"]: t.get("spec") or {} for t in new.get("volumeClaimTemplates") or []}
    if set(olds) != set(news):
        why = (
            f"claim templates cannot change, and the pods would leave the claims holding their data: migrate the data, then {orphan}"
            if set(olds) - set(news)
            else f"claim templates cannot change: {orphan}"
        )
        yield Finding(
            f"{where} volumeClaimTemplates", _show(sorted(olds)), _show(sorted(news)), why, _persistence(component, "existingClaim")
        )
    replicas = int(new.get("replicas", 1) or 0)
    for claim in sorted(set(olds) & set(news)):
        size = _storage(news[claim])
        patch = f'\'{{"spec":{{"resources":{{"requests":{{"storage":"{size}"}}}}}}}}\''
        claims = " ".join(f"{claim}-{name}-{i}" for i in range(max(replicas, 1)))
        grow = (
            f"a StatefulSet's claim templates cannot change; where the storage class has allowVolumeExpansion: true: {orphan}, "
            f"and kubectl patch pvc -n {namespace} <claim> -p {patch} for each of {claims}"
        )
        yield from _claim(f"{where} volumeClaimTemplates[{claim}]", olds[claim], news[claim], component, grow)


def _service(name: str, old: Mapping[str, Any], new: Mapping[str, Any], value: str, namespace: str) -> Iterable[Finding]:
    recreate = f"kubectl delete service {name} -n {namespace}, then helm upgrade"
    types = (old.get("type") or "ClusterIP", new.get("type") or "ClusterIP")
    if types[0] != types[1] and "ExternalName" in types:
        yield Finding(f"Service {name}: type", *types, f"a Service cannot turn into or out of ExternalName in place: {recreate}", value)
    elif (old.get("clusterIP") or "") != (new.get("clusterIP") or ""):
        yield Finding(f"Service {name}: clusterIP", _show(old.get("clusterIP")), _show(new.get("clusterIP")), f"immutable: {recreate}")


def compare(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], namespace: str, values: Mapping[str, Any] | None = None
) -> Upgrade:
    """The in-place changes of ``old`` -> ``new`` (rendered manifests) that Kubernetes refuses.
    ``values``: the new chart's values, to name the key a finding comes from."""
    infra_values = (values or {}).get("infra") or {}
    before = {(d.get("kind"), (d.get("metadata") or {}).get("name")): d for d in old}
    result = Upgrade()
    for doc in new:
        kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name")
        prev = before.get((kind, name))
        if prev is None:
            continue
        spec, prev_spec = doc.get("spec") or {}, prev.get("spec") or {}
        component = _component(doc)
        found: list[Finding] = []
        if kind == "StatefulSet":
            found += _statefulset(str(name), prev_spec, spec, component if component in infra_values else "", namespace)
        elif kind == "Deployment" and prev_spec.get("selector") != spec.get("selector"):
            todo = f"immutable: kubectl delete deployment {name} -n {namespace}, then helm upgrade (its pods are recreated)"
            found.append(Finding(f"Deployment {name}: selector", _show(prev_spec.get("selector")), _show(spec.get("selector")), todo))
        elif kind == "Service":
            external = component.removesuffix("-external")  # bundled <-> external: values infra.<name>.enabled
            found += _service(str(name), prev_spec, spec, f"infra.{external}.enabled" if external in infra_values else "", namespace)
        elif kind == "PersistentVolumeClaim":
            found += _claim(f"PersistentVolumeClaim {name}:", prev_spec, spec, "", None)
        for finding in found:
            if finding.breaks:
                result.breaks.append(finding)
            else:
                result.warnings.append(str(finding))
    result.breaks += _renamed_statefulsets(old, new, infra_values)
    return result


def _renamed_statefulsets(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], infra_values: Mapping[str, Any]
) -> Iterable[Finding]:
    """A StatefulSet of a component under a new name (release-prefixed names, another release
    name): its claims are named after it, so the new one would start on empty claims while the
    data stays in the old ones."""
    names = {(d.get("metadata") or {}).get("name") for d in new if d.get("kind") == "StatefulSet"}
    renamed = {_component(d): d for d in new if d.get("kind") == "StatefulSet" and (d.get("spec") or {}).get("volumeClaimTemplates")}
    for prev in old:
        name = (prev.get("metadata") or {}).get("name")
        templates = [t["metadata"]["name"] for t in (prev.get("spec") or {}).get("volumeClaimTemplates") or []]
        successor = renamed.get(_component(prev))
        if prev.get("kind") != "StatefulSet" or name in names or not templates or successor is None:
            continue
        new_name = successor["metadata"]["name"]
        claims = ", ".join(f"{t}-{name}-{i}" for t in templates for i in range(max(int(prev["spec"].get("replicas", 1) or 0), 1)))
        component = _component(prev)
        keep = (
            f"set openim.yaml storage.{component}-data.existingClaim: {templates[0]}-{name}-0 to keep using it"
            if component in infra_values
            else "migrate the data to the new claims"
        )
        yield Finding(
            f"StatefulSet {name}: name",
            str(name),
            str(new_name),
            f"its claims are named after it: {new_name} would start on new, empty claims while the data stays in {claims}; {keep}",
            _persistence(component, "existingClaim") if component in infra_values else "",
        )


def _values(text: str) -> dict[str, Any]:
    data = yamlio.load_plain(text)
    return data if isinstance(data, dict) else {}


def check(previous: Path, artifacts: Sequence[Artifact], release: str) -> Upgrade:
    """Compare the chart about to be written (``artifacts``) with the one in ``previous``
    (``<output>/helm``) when openim-gen wrote one there."""
    from openim_config.writer import MANIFEST, owned_files

    if not (previous / MANIFEST).is_file() or not (previous / "Chart.yaml").is_file():
        return Upgrade()  # nothing openim-gen wrote: a first build
    if set(owned_files(previous)) == {a.path for a in artifacts} and _same_chart(previous, artifacts):
        return Upgrade()  # the chart written before, byte for byte: nothing for Helm to upgrade

    from ruamel.yaml.error import YAMLError

    from openim_config.errors import UserError
    from openim_config.verify import helm_render  # Helm's engine: only when the chart changed

    skipped = f"{previous}: not compared with the chart written before, so changes `helm upgrade` cannot apply are not caught"
    new_values = next((a for a in artifacts if a.path == "values.yaml"), None)
    if new_values is None:
        raise OpenIMGenError("the helm target rendered no values.yaml")
    values = _values(new_values.content.decode("utf-8"))
    try:
        old_values = _values((previous / "values.yaml").read_text(encoding="utf-8"))
    except (OSError, ValueError, YAMLError) as exc:  # a file someone edited, or that went away
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).replace("\n", " ")
        return Upgrade(warnings=[f"{skipped}: its values.yaml cannot be read ({reason})"])
    try:
        namespace = str(values.get("namespace") or "default")
        # Under the release it was made for (a chart from before release-prefixed names pins none).
        old_release = str(old_values.get("release") or release)
        old = helm_render.render(previous, old_release, str(old_values.get("namespace") or "default"), read_secrets=False)
        with tempfile.TemporaryDirectory(prefix="openim-gen-upgrade-") as tmp:
            for artifact in artifacts:
                if not artifact.secret:
                    dest = Path(tmp, artifact.path)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(artifact.content)
            new = helm_render.render(Path(tmp), release, namespace, read_secrets=False)
    except UserError as exc:
        return Upgrade(warnings=[f"{skipped}: {exc}"])
    if old is None or new is None:
        return Upgrade(warnings=[f"{skipped}: no Helm engine is installed ({helm_render.INSTALL_HINT})"])
    result = compare(old.manifests, new.manifests, namespace, values)
    result.breaks[:0] = _moves(old_values, values)
    return result


def _same_chart(previous: Path, artifacts: Sequence[Artifact]) -> bool:
    """Every file of the chart (credentials aside: they change no object's shape) is already
    in ``previous`` with the same bytes."""
    for artifact in artifacts:
        if artifact.secret:
            continue
        try:
            if (previous / artifact.path).read_bytes() != artifact.content:
                return False
        except OSError:
            return False
    return True


def _moves(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Finding]:
    """Another release name or namespace: Helm installs the chart anew beside the old one."""
    out = []
    for key in ("release", "namespace"):
        before, after = old.get(key), new.get(key)
        if before and after and before != after:
            todo = (
                f"helm installs it anew, with new, empty claims, beside the old release, which keeps the data: set "
                f"targets.helm.{key}: {before} to upgrade the installed one, or move the data first"
            )
            out.append(Finding(f"the chart's {key}", str(before), str(after), todo, f"{key}, openim.yaml targets.helm.{key}"))
    return out
