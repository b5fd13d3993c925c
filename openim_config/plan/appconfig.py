"""Plan -> the OpenIM config documents (share.yml, mongodb.yml, openim-api.yml, ...).

Upstream's default documents (catalog) decide the file names, the key set and the value
types; this module only sets values, and refuses to add a key upstream does not have, so
every generated file is one the real binaries accept. Values differ between flavours only
where they must: addresses, the discovery backend, the log location and stdout logging.
Credentials are blanked: processes get them from ``IMENV_``/``CHATENV_`` variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from openim_config import yamlio
from openim_config.catalog import Catalog
from openim_config.model import OpenIM
from openim_config.plan.resolve import kube_name, reach
from openim_config.plan.types import Documents, Flavour, InfraPlan, ServicePlan

# What the model sets, by ``<file>:<key>``, with the model key an operator uses instead: the one
# list of keys ``config:`` refuses (``plan.surface``). ``_set`` sets nothing that is not here (or
# derived from the catalog below), so the list cannot fall behind what this module writes.
MODEL_KEYS: dict[str, str] = {
    "discovery.yml:enable": "the target (etcd in every target at this line: catalog line.yaml says why)",
    "discovery.yml:etcd.rootDirectory": "infra.etcd.rootDirectory",
    "discovery.yml:etcd.address": "infra.etcd (mode, address, port)",
    "discovery.yml:etcd.username": "infra.etcd.username",
    "discovery.yml:kubernetes.namespace": "targets.helm.namespace",
    "mongodb.yml:address": "infra.mongodb (mode, address, port)",
    "mongodb.yml:database": "infra.mongodb.database",
    "mongodb.yml:username": "infra.mongodb.username",
    "mongodb.yml:authSource": "infra.mongodb.authSource",
    "mongodb.yml:maxPoolSize": "infra.mongodb.maxPoolSize",
    "mongodb.yml:maxRetry": "infra.mongodb.maxRetry",
    "redis.yml:address": "infra.redis (mode, address, port)",
    "redis.yml:username": "infra.redis.username",
    "redis.yml:db": "infra.redis.db",
    "redis.yml:maxRetry": "infra.redis.maxRetry",
    "redis.yml:redisMode": "infra.redis.redisMode",
    "redis.yml:poolSize": "infra.redis.poolSize",
    "redis.yml:clusterMode": "infra.redis.redisMode",
    "log.yml:storageLocation": "targets.binary.logDir (containers: the image's log directory)",
    "log.yml:rotationTime": "log.rotationTime",
    "log.yml:remainRotationCount": "log.remainRotationCount",
    "log.yml:remainLogLevel": "log.level",
    "log.yml:isStdout": "the target (containers log to stdout)",
    "log.yml:isJson": "log.jsonFormat",
    "share.yml:imAdminUserID": "admins",
    "kafka.yml:address": "infra.kafka (mode, address, port)",
    "kafka.yml:username": "infra.kafka.username",
    "kafka.yml:producerAck": "infra.kafka.producerAck",
    "kafka.yml:compressType": "infra.kafka.compressType",
    "kafka.yml:tls.enableTLS": "infra.kafka.tls.enabled",
    "kafka.yml:tls.caCrt": "infra.kafka.tls.caCrt",
    "kafka.yml:tls.clientCrt": "infra.kafka.tls.clientCrt",
    "kafka.yml:tls.clientKey": "infra.kafka.tls.clientKey",
    "kafka.yml:tls.insecureSkipVerify": "infra.kafka.tls.insecureSkipVerify",
    "minio.yml:bucket": "infra.minio.bucket",
    "minio.yml:internalAddress": "infra.minio (mode, address, port)",
    "minio.yml:externalAddress": "infra.minio.externalAddress",
    "minio.yml:publicRead": "infra.minio.publicRead",
    "openim-api.yml:prometheus.grafanaURL": "monitoring.grafanaUrl",
    "share.yml:openIM.apiURL": "chat.apiURL",
    "share.yml:openIM.adminUserID": "admins",
    "share.yml:chatAdmin": "chat.adminAccounts",
    "chat-rpc-chat.yml:liveKit.url": "chat.liveKit.url",
    "chat-rpc-chat.yml:liveKit.key": "chat.liveKit.key",
}


def model_keys(catalog: Catalog, product: str) -> dict[str, str]:
    """``MODEL_KEYS`` with what the catalog adds for ``product``: each binary's port lists,
    the discovery names, and the credentials that have a model key."""
    from openim_config.plan.secrets import MODEL_SECRETS

    out = dict(MODEL_KEYS)
    prod = catalog.products[product]  # type: ignore[index]
    for key in (prod.discoveryNameKey, prod.adminUsersKey):
        out.setdefault(key, "the target (discovery names)" if key == prod.discoveryNameKey else "admins")
    for name, binary in catalog.binaries.items():
        if binary.product != product:
            continue
        file = catalog.binary_file(name)
        for kind, spec in binary.ports.items():
            out[f"{file}:{spec.key}"] = f"services.{name}.ports.{kind}"
        for key in binary.autoSetPorts:
            out[f"{file}:{key}"] = f"services.{name}.ports (fixed ports, never chosen at random)"
    for key, sid in catalog.secretKeys[product].items():  # type: ignore[index]
        if sid in MODEL_SECRETS:
            out[key] = MODEL_SECRETS[sid]
    return out


def owner(owned: Mapping[str, str], file: str, dotted_key: str) -> str | None:
    """The model key behind ``file``'s ``dotted_key`` or any key above or below it."""
    for key, where in owned.items():
        f, k = key.split(":", 1)
        if f == file and (k == dotted_key or k.startswith(dotted_key + ".") or dotted_key.startswith(k + ".")):
            return where
    return None


