"""Settings a target does not use, said whenever they are set: never accepted in silence.

Each target lists the model keys it has no use for, with why (``<key>`` stands for every
name of a mapping, e.g. every service). ``build`` prints, for the targets it writes, each
such key whose value differs from the default.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from openim_config.model import OpenIM
from openim_config.plan import Plan

__all__ = ["set_but_unused"]

DIGESTS = {"secrets": "digest"}
"""Credentials compared by digest: a changed one counts as set, and none is shown."""

Unused = Sequence[tuple[str, str]]
"""(model key, what the target does instead)."""


@cache
def _defaults() -> dict[str, Any]:
    return OpenIM().model_dump(by_alias=True, mode="json", context=DIGESTS)


def _values(data: Any, parts: Sequence[str], path: str = "") -> Iterator[tuple[str, Any]]:
    if not parts:
        yield path, data
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(data, dict):
        return
    names = sorted(data) if head == "<key>" else [head] if head in data else []
    for name in names:
        yield from _values(data[name], rest, f"{path}.{name}" if path else name)


def _default_of(path: str) -> Any:
    node: Any = _defaults()
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


_MISSING = object()


def _is_default(path: str, value: Any) -> bool:
    default = _default_of(path)
    if default is _MISSING:  # under a mapping entry the model does not have by default (a service)
        leaf = path.rsplit(".", 1)[-1]
        return value in (None, [], {}, "") or (leaf == "enabled" and value is True)
    return bool(value == default)


def set_but_unused(plan: Plan, target: str, unused: Unused) -> list[str]:
    """One note per reason: the keys set (not at their default) that ``target`` does not use."""
    data = plan.model.model_dump(by_alias=True, mode="json", context=DIGESTS)
    by_reason: dict[str, list[str]] = {}
    for key, reason in unused:
        found = [path for path, value in _values(data, key.split(".")) if not _is_default(path, value)]
        by_reason.setdefault(reason, []).extend(found)
    return [
        f"{', '.join(found)} {'is' if len(found) == 1 else 'are'} set, but the {target} target {reason}"
        for reason, found in by_reason.items()
        if found
    ]
