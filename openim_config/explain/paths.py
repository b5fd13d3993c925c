"""Model paths as ``explain`` takes them, read against the model's own schema, so a section
added to the model is explained without a change here.

``services.openim-api.ports.http``, ``admins[0].userID``; a key that holds a dot (an upstream
file name such as ``share.yml``) is found by matching the longest known key, or written ``share\\.yml``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from openim_config.errors import Path as KeyPath
from openim_config.model import OpenIM, SecretRef
from openim_config.model.keys import dereference, known_keys, mapping_values, model_schema

MISSING = object()
"""A free-form mapping without the key (the plan decides the value)."""


class PathError(ValueError):
    """A path that names no key of the model: the message says the nearest ones."""


def node(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its reference followed and an optional (``anyOf`` with null) unwrapped
    to the variant that holds something; a credential stays whole (title ``Secret``)."""
    schema = dereference(schema)
    if schema.get("title") == "Secret":
        return schema
    variants = [dereference(v) for v in schema.get("anyOf", []) if v.get("type") != "null"]
    if len(variants) == 1 and schema.get("title") != "Secret":
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **variants[0]}
    return schema


def is_secret(schema: dict[str, Any]) -> bool:
    return schema.get("title") == "Secret"


def child(schema: dict[str, Any], part: str | int) -> dict[str, Any] | None:
    """The schema of ``part`` inside ``schema``; None: no such key."""
    if isinstance(part, int):
        return node(schema["items"]) if isinstance(schema.get("items"), dict) else None
    if part in schema.get("properties", {}):
        return node(schema["properties"][part])
    values = mapping_values(schema)
    return node(values) if values is not None else None


def schema_at(path: KeyPath) -> dict[str, Any] | None:
    current: dict[str, Any] | None = node(model_schema())
    for part in path:
        if current is None or is_secret(current):
            return None
        current = child(current, part)
    return current


def names(schema: dict[str, Any], path: KeyPath, data: Any) -> list[str]:
    """The keys a mapping at ``path`` can hold that are known: its properties, the names its
    keys are limited to, the model's own names (services, volumes) and those the input gives."""
    out = list(schema.get("properties", {}))
    out += [str(n) for n in schema.get("propertyNames", {}).get("enum", [])]
    if all(isinstance(p, str) for p in path):
        out += known_keys(path)
    if isinstance(data, dict):
        out += [str(k) for k in data]
    return sorted(set(out), key=out.index)


def _segments(text: str) -> list[tuple[str, list[int]]]:
    segments = []
    for raw in re.split(r"(?<!\\)\.", text):
        match = re.fullmatch(r"([^\[\]]*)((?:\[[0-9]+\])*)", raw.replace("\\.", "."))
        if not match or not match.group(1):
            raise PathError(f"malformed key {text!r}: write dotted.keys and list[0] indexes")
        segments.append((match.group(1), [int(i) for i in re.findall(r"\[([0-9]+)\]", match.group(2))]))
    return segments


def parse(text: str, data: Any) -> KeyPath:
    """``text`` -> a key path of the model (``data``: the model as plain data, for the names it
    gives). An unknown key is a :class:`PathError` with the nearest known one."""
    segments = _segments(text)
    path: list[str | int] = []
    here: dict[str, Any] | None = node(model_schema())
    i = 0
    while i < len(segments):
        if here is None or is_secret(here):
            raise PathError(f"{_show(path)} has no keys inside: it is a single value")
        options = names(here, tuple(path), _walk(data, tuple(path)))
        found = None
        for j in range(len(segments), i, -1):  # the longest run of segments that is one key
            joined = ".".join(s for s, _ in segments[i:j])
            if all(not idx for _, idx in segments[i : j - 1]) and joined in options:
                found = j
                break
        if found is None:
            name = segments[i][0]
            if mapping_values(here) is None or names(here, tuple(path), None):  # a closed set of names
                near = difflib.get_close_matches(name, options, n=1)
                hint = f"; did you mean {_show([*path, near[0]])!r}?" if near else ""
                where = f"in {_show(path)}" if path else "at the top level"
                raise PathError(f"no key {name!r} {where}{hint}")
            found = i + 1
        key = ".".join(s for s, _ in segments[i:found])
        here = child(here, key)
        path.append(key)
        for index in segments[found - 1][1]:
            if here is None or here.get("type") != "array":
                raise PathError(f"{_show(path)} is not a list: [{index}] indexes nothing")
            here = child(here, index)
            path.append(index)
        i = found
    return tuple(path)


def _walk(data: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def _show(path: list[str | int] | KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "<root>"


show = _show


def set_key(path: KeyPath) -> str:
    """The ``--set`` spelling of ``path`` (a dot inside a key escaped)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part).replace(".", "\\.")
    return out


def value_at(model: OpenIM, path: KeyPath) -> Any:
    """The model's object at ``path`` (a pydantic model, a SecretRef, plain data), or MISSING."""
    here: Any = model
    for part in path:
        if isinstance(here, BaseModel) and isinstance(part, str):
            fields = type(here).model_fields
            name = next((n for n, f in fields.items() if part in (f.alias, n)), None)
            if name is None:
                return MISSING
            here = getattr(here, name)
        elif isinstance(here, dict):
            here = here.get(part, MISSING)
        elif isinstance(here, list) and isinstance(part, int) and part < len(here):
            here = here[part]
        else:
            return MISSING
        if here is MISSING or here is None:
            return here
    return here


def plain(value: Any) -> Any:
    """What ``explain`` prints for a value: a credential only as its reference."""
    if isinstance(value, SecretRef):
        return reference(value)
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, mode="json")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def reference(ref: SecretRef) -> Any:
    if ref.env is not None:
        return {"env": ref.env}
    if ref.file is not None:
        return {"file": ref.file}
    return "<literal credential: not shown>"


def leaves(model: OpenIM) -> Iterator[KeyPath]:
    """Every leaf key of ``model`` as a concrete path: mapping keys the model names (services,
    volumes, a mapping's enumerated keys) or the input gives; a list of objects is one leaf."""
    data = model.model_dump(by_alias=True, mode="json")
    yield from _leaves(node(model_schema()), (), data)


def _leaves(schema: dict[str, Any], path: KeyPath, data: Any) -> Iterator[KeyPath]:
    if is_secret(schema):
        yield path
    elif "properties" in schema:
        for key in schema["properties"]:
            sub = child(schema, key)
            if sub is not None:
                yield from _leaves(sub, (*path, key), _walk(data, (key,)))
    elif mapping_values(schema) is not None:
        sub = child(schema, "*")
        for key in names(schema, path, data):
            if sub is not None:
                yield from _leaves(sub, (*path, key), _walk(data, (key,)))
    elif path:
        yield path
