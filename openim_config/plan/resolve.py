"""Model -> resolved services, ports and infrastructure, with the domain checks."""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from openim_config.catalog import Catalog, PortKind
from openim_config.errors import Path as KeyPath
from openim_config.model import DNS1123_LABEL, OpenIM, Service
from openim_config.plan.types import INFRA, Flavour, InfraPlan, Instance

Finding = tuple[KeyPath, str]

# Container-side listener ports of the bundled components, and which of them is published.
INFRA_LISTENERS: dict[str, dict[str, int]] = {
    "mongodb": {"client": 27017},
    "redis": {"client": 6379},
    "kafka": {"client": 9092, "external": 9094},
    "etcd": {"client": 2379},
    "minio": {"api": 9000, "console": 9001},
}
FILE_INFRA = {"mongodb.yml": "mongodb", "redis.yml": "redis", "kafka.yml": "kafka", "discovery.yml": "etcd", "minio.yml": "minio"}


def enabled_services(model: OpenIM, catalog: Catalog) -> list[str]:
    names = []
    for name, binary in catalog.binaries.items():
        settings = model.services.get(name, Service())
        if binary.product == "chat" and not model.chat.enabled:
            continue
        if settings.enabled:
            names.append(name)
    return names


def instance_count(model: OpenIM, catalog: Catalog, name: str) -> int:
    settings = model.services.get(name, Service())
    return settings.instances or catalog.binaries[name].instances


def allocate_ports(model: OpenIM, catalog: Catalog, findings: list[Finding]) -> dict[str, dict[PortKind, tuple[int, ...]]]:
    """Every enabled service's port list per listener kind.

    Explicit lists are taken as given (one port per instance). Otherwise a service gets
    upstream's fixed ports for as many instances as upstream lists, then the next ports that
    nothing else claims. A clash involving an explicit or upstream port is left for the
    collision check to report: a default never moves silently because of another setting.
    """
    names = enabled_services(model, catalog)
    taken: set[int] = {p for inf in INFRA for p in _infra_host_ports(model, inf).values()}
    result: dict[str, dict[PortKind, list[int]]] = {}
    for name in names:
        given = model.services.get(name, Service()).ports
        count = instance_count(model, catalog, name)
        result[name] = {}
        for kind, lst in given.items():
            if kind not in catalog.binaries[name].ports:
                findings.append((("services", name, "ports", kind), f"{name} has no {kind} listener"))
            elif len(lst) != count:
                findings.append((("services", name, "ports", kind), f"{len(lst)} port(s) for {count} instance(s); give one per instance"))
        for kind, spec in catalog.binaries[name].ports.items():
            result[name][kind] = list(given[kind]) if kind in given else list(spec.defaults[:count])
            taken.update(result[name][kind])
    for name in names:
        count = instance_count(model, catalog, name)
        for kind, lst in result[name].items():
            candidate = (lst[-1] if lst else catalog.binaries[name].ports[kind].defaults[0]) + 1
            while len(lst) < count:
                if candidate not in taken:
                    lst.append(candidate)
                    taken.add(candidate)
                candidate += 1
    return {name: {kind: tuple(lst) for kind, lst in kinds.items()} for name, kinds in result.items()}


def instances(model: OpenIM, name: str, ports: dict[PortKind, tuple[int, ...]], count: int) -> tuple[Instance, ...]:
    placed = model.services.get(name, Service()).hosts or [model.targets.binary.hosts[0].name]
    hosts = placed * count if len(placed) == 1 else placed
    return tuple(Instance(name, i, {kind: lst[i] for kind, lst in ports.items() if i < len(lst)}, hosts[i]) for i in range(count))


def reach(model: OpenIM, host: str) -> str:
    """How processes of the binary target reach something on ``host``: on one host, localhost
    (as upstream's defaults say); across several, that host's address."""
    hosts = model.targets.binary.hosts
    return "localhost" if len(hosts) == 1 else next(h.address for h in hosts if h.name == host)


