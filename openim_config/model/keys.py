"""The key tree of the source model, used to map ``OPENIM_GEN_*`` variable names to keys."""

from __future__ import annotations

from functools import cache
from typing import Any

from openim_config.catalog import load_catalog
from openim_config.errors import Path as KeyPath


@cache
def _schema() -> dict[str, Any]:
    from openim_config.model import OpenIM

    return OpenIM.model_json_schema(by_alias=True)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = _schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    for variant in node.get("anyOf", []):
        if "properties" in variant or "$ref" in variant or "additionalProperties" in variant:
            return _resolve(variant)
    return node


def _dict_keys(path: KeyPath) -> list[str]:
    """Names a free-form mapping can hold at ``path``."""
    from openim_config.model import VOLUMES

    if path == ("services",):
        return sorted(load_catalog("3.8").binaries)
    if path == ("storage",):
        return list(VOLUMES)
    if len(path) == 3 and path[0] == "services" and path[2] == "ports":
        return ["http", "ws", "grpc", "metrics"]
    return []


def known_keys(path: KeyPath) -> list[str]:
    node = _resolve(_schema())
    for depth, part in enumerate(path):
        props = node.get("properties", {})
        if part in props:
            node = _resolve(props[part])
        elif isinstance(node.get("additionalProperties"), dict) and str(part) in _dict_keys(path[:depth]):
            node = _resolve(node["additionalProperties"])
        else:
            return []
    return list(node.get("properties", {})) + _dict_keys(path)
