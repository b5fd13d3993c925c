"""The documented rules that make the targets' facts comparable.

The targets differ on purpose in a few places (``plan/appconfig.py`` says where); each
difference is one rule here, printed under the parity table, so a reader sees exactly what
was *not* compared and why. Everything else must be equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openim_config import yamlio
from openim_config.catalog import Catalog
from openim_config.verify.facts import KUBERNETES_TARGETS, TargetFacts
from openim_config.verify.reading import get, split_address

__all__ = ["RULES", "Rule", "normalise_document", "process_infra", "resolve_address", "strip_ports", "unprefix_names"]

Resolver = Callable[[str, int], "str | None"]
"""(host, port) -> what it reaches in this target (``bundled:redis``, ``openim-api:http``) or None."""


@dataclass(frozen=True)
class Rule:
    id: str
    text: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "addresses",
            "infrastructure and API addresses are compared by what they reach in each target: a bundled "
            "component or OpenIM listener (through the Compose service name, the port published on the host, "
            "or the Kubernetes Service), otherwise the external address as written",
        ),
        Rule(
            "discovery",
            "every target registers in etcd at this line (the chart deploys its own), but a line that discovers "
            "through the Kubernetes API would not: discovery.yml enable/etcd.address/kubernetes.namespace are not "
            "compared with helm, nor a bundled etcd the chart does not deploy",
        ),
        Rule(
            "logs",
            "log.yml storageLocation and isStdout are per target (a host log directory; container logs and stdout): shown, not compared",
        ),
        Rule(
            "index0",
            "in Kubernetes every replica runs with index 0, so each listener has one port: helm is compared with "
            "the port of index 0 elsewhere (binary and compose compare every instance)",
        ),
        Rule(
            "registerIP",
            "the binary target registers each host's processes under that host's address (rpc.registerIP); "
            "containers and pods detect theirs: not compared",
        ),
        Rule(
            "grafana",
            "openim-api.yml prometheus.grafanaURL names the Grafana each target runs (the chart cannot know where "
            "browsers reach its Grafana, so it is empty there unless monitoring.grafanaUrl is set): not compared with helm",
        ),
        Rule("null", 'Helm renders upstream-null keys as "": null and "" are equal'),
        Rule(
            "published",
            "host ports: a bare host's client-facing listeners, the ports Compose publishes; Kubernetes exposes "
            "Services (and the Ingress) instead: not compared with helm. Of the bundled components only MinIO is "
            "compared: the binary target publishes the others on the host for its own processes",
        ),
        Rule(
            "capabilities",
            "the chart runs no node-exporter, and no monitoring stack of its own when the cluster's "
            "Prometheus operator serves it (build says what it does instead): shown as not deployed, not compared",
        ),
        Rule(
            "names",
            "in Kubernetes the discovery names (share.yml rpcRegisterName, chat's discovery.yml rpcService) are the "
            "release's Service names, <release>-<name>, so releases can share a namespace: compared without that prefix",
        ),
        Rule(
            "fronts",
            "a web front's published port is the host port in binary and compose and its Service's port in helm "
            "(openim.yaml fronts.<front>.port): compared",
        ),
        Rule("ports", "port lists in config files are compared as the port facts of the service they belong to"),
        Rule("executable", "the binary target runs the executable on the host: it has no image"),
        Rule(
            "volumes",
            "each target has its own data directory: binary and compose are compared by mount point and the last "
            "component of the host path, helm's claims by mount point",
        ),
        Rule(
            "credentials",
            "credential values are never printed; they are compared by digest where the secret files were "
            "written (`?`: not written, so not compared)",
        ),
    )
}

# file -> (component, dotted key): where a config file says how to reach something.
ADDRESS_KEYS: dict[str, tuple[str, str]] = {
    "mongodb.yml": ("mongodb", "address"),
    "redis.yml": ("redis", "address"),
    "kafka.yml": ("kafka", "address"),
    "minio.yml": ("minio", "internalAddress"),
    "discovery.yml": ("discovery", "etcd.address"),
    "share.yml": ("api", "openIM.apiURL"),
}
DISCOVERY_KUBERNETES = ("k8s", "kubernetes")
DISCOVERY_ONLY_KEYS = ("enable", "etcd.address", "kubernetes.namespace")
LOG_KEYS = ("storageLocation", "isStdout")


def resolve_address(address: str, resolve: Resolver) -> str:
    scheme, host, port, path = split_address(address)
    if port is None:
        return address
    reached = resolve(host, port)
    return address if reached is None else f"{scheme}{reached}{path}"


def _nulls(node: Any) -> Any:
    """A fresh copy (as ``yamlio.copy_plain``) with every null as an empty string."""
    if isinstance(node, dict):
        return {k: _nulls(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_nulls(v) for v in node]
    return "" if node is None else node


def _set(doc: Any, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for part in parents:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            return
        node = node[part]
    if isinstance(node, dict) and last in node:
        node[last] = value


def _delete(doc: Any, dotted: str) -> None:
    *parents, last = dotted.split(".")
    node = get(doc, ".".join(parents)) if parents else doc
    if isinstance(node, dict):
        node.pop(last, None)


def normalise_document(file: str, doc: Any, resolve: Resolver) -> Any:
    """Rules ``null``, ``addresses``, ``logs`` and the discovery backend's name."""
    out = _nulls(doc)
    if file in ADDRESS_KEYS:
        key = ADDRESS_KEYS[file][1]
        value = get(out, key)
        if isinstance(value, list):
            _set(out, key, [resolve_address(str(v), resolve) for v in value])
        elif isinstance(value, str) and value:
            _set(out, key, resolve_address(value, resolve))
    if file == "discovery.yml" and get(out, "enable") in DISCOVERY_KUBERNETES:
        _set(out, "enable", "kubernetes")
    _drop_register_ip(out)
    if file == "log.yml":
        for key in LOG_KEYS:
            _delete(out, key)
    return out