def infra_host(model: OpenIM) -> str:
    """Bundled infrastructure runs on the first host."""
    return reach(model, model.targets.binary.hosts[0].name)


def _infra_host_ports(model: OpenIM, name: str) -> dict[str, int]:
    component = getattr(model.infra, name)
    if component.mode != "bundled":
        return {}
    if name == "minio":
        return {"api": model.infra.minio.port, "console": model.infra.minio.console_port}
    return {"client": component.port}


def kube_name(model: OpenIM, base: str) -> str:
    """A Kubernetes object's name: the release name, then the component's own (``openim-mongodb``,
    ``openim-user-rpc-service``), so several releases share a namespace. The config files dial
    these names, so the chart is made for its release (``targets.helm.release``)."""
    return f"{model.targets.helm.release}-{base}"


@dataclass(frozen=True)
class ExternalAlias:
    """Kubernetes: the in-cluster Service that stands for one external address, so the config
    files name something stable (``targets.helm.externalServices``)."""

    service: str
    host: str
    port: int
    ip: bool
    """An IP literal (a selector-less Service and an EndpointSlice) or a DNS name (ExternalName)."""


def external_aliases(model: OpenIM, name: str) -> list[ExternalAlias]:
    """The aliases of an external component: ``<name>`` for one address, ``<name>-<i>`` for
    several. None for etcd (its clients dial its addresses themselves) nor for a MongoDB replica
    set (the driver dials the members by the names the set reports)."""
    component = getattr(model.infra, name)
    if component.mode != "external" or not model.targets.helm.external_services or name == "etcd":
        return []
    if name == "mongodb" and model.infra.mongodb.replica_set:
        return []
    aliases = []
    for i, address in enumerate(component.address):
        host, _, port = address.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        try:
            ipaddress.ip_address(host)
            ip = True
        except ValueError:
            ip = False
        service = name if len(component.address) == 1 else f"{name}-{i}"
        aliases.append(ExternalAlias(kube_name(model, service), host, int(port), ip))
    return aliases


def infra_plans(model: OpenIM, catalog: Catalog, users: dict[str, list[str]]) -> dict[str, InfraPlan]:
    plans: dict[str, InfraPlan] = {}
    for name in INFRA:
        component = getattr(model.infra, name)
        bundled = component.mode == "bundled"
        endpoints: dict[Flavour, tuple[str, ...]]
        if bundled:
            inner = INFRA_LISTENERS[name]
            # Kafka's clients inside the network use the internal listener; host
            # processes use the one advertised as localhost on the published port.
            first = next(iter(inner.values()))
            host_port = component.port
            endpoints = {
                "host": (f"{infra_host(model)}:{host_port}",),
                "compose": (f"{name}:{first}",),
                "kubernetes": (f"{kube_name(model, name)}:{first}",),
            }
        else:
            addrs = tuple(component.address)
            in_cluster = tuple(f"{a.service}:{a.port}" for a in external_aliases(model, name)) or addrs
            endpoints = {"host": addrs, "compose": addrs, "kubernetes": in_cluster}
        plans[name] = InfraPlan(
            name=name,
            bundled=bundled,
            image=component.image or catalog.images[name],
            endpoints=endpoints,
            host_ports=_infra_host_ports(model, name),
            users=tuple(users.get(name, [])),
        )
    return plans


