"""What the model keys leave over: every other upstream value that differs from upstream's
default goes to ``config.<product>.<file>`` (credentials by reference), and every value the
generated files still do not reproduce is reported, never dropped silently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openim_config.importer.state import Imported, KeyPath, get_path, leaves, set_path
from openim_config.plan.secrets import MODEL_SECRETS
from openim_config.plan.types import Plan

CONFIG_CREDENTIALS: dict[str, set[str]] = {
    "server": set(),
    "chat": {
        "chat-rpc-chat.yml:verifyCode.phone.ali.accessKeyId",
        "chat-rpc-chat.yml:verifyCode.phone.ali.accessKeySecret",
        "chat-rpc-chat.yml:verifyCode.mail.senderAuthorizationCode",
    },
}
"""Credentials of ``config:`` beyond the catalog's ``secretKeys`` (chat's SMS and mail
passwords, issue 12 item 2); push and object storage keys belong to ``push:`` and
``objectStorage:`` (``providers``)."""
UNSUPPORTED_CREDENTIALS = {"server": {"minio.yml:sessionToken"}, "chat": set[str]()}
"""Credentials the model has no secret for: reported, never written into openim.yaml."""

OWNED: dict[str, dict[str, str]] = {
    "*": {
        "discovery.yml:enable": "openim-gen chooses the discovery backend per target (etcd; Kubernetes for the server's pods)",
        "discovery.yml:etcd.address": "infra.etcd",
        "discovery.yml:etcd.rootDirectory": "infra.etcd.rootDirectory",
        "discovery.yml:etcd.username": "infra.etcd.username",
        "discovery.yml:kubernetes.namespace": "targets.helm.namespace",
        "discovery.yml:rpcService": "openim-gen names the chat services itself (their Service names in Kubernetes)",
        "mongodb.yml:address": "infra.mongodb",
        "mongodb.yml:database": "infra.mongodb.database",
        "mongodb.yml:username": "infra.mongodb.username",
        "mongodb.yml:authSource": "infra.mongodb.authSource",
        "mongodb.yml:maxPoolSize": "infra.mongodb.maxPoolSize",
        "mongodb.yml:maxRetry": "infra.mongodb.maxRetry",
        "redis.yml:address": "infra.redis",
        "redis.yml:username": "infra.redis.username",
        "redis.yml:db": "infra.redis.db",
        "redis.yml:maxRetry": "infra.redis.maxRetry",
        "redis.yml:redisMode": "infra.redis.redisMode",
        "redis.yml:poolSize": "infra.redis.poolSize",
        "redis.yml:clusterMode": "infra.redis.redisMode",
        "log.yml:storageLocation": "openim-gen sets the log location per target (targets.binary.logDir; containers log to stdout)",
        "log.yml:isStdout": "openim-gen sets it per target (files on hosts, stdout in containers)",
        "log.yml:rotationTime": "log.rotationTime",
        "log.yml:remainRotationCount": "log.remainRotationCount",
        "log.yml:remainLogLevel": "log.level",
        "log.yml:isJson": "log.json",
    },
    "server": {
        "share.yml:rpcRegisterName": "openim-gen names the RPC services itself (their Service names in Kubernetes)",
        "share.yml:imAdminUserID": "admins",
        "kafka.yml:address": "infra.kafka",
        "kafka.yml:username": "infra.kafka.username",
        "kafka.yml:producerAck": "infra.kafka.producerAck",
        "kafka.yml:compressType": "infra.kafka.compressType",
        "kafka.yml:tls.enableTLS": "infra.kafka.tls.enabled",
        "kafka.yml:tls.caCrt": "infra.kafka.tls.caCrt",
        "kafka.yml:tls.clientCrt": "infra.kafka.tls.clientCrt",
        "kafka.yml:tls.clientKey": "infra.kafka.tls.clientKey",
        "kafka.yml:tls.insecureSkipVerify": "infra.kafka.tls.insecureSkipVerify",
        "minio.yml:bucket": "infra.minio.bucket",
        "minio.yml:internalAddress": "infra.minio",
        "minio.yml:externalAddress": "infra.minio.externalAddress or publicHost",
        "minio.yml:publicRead": "infra.minio.publicRead",
        "openim-api.yml:prometheus.grafanaURL": "monitoring.grafanaUrl",
        "openim-push.yml:enable": "push.provider",
        "openim-push.yml:geTui": "push.getui",
        "openim-push.yml:fcm": "push.fcm",
        "openim-push.yml:jpush": "push.jpush",
        "openim-rpc-third.yml:object": "objectStorage",
    },
    "chat": {
        "share.yml:openIM.apiURL": "chat.apiURL (derived when it points at this deployment's API)",
        "share.yml:openIM.adminUserID": "admins[0]",
        "share.yml:chatAdmin": "chat.adminAccounts",
        "chat-rpc-chat.yml:liveKit.url": "chat.liveKit.url",
        "chat-rpc-chat.yml:liveKit.key": "chat.liveKit.key",
    },
}
"""Upstream keys the model owns (``file:key``, a prefix covers what is below it) -> where."""


def owned(imp: Imported, product: str, file: str, key: KeyPath) -> str | None:
    """Where the model holds ``key``, or None: not the model's (it goes to ``config:``)."""
    for table in (OWNED["*"] if file in ("discovery.yml", "mongodb.yml", "redis.yml", "log.yml") else {}, OWNED[product]):
        for spec, where in table.items():
            spec_file, spec_key = spec.split(":")
            parts = tuple(spec_key.split("."))
            if spec_file == file and key[: len(parts)] == parts:
                return where
    for spec, sid in imp.catalog.secretKeys[product].items():  # type: ignore[index]
        if spec == f"{file}:{'.'.join(key)}" and (sid in MODEL_SECRETS or sid == "mongodbUri"):
            return f"a credential ({sid})"
    for name, binary in imp.catalog.binaries.items():
        if binary.product == product and imp.catalog.binary_file(name) == file:
            keys = [spec.key for spec in binary.ports.values()] + list(binary.autoSetPorts)
            if ".".join(key) in keys:
                return f"services.{name}.ports (fixed ports, one per instance)"
    return None


