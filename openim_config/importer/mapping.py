"""Imported config values -> the model keys that own them (infrastructure, ports, log,
administrators, chat, credentials). What is left over goes to ``config:`` (``residue``)."""

from __future__ import annotations

import re

from openim_config.importer.docker import put
from openim_config.importer.state import Imported
from openim_config.model.base import host_or_address
from openim_config.plan.secrets import MODEL_SECRETS

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
HOST_PORTS = {"mongodb": 37017, "redis": 16379, "kafka": 19094, "etcd": 12379, "minio": 10005}
"""The model's default host port of each bundled component (upstream's config files dial them)."""
ADDRESS_KEYS = {
    "mongodb": ("mongodb.yml", "address"),
    "redis": ("redis.yml", "address"),
    "kafka": ("kafka.yml", "address"),
    "etcd": ("discovery.yml", "etcd.address"),
    "minio": ("minio.yml", "internalAddress"),
}
SHARED = ("mongodb.yml", "redis.yml", "discovery.yml", "log.yml")
PLACEHOLDER = "external_ip"
"""openim-docker's .env placeholder host, to be replaced by the operator."""


def map_model(imp: Imported) -> None:
    if not imp.given:
        return
    first = "server" if "server" in imp.given else "chat"
    if "server" in imp.given and "chat" in imp.given:
        _compare_shared(imp)
    for component in ADDRESS_KEYS:
        if component in ("kafka", "minio") and first != "server":
            continue
        _place(imp, component, first)
    _settings(imp, first)
    _credentials(imp)
    _ports(imp)
    if "server" in imp.given:
        _server(imp)
    if "chat" in imp.given:
        put(imp, "chat.enabled", True)
        _chat(imp)


def _compare_shared(imp: Imported) -> None:
    """The model has one MongoDB, Redis, etcd and log setting for both products."""
    for file in SHARED:
        for key in ("address", "database", "username", "authSource", "db", "etcd.address", "etcd.rootDirectory", "remainLogLevel"):
            server, chat = imp.value("server", file, key), imp.value("chat", file, key)
            if server is not None and chat is not None and server != chat:
                imp.report.lost(
                    imp.where("chat", file, key),
                    f"chat {file} {key} {chat!r}",
                    f"the model has one value for both products: the server's {server!r} is kept",
                )


def _split(address: str) -> tuple[str, int | None]:
    host, _, port = address.rpartition(":")
    return (host, int(port)) if port.isdigit() and host else (address, None)


def _place(imp: Imported, component: str, product: str) -> None:
    file, key = ADDRESS_KEYS[component]
    raw = imp.value(product, file, key)
    addresses = [str(a) for a in (raw if isinstance(raw, list) else [raw] if raw else [])]
    local = LOOPBACK if imp.flavour == "host" else (imp.docker.infra.get(component, set()) if imp.docker else set())
    parts = [_split(a) for a in addresses]
    if addresses and all(host in local for host, _ in parts):
        port = parts[0][1]
        if imp.flavour == "host" and port is not None and port != HOST_PORTS[component]:
            put(imp, f"infra.{component}.port", port)
        if imp.flavour == "compose" and port not in CONTAINER_PORT_OK.get(component, set()):
            imp.report.lost(
                imp.where(product, file, key),
                f"{component} address {addresses}",
                "openim-gen's bundled component listens on its image's port",
            )
        if imp.flavour == "compose" and parts[0][0] != component:
            imp.report.rename(f"address {addresses[0]} -> {component} (the bundled component's service name)")
        for prod in imp.given:
            imp.consume(prod, file, key)
        return
    if not addresses:
        return
    put(imp, f"infra.{component}.mode", "external")
    put(imp, f"infra.{component}.address", addresses)


CONTAINER_PORT_OK = {"mongodb": {27017}, "redis": {6379}, "kafka": {9092, 9094}, "etcd": {2379}, "minio": {9000}}


