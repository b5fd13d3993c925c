"""One description of the chart's values, read three ways: the plain data Helm gets, the
commented ``values.yaml`` a person reads, and the ``values.schema.json`` Helm checks.

Each key is declared once, with its value, a one-line comment and its JSON Schema, so the
three cannot drift apart: a key without a comment or a schema cannot be written.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from openim_config.yamlio import Commented

__all__ = ["Block", "Node", "Value", "commented", "dump_json", "hoist_repeats", "plain", "schema", "shape_schema"]


@dataclass(frozen=True)
class Value:
    """A leaf: a scalar, or a list or map whose entries the schema states (not commented one by one)."""

    doc: str
    value: Any
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Block:
    """A map of named keys, each commented; no other key is allowed."""

    doc: str
    fields: Mapping[str, Node]


Node = Value | Block

INDENT = 2
WIDTH = 100
"""Comment lines are wrapped at this width (the indentation included)."""


def plain(node: Node) -> Any:
    """The values as Helm receives them."""
    if isinstance(node, Value):
        return node.value
    return {key: plain(child) for key, child in node.fields.items()}


def commented(node: Block, depth: int = 0) -> Commented:
    """The values with each key's comment on the lines above it."""
    out = Commented()
    for key, child in node.fields.items():
        out[key] = commented(child, depth + 1) if isinstance(child, Block) else child.value
        out.comments[key] = list(_wrap(child.doc, WIDTH - depth * INDENT - 2))
    return out


@cache
def _wrap(doc: str, width: int) -> tuple[str, ...]:
    """A comment's lines: each paragraph (blank-line separated) joined and wrapped to ``width``;
    an indented line (a command to copy) is kept as it is. (Cached: every service repeats the
    same comments, every environment all of them.)"""
    lines: list[str] = []
    for paragraph in doc.split("\n\n"):
        words: list[str] = []
        for line in paragraph.splitlines():
            if line.startswith((" ", "\t")):
                lines += [*textwrap.wrap(" ".join(words), width, break_on_hyphens=False), line]
                words = []
            else:
                words.append(line.strip())
        lines += textwrap.wrap(" ".join(words), width, break_on_hyphens=False)
    return tuple(lines)


def schema(node: Node) -> dict[str, Any]:
    """JSON Schema (draft-07, what Helm validates with) of the values."""
    if isinstance(node, Value):
        return {"description": node.doc, **node.schema}
    out: dict[str, Any] = {"description": node.doc, "type": "object", "properties": {k: schema(c) for k, c in node.fields.items()}}
    if node.fields:
        out["required"] = list(node.fields)
    out["additionalProperties"] = False
    return out


def shape_schema(value: Any) -> dict[str, Any]:
    """The schema of a document by its own shape: the types upstream's defaults have. An empty
    value (``None``, written as ``""`` for Helm) takes anything: upstream leaves the type open."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, Mapping):
        return {
            "type": "object",
            "properties": {str(k): shape_schema(v) for k, v in value.items()},
            "additionalProperties": False,
        }
    if isinstance(value, list | tuple):
        items = [shape_schema(v) for v in value]
        same = items[0] if items and all(i == items[0] for i in items) else None
        return {"type": "array", "items": same} if same else {"type": "array"}
    raise TypeError(f"no schema for {type(value).__name__}")


def hoist_repeats(root: dict[str, Any]) -> dict[str, Any]:
    """Each object shape that occurs more than once (upstream's notification and webhook
    sections) written once under ``definitions``, named by the first key it appears at, and
    referenced elsewhere: the same schema, a fraction of the lines to review."""

    keys: dict[int, str] = {}
    """Object node (by id) -> its canonical text, made once: the same nodes are met again by ``replace``."""
    counts: Counter[str] = Counter()

    def count(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and node.get("properties") and "description" not in node:
                keys[id(node)] = key = json.dumps(node, sort_keys=True)
                counts[key] += 1
            for child in node.values():
                count(child)
        elif isinstance(node, list):
            for child in node:
                count(child)

    definitions: dict[str, Any] = {}
    names: dict[str, str] = {}

    def replace(node: Any, path: tuple[str, ...], names_map: bool = False) -> Any:
        """``path``: the property names leading here; ``names_map``: ``node`` is a ``properties`` map."""
        if isinstance(node, list):
            return [replace(v, path) for v in node]
        if not isinstance(node, dict):
            return node
        if names_map:
            return {k: replace(v, (*path, k)) for k, v in node.items()}
        key = keys.get(id(node))
        if key is not None and counts[key] > 1:
            if key not in names:
                names[key] = ".".join(path)
                definitions[names[key]] = {k: replace(v, path, k == "properties") for k, v in node.items()}
            return {"$ref": "#/definitions/" + names[key].replace("~", "~0").replace("/", "~1")}
        return {k: replace(v, path, k == "properties") for k, v in node.items()}

    count(root)
    out = replace(root, ())
    if definitions:
        out["definitions"] = definitions
    return dict(out)


def dump_json(data: Any, width: int = WIDTH) -> str:
    """JSON indented by two, with every object or array that fits in ``width`` on one line:
    as readable as ``indent=2`` in a fraction of the lines. (Each node's one-line form is
    made once, from its children's: linear in the document, not in its depth times its size.)"""
    flats: dict[int, str] = {}

    def flat(node: Any) -> str:
        if isinstance(node, dict):
            if not all(isinstance(k, str) for k in node):
                raise TypeError("JSON object keys must be strings")
            text = "{" + ", ".join(f"{_json(k)}: {flat(v)}" for k, v in node.items()) + "}"
        elif isinstance(node, list):
            text = "[" + ", ".join(flat(v) for v in node) + "]"
        else:
            return _json(node)
        flats[id(node)] = text
        return text

    def render(node: Any, depth: int, lead: int = 0) -> str:
        """``lead``: characters before the value on its line (indentation and key)."""
        if not isinstance(node, dict | list) or not node:
            return _json(node)
        one_line = flats[id(node)]
        if lead + len(one_line) <= width:
            return one_line
        pad = " " * ((depth + 1) * INDENT)
        if isinstance(node, dict):
            items = []
            for k, v in node.items():
                key = f"{pad}{_json(k)}: "
                items.append(key + render(v, depth + 1, len(key)))
            return "{\n" + ",\n".join(items) + "\n" + " " * (depth * INDENT) + "}"
        items = [pad + render(v, depth + 1, len(pad)) for v in node]
        return "[\n" + ",\n".join(items) + "\n" + " " * (depth * INDENT) + "]"

    flat(data)
    return render(data, 0) + "\n"


_STRING = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes for a str (C)


def _json(value: Any) -> str:
    if isinstance(value, str):
        return _STRING(value)
    if value is True or value is False or value is None or type(value) is not int:
        return json.dumps(value, ensure_ascii=False)
    return str(value)