def domain_findings(model: OpenIM, catalog: Catalog, ports: dict[str, dict[PortKind, tuple[int, ...]]]) -> Iterator[Finding]:
    from openim_config.model import VOLUMES

    for name in model.services:
        if name not in catalog.binaries:
            yield ("services", name), f"unknown service{_did_you_mean(name, catalog.binaries)}; known: {', '.join(catalog.binaries)}"
    for name in model.storage:
        if name not in VOLUMES:
            yield ("storage", name), f"unknown volume{_did_you_mean(name, VOLUMES)}; known: {', '.join(VOLUMES)}"
    tags: list[tuple[KeyPath, str | None, Literal["server", "chat"]]] = [
        (("images", "tag"), model.images.tag, "server"),
        (("images", "chatTag"), model.images.chat_tag, "chat"),
    ]
    for key, tag, product in tags:
        line = catalog.products[product]
        if tag and tag != "latest" and not re.match(line.tagPattern, tag):
            yield key, f"{tag!r} is not an image of the {model.release} line ({line.title} {line.tag}; tags matching {line.tagPattern})"
    labels: list[tuple[KeyPath, str]] = [
        (("targets", "compose", "project"), model.targets.compose.project),
        (("targets", "helm", "namespace"), model.targets.helm.namespace),
        (("targets", "helm", "release"), model.targets.helm.release),
        (("targets", "helm", "chartName"), model.targets.helm.chart_name),
    ]
    for path, value in labels:
        if not DNS1123_LABEL.match(value):
            yield path, f"{value!r} is not a DNS-1123 label (lower-case letters, digits, '-', at most 63)"
    longest = max(len(binary.discoveryName or name) for name, binary in catalog.binaries.items())
    release = model.targets.helm.release
    if len(release) > 62 - longest:
        yield (
            ("targets", "helm", "release"),
            f"{release!r} is too long: Service names are <release>-<name>, at most 63 characters, and the longest name is "
            f"{longest}; use at most {62 - longest} characters",
        )
    for name in INFRA:
        component = getattr(model.infra, name)
        if component.mode == "external" and not component.address:
            yield ("infra", name, "address"), f"external {name} needs at least one host:port address"
        for i, addr in enumerate(component.address):
            host, _, port = addr.rpartition(":")
            if not host or not port.isdigit():
                yield ("infra", name, "address", i), f"{addr!r} is not host:port"
    yield from _host_findings(model, catalog)
    yield from _bundled_settings(model)
    if model.fronts.admin.enabled and not model.chat.enabled:
        yield ("fronts", "admin", "enabled"), "the admin front manages chat: enable chat too"
    yield from _ingress_settings(model)
    if model.infra.mongodb.replica_set and model.infra.mongodb.mode != "external":
        yield ("infra", "mongodb", "replicaSet"), "a replica set name is for an external MongoDB"
    for path, image in _images(model):
        if image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]:
            yield path, f"{image!r}: pin an exact tag, never latest or none"
    for path, tag in ((("images", "tag"), model.images.tag), (("images", "chatTag"), model.images.chat_tag)):
        if tag == "latest":
            yield path, "pin an exact tag, never latest"
    yield from _port_collisions(model, ports)


def _bundled_settings(model: OpenIM) -> Iterator[Finding]:
    """Settings a bundled component would not honour: refused rather than silently ignored."""
    infra = model.infra
    etcd, kafka, redis, mongo = infra.etcd, infra.kafka, infra.redis, infra.mongodb
    if etcd.mode == "bundled" and (bool(etcd.username) != (etcd.password is not None)):
        yield ("infra", "etcd", "username" if etcd.password else "password"), "set both infra.etcd.username and password, or neither"
    if etcd.mode == "bundled" and etcd.username and etcd.username != "root":
        yield (
            ("infra", "etcd", "username"),
            (f"{etcd.username!r}: the bundled etcd enables authentication for its root user only; use root, or an external etcd"),
        )
    if kafka.mode == "bundled":
        for key, value in (("username", kafka.username), ("password", kafka.password), ("tls", kafka.tls.enabled)):
            if value:
                yield ("infra", "kafka", key), "the bundled Kafka listens in PLAINTEXT, without SASL or TLS: this is for an external Kafka"
    if redis.mode == "bundled" and redis.username:
        yield ("infra", "redis", "username"), "the bundled Redis has one password and no ACL users: leave username empty"
    if mongo.mode == "bundled" and mongo.auth_source and mongo.auth_source != mongo.database:
        yield (
            ("infra", "mongodb", "authSource"),
            (f"the bundled MongoDB creates {mongo.username!r} in {mongo.database!r}: authSource must be that database"),
        )


