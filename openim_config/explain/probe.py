"""Distinct values to set a model key to, so that what changes in the artifacts shows where
the key flows. Each candidate is judged by the model itself (types, patterns, domain rules):
the first one that builds is the probe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from openim_config.errors import Path as KeyPath
from openim_config.explain.paths import child, is_secret
from openim_config.loader import typed_value

PROBE_SECRET = "explain-probe-credential-7d3f9a2c41b8e605"
"""The credential a probe sets: never one of the user's."""

_STRINGS = (
    "probe.example.com",
    "probe",
    "/srv/explain-probe",
    "probe.example.com:1234",
    "http://probe.example.com:10002",
    "https://probe.example.com/",
    "wss://probe.example.com",
    "registry.example.com/probe",
    "registry.example.com/probe/image:1.0",
    "probe@example.com",
    "3",
    "750m",
    "2Gi",
    "1m",
    "/explain-probe",
    "10.0.0.99",
)


def _fits(value: str, schema: dict[str, Any]) -> bool:
    pattern = schema.get("pattern")
    if pattern is not None and not re.search(pattern, value):
        return False
    if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 30):
        return False
    return bool(typed_value(value) == value)  # --set would read it as this very string


def _strings(current: Any, schema: dict[str, Any]) -> Iterator[str]:
    own = [f"{current}-probe", f"probe-{current}", f"{current}2"] if isinstance(current, str) and current else []
    for value in [*own, *_STRINGS]:
        if value != current and _fits(value, schema):
            yield value


def _ints(current: Any, schema: dict[str, Any]) -> Iterator[int]:
    low = schema["minimum"] if "minimum" in schema else schema["exclusiveMinimum"] + 1 if "exclusiveMinimum" in schema else None
    high = schema["maximum"] if "maximum" in schema else schema["exclusiveMaximum"] - 1 if "exclusiveMaximum" in schema else None
    if isinstance(current, int) and not isinstance(current, bool):
        values = [current + step for step in (1, -1, 2, 7, 101, 1009, -1009)]
    else:
        values = [low if low is not None else 1, 2, 3, 8, 100]
    for value in values:
        if (low is None or value >= low) and (high is None or value <= high) and value != current:
            yield value


def scalars(current: Any, schema: dict[str, Any]) -> Iterator[Any]:
    """Values of ``schema``'s type other than ``current``, nearest first."""
    variants = [schema, *[v for v in schema.get("anyOf", []) if v.get("type") != "null"]]
    for variant in variants:
        if "enum" in variant or "const" in variant:
            options = variant.get("enum", [variant.get("const")])
            yield from (o for o in options if o != current and o is not None)
        kind = variant.get("type")
        if kind == "boolean":
            yield not current if isinstance(current, bool) else True
        elif kind == "integer":
            yield from _ints(current, variant)
        elif kind == "number":
            yield (current + 0.5) if isinstance(current, (int, float)) else 1.5
        elif kind == "string" and "enum" not in variant:
            yield from _strings(current, variant)


def candidates(path: KeyPath, current: Any, schema: dict[str, Any]) -> Iterator[tuple[KeyPath, Any]]:
    """``(key path to set, value)`` pairs that make ``path`` differ, each settable as ``--set``:
    a scalar at the key, the first item of a list, the first leaf of an object."""
    if is_secret(schema):
        yield path, PROBE_SECRET
        return
    if schema.get("type") == "array":
        items = child(schema, 0)
        first = current[0] if isinstance(current, list) and current else None
        if items is not None:
            yield from candidates((*path, 0), first, items)
        return
    if "properties" in schema:
        for key in schema["properties"]:
            sub = child(schema, key)
            value = current.get(key) if isinstance(current, dict) else None
            if sub is not None:
                yield from candidates((*path, key), value, sub)
        return
    for value in scalars(current, schema):
        yield path, value


def set_text(value: Any) -> str | None:
    """``value`` as ``--set`` writes it, or None when ``--set`` cannot say it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if typed_value(text) == value else None