def _set(doc: dict[str, Any], dotted_key: str, value: Any, file: str) -> None:
    assert f"{file}:{dotted_key}" in MODEL_KEYS or _derived(file, dotted_key), f"{file}:{dotted_key} is not in MODEL_KEYS"
    _put(doc, dotted_key, value, file)


def _derived(file: str, dotted_key: str) -> bool:
    """Keys ``model_keys`` derives from the catalog (ports, discovery names)."""
    return dotted_key.split(".", maxsplit=1)[0] in ("rpcRegisterName", "rpcService") or dotted_key.endswith(("ports", "autoSetPorts"))


def _put(doc: dict[str, Any], dotted_key: str, value: Any, file: str) -> None:
    node = doc
    parts = dotted_key.split(".")
    for part in parts[:-1]:
        node = node[part]
    if parts[-1] not in node:
        raise KeyError(f"{file}: upstream has no key {dotted_key!r}")  # a catalog bug, not user input
    node[parts[-1]] = value


def compose_name(service: str, index: int, count: int) -> str:
    """Host name of one process on the compose network (and its compose service name)."""
    return service if count == 1 else f"{service}-{index}"


def log_dir(model: OpenIM, catalog: Catalog, product: str, flavour: Flavour) -> str:
    if flavour == "host":
        return model.targets.binary.log_dir.rstrip("/") + f"/{product}/"
    return catalog.products[product].containerLogDir.rstrip("/") + "/"  # type: ignore[index]


def discovery_name(model: OpenIM, name: str, flavour: Flavour) -> str:
    """The name a process registers and is dialled by: in Kubernetes its Service's name."""
    return kube_name(model, name) if flavour == "kubernetes" else name


def api_url(model: OpenIM, services: Mapping[str, ServicePlan], flavour: Flavour) -> str:
    if model.chat.api_url:
        return model.chat.api_url
    api = services.get("openim-api")
    if api is None:
        return ""
    port = api.ports["http"][0]
    hosts: dict[Flavour, str] = {
        "host": reach(model, api.instances[0].host),
        "compose": compose_name("openim-api", 0, len(api.instances)),
        "kubernetes": kube_name(model, "openim-api"),
    }
    host = hosts[flavour]
    return f"http://{host}:{port}"


