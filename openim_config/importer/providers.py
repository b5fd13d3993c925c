"""The offline push provider (``openim-push.yml``) and the object storage backend
(``openim-rpc-third.yml object``) -> the model's first-class ``push:`` and ``objectStorage:``,
each provider's fields named as its upstream keys, credentials by reference."""

from __future__ import annotations

from typing import Any

from openim_config.importer.residue import SecretValue
from openim_config.importer.state import Imported, set_path

PUSH_FILE, THIRD_FILE = "openim-push.yml", "openim-rpc-third.yml"
PUSH = {"geTui": "getui", "fcm": "fcm", "jpush": "jpush"}
"""Upstream's section (and ``enable`` value) -> ``push.provider``."""
REQUIRED = {
    "geTui": ("appKey", "masterSecret"),
    "jpush": ("appKey", "masterSecret"),
    "cos": ("bucketURL", "secretID", "secretKey"),
    "oss": ("endpoint", "bucket", "bucketURL", "accessKeyID", "accessKeySecret"),
    "kodo": ("endpoint", "bucket", "bucketURL", "accessKeyID", "accessKeySecret"),
    "aws": ("region", "bucket", "accessKeyID", "secretAccessKey"),
}
"""Fields the model requires of a chosen provider, written even at upstream's sample value."""
SECRETS = {"masterSecret", "secretID", "secretKey", "sessionToken", "accessKeyID", "accessKeySecret", "secretAccessKey"}


def map_providers(imp: Imported, model: dict[str, Any]) -> None:
    enable = str(imp.value("server", PUSH_FILE, "enable") or "")
    unset = not imp.value("server", PUSH_FILE, "geTui.appKey") and not imp.value("server", PUSH_FILE, "geTui.masterSecret")
    chosen = None if enable == "geTui" and unset else enable
    if chosen in PUSH:
        provider = PUSH[chosen]
        set_path(model, ("push", "provider"), provider)
        block = _block(imp, PUSH_FILE, chosen, f"push.{provider}")
        if chosen == "fcm":
            block = _fcm(imp, block)
        set_path(model, ("push", provider), block)
    elif chosen:
        imp.report.lost(imp.where("server", PUSH_FILE, "enable"), f"push provider {enable!r}", "the 3.8 line offers geTui, fcm and jpush")
    _unused_sections(imp, PUSH_FILE, "", PUSH, chosen, "push")
    backend = str(imp.value("server", THIRD_FILE, "object.enable") or "minio")
    sections = {name: name for name in ("cos", "oss", "kodo", "aws")}
    if backend in sections:
        set_path(model, ("objectStorage", "backend"), backend)
        set_path(model, ("objectStorage", backend), _block(imp, THIRD_FILE, f"object.{backend}", f"objectStorage.{backend}"))
        _without_minio(imp, model, backend)
    elif backend != "minio":
        imp.report.lost(
            imp.where("server", THIRD_FILE, "object.enable"),
            f"object storage {backend!r}",
            "the 3.8 line offers minio, cos, oss, kodo and aws",
        )
    _unused_sections(imp, THIRD_FILE, "object.", sections, backend, "objectStorage")


def _block(imp: Imported, file: str, section: str, model_path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    doc = imp.value("server", file, section) or {}
    name = section.rsplit(".", 1)[-1]
    for key, value in doc.items():
        required = key in REQUIRED.get(name, ())
        if value in (None, "") or (not required and value == imp.default("server", file, f"{section}.{key}")):
            continue
        out[key] = SecretValue(f"{model_path}.{key}", str(value).encode()) if key in SECRETS else value
    return out


def _fcm(imp: Imported, block: dict[str, Any]) -> dict[str, Any]:
    """``fcm.filePath`` names a file beside the config: the model takes the file itself."""
    path = block.pop("filePath", None)
    if path:
        data = imp.files.get(str(path))
        if data is None:
            imp.report.lost(
                imp.where("server", PUSH_FILE, "fcm.filePath"),
                f"fcm.filePath {path!r}",
                "the file was not in the imported config directory: set push.fcm.serviceAccount",
            )
        else:
            imp.files_named.add(str(path))
            block["serviceAccount"] = SecretValue("push.fcm.serviceAccount", data, newline=False)
            if block.pop("authURL", None):
                imp.report.lost(
                    imp.where("server", PUSH_FILE, "fcm.authURL"), "fcm.authURL", "unused: OpenIM reads the service-account file first"
                )
    return block


def _unused_sections(imp: Imported, file: str, prefix: str, sections: dict[str, str], chosen: str | None, model_key: str) -> None:
    for section in sections:
        key = f"{prefix}{section}"
        if section != chosen and imp.value("server", file, key) != imp.default("server", file, key):
            imp.report.lost(imp.where("server", file, key), f"{file} {key}", f"not the chosen {model_key} provider: OpenIM never reads it")


def _without_minio(imp: Imported, model: dict[str, Any], backend: str) -> None:
    """With another backend no MinIO is deployed, and the model refuses MinIO settings."""
    dropped = [k for k in ("infra", "storage") if model.get(k, {}).pop("minio" if k == "infra" else "minio-data", None) is not None]
    for path in [p for p in imp.secrets if p.startswith("infra.minio.")]:
        del imp.secrets[path]
        dropped.append(path)
    if dropped or "minio" in (imp.docker.infra if imp.docker else {}):
        imp.report.lost(
            "minio", "MinIO and its data", f"objectStorage.backend is {backend}: openim-gen deploys no MinIO (its data is not carried over)"
        )
