"""What the model keys leave over: every other upstream value that differs from upstream's
default goes to ``config.<product>.<file>`` (credentials by reference), and every value the
generated files still do not reproduce is reported, never dropped silently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openim_config.importer.state import Imported, KeyPath, get_path, leaves, set_path
from openim_config.plan.appconfig import model_keys, owner
from openim_config.plan.types import Plan

UNSUPPORTED_CREDENTIALS = {"server": {"minio.yml:sessionToken"}, "chat": set[str]()}
"""Credentials the model has no secret for: reported, never written into openim.yaml."""

PROVIDERS: dict[str, str] = {
    "openim-push.yml:enable": "push.provider",
    "openim-push.yml:geTui": "push.getui",
    "openim-push.yml:fcm": "push.fcm",
    "openim-push.yml:jpush": "push.jpush",
    "openim-rpc-third.yml:object": "objectStorage",
}
"""Server keys the import writes as ``push:`` and ``objectStorage:`` (``providers``), not ``config:``."""


def owned(imp: Imported, product: str, file: str, key: KeyPath) -> str | None:
    """Where the model holds ``key``, or None: not the model's (it goes to ``config:``). The
    model's own list (``plan.appconfig.model_keys``: what ``config:`` refuses), the providers,
    and MongoDB's URI, a credential the model builds from its parts."""
    dotted = ".".join(key)
    table = {**model_keys(imp.catalog, product), **(PROVIDERS if product == "server" else {})}
    where = owner(table, file, dotted)
    if where is None and imp.catalog.secretKeys[product].get(f"{file}:{dotted}") == "mongodbUri":  # type: ignore[index]
        return "a credential (mongodbUri): the model builds MongoDB's address and credentials"
    return where


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
                if spec in imp.catalog.secretKeys[product]:
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