def _drop_register_ip(node: Any) -> None:
    """Rule ``registerIP``."""
    if isinstance(node, dict):
        node.pop("registerIP", None)
        for value in node.values():
            _drop_register_ip(value)


def strip_ports(catalog: Catalog, product: str, file: str, doc: Any) -> Any:
    """Rule ``ports``: drop the port lists (compared as the owning service's port facts)."""
    out = yamlio.copy_plain(doc)
    for name, binary in catalog.binaries.items():
        if binary.product == product and catalog.binary_file(name) == file:
            for spec in binary.ports.values():
                _delete(out, spec.key)
    return out


def unprefix_names(catalog: Catalog, product: str, file: str, doc: Any, release: str) -> Any:
    """Rule ``names``: the discovery names without the release's prefix."""
    names_file, key = catalog.products[product].discoveryNameKey.split(":")  # type: ignore[index]
    names = get(doc, key) if file == names_file else None
    if not isinstance(names, dict):
        return doc
    out = yamlio.copy_plain(doc)
    _set(out, key, {k: v.removeprefix(f"{release}-") if isinstance(v, str) else v for k, v in names.items()})
    return out


KUBERNETES_ONLY_KEYS = {"discovery.yml": DISCOVERY_ONLY_KEYS, "openim-api.yml": ("prometheus.grafanaURL",)}
"""Rules ``discovery`` and ``grafana``: keys not compared between Kubernetes and the others."""


def kubernetes_document_view(file: str, doc: Any) -> Any:
    if file not in KUBERNETES_ONLY_KEYS:
        return doc
    out = yamlio.copy_plain(doc)
    for key in KUBERNETES_ONLY_KEYS[file]:
        _delete(out, key)
    return out


def process_infra(files: tuple[str, ...], docs: dict[str, Any]) -> tuple[str, ...]:
    """``component=where`` for each piece of infrastructure a process's (normalised) files name."""
    out = []
    for file in files:
        if file not in ADDRESS_KEYS or file not in docs:
            continue
        component, key = ADDRESS_KEYS[file]
        value = get(docs[file], key)
        where = ",".join(str(v) for v in value) if isinstance(value, list) else str(value if value is not None else "")
        if component == "api" and not where:
            continue
        if component == "discovery":
            backend = str(get(docs[file], "enable"))
            out.append(f"discovery={backend}" + (f"@{where}" if backend == "etcd" else ""))
        else:
            out.append(f"{component}={where}")
    return tuple(sorted(out))


def involves_kubernetes(targets: frozenset[str]) -> bool:
    return bool(targets & KUBERNETES_TARGETS)


def settle_copies(
    facts: TargetFacts, catalog: Catalog, copies: dict[str, dict[Any, Any]], where: Callable[[Any, str], str], target: str
) -> None:
    """One document per config file: every copy (per directory) should hold the same data;
    the majority is the target's fact, and each odd copy is a problem naming where it is."""
    from openim_config.verify.composefile import majority

    for key, by_dir in sorted(copies.items()):
        product_name, file = key.split("/", 1)
        dirs = list(by_dir)
        doc, odd = majority([by_dir[d] for d in dirs])
        if odd:
            ref = next(d for i, d in enumerate(dirs) if i not in odd)
            differing = ", ".join(where(dirs[i], file) for i in odd)
            facts.problem(f"config {key}", "copies", f"{target}: {differing} differ(s) from {where(ref, file)}")
        facts.documents[key] = strip_ports(catalog, product_name, file, doc)