def _settings(imp: Imported, product: str) -> None:
    """Plain settings the model owns, key for key."""
    simple = [
        ("mongodb.yml", "database", "infra.mongodb.database"),
        ("mongodb.yml", "username", "infra.mongodb.username"),
        ("mongodb.yml", "maxPoolSize", "infra.mongodb.maxPoolSize"),
        ("mongodb.yml", "maxRetry", "infra.mongodb.maxRetry"),
        ("redis.yml", "username", "infra.redis.username"),
        ("redis.yml", "db", "infra.redis.db"),
        ("redis.yml", "maxRetry", "infra.redis.maxRetry"),
        ("redis.yml", "poolSize", "infra.redis.poolSize"),
        ("discovery.yml", "etcd.rootDirectory", "infra.etcd.rootDirectory"),
        ("discovery.yml", "etcd.username", "infra.etcd.username"),
        ("log.yml", "rotationTime", "log.rotationTime"),
        ("log.yml", "remainRotationCount", "log.remainRotationCount"),
        ("log.yml", "remainLogLevel", "log.level"),
        ("log.yml", "isJson", "log.json"),
    ]
    for file, key, model_key in simple:
        if imp.changed(product, file, key):
            value = imp.value(product, file, key)
            put(imp, model_key, "" if value is None and isinstance(imp.default(product, file, key), str) else value)
    auth, database = imp.value(product, "mongodb.yml", "authSource"), imp.value(product, "mongodb.yml", "database")
    if auth and auth != database:
        put(imp, "infra.mongodb.authSource", auth)
    mode = imp.value(product, "redis.yml", "redisMode")
    cluster = mode == "cluster" if product == "server" else imp.value(product, "redis.yml", "clusterMode")
    if cluster:
        put(imp, "infra.redis.redisMode", "cluster")
    elif product == "server" and mode not in ("standalone", "cluster"):
        imp.report.lost(
            imp.where(product, "redis.yml", "redisMode"), f"redisMode {mode!r}", "the 3.8 line's model knows standalone and cluster"
        )


def _credentials(imp: Imported) -> None:
    """Credential keys (the catalog's ``secretKeys``) -> the model's credentials."""
    found: dict[str, tuple[str, str]] = {}
    for product in sorted(imp.given, key=lambda p: p != "server"):
        for spec, sid in imp.catalog.secretKeys[product].items():  # type: ignore[index]
            file, key = spec.split(":")
            value = imp.value(product, file, key)
            if sid not in MODEL_SECRETS and sid != "mongodbUri":
                continue  # a credential of push:, objectStorage: or config: (providers, residue)
            if value in (None, "") or value == imp.default(product, file, key):
                continue
            where = imp.where(product, file, key)
            if sid == "mongodbUri":
                imp.report.lost(where, "mongodb.yml uri", "openim-gen builds the URI from infra.mongodb (address, replicaSet): set those")
                continue
            if sid in found and found[sid][0] != str(value):
                imp.report.lost(where, f"{file} {key}", f"differs from {found[sid][1]}: the model has one value, that one is kept")
                continue
            found[sid] = (str(value), where)
            imp.secrets.setdefault(MODEL_SECRETS[sid], str(value))


def _ports(imp: Imported) -> None:
    """Changed port lists -> ``services.<binary>.ports`` (one port per instance)."""
    for name, binary in imp.catalog.binaries.items():
        if binary.product not in imp.given:
            continue
        file = imp.catalog.binary_file(name)
        for kind, spec in binary.ports.items():
            if (binary.product, file, tuple(spec.key.split("."))) in imp.consumed or not imp.changed(binary.product, file, spec.key):
                continue
            ports = list(imp.value(binary.product, file, spec.key) or [])
            count = binary.instances
            if len(ports) < count:
                imp.report.lost(
                    imp.where(binary.product, file, spec.key),
                    f"{name} {spec.key} {ports}",
                    f"fewer ports than upstream's {count} instances: services.{name}.instances set to {len(ports) or 1}",
                )
                put(imp, f"services.{name}.instances", len(ports) or 1)
            if ports:
                put(imp, f"services.{name}.ports.{kind}", ports[:count])


def _server(imp: Imported) -> None:
    admins = imp.value("server", "share.yml", "imAdminUserID")
    if imp.changed("server", "share.yml", "imAdminUserID") and admins:
        put(imp, "admins", [{"userID": str(a)} for a in admins])
    for key, model_key in (
        ("producerAck", "infra.kafka.producerAck"),
        ("compressType", "infra.kafka.compressType"),
        ("username", "infra.kafka.username"),
        ("tls.enableTLS", "infra.kafka.tls.enabled"),
        ("tls.caCrt", "infra.kafka.tls.caCrt"),
        ("tls.clientCrt", "infra.kafka.tls.clientCrt"),
        ("tls.clientKey", "infra.kafka.tls.clientKey"),
        ("tls.insecureSkipVerify", "infra.kafka.tls.insecureSkipVerify"),
    ):
        if imp.changed("server", "kafka.yml", key) and imp.value("server", "kafka.yml", key) not in (None, ""):
            put(imp, model_key, imp.value("server", "kafka.yml", key))
    for key, model_key in (("bucket", "infra.minio.bucket"), ("publicRead", "infra.minio.publicRead")):
        if imp.changed("server", "minio.yml", key):
            put(imp, model_key, imp.value("server", "minio.yml", key))
    _public_addresses(imp)


