"""Generated OpenIM config files are ones the real binaries accept: upstream's file names,
upstream's key set, upstream's value types (checked against the untouched upstream files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

import pytest

from openim_config import yamlio
from openim_config.catalog import load_catalog
from openim_config.plan import FLAVOURS
from tests.scenarios import CASES, plan_case

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
UPSTREAM = {
    "server": REFERENCE / "openim-server-v3.8.3-patch.16" / "config",
    "chat": REFERENCE / "openim-chat-v1.8.4-patch.5" / "config",
}


def _shape(value: Any, path: str = "") -> dict[str, str]:
    """key path -> type name, for every key (lists of scalars by element type)."""
    if isinstance(value, dict):
        out: dict[str, str] = {path: "map"} if path else {}
        for key, sub in value.items():
            out.update(_shape(sub, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list):
        kinds = sorted({type(v).__name__ for v in value})
        return {path: f"list[{'|'.join(kinds)}]" if kinds else "list"}
    return {path: type(value).__name__}


def _compatible(ours: str, theirs: str) -> bool:
    if ours == theirs or ("NoneType" in (ours, theirs) and {ours, theirs} <= {"NoneType", "str"}):
        return True
    # an empty upstream list says nothing about element types
    return (theirs == "list" and ours.startswith("list")) or (ours == "list" and theirs.startswith("list"))


def _upstream(product: str, file: str) -> Any:
    """The untouched upstream file when ../shared/reference is beside the checkout (as in CI),
    else the catalog's copy of it (same keys and values, comments stripped)."""
    path = UPSTREAM[product] / file
    if path.is_file():
        return yamlio.load_plain(path.read_text())
    return load_catalog("3.8").documents[product][file]  # type: ignore[index]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", CASES)
def test_same_files_keys_and_types_as_upstream(case: str, flavour: str) -> None:
    plan = plan_case(case)
    for product, docs in plan.documents[flavour].items():  # type: ignore[index]
        for file, doc in docs.items():
            theirs, ours = _shape(_upstream(product, file)), _shape(doc)
            assert set(ours) == set(theirs), f"{product}/{file}: keys differ: {sorted(set(ours) ^ set(theirs))}"
            wrong = {k: (ours[k], theirs[k]) for k in ours if not _compatible(ours[k], theirs[k])}
            assert not wrong, f"{product}/{file} ({flavour}): types differ from upstream: {wrong}"


def test_every_file_a_binary_reads_is_generated() -> None:
    plan = plan_case("production")
    for flavour in FLAVOURS:
        for svc in plan.services.values():
            assert set(svc.files) <= set(plan.documents[flavour][svc.product]), (flavour, svc.name)


def test_values_differ_between_flavours_only_where_they_must() -> None:
    """Addresses, discovery backend, log location and stdout: nothing else."""
    plan = plan_case("production")
    allowed = {
        "discovery.yml": {"enable", "etcd.address"},
        "log.yml": {"storageLocation", "isStdout"},
        "minio.yml": {"internalAddress"},
        "kafka.yml": {"address"},
        "redis.yml": {"address"},
        "mongodb.yml": {"address"},
        "share.yml": {"openIM.apiURL"},
    }
    # Kubernetes: discovery names are the release's Service names (<release>-<name>).
    products: tuple[Literal["server", "chat"], ...] = ("server", "chat")
    names = {product: plan.catalog.products[product].discoveryNameKey.split(":") for product in products}
    kubernetes: dict[tuple[str, str], set[str]] = {
        (product, file): {f"{key}.{k}" for k in _flat(cast(dict[str, Any], plan.catalog.documents[product][file])[key])}
        for product, (file, key) in names.items()
    }
    for product, docs in plan.documents["host"].items():
        for file, doc in docs.items():
            for other in ("compose", "kubernetes"):
                a, b = _flat(doc), _flat(plan.documents[other][product][file])
                differing = {k for k in a if a[k] != b[k]}
                port_keys = {spec.key for spec in _port_specs(plan, file)}
                own = port_keys | kubernetes.get((product, file), set()) if other == "kubernetes" else set()
                extra = differing - allowed.get(file, set()) - own
                assert not extra, f"{product}/{file}: {other} differs from host in {sorted(extra)}"


def _flat(doc: Any, path: str = "") -> dict[str, Any]:
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for k, v in doc.items():
            out.update(_flat(v, f"{path}.{k}" if path else str(k)))
        return out
    return {path: doc}


def _port_specs(plan: Any, file: str) -> list[Any]:
    return [spec for name in plan.services if plan.catalog.binary_file(name) == file for spec in plan.catalog.binaries[name].ports.values()]


def test_no_credential_in_any_config_document() -> None:
    plan = plan_case("default")
    for flavour in FLAVOURS:
        for product, docs in plan.documents[flavour].items():
            for key in plan.catalog.secretKeys[product]:  # type: ignore[index]
                file, dotted = key.split(":")
                if file not in docs:
                    continue
                node: Any = docs[file]
                for part in dotted.split("."):
                    node = node[part]
                assert node == "", f"{flavour} {product}/{file} {dotted} is not blank"