def build_documents(
    model: OpenIM,
    catalog: Catalog,
    services: Mapping[str, ServicePlan],
    infra: Mapping[str, InfraPlan],
    flavour: Flavour,
    surface: Mapping[str, Mapping[tuple[str, str], Any]] | None = None,
) -> Documents:
    """``surface``: per product, ``(file, dotted key) -> value`` of ``config:``, ``push:`` and
    ``objectStorage:`` (``plan.surface.values``), set over what the model derives; the keys
    it may hold never overlap ``model_keys``, so the order only matters for the flavour's own
    values, which stay."""
    surface = surface or {}
    out: dict[str, dict[str, Any]] = {}
    for product in ("server", "chat"):
        if not any(s.product == product for s in services.values()):
            continue
        docs: dict[str, dict[str, Any]] = yamlio.copy_plain(catalog.documents[product])
        _fill_shared(docs, model, catalog, product, infra, flavour)
        if product == "server":
            _fill_server(docs, model, catalog, infra, flavour)
        else:
            _fill_chat(docs, model, services, flavour)
        for name, svc in services.items():
            if svc.product != product:
                continue
            file = catalog.binary_file(name)
            binary = catalog.binaries[name]
            for kind, spec in binary.ports.items():
                # In Kubernetes every replica is index 0 behind one Service: one port per listener.
                ports = svc.ports[kind][:1] if flavour == "kubernetes" else svc.ports[kind]
                _set(docs[file], spec.key, list(ports), file)
            for key in binary.autoSetPorts:
                _set(docs[file], key, False, file)
        for (file, key), value in surface.get(product, {}).items():
            _put(docs[file], key, value, file)
        for secret_key in catalog.secretKeys[product]:
            file, key = secret_key.split(":")
            _put(docs[file], key, "", file)
        used = {f for s in services.values() if s.product == product for f in s.files}
        out[product] = {f: docs[f] for f in sorted(docs) if f in used}
    return out


def _fill_shared(
    docs: dict[str, Any], model: OpenIM, catalog: Catalog, product: str, infra: Mapping[str, InfraPlan], flavour: Flavour
) -> None:
    prod = catalog.products[product]  # type: ignore[index]
    mongo, redis, etcd = model.infra.mongodb, model.infra.redis, model.infra.etcd
    kind: Literal["etcd", "kubernetes"] = "kubernetes" if flavour == "kubernetes" else "etcd"
    d = docs["discovery.yml"]
    _set(d, "enable", prod.discovery[kind], "discovery.yml")
    _set(d, "etcd.rootDirectory", etcd.root_directory, "discovery.yml")
    _set(d, "etcd.address", list(infra["etcd"].endpoints[flavour]), "discovery.yml")
    _set(d, "etcd.username", etcd.username, "discovery.yml")
    if "kubernetes" in d:
        _set(d, "kubernetes.namespace", model.targets.helm.namespace, "discovery.yml")
    m = docs["mongodb.yml"]
    _set(m, "address", list(infra["mongodb"].endpoints[flavour]), "mongodb.yml")
    _set(m, "database", mongo.database, "mongodb.yml")
    _set(m, "username", mongo.username, "mongodb.yml")
    _set(m, "authSource", mongo.auth_source or mongo.database, "mongodb.yml")
    _set(m, "maxPoolSize", mongo.max_pool_size, "mongodb.yml")
    _set(m, "maxRetry", mongo.max_retry, "mongodb.yml")
    r = docs["redis.yml"]
    _set(r, "address", list(infra["redis"].endpoints[flavour]), "redis.yml")
    _set(r, "username", redis.username, "redis.yml")
    _set(r, "db", redis.db, "redis.yml")
    _set(r, "maxRetry", redis.max_retry, "redis.yml")
    if "redisMode" in r:
        _set(r, "redisMode", redis.redis_mode, "redis.yml")
        _set(r, "poolSize", redis.pool_size, "redis.yml")
    else:
        _set(r, "clusterMode", redis.redis_mode == "cluster", "redis.yml")
    lg = docs["log.yml"]
    _set(lg, "storageLocation", log_dir(model, catalog, product, flavour), "log.yml")
    _set(lg, "rotationTime", model.log.rotation_time, "log.yml")
    _set(lg, "remainRotationCount", model.log.remain_rotation_count, "log.yml")
    _set(lg, "remainLogLevel", model.log.level, "log.yml")
    _set(lg, "isStdout", flavour != "host", "log.yml")
    _set(lg, "isJson", model.log.json_format, "log.yml")