def _public_addresses(imp: Imported) -> None:
    """MinIO's external address and Grafana's URL: ``publicHost`` when they are its defaults."""
    external = str(imp.value("server", "minio.yml", "externalAddress") or "")
    imp.consume("server", "minio.yml", "externalAddress")
    port = imp.model.get("infra", {}).get("minio", {}).get("port", HOST_PORTS["minio"])
    if PLACEHOLDER in external:
        if imp.changed("server", "minio.yml", "externalAddress"):
            imp.report.lost(
                imp.where("server", "minio.yml", "externalAddress"),
                f"externalAddress {external}",
                "a placeholder never replaced: set publicHost",
            )
    elif imp.changed("server", "minio.yml", "externalAddress"):
        found = re.fullmatch(r"http://([^/:]+):([0-9]+)/?", external)
        if found and int(found.group(2)) == port and _is_host(found.group(1)) and found.group(1) not in LOOPBACK:
            put(imp, "publicHost", found.group(1))
        else:
            put(imp, "infra.minio.externalAddress", external)
    grafana = str(imp.value("server", "openim-api.yml", "prometheus.grafanaURL") or "")
    imp.consume("server", "openim-api.yml", "prometheus.grafanaURL")
    monitoring = imp.model.get("monitoring", {})
    derived = f"http://{imp.model.get('publicHost', '127.0.0.1')}:{monitoring.get('grafanaPort', 13000)}/"
    if not imp.changed("server", "openim-api.yml", "prometheus.grafanaURL") or (monitoring.get("enabled") and grafana == derived):
        return
    if PLACEHOLDER in grafana:
        imp.report.lost(
            imp.where("server", "openim-api.yml", "prometheus.grafanaURL"),
            f"prometheus.grafanaURL {grafana}",
            "a placeholder never replaced: openim-gen derives it from publicHost",
        )
    elif re.fullmatch(r"https?://\S+", grafana):
        put(imp, "monitoring.grafanaUrl", grafana)
    elif grafana:
        imp.report.lost(imp.where("server", "openim-api.yml", "prometheus.grafanaURL"), grafana, "not an http(s) URL")


def _is_host(value: str) -> bool:
    try:
        host_or_address(value)
    except ValueError:
        return False
    return True


def _chat(imp: Imported) -> None:
    admin = imp.value("chat", "share.yml", "openIM.adminUserID")
    server_admins = imp.model.get("admins") or [{"userID": a} for a in (imp.value("server", "share.yml", "imAdminUserID") or ["imAdmin"])]
    if admin and admin != server_admins[0]["userID"]:
        if "server" in imp.given:
            imp.report.lost(
                imp.where("chat", "share.yml", "openIM.adminUserID"),
                f"openIM.adminUserID {admin!r}",
                "chat uses the server's first administrator (admins[0])",
            )
        else:
            put(imp, "admins", [{"userID": str(admin)}])
    if imp.changed("chat", "share.yml", "chatAdmin"):
        put(imp, "chat.adminAccounts", [str(a) for a in imp.value("chat", "share.yml", "chatAdmin") or []])
    for key, model_key in (("liveKit.url", "chat.liveKit.url"), ("liveKit.key", "chat.liveKit.key")):
        if imp.changed("chat", "chat-rpc-chat.yml", key):
            put(imp, model_key, str(imp.value("chat", "chat-rpc-chat.yml", key) or ""))
    _api_url(imp)


def _api_url(imp: Imported) -> None:
    """Chat's ``openIM.apiURL``: derived by openim-gen when it points at this deployment's API."""
    url = str(imp.value("chat", "share.yml", "openIM.apiURL") or "")
    imp.consume("chat", "share.yml", "openIM.apiURL")
    found = re.fullmatch(r"http://([^/:]+):([0-9]+)/?", url)
    api_port = (imp.model.get("services", {}).get("openim-api", {}).get("ports", {}).get("http") or [10002])[0]
    ours = LOOPBACK | (imp.docker.server if imp.docker else set())
    if found and found.group(1) in ours:
        if imp.docker and found.group(1) in imp.docker.server:
            imp.report.rename(f"chat's openIM.apiURL {url} -> openim-api (derived per target)")
        if imp.flavour == "host" and int(found.group(2)) != api_port:
            imp.report.lost(
                imp.where("chat", "share.yml", "openIM.apiURL"), url, f"not the API's port {api_port}: openim-gen dials the API it deploys"
            )
        return
    if url:
        put(imp, "chat.apiURL", url)


def model_secret_paths() -> dict[str, str]:
    """Model path of each credential -> its secret id (the name of its file)."""
    return {path: sid for sid, path in MODEL_SECRETS.items()}
