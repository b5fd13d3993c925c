"""Credential ids, where each comes from, and resolving them (only where a target must)."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from openim_config.errors import Location, Problem, UserError
from openim_config.model import OpenIM, SecretRef
from openim_config.plan.types import Plan, SecretEnv, SecretPlan

# secret id -> dotted model path of its value
MODEL_SECRETS: dict[str, str] = {
    "openimSecret": "secret",
    "mongodbPassword": "infra.mongodb.password",
    "mongodbRootPassword": "infra.mongodb.rootPassword",
    "redisPassword": "infra.redis.password",
    "kafkaPassword": "infra.kafka.password",
    "kafkaClientKeyPassword": "infra.kafka.tls.clientKeyPassword",
    "minioAccessKeyId": "infra.minio.accessKeyId",
    "minioSecretAccessKey": "infra.minio.secretAccessKey",
    "etcdPassword": "infra.etcd.password",
    "chatAdminTokenSecret": "chat.tokenSecret",
    "chatSuperCode": "chat.superCode",
    "liveKitSecret": "chat.liveKit.secret",
    "grafanaAdminPassword": "monitoring.grafanaAdminPassword",
    "alertSmtpPassword": "monitoring.alerts.email.password",
    "alertWebhookUrl": "monitoring.alerts.webhook.url",
}


def _get(model: OpenIM, dotted_path: str) -> SecretRef | None:
    node: object = model
    for part in dotted_path.split("."):
        field = next(
            (n for n, f in type(node).model_fields.items() if part in (f.alias, n)),  # type: ignore[attr-defined]
            part,
        )
        node = getattr(node, field)
        if node is None:
            return None
    assert isinstance(node, SecretRef)
    return node


# The variables each bundled component's image reads its credentials from (official images:
# mongo, redis via our command line, minio, grafana), with the secret id behind each.
BUNDLED_ENV: dict[str, tuple[tuple[str, str], ...]] = {
    "mongodb": (("MONGO_INITDB_ROOT_PASSWORD", "mongodbRootPassword"), ("MONGO_OPENIM_PASSWORD", "mongodbPassword")),
    "redis": (("REDIS_PASSWORD", "redisPassword"),),
    "minio": (("MINIO_ROOT_USER", "minioAccessKeyId"), ("MINIO_ROOT_PASSWORD", "minioSecretAccessKey")),
    # The bitnami image enables authentication with this root password on its first start.
    "etcd": (("ETCD_ROOT_PASSWORD", "etcdPassword"),),
    "grafana": (("GF_SECURITY_ADMIN_PASSWORD", "grafanaAdminPassword"),),
    # Written into Alertmanager's configuration inside its container at start (targets/monitoring.py).
    "alertmanager": (("ALERT_SMTP_PASSWORD", "alertSmtpPassword"), ("ALERT_WEBHOOK_URL", "alertWebhookUrl")),
}


MONITORING = ("grafana", "alertmanager")
"""Monitoring components that read credentials (deployed with ``monitoring.enabled``)."""


def bundled_secret_env(model: OpenIM, secrets: Mapping[str, SecretPlan]) -> dict[str, tuple[SecretEnv, ...]]:
    """Per bundled component (and Grafana, with monitoring): the credentials it is set up with."""
    deployed = {name for name in BUNDLED_ENV if name not in MONITORING and getattr(model.infra, name).mode == "bundled"}
    if model.monitoring.enabled:
        deployed |= set(MONITORING)
    return {
        name: tuple(SecretEnv(var, sid) for var, sid in pairs if sid in secrets)
        for name, pairs in BUNDLED_ENV.items()
        if name in deployed and any(sid in secrets for _, sid in pairs)
    }


def secret_plans(model: OpenIM) -> dict[str, SecretPlan]:
    from openim_config.catalog import load_catalog
    from openim_config.plan import surface

    plans = {sid: SecretPlan(sid, path, _get(model, path)) for sid, path in MODEL_SECRETS.items()}
    result = {sid: p for sid, p in plans.items() if p.ref is not None}
    if not surface.minio_used(model):  # no MinIO: its credentials reach nothing
        result = {sid: p for sid, p in result.items() if not p.path.startswith("infra.minio.")}
    result.update(surface.secret_plans(model, load_catalog(model.release)))
    if model.infra.mongodb.replica_set:
        result["mongodbUri"] = SecretPlan("mongodbUri", "infra.mongodb (replicaSet)", None)
    return result


def resolve_ref(ref: SecretRef, where: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of a credential; a missing reference is the user's error, named by path."""
    path = tuple(where.split("."))
    if ref.literal is not None:
        return _usable(ref.literal.get_secret_value(), Location("openim.yaml"), path)
    if ref.env is not None:
        env = os.environ if environ is None else environ
        if ref.env not in env:
            raise UserError([Problem(Location(f"environment {ref.env}"), path, "secret variable is not set")])
        return _usable(env[ref.env], Location(f"environment {ref.env}"), path)
    assert ref.file is not None
    return _usable(_read_secret_file(ref.file, path), Location(ref.file), path)