def _ingress_settings(model: OpenIM) -> Iterator[Finding]:
    """Ingress settings the chosen controller or the fronts would not use: refused."""
    ingress = model.targets.helm.ingress
    where = ("targets", "helm", "ingress")
    if ingress.controller == "istio" and ingress.class_name is not None:
        yield (*where, "className"), "istio routes through an Istio Gateway, not an Ingress class: leave className unset"
    if ingress.admin_host is not None and not model.fronts.admin.enabled:
        yield (*where, "adminHost"), "the admin host serves the admin front: enable fronts.admin too"
    if model.fronts.admin.enabled and ingress.admin_host is None and ingress.host.startswith("*."):
        yield (*where, "adminHost"), f"the admin front needs a host of its own and {ingress.host!r} is a wildcard: set adminHost"
    if ingress.admin_host is not None and ingress.admin_host == ingress.host:
        yield (*where, "adminHost"), "the admin front is served at the root of a host of its own: use another host than `host`"


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    near = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _images(model: OpenIM) -> Iterator[tuple[KeyPath, str]]:
    for name, svc in model.services.items():
        if svc.image:
            yield ("services", name, "image"), svc.image
    for name in INFRA:
        image = getattr(model.infra, name).image
        if image:
            yield ("infra", name, "image"), image


def _port_collisions(model: OpenIM, ports: dict[str, dict[PortKind, tuple[int, ...]]]) -> Iterator[Finding]:
    """Binary target: every listener shares the host. Compose: every published port does.
    The first claim of a port wins; every later one is reported against it."""
    claims: list[tuple[KeyPath, int]] = []
    for name in INFRA:
        if name == "minio" and model.object_storage.backend != "minio":
            continue  # not deployed (plan.appconfig.minio_used)
        for listener, port in _infra_host_ports(model, name).items():
            claims.append((("infra", name, "consolePort" if listener == "console" else "port"), port))
    for key, front in (("web", model.fronts.web), ("admin", model.fronts.admin)):
        if front.enabled:
            claims.append((("fronts", key, "port"), front.port))
    if model.monitoring.enabled:
        mon = model.monitoring
        claims += [
            (("monitoring", "prometheusPort"), mon.prometheus_port),
            (("monitoring", "alertmanagerPort"), mon.alertmanager_port),
            (("monitoring", "grafanaPort"), mon.grafana_port),
            (("monitoring", "nodeExporterPort"), mon.node_exporter_port),
        ]
    for name, kinds in ports.items():
        for kind, lst in kinds.items():
            claims += [(("services", name, "ports", kind, i), port) for i, port in enumerate(lst)]
    owner: dict[int, KeyPath] = {}
    for path, port in claims:
        if port in owner:
            yield path, f"port {port} is already used by {_describe(owner[port])} on the same host"
        else:
            owner[port] = path


def _describe(path: KeyPath) -> str:
    from openim_config.errors import dotted

    return dotted(path)


def _host_findings(model: OpenIM, catalog: Catalog) -> Iterator[Finding]:
    names = [h.name for h in model.targets.binary.hosts]
    for i, name in enumerate(names):
        if not DNS1123_LABEL.match(name):
            yield ("targets", "binary", "hosts", i, "name"), f"{name!r} is not a DNS-1123 label"
        elif name in names[:i]:
            yield ("targets", "binary", "hosts", i, "name"), f"host {name!r} is listed twice"
    for service, settings in model.services.items():
        if not settings.hosts or service not in catalog.binaries:
            continue
        count = instance_count(model, catalog, service)
        if len(settings.hosts) not in (1, count):
            yield ("services", service, "hosts"), f"{len(settings.hosts)} host(s) for {count} instance(s); give one, or one per instance"
        for i, host in enumerate(settings.hosts):
            if host not in names:
                yield ("services", service, "hosts", i), f"unknown host {host!r}; hosts: {', '.join(names)}"