def _fill_server(docs: dict[str, Any], model: OpenIM, catalog: Catalog, infra: Mapping[str, InfraPlan], flavour: Flavour) -> None:
    share = docs["share.yml"]
    for binary in catalog.binaries.values():
        if binary.product == "server" and binary.discoveryKey and binary.discoveryName:
            _set(share, f"rpcRegisterName.{binary.discoveryKey}", discovery_name(model, binary.discoveryName, flavour), "share.yml")
    _set(share, "imAdminUserID", [a.user_id for a in model.admins], "share.yml")
    kafka = model.infra.kafka
    k = docs["kafka.yml"]
    _set(k, "address", list(infra["kafka"].endpoints[flavour]), "kafka.yml")
    _set(k, "username", kafka.username, "kafka.yml")
    _set(k, "producerAck", kafka.producer_ack or None, "kafka.yml")
    _set(k, "compressType", kafka.compress_type, "kafka.yml")
    _set(k, "tls.enableTLS", kafka.tls.enabled, "kafka.yml")
    _set(k, "tls.caCrt", kafka.tls.ca_crt or None, "kafka.yml")
    _set(k, "tls.clientCrt", kafka.tls.client_crt or None, "kafka.yml")
    _set(k, "tls.clientKey", kafka.tls.client_key or None, "kafka.yml")
    _set(k, "tls.insecureSkipVerify", kafka.tls.insecure_skip_verify, "kafka.yml")
    if "minio" in infra:  # else upstream's minio.yml, which OpenIM then never reads
        minio = model.infra.minio
        mn = docs["minio.yml"]
        _set(mn, "bucket", minio.bucket, "minio.yml")
        _set(mn, "internalAddress", infra["minio"].endpoints[flavour][0], "minio.yml")
        _set(mn, "externalAddress", minio_external(model, flavour), "minio.yml")
        _set(mn, "publicRead", minio.public_read, "minio.yml")
    _set(docs["openim-api.yml"], "prometheus.grafanaURL", grafana_url(model, flavour), "openim-api.yml")


def grafana_url(model: OpenIM, flavour: Flavour) -> str:
    """Where browsers open Grafana (the admin front embeds it): the model's URL, else the
    Grafana the binary and compose targets run on the public host; the chart cannot know where
    browsers reach the Grafana it runs."""
    mon = model.monitoring
    if mon.grafana_url:
        return mon.grafana_url
    if not mon.enabled or flavour == "kubernetes":
        return ""
    return f"http://{model.public_host}:{mon.grafana_port}/"


def minio_used(model: OpenIM) -> bool:
    """OpenIM reads ``minio.yml`` only with ``object.enable: minio`` (internal/rpc/third/third.go
    Start: the other backends are built from ``object.<backend>`` alone), so only then is a
    MinIO deployed and configured."""
    return model.object_storage.backend == "minio"


def minio_routed_by_ingress(model: OpenIM) -> bool:
    """Kubernetes: the bundled MinIO is reached through the Helm Ingress at ``minioPath`` unless
    the user gave MinIO an external address of its own."""
    minio = model.infra.minio
    return model.targets.helm.ingress.enabled and minio.mode == "bundled" and minio.external_address is None and minio_used(model)


def minio_external(model: OpenIM, flavour: Flavour) -> str:
    """The URL clients upload to and download from (the signing endpoint, FACTS 2.7). With the
    Helm Ingress it is the Ingress host and MinIO's path there; OpenIM signs for the path
    without that prefix, which the Ingress strips (rewrite to ``/$2``)."""
    minio = model.infra.minio
    if flavour == "kubernetes" and minio_routed_by_ingress(model):
        ingress = model.targets.helm.ingress
        scheme = "https" if ingress.tls_secret else "http"
        return f"{scheme}://{ingress.host}{ingress.minio_path}"
    return minio.external_address or f"http://{model.public_host}:{minio.port}"


def _fill_chat(docs: dict[str, Any], model: OpenIM, services: Mapping[str, ServicePlan], flavour: Flavour) -> None:
    share = docs["share.yml"]
    _set(share, "openIM.apiURL", api_url(model, services, flavour), "share.yml")
    _set(share, "openIM.adminUserID", model.admins[0].user_id, "share.yml")
    _set(share, "chatAdmin", list(model.chat.admin_accounts), "share.yml")
    rpc_chat = docs["chat-rpc-chat.yml"]
    _set(rpc_chat, "liveKit.url", model.chat.live_kit.url, "chat-rpc-chat.yml")
    _set(rpc_chat, "liveKit.key", model.chat.live_kit.key, "chat-rpc-chat.yml")
    disc = docs["discovery.yml"]
    for svc in services.values():
        if svc.product == "chat" and svc.discovery_name:
            key = next(k for k, v in disc["rpcService"].items() if v == svc.discovery_name)
            _set(disc, f"rpcService.{key}", discovery_name(model, svc.discovery_name, flavour), "discovery.yml")