SECRET_FILE_LIMIT = 64 * 1024
"""The largest secret file read (64 KiB): a credential, not a disk image."""


def _read_secret_file(name: str, path: tuple[str, ...]) -> str:
    def fail(message: str) -> UserError:
        return UserError([Problem(Location(name), path, message)])

    try:
        info = Path(name).stat()
        if not stat.S_ISREG(info.st_mode):
            raise fail("not a regular file")
        if info.st_size > SECRET_FILE_LIMIT:
            raise fail(f"larger than {SECRET_FILE_LIMIT // 1024} KiB: not a credential")
        with open(name, "rb") as fh:
            data = fh.read(SECRET_FILE_LIMIT + 1)
    except OSError as exc:
        raise fail(f"cannot read secret file: {exc.strerror}") from None
    try:
        return data.decode("utf-8").rstrip("\n")
    except UnicodeDecodeError:
        raise fail("not UTF-8 text") from None


def _usable(value: str, where: Location, path: tuple[str, ...]) -> str:
    """Empty and NUL-bearing credentials are refused: `--requirepass ""` is no password."""
    if value == "":
        raise UserError([Problem(where, path, "empty credential")])
    if "\0" in value:
        raise UserError([Problem(where, path, "a credential cannot contain a NUL byte")])
    return value


MIN_LENGTH = 16
"""``build --strict``: the least length of a password or secret."""
NOT_PASSWORDS = {"minioAccessKeyId", "chatSuperCode"}
"""Names and codes: held to the default rule only (MinIO's access key is a user name; chat's
super code is typed where a verification code goes)."""


def weak_credentials(plan: Plan) -> list[str]:
    """Why each credential in use fails ``build --strict`` (never the value): still upstream's
    published default, or shorter than ``MIN_LENGTH``."""
    defaults = secret_plans(OpenIM())
    used = {e.secret_id for s in plan.services.values() for e in s.secret_env}
    used |= {e.secret_id for envs in plan.bundled_env.values() for e in envs}
    out = []
    for sid in sorted(used - {"mongodbUri"}):
        value = resolve(plan, sid)
        default = defaults.get(sid)
        if (
            default is not None
            and default.ref is not None
            and default.ref.literal is not None
            and value == default.ref.literal.get_secret_value()
        ):
            out.append(f"{plan.secrets[sid].path}: still upstream's published default")
        elif sid not in NOT_PASSWORDS and len(value) < MIN_LENGTH:
            out.append(f"{plan.secrets[sid].path}: shorter than {MIN_LENGTH} characters")
    return out


def resolve(plan: Plan, secret_id: str, environ: Mapping[str, str] | None = None) -> str:
    if secret_id == "mongodbUri":
        return mongodb_uri(plan, environ)
    sp = plan.secrets[secret_id]
    assert sp.ref is not None
    return resolve_ref(sp.ref, sp.path, environ)


def mongodb_uri(plan: Plan, environ: Mapping[str, str] | None = None) -> str:
    """``mongodb://user:pass@h1,h2/db?replicaSet=..``: the 3.8 line only reaches a replica
    set through ``uri`` (FACTS 2.4, 8.13), and the URI embeds the password, so it is a secret."""
    mongo = plan.model.infra.mongodb
    password = resolve(plan, "mongodbPassword", environ)
    hosts = ",".join(plan.infra["mongodb"].endpoints["host"])
    auth = mongo.auth_source or mongo.database
    return (
        f"mongodb://{quote(mongo.username, safe='')}:{quote(password, safe='')}@{hosts}/{mongo.database}"
        f"?replicaSet={quote(mongo.replica_set or '', safe='')}&authSource={quote(auth, safe='')}&maxPoolSize={mongo.max_pool_size}"
    )
