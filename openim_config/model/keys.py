"""The key tree of the source model, used to map ``OPENIM_GEN_*`` variable names to keys."""

from functools import cache
from typing import Any

from openim_config.catalog import load_catalog
from openim_config.errors import Path as KeyPath


@cache
def model_schema() -> dict[str, Any]:
    """The model's JSON schema, by the keys a user writes."""
    from openim_config.model import OpenIM

    return OpenIM.model_json_schema(by_alias=True)


def dereference(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` followed."""
    while "$ref" in node:
        node = model_schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def mapping_values(node: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a free-form mapping's values (``additionalProperties``, or the one
    ``patternProperties`` entry pydantic writes for constrained keys); None: not a mapping."""
    if isinstance(node.get("additionalProperties"), dict):
        return node["additionalProperties"]  # type: ignore[no-any-return]
    patterns = list(node.get("patternProperties", {}).values())
    return patterns[0] if len(patterns) == 1 else None


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    node = dereference(node)
    for variant in node.get("anyOf", []):
        if "properties" in variant or "$ref" in variant or mapping_values(variant) is not None:
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
    node = _resolve(model_schema())
    for depth, part in enumerate(path):
        props = node.get("properties", {})
        if part in props:
            node = _resolve(props[part])
        elif (values := mapping_values(node)) is not None and str(part) in _dict_keys(path[:depth]):
            node = _resolve(values)
        else:
            return []
    return list(node.get("properties", {})) + _dict_keys(path)
