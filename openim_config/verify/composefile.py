"""Reading Compose files generically: commands, mounts, published ports, env files, and the
bundled infrastructure services (used by the compose target and by the binary target, which
runs its infrastructure in Compose beside the units)."""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openim_config.verify.facts import ExtraFacts, InfraFacts, Unknown, Volume
from openim_config.verify.reading import env_file, flag, load_yaml

INFRA_NAMES = ("mongodb", "redis", "kafka", "etcd", "minio")
_IMAGE_HINTS = {"mongo": "mongodb", "redis": "redis", "kafka": "kafka", "etcd": "etcd", "minio": "minio"}
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
EXTRA_SERVICES = {
    "openim-web-front": "web-front",
    "openim-admin-front": "admin-front",
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
    "grafana": "grafana",
    "node-exporter": "node-exporter",
}
"""Compose service -> the part around OpenIM it is (the names the targets give them)."""


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool
    bind: bool

    def volume(self) -> Volume:
        if self.bind:
            return Volume(self.target, self.source, Path(self.source).name)
        return Volume(self.target, f"volume {self.source}", self.source)


def find_compose_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.name in COMPOSE_FILES and p.is_file())


def load_services(path: Path) -> dict[str, dict[str, Any]]:
    data = load_yaml(path)
    services = data.get("services") if isinstance(data, dict) else None
    return {str(k): v for k, v in (services or {}).items() if isinstance(v, dict)}


def command(svc: dict[str, Any]) -> list[str]:
    cmd = svc.get("command") or []
    if isinstance(cmd, str):
        return shlex.split(cmd)
    return [str(c) for c in cmd]


def entrypoint(svc: dict[str, Any]) -> list[str] | None:
    """A service's entrypoint override (``None``: the image's own)."""
    value = svc.get("entrypoint")
    if value is None:
        return None
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def mounts(svc: dict[str, Any], named: set[str]) -> list[Mount]:
    out = []
    for item in svc.get("volumes") or []:
        if isinstance(item, dict):
            source, target = str(item.get("source", "")), str(item.get("target", ""))
            out.append(Mount(source, target, bool(item.get("read_only")), item.get("type") == "bind"))
            continue
        parts = str(item).split(":")
        if len(parts) == 1:
            out.append(Mount("", parts[0], False, False))
            continue
        source, target, mode = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        bind = source.startswith((".", "/", "~")) or source not in named
        out.append(Mount(source, target, "ro" in mode.split(","), bind))
    return out


def published(svc: dict[str, Any]) -> list[tuple[int | None, int]]:
    """(host port, container port) of every published port (``None``: not published)."""
    out: list[tuple[int | None, int]] = []
    for item in svc.get("ports") or []:
        if isinstance(item, dict):
            host = item.get("published")
            out.append((int(host) if host not in (None, "") else None, int(item["target"])))
            continue
        parts = str(item).split("/")[0].rsplit(":", 2)
        if not parts[-1].isdigit():
            continue  # a range ("10001-10003"): not one of openim-gen's, not checked
        host_part = parts[-2] if len(parts) >= 2 else ""
        out.append((int(host_part) if host_part.isdigit() else None, int(parts[-1])))
    return out


def env_files(svc: dict[str, Any]) -> list[str]:
    items = svc.get("env_file") or []
    if isinstance(items, str):
        items = [items]
    return [str(i["path"]) if isinstance(i, dict) else str(i) for i in items]


def read_env(base: Path, svc: dict[str, Any]) -> dict[str, str] | Unknown:
    """Variable -> digest over the service's env files; Unknown when one is not written."""
    out: dict[str, str] = {}
    for rel in env_files(svc):
        values = env_file(base / rel)
        if values is None:
            return Unknown(f"{rel} not written")
        out.update(values)
    return out


def host_names(name: str, svc: dict[str, Any]) -> set[str]:
    names = {name}
    for key in ("container_name", "hostname"):
        if svc.get(key):
            names.add(str(svc[key]))
    networks = svc.get("networks")
    if isinstance(networks, dict):
        for net in networks.values():
            if isinstance(net, dict):
                names.update(str(a) for a in net.get("aliases") or [])
    return names


def infra_component(name: str, svc: dict[str, Any]) -> str | None:
    """The component a service is, by its name, else by its image (``bitnami/kafka``)."""
    if name in INFRA_NAMES:
        return name
    repo = str(svc.get("image", "")).rsplit("/", 1)[-1].split(":")[0]
    return next((comp for hint, comp in _IMAGE_HINTS.items() if hint in repo), None)


def infra_services(services: dict[str, dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """component -> (service name, service): a service named after the component wins over
    one that only runs its image (``minio-init`` next to ``minio``)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {n: (n, s) for n, s in services.items() if n in INFRA_NAMES}
    for name, svc in services.items():
        component = infra_component(name, svc)
        if component and component not in out:
            out[component] = (name, svc)
    return out


def infra_facts(component: str, svc: dict[str, Any], base: Path, named: set[str]) -> InfraFacts:
    env = read_env(base, svc)
    return InfraFacts(
        name=component,
        image=str(svc.get("image", "")),
        volumes=tuple(sorted((m.volume() for m in mounts(svc, named)), key=lambda v: v.mount)),
        credentials=env if isinstance(env, Unknown) else tuple(sorted(env)),
        secret_digests=env,
        published=host_ports(svc),
    )


def host_ports(svc: dict[str, Any]) -> tuple[int, ...]:
    """Host ports a service is reachable on: those it publishes, or on the host's network the
    port it listens on (``--web.listen-address=:P``, Grafana's ``GF_SERVER_HTTP_PORT``)."""
    if svc.get("network_mode") == "host":
        listen = flag(command(svc), "--web.listen-address")
        env = svc.get("environment") or {}
        port = listen.rsplit(":", 1)[-1] if listen else str(env.get("GF_SERVER_HTTP_PORT", "")) if isinstance(env, dict) else ""
        return (int(port),) if port.isdigit() else ()
    return tuple(sorted(h for h, _ in published(svc) if h is not None))


def extras(services: dict[str, dict[str, Any]]) -> dict[str, ExtraFacts]:
    """The fronts and the monitoring stack among a Compose file's services."""
    return {
        EXTRA_SERVICES[name]: ExtraFacts(
            EXTRA_SERVICES[name], str(svc.get("image", "")), host_ports(svc), tuple(sorted({c for _, c in published(svc)}))
        )
        for name, svc in services.items()
        if name in EXTRA_SERVICES
    }


def majority(values: list[Any]) -> tuple[Any, list[int]]:
    """The most common value and the positions of those that differ from it."""
    keys = [repr(v) for v in values]
    common = Counter(keys).most_common(1)[0][0]
    return values[keys.index(common)], [i for i, k in enumerate(keys) if k != common]
