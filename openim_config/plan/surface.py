"""``config:``, ``push:`` and ``objectStorage:`` -> upstream keys, checked once for every target.

One table of upstream keys per product, ``(file, dotted key) -> value``, applied over what the
model derives (``appconfig.build_documents``): the same values in every target's files. A value
``config:`` would set that the model owns is refused with the model key to use; one set both
first-class and in ``config:`` is refused naming both. Credentials never enter the table: they
become secret plans, delivered as ``IMENV_``/``CHATENV_`` variables (``plan.secrets``), and the
FCM service account a file beside the config (``FCM_FILE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openim_config.catalog import Catalog
from openim_config.model import OpenIM, SecretRef
from openim_config.model.base import Strict
from openim_config.model.surface import given
from openim_config.plan.appconfig import minio_used, model_keys, owner
from openim_config.plan.types import SecretPlan

__all__ = ["FCM_FILE", "FCM_SECRET", "first_class", "minio_used", "secret_plans", "surface_findings", "values"]

Finding = tuple[tuple[str | int, ...], str]
Key = tuple[str, str]
"""(upstream file, dotted key)."""

FCM_FILE = "fcm-service-account.json"
"""``fcm.filePath``: upstream joins it to the ``-c`` directory (internal/push/offlinepush/fcm
NewClient: ``filepath.Join(fcmConfigPath, FCM.FilePath)``, fcmConfigPath being the -c flag),
so every target installs the file in the config directory under this name."""
FCM_SECRET = "fcmServiceAccount"
"""Its secret id (the Helm chart's Secret key)."""

PUSH_FILE = "openim-push.yml"
THIRD_FILE = "openim-rpc-third.yml"
_PUSH_SECTIONS = {"getui": "geTui", "fcm": "fcm", "jpush": "jpush"}
"""``push.<provider>`` -> its section of openim-push.yml (each field named as the upstream key)."""
_OBJECT_BACKENDS = ("cos", "oss", "kodo", "aws")
NOT_UPSTREAM = {"service_account"}
"""Fields that are no upstream key (the FCM service account becomes ``fcm.filePath``)."""


def _upstream(block: Strict, section: str, where: str) -> Iterator[tuple[str, str, Any]]:
    """(upstream dotted key, model path, value) of every field of ``block`` set or defaulted
    to something other than None."""
    for name, info in type(block).model_fields.items():
        value = getattr(block, name)
        if name in NOT_UPSTREAM or value is None:
            continue
        key = info.alias or name
        yield f"{section}.{key}", f"{where}.{key}", value


def first_class(model: OpenIM) -> dict[Key, tuple[str, Any]]:
    """What ``push:`` and ``objectStorage:`` set: upstream key -> (model path, value)."""
    out: dict[Key, tuple[str, Any]] = {}
    push = model.push
    if push.provider is not None:
        out[(PUSH_FILE, "enable")] = ("push.provider", push.provider)
        block = getattr(push, push.provider, None)
        if block is not None:
            for key, path, value in _upstream(block, _PUSH_SECTIONS[push.provider], f"push.{push.provider}"):
                out[(PUSH_FILE, key)] = (path, value)
        if push.provider == "fcm" and push.fcm is not None and push.fcm.service_account is not None:
            out[(PUSH_FILE, "fcm.filePath")] = ("push.fcm.serviceAccount", FCM_FILE)
    storage = model.object_storage
    if "backend" in storage.model_fields_set or storage.backend != "minio":
        out[(THIRD_FILE, "object.enable")] = ("objectStorage.backend", storage.backend)
    block = getattr(storage, storage.backend, None) if storage.backend != "minio" else None
    if block is not None:
        for key, path, value in _upstream(block, f"object.{storage.backend}", f"objectStorage.{storage.backend}"):
            out[(THIRD_FILE, key)] = (path, value)
    return out


def _config(model: OpenIM) -> dict[str, dict[Key, Any]]:
    """``config:`` as given, per product: (file, dotted key) -> value."""
    out: dict[str, dict[Key, Any]] = {}
    for product in ("server", "chat"):
        files = getattr(model.config, product)
        out[product] = {(path[0], ".".join(path[1:])): value for path, value in given(files).items()}
    return out


def values(model: OpenIM, catalog: Catalog) -> dict[str, dict[Key, Any]]:
    """Per product, the plain (non-credential) values to set: ``config:`` and the first-class keys."""
    secret = {p: {tuple(k.split(":", 1)) for k in keys} for p, keys in catalog.secretKeys.items()}
    out = {p: {k: v for k, v in given.items() if k not in secret[p]} for p, given in _config(model).items()}  # type: ignore[index]
    for key, (_, value) in first_class(model).items():
        if not isinstance(value, SecretRef):
            out["server"][key] = value
    return out


def secret_plans(model: OpenIM, catalog: Catalog) -> dict[str, SecretPlan]:
    """The credentials ``config:``, ``push:`` and ``objectStorage:`` set, by secret id."""
    plans: dict[str, SecretPlan] = {}
    for product, given_values in _config(model).items():
        for (file, key), value in given_values.items():
            sid = catalog.secretKeys[product].get(f"{file}:{key}")  # type: ignore[index]
            if sid is not None and isinstance(value, SecretRef):
                plans[sid] = SecretPlan(sid, f"config.{product}.{file}.{key}", value)
    for (file, key), (path, value) in first_class(model).items():
        sid = catalog.secretKeys["server"].get(f"{file}:{key}")
        if sid is not None and isinstance(value, SecretRef):
            plans[sid] = SecretPlan(sid, path, value)
    fcm = model.push.fcm
    if model.push.provider == "fcm" and fcm is not None and fcm.service_account is not None:
        plans[FCM_SECRET] = SecretPlan(FCM_SECRET, "push.fcm.serviceAccount", fcm.service_account)
    return plans


def surface_findings(model: OpenIM, catalog: Catalog) -> Iterator[Finding]:
    """``config:`` keys the model owns, values set twice, provider blocks that do not match the
    choice, and MinIO settings without MinIO."""
    configured = _config(model)
    for product, given_values in configured.items():
        owned = model_keys(catalog, product)
        for file, key in given_values:
            where = ("config", product, file, *key.split("."))
            model_key = owner(owned, file, key)
            if model_key is not None:
                yield where, f"set by the model: use {model_key}"
    for (file, key), (path, _) in first_class(model).items():
        if (file, key) in configured["server"]:
            yield ("config", "server", file, *key.split(".")), f"set twice: here and by {path}; keep one"
    yield from _provider_blocks(model)
    if not minio_used(model):
        yield from _minio_settings(model, configured["server"])


def _provider_blocks(model: OpenIM) -> Iterator[Finding]:
    push, storage = model.push, model.object_storage
    for name in _PUSH_SECTIONS:
        block = getattr(push, name)
        if block is not None and push.provider != name:
            yield ("push", name), f"push.provider is {push.provider or 'unset'}: set push.provider: {name}, or remove this"
        elif block is None and push.provider == name:
            yield ("push", "provider"), f"{name} needs its settings: add push.{name}"
    if push.provider == "fcm" and push.fcm is not None and (push.fcm.service_account is None) == (push.fcm.auth_url is None):
        yield ("push", "fcm"), "set one of serviceAccount (the service-account JSON) or authURL"
    for name in _OBJECT_BACKENDS:
        if getattr(storage, name) is not None and storage.backend != name:
            yield ("objectStorage", name), f"objectStorage.backend is {storage.backend}: set backend: {name}, or remove this"
        elif getattr(storage, name) is None and storage.backend == name:
            yield ("objectStorage", "backend"), f"{name} needs its settings: add objectStorage.{name}"


def _minio_settings(model: OpenIM, configured: dict[Key, Any]) -> Iterator[Finding]:
    backend = model.object_storage.backend
    why = f"objectStorage.backend is {backend}: no MinIO is deployed and OpenIM never reads it; remove this"
    fields = type(model.infra.minio).model_fields
    for name in sorted(model.infra.minio.model_fields_set):
        yield ("infra", "minio", fields[name].alias or name), why
    if "minio-data" in model.storage:
        yield ("storage", "minio-data"), why
    for file, key in configured:
        if file == "minio.yml":
            yield ("config", "server", file, *key.split(".")), why
    if "minio_path" in model.targets.helm.ingress.model_fields_set:
        yield ("targets", "helm", "ingress", "minioPath"), why
