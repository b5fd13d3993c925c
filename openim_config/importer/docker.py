"""An openimsdk/openim-docker checkout: ``.env`` plus ``docker-compose.yaml``.

Its services become openim-gen's (the all-in-one ``openim-server`` and ``openim-chat``
containers become one container per process), its data directories the ``storage`` volumes'
``hostPath`` (so a migrated deployment starts on its data, not on empty databases), its
published ports the model's ports; what has no place in the model is reported."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from openim_config.errors import Location, Problem
from openim_config.importer.reading import InterpolationError, interpolate, load_yaml, parse_env_file
from openim_config.importer.state import DockerNames, Imported, set_path
from openim_config.importer.upstream import apply_variable, is_openim_variable, read_config_dir

COMPOSE_FILES = ("docker-compose.yaml", "docker-compose.yml", "compose.yaml", "compose.yml")

INFRA = {"mongo": "mongodb", "mongodb": "mongodb", "redis": "redis", "etcd": "etcd", "kafka": "kafka", "minio": "minio"}
"""openim-docker service -> openim-gen's component."""
MONITORING = ("prometheus", "alertmanager", "grafana", "node-exporter")
FRONTS = {"openim-web-front": "web", "openim-admin-front": "admin"}
PRODUCTS = {"openim-server": "server", "openim-chat": "chat"}
CONFIG_DIRS = {
    "server": ("/openim-server/config", "/openim/openim-server/config"),
    "chat": ("/openim-chat/config", "/openim/openim-chat/config"),
}
"""Where the all-in-one images read their config files (FACTS 1.4, 4.2)."""
CONTAINER_PORTS = {"mongodb": {27017}, "redis": {6379}, "kafka": {9092, 9094}, "etcd": {2379}, "minio": {9000}}
DATA = {
    ("mongodb", "/data/db"): "mongodb-data",
    ("redis", "/data"): "redis-data",
    ("kafka", "/bitnami/kafka"): "kafka-data",
    ("minio", "/data"): "minio-data",
    ("prometheus", "/prometheus"): "prometheus-data",
    ("grafana", "/var/lib/grafana"): "grafana-data",
}
"""(component, where its image keeps its data) -> openim-gen's volume mounted at the same place."""
ENV_USED = {
    "mongodb": {
        "MONGO_INITDB_ROOT_USERNAME",
        "MONGO_INITDB_ROOT_PASSWORD",
        "MONGO_INITDB_DATABASE",
        "MONGO_OPENIM_USERNAME",
        "MONGO_OPENIM_PASSWORD",
    },
    "minio": {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
    "grafana": {"GF_SERVER_HTTP_PORT", "GF_SECURITY_ALLOW_EMBEDDING"},
}
"""Service environment openim-gen represents (credentials and names are read from the config values)."""


def is_checkout(directory: Path) -> bool:
    return any((directory / name).is_file() for name in COMPOSE_FILES)


def read_checkout(imp: Imported, directory: Path, problems: list[Problem]) -> None:
    compose_path = next(directory / n for n in COMPOSE_FILES if (directory / n).is_file())
    env_path = directory / ".env"
    if not env_path.is_file():
        problems.append(Problem(Location(str(env_path)), (), f"missing: openim-docker's {compose_path.name} takes its settings from .env"))
        return
    env = parse_env_file(env_path, problems)
    loaded = load_yaml(compose_path, problems)
    if env is None or loaded is None:
        return
    raw, lines = loaded
    services = raw.get("services") if isinstance(raw, dict) else None
    if not isinstance(services, dict):
        problems.append(Problem(Location(str(compose_path), 1, 1), ("services",), "a Compose file with services expected"))
        return
    used: set[str] = set()
    try:
        services = interpolate(services, {k: v for k, (v, _) in env.items()}, used)
    except InterpolationError as exc:
        problems.append(Problem(Location(str(compose_path)), ("services",), str(exc)))
        return
    imp.flavour = "compose"
    names = DockerNames()
    for key, svc in services.items():
        component = INFRA.get(key)
        if component and isinstance(svc, dict):
            names.infra[component] = {key, str(svc.get("container_name", key))}
        if key in PRODUCTS and isinstance(svc, dict):
            names.server |= {key, str(svc.get("container_name", key))} if key == "openim-server" else set()
    imp.docker = names
    reader = _Services(imp, directory, compose_path, lines, problems)
    for key in sorted(services, key=lambda k: (k not in PRODUCTS, k)):  # products first: their config, then the rest
        svc = services[key]
        if isinstance(svc, dict):
            reader.service(key, svc)
    for name, (_, line) in sorted(env.items()):
        if name not in used:
            imp.report.lost(f"{env_path}:{line}", name, f"not used by {compose_path.name}: it reached nothing")


def put(imp: Imported, dotted: str, value: Any) -> None:
    set_path(imp.model, tuple(dotted.split(".")), value)


def image_parts(image: str) -> tuple[str, str, str]:
    """``registry/org/name:tag`` -> (``registry/org``, ``name``, ``tag``)."""
    ref = image.partition("@")[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    repo, tag = (ref[:colon], ref[colon + 1 :]) if colon > slash else (ref, "latest")
    prefix, _, name = repo.rpartition("/")
    return prefix, name, tag


class _Services:
    def __init__(self, imp: Imported, directory: Path, compose: Path, lines: dict[Any, int], problems: list[Problem]) -> None:
        self.imp, self.dir, self.compose, self.lines, self.problems = imp, directory, compose, lines, problems

    def where(self, *path: str | int) -> str:
        line = self.lines.get(("services", *path)) or self.lines.get(("services", *path[:2])) or self.lines.get(("services", path[0]), 1)
        return f"{self.compose}:{line}"

    def service(self, key: str, svc: dict[str, Any]) -> None:
        if key in PRODUCTS:
            self.product(key, PRODUCTS[key], svc)
        elif key in INFRA:
            self.infra(key, INFRA[key], svc)
        elif key in FRONTS:
            self.front(key, FRONTS[key], svc)
        elif key in MONITORING:
            self.monitoring(key, svc)
        else:
            self.imp.report.lost(
                self.where(key), f"service {key}", "not an openim-docker service openim-gen knows: run it beside (a compose override)"
            )

    # --- the OpenIM containers --------------------------------------------------------------
    def product(self, key: str, product: str, svc: dict[str, Any]) -> None:
        imp = self.imp
        imp.given.add(product)
        catalog = imp.catalog
        binaries = sorted(n for n, b in catalog.binaries.items() if b.product == product)
        imp.report.rename(f"{key} (one container running every {product} process) -> {', '.join(binaries)} (a container per process)")
        if product == "chat":
            put(imp, "chat.enabled", True)
        self.image(key, product, str(svc.get("image", "")))
        for source, target, bind in self.volumes(key, svc):
            if bind and target.rstrip("/") in CONFIG_DIRS[product] and Path(source).is_dir():
                read_config_dir(imp, Path(source), product, self.problems)
            else:
                imp.report.lost(
                    self.where(key, "volumes"), f"{key} volume {source}:{target}", "openim-gen mounts its own config and log directories"
                )
        for name, value in self.environment(key, svc).items():
            where = self.where(key, "environment")
            if is_openim_variable(catalog, name):
                apply_variable(imp, name, value, where, self.problems, Location(str(self.compose)))
            else:
                imp.report.lost(where, f"{key} environment {name}", "not an OpenIM variable: openim-gen's containers do not carry it")
        for host, container in self.ports(key, svc):
            self.listener(key, product, host, container)

    def image(self, key: str, product: str, image: str) -> None:
        if not image:
            return
        registry, _, tag = image_parts(image)
        default = self.imp.catalog.products[product].tag  # type: ignore[index]
        if registry and registry != "openim":
            put(self.imp, "images.registry", registry)
        if tag != default:
            put(self.imp, "images.tag" if product == "server" else "images.chatTag", tag)
        self.imp.report.note(f"{key}: image {image} -> the per-service images {registry or 'openim'}/<binary>:{tag}")

    def listener(self, key: str, product: str, host: int | None, container: int) -> None:
        imp = self.imp
        for name, binary in imp.catalog.binaries.items():
            if binary.product != product:
                continue
            file = imp.catalog.binary_file(name)
            for kind, spec in binary.ports.items():
                ports = imp.value(product, file, spec.key) or []
                if ports[:1] == [container]:
                    port = host or container
                    if port != spec.defaults[0]:
                        put(imp, f"services.{name}.ports.{kind}", [port])
                    imp.consume(product, file, spec.key)
                    if port != container:
                        imp.report.port(f"{name} {kind}: {port}:{container} -> {port}:{port} (the process listens on the published port)")
                    return
        imp.report.lost(self.where(key, "ports"), f"{key} port {host}:{container}", "no OpenIM listener of this release line has it")

    # --- infrastructure, fronts, monitoring -------------------------------------------------
    def infra(self, key: str, component: str, svc: dict[str, Any]) -> None:
        imp = self.imp
        if key != component:
            imp.report.rename(f"service {key} -> {component}")
        self.component_image(key, component, svc, f"infra.{component}.image")
        env = self.environment(key, svc)
        if component == "mongodb":
            if env.get("MONGO_INITDB_ROOT_USERNAME", "root") != "root":
                put(imp, "infra.mongodb.rootUsername", env["MONGO_INITDB_ROOT_USERNAME"])
            if env.get("MONGO_INITDB_ROOT_PASSWORD"):
                imp.secrets["infra.mongodb.rootPassword"] = env["MONGO_INITDB_ROOT_PASSWORD"]
        unused = sorted(set(env) - ENV_USED.get(component, set()))
        if unused:
            imp.report.lost(
                self.where(key, "environment"), f"{key} environment {', '.join(unused)}", f"openim-gen configures its {component} itself"
            )
        self.data(key, component, svc)
        for host, container in self.ports(key, svc):
            if component == "minio" and container == 9000:
                put(imp, "infra.minio.port", host or container)
            elif component == "minio" and host:
                put(imp, "infra.minio.consolePort", host)
                imp.report.port(f"minio console: {host}:{container} -> {host}:9001 (openim-gen's MinIO serves its console on 9001)")
            else:
                imp.report.lost(
                    self.where(key, "ports"),
                    f"{key} port {host}:{container}",
                    "the compose target publishes no port of this component (containers reach it by name)",
                )
        if "command" in svc and component in ("redis", "mongodb"):
            imp.report.note(f"{key}: its command line is replaced by openim-gen's (the same authentication and append-only settings)")

    def front(self, key: str, which: str, svc: dict[str, Any]) -> None:
        put(self.imp, f"fronts.{which}.enabled", True)
        self.component_image(key, f"{which}-front", svc, f"fronts.{which}.image")
        for host, container in self.ports(key, svc):
            if container == 80 and host:
                put(self.imp, f"fronts.{which}.port", host)
            else:
                self.imp.report.lost(
                    self.where(key, "ports"), f"{key} port {host}:{container}", "a front is published on one host port (to 80)"
                )

    def monitoring(self, key: str, svc: dict[str, Any]) -> None:
        imp = self.imp
        put(imp, "monitoring.enabled", True)
        self.component_image(key, key, svc, None)
        if "m" in (svc.get("profiles") or []):
            imp.report.rename("profile m -> monitoring (docker compose --profile monitoring up -d)")
        port = None
        for arg in svc.get("command") or []:
            if isinstance(arg, str) and arg.startswith("--web.listen-address=:"):
                port = arg.rsplit(":", 1)[1]
        env = self.environment(key, svc)
        port = env.get("GF_SERVER_HTTP_PORT", port)
        if port and port.isdigit():
            field = {
                "prometheus": "prometheusPort",
                "alertmanager": "alertmanagerPort",
                "grafana": "grafanaPort",
                "node-exporter": "nodeExporterPort",
            }[key]
            put(imp, f"monitoring.{field}", int(port))
        unused = sorted(set(env) - ENV_USED.get(key, set()))
        if unused:
            imp.report.lost(
                self.where(key, "environment"),
                f"{key} environment {', '.join(unused)}",
                "openim-gen configures it itself (Grafana: no anonymous access)",
            )
        if key in ("prometheus", "grafana"):
            self.data(key, key, svc)
        elif key == "alertmanager":
            imp.report.lost(
                self.where(key, "volumes"), "alertmanager configuration", "openim-gen writes its own: set monitoring.alerts for receivers"
            )

    def component_image(self, key: str, component: str, svc: dict[str, Any], field: str | None) -> None:
        image = str(svc.get("image", ""))
        if image and image != self.imp.catalog.images.get(component):
            if field:
                put(self.imp, field, image)
            else:
                self.imp.report.lost(
                    self.where(key, "image"), f"{key} image {image}", f"openim-gen pins {self.imp.catalog.images.get(component)}"
                )

    def data(self, key: str, component: str, svc: dict[str, Any]) -> None:
        imp = self.imp
        for source, target, bind in self.volumes(key, svc):
            volume = DATA.get((component, target.rstrip("/")))
            if volume and bind:
                put(imp, f"storage.{volume}.hostPath", source)
                imp.report.rename(f"{key} data {source} -> storage.{volume} (the same directory, mounted at {target})")
            elif component == "etcd" and bind:
                imp.report.lost(
                    self.where(key, "volumes"),
                    f"etcd data {source}",
                    "not carried over: openim-gen's etcd keeps its data in <etcd-data>/data; etcd holds only service registrations, "
                    "made again at start (re-apply config-center values if you enabled it)",
                )
            elif not (component == "prometheus" and target.startswith("/etc/prometheus")):
                imp.report.lost(self.where(key, "volumes"), f"{key} volume {source}:{target}", "openim-gen does not mount it")
            else:
                imp.report.lost(self.where(key, "volumes"), f"{key} {source}", "openim-gen writes its own Prometheus configuration")

    # --- Compose syntax ---------------------------------------------------------------------
    def environment(self, key: str, svc: dict[str, Any]) -> dict[str, str]:
        env = svc.get("environment") or {}
        if isinstance(env, dict):
            return {str(k): "" if v is None else str(v) for k, v in env.items()}
        out = {}
        for item in env:
            name, _, value = str(item).partition("=")
            out[name] = value
        return out

    def ports(self, key: str, svc: dict[str, Any]) -> list[tuple[int | None, int]]:
        out: list[tuple[int | None, int]] = []
        for item in svc.get("ports") or []:
            if isinstance(item, dict):
                host, container = item.get("published"), item.get("target")
            else:
                parts = str(item).split("/")[0].split(":")
                host, container = (parts[-2] if len(parts) > 1 else None), parts[-1]
            try:
                out.append((int(host) if host not in (None, "") else None, int(str(container))))
            except ValueError:
                self.problems.append(
                    Problem(Location(self.where(key, "ports")), ("services", key, "ports"), f"not a port mapping: {item!r}")
                )
        return out

    def volumes(self, key: str, svc: dict[str, Any]) -> list[tuple[str, str, bool]]:
        out = []
        for item in svc.get("volumes") or []:
            if isinstance(item, dict):
                source, target, bind = str(item.get("source", "")), str(item.get("target", "")), item.get("type") == "bind"
            else:
                parts = str(item).split(":")
                source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
                bind = source.startswith(("/", ".", "~"))
            if bind:
                source = os.path.normpath(self.dir.absolute() / os.path.expanduser(source))
            out.append((source, target, bind))
        return out
