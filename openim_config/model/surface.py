"""``config:``: every key of the release line's upstream config files, typed by upstream.

The classes are made from the catalog's default documents (``lines/<line>/{server,chat}/*.yml``),
one per mapping, so the key set and each value's type are upstream's own: a key upstream does
not have is an unknown key (with a "did you mean" from the model's schema, like any other), a
value of another type is a type error, both located by the loader. A key that holds a credential
(the catalog's ``secretKeys``) takes a secret reference. Keys the model owns (addresses, ports,
discovery, the log location, credentials with a model key) are refused later, by the plan
(``plan.surface``), which knows what it sets.

The classes are built the first time a model has a ``config.<product>`` section (``Surface``),
not when the model is imported: a few hundred generated classes cost more than validating the
whole rest of a model, and most models set no ``config:`` at all. Their errors come out of the
model's validation as one ``config_surface`` error carrying the generated class's own errors,
which ``expand`` turns back into one located error per key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema

from openim_config.catalog import load_catalog
from openim_config.model.base import SecretRef

__all__ = ["LINE", "ConfigFiles", "Surface", "expand", "given", "surface_class"]

LINE = "3.8"
"""The release line whose files ``config:`` describes (the model's only line)."""

Scalar = StrictStr | StrictInt | StrictFloat | StrictBool | None
"""A value upstream leaves empty: any scalar (its Go type is not in the document)."""


class ConfigFiles(BaseModel):
    """Base of the generated classes: exact upstream key names, nothing else."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)


def _python_name(key: str, taken: set[str]) -> str:
    name = re.sub(r"\W", "_", key)
    if not name.isidentifier() or name.startswith("_") or name in dir(BaseModel):
        name = "k_" + name
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _class_name(product: str, path: tuple[str, ...]) -> str:
    words = re.split(r"[^A-Za-z0-9]+", " ".join((product, *path)))
    return "Config" + "".join(w[:1].upper() + w[1:] for w in words if w)


def _value_type(value: object, product: str, path: tuple[str, ...], secrets: set[str]) -> Any:
    file, key = path[0], ".".join(path[1:])
    if f"{file}:{key}" in secrets:
        return SecretRef | None
    if isinstance(value, dict):
        return _mapping(value, product, path, secrets)
    if isinstance(value, bool):
        return StrictBool
    if isinstance(value, int):
        return StrictInt
    if isinstance(value, float):
        return StrictFloat | StrictInt
    if isinstance(value, str):
        return StrictStr
    if isinstance(value, list):
        items = {type(v) for v in value}
        if items == {str}:
            return list[StrictStr]
        if items == {int}:
            return list[StrictInt]
        return list[Any]
    return Scalar


def _mapping(doc: dict[str, object], product: str, path: tuple[str, ...], secrets: set[str]) -> type[ConfigFiles]:
    taken: set[str] = set()
    fields: dict[str, Any] = {}
    for key, value in doc.items():
        kind = _value_type(value, product, (*path, key), secrets)
        # Not nullable unless upstream's value is null: `geTui: null` would erase a whole section.
        fields[_python_name(key, taken)] = (kind, Field(None, alias=key))
    return create_model(_class_name(product, path), __base__=ConfigFiles, **fields)


@cache
def surface_class(product: str) -> type[ConfigFiles]:
    """``config.<product>``: one optional key per upstream file name, each its document's class."""
    catalog = load_catalog(LINE)
    secrets = set(catalog.secretKeys[product])  # type: ignore[index]
    documents = catalog.documents[product]  # type: ignore[index]
    taken: set[str] = set()
    fields: dict[str, Any] = {}
    for file, doc in documents.items():
        assert isinstance(doc, dict)
        fields[_python_name(file, taken)] = (_mapping(doc, product, (file,), secrets), Field(None, alias=file))
    return create_model(_class_name(product, ("files",)), __base__=ConfigFiles, **fields)


SURFACE_ERROR = "config_surface"


class Surface:
    """``config.<product>`` in the model: validated by ``surface_class(product)``, built on
    first use; its JSON schema is that class's."""

    def __init__(self, product: str) -> None:
        self.product = product

    def validator(self) -> Callable[[Any], ConfigFiles]:
        def validate(value: Any) -> ConfigFiles:
            if isinstance(value, ConfigFiles):
                return value
            try:
                return surface_class(self.product).model_validate(value)
            except ValidationError as exc:
                errors = exc.errors(include_input=False, include_url=False)
                raise PydanticCustomError(SURFACE_ERROR, "{count} problems", {"count": len(errors), "errors": errors}) from None

        return validate

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(surface_class(self.product).__pydantic_core_schema__)


def expand(errors: Iterable[ErrorDetails]) -> list[ErrorDetails]:
    """A model's validation errors with each ``config_surface`` error replaced by the errors of
    its generated class, at their place in the model."""
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


def given(node: BaseModel, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every value set in a ``config:`` tree, by its path of upstream keys (file first): what
    the user wrote, nothing pydantic filled in."""
    out: dict[tuple[str, ...], Any] = {}
    for name in sorted(node.model_fields_set, key=lambda n: list(type(node).model_fields).index(n)):
        info = type(node).model_fields[name]
        key = info.alias or name
        value = getattr(node, name)
        if isinstance(value, ConfigFiles):
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
