"""JSON Schema of the source model (``schema/openim.schema.json``), for editors and CI.

The model documents each key with a docstring under it. pydantic can read those at import
(``use_attribute_docstrings``), but that parses the source of every class on every run, a
tenth of a build; only the schema needs them, so they are read here from the source, once,
and set as each property's description exactly where pydantic would put them.
"""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from openim_config import model
from openim_config.model import OpenIM

SCHEMA_ID = "https://openim-gen.invalid/schema/openim.schema.json"


def attribute_docs() -> dict[str, dict[str, str]]:
    """Class name -> field name -> the docstring under the field, for every model class."""
    docs: dict[str, dict[str, str]] = {}
    for path in sorted(Path(model.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            for field, doc in zip(node.body, node.body[1:], strict=False):
                if (
                    isinstance(field, ast.AnnAssign)
                    and isinstance(field.target, ast.Name)
                    and isinstance(doc, ast.Expr)
                    and isinstance(doc.value, ast.Constant)
                    and isinstance(doc.value.value, str)
                ):
                    docs.setdefault(node.name, {})[field.target.id] = inspect.cleandoc(doc.value.value)
    return docs


def _models(cls: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Every model class reachable from ``cls``, by name (the schema's ``$defs`` keys)."""
    if cls.__name__ in seen:
        return seen
    seen[cls.__name__] = cls
    for info in cls.model_fields.values():
        for arg in _types(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models(arg, seen)
    return seen


def _types(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", ())
    return [annotation, *(t for a in args for t in _types(a))]


def _describe(schema: dict[str, Any]) -> dict[str, Any]:
    docs = attribute_docs()
    for name, cls in _models(OpenIM, {}).items():
        node = schema if cls is OpenIM else schema["$defs"].get(name)
        if node is None or "properties" not in node:
            continue
        for field, info in cls.model_fields.items():
            # the docstring where the field is declared: the class itself or a base class
            doc = next((docs[b.__name__][field] for b in cls.__mro__ if field in docs.get(b.__name__, {})), None)
            key = info.alias or field
            if doc and key in node["properties"] and "description" not in node["properties"][key]:
                node["properties"][key]["description"] = doc
    return schema


def schema_text() -> str:
    schema = _describe(OpenIM.model_json_schema(by_alias=True, mode="validation"))
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
