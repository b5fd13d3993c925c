"""``config:``: every key of the release line's upstream config files, typed by upstream.

The schema is made from the catalog's default documents (``lines/<line>/{server,chat}/*.yml``),
one closed mapping per upstream mapping, so the key set and each value's type are upstream's
own: a key upstream does not have is an unknown key (with a "did you mean" from the model's
schema, like any other), a value of another type is a type error, both located by the loader. A
key that holds a credential (the catalog's ``secretKeys``) takes a secret reference. Keys the
model owns (addresses, ports, discovery, the log location, credentials with a model key) are
refused later, by the plan (``plan.surface``), which knows what it sets.

It is one pydantic-core schema per product, built the first time a model has a
``config.<product>`` section (``Surface``): upstream's files hold some 2,000 keys in 300
mappings, which as pydantic classes cost more than the whole rest of a run, and most models set
no ``config:`` at all. The validated value is the mapping as given (keys in upstream's order),
credentials as ``SecretRef``. Its errors come out of the model's validation as one
``config_surface`` error carrying the schema's own errors, which ``expand`` turns back into one
located error per key.
"""

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import ErrorDetails, PydanticCustomError, SchemaValidator, ValidationError, core_schema

from openim_config.catalog import load_catalog
from openim_config.model.base import SecretRef

__all__ = ["LINE", "Surface", "expand", "files_with", "given", "surface_schema"]

LINE = "3.8"
"""The release line whose files ``config:`` describes (the model's only line)."""

SURFACE_ERROR = "config_surface"


def _scalar() -> core_schema.CoreSchema:
    """A value upstream leaves empty: any scalar (its Go type is not in the document)."""
    kinds = (core_schema.str_schema, core_schema.int_schema, core_schema.float_schema, core_schema.bool_schema)
    return core_schema.nullable_schema(core_schema.union_schema([kind(strict=True) for kind in kinds]))


def _list(items: set[type]) -> core_schema.CoreSchema:
    if items == {str}:
        return core_schema.list_schema(core_schema.str_schema(strict=True))
    if items == {int}:
        return core_schema.list_schema(core_schema.int_schema(strict=True))
    return core_schema.list_schema(core_schema.any_schema())


def _value(value: object, path: tuple[str, ...], secrets: set[str]) -> core_schema.CoreSchema:
    """``path``: product, file, then the key's path in the file."""
    if f"{path[1]}:{'.'.join(path[2:])}" in secrets:
        return core_schema.nullable_schema(SecretRef.__pydantic_core_schema__)
    if isinstance(value, dict):
        return _mapping(value, path, secrets)
    if isinstance(value, bool):
        return core_schema.bool_schema(strict=True)
    if isinstance(value, int):
        return core_schema.int_schema(strict=True)
    if isinstance(value, float):
        return core_schema.union_schema([core_schema.float_schema(strict=True), core_schema.int_schema(strict=True)])
    if isinstance(value, str):
        return core_schema.str_schema(strict=True)
    if isinstance(value, list):
        return _list({type(v) for v in value})
    return _scalar()


def _mapping(doc: Mapping[str, object], path: tuple[str, ...], secrets: set[str]) -> core_schema.CoreSchema:
    """Upstream's keys, each optional; no other key. Not nullable unless upstream's value is
    null: `geTui: null` would erase a whole section."""
    fields = {key: core_schema.typed_dict_field(_value(value, (*path, key), secrets), required=False) for key, value in doc.items()}
    return core_schema.typed_dict_schema(fields, extra_behavior="forbid", ref=_name(path))


def _name(path: tuple[str, ...]) -> str:
    """``Config`` + the path in CamelCase (``ConfigServerShareYmlMultiLogin``): the schema's name."""
    words = "".join(c if c.isalnum() else " " for c in " ".join(path)).split()
    return "Config" + "".join(w[:1].upper() + w[1:] for w in words)


@cache
def surface_schema(product: str) -> core_schema.CoreSchema:
    """``config.<product>``: one optional key per upstream file name, each its document's mapping."""
    catalog = load_catalog(LINE)
    secrets = set(catalog.secretKeys[product])  # type: ignore[index]
    documents = catalog.documents[product]  # type: ignore[index]
    return _mapping({file: doc for file, doc in documents.items() if isinstance(doc, dict)}, (product,), secrets)


@cache
def _validator(product: str) -> SchemaValidator:
    return SchemaValidator(surface_schema(product))


class Surface:
    """``config.<product>`` in the model: validated by ``surface_schema(product)``, built on
    first use; its JSON schema is that schema's."""

    def __init__(self, product: str) -> None:
        self.product = product

    def validator(self) -> Callable[[Any], dict[str, Any]]:
        def validate(value: Any) -> dict[str, Any]:
            try:
                out: dict[str, Any] = _validator(self.product).validate_python(value)
            except ValidationError as exc:
                errors = exc.errors(include_input=False, include_url=False)
                raise PydanticCustomError(SURFACE_ERROR, "{count} problems", {"count": len(errors), "errors": errors}) from None
            return out

        return validate

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(surface_schema(self.product))


def expand(errors: Iterable[ErrorDetails]) -> list[ErrorDetails]:
    """A model's validation errors with each ``config_surface`` error replaced by the errors of
    its schema, at their place in the model."""
    out: list[ErrorDetails] = []
    for err in errors:
        if err["type"] != SURFACE_ERROR:
            out.append(err)
            continue
        for inner in (err.get("ctx") or {})["errors"]:
            placed = inner.copy()
            placed["loc"] = (*err["loc"], *inner["loc"])
            out.append(placed)
    return out


def given(node: Mapping[str, Any], path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every value set in a validated ``config:`` tree, by its path of upstream keys (file
    first). A mapping is always upstream's (no value of the surface is a free-form mapping)."""
    out: dict[tuple[str, ...], Any] = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out.update(given(value, (*path, key)))
        else:
            out[(*path, key)] = value
    return out


def files_with(product: str, path: tuple[str, ...]) -> list[str]:
    """The upstream files of ``product`` that have the key ``path`` (for "did you mean")."""
    out = []
    for file, doc in load_catalog(LINE).documents.get(product, {}).items():  # type: ignore[call-overload]
        if isinstance(doc, dict) and _has(doc, path):
            out.append(file)
    return sorted(out)


def _has(doc: dict[str, object], path: tuple[str, ...]) -> bool:
    node: object = doc
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
