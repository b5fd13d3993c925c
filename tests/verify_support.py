"""Helpers for the verify tests: copy a built case and edit one artifact the way a person would."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


def copy_case(built: Path, dest: Path) -> Path:
    shutil.copytree(built, dest, symlinks=True)
    return dest


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    """Round-trip edit (comments and layout kept), as a hand edit would."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)


def mappings(node: Any) -> Iterator[Any]:
    """Every mapping inside ``node`` (depth first)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from mappings(value)
    elif isinstance(node, list):
        for value in node:
            yield from mappings(value)


def find_mapping(node: Any, predicate: Callable[[Any], bool]) -> Any:
    found = next((m for m in mappings(node) if predicate(m)), None)
    assert found is not None, "no such mapping in the artifact: the layout changed, adapt the test"
    return found