@dataclass(frozen=True)
class SecretValue:
    """A credential of ``config:``: written to its own file, referenced ``{file: ...}``."""

    name: str
    value: bytes
    newline: bool = True
    """Written with a final newline (a value), or byte for byte (a file such as FCM's JSON)."""


def config_section(imp: Imported) -> dict[str, Any]:
    """``config.<product>.<file>.<key>`` for every upstream value the model keys do not own
    that differs from upstream's default."""
    out: dict[str, Any] = {}
    for product in ("server", "chat"):
        if product not in imp.given:
            continue
        for file in sorted(imp.docs[product]):
            for key, found in leaves(imp.docs[product][file]):
                if not key or owned(imp, product, file, key) is not None:
                    continue
                if found == get_path(imp.catalog.documents[product][file], key):
                    continue
                value: Any = found
                spec = f"{file}:{'.'.join(key)}"
                if spec in UNSUPPORTED_CREDENTIALS[product]:
                    imp.report.lost(
                        imp.where(product, file, ".".join(key)), spec, "a credential openim.yaml has no secret for: set it yourself"
                    )
                    continue
                if spec in CONFIG_CREDENTIALS[product] or spec in imp.catalog.secretKeys[product]:
                    value = SecretValue(f"{product}.{spec.replace(':', '.')}", str(value).encode())
                set_path(out.setdefault(product, {}).setdefault(file, {}), key, value)
    for name in sorted(set(imp.files) - imp.files_named):
        imp.report.lost(name, "file beside the config files", "no imported key names it: not carried over")
    return out


def unreproduced(imp: Imported, plan: Plan, pending: set[str]) -> None:
    """Report every model-owned value whose generated file does not carry the imported value
    (beyond what the mapping represented in its own way and upstream's own defaults)."""
    documents = plan.documents[imp.flavour]
    for product in sorted(imp.given):
        for file, doc in sorted(imp.docs[product].items()):
            generated_doc = documents.get(product, {}).get(file)
            if generated_doc is None:
                continue
            for key, value in leaves(doc):
                where = owned(imp, product, file, key) if key else None
                if where is None or where.startswith("a credential") or where.split(".")[0] in pending:
                    continue
                if (product, file, key) in imp.consumed:
                    continue
                generated = get_path(generated_doc, key)
                if _same(value, generated) or value == get_path(imp.catalog.documents[product][file], key):  # type: ignore[index]
                    continue
                dotted = ".".join(key)
                imp.report.lost(
                    imp.where(product, file, dotted), f"{file} {dotted} {value!r}", f"openim-gen generates {generated!r} ({where})"
                )


def _same(imported: Any, generated: Any) -> bool:
    """Equal, or the instances' share of a port list (the rest would serve no process)."""
    if imported == generated or (imported in (None, "") and generated in (None, "")):
        return True
    return isinstance(imported, list) and isinstance(generated, list) and bool(generated) and imported[: len(generated)] == generated
