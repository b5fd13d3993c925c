"""The compiled catalog a run reads is exactly its YAML sources."""

from __future__ import annotations

import json

import pytest

from openim_config.catalog import COMPILED, LINES, _line_dir, compile_catalog, load_catalog


@pytest.mark.parametrize("line", LINES)
def test_compiled_catalog_is_fresh(line: str) -> None:
    compiled = (_line_dir(line) / COMPILED).read_text(encoding="utf-8")
    assert compiled == compile_catalog(line), f"lines/{line}/{COMPILED} is stale: run `python -m openim_config.catalog`"


@pytest.mark.parametrize("line", LINES)
def test_json_keeps_every_key_and_value_of_the_yaml(line: str) -> None:
    # JSON turns a non-string key into a string: the upstream documents have none, or this fails.
    from openim_config import yamlio

    root = _line_dir(line)
    for product, docs in load_catalog(line).documents.items():
        for name, doc in docs.items():
            assert doc == yamlio.load_plain((root / product / name).read_text(encoding="utf-8")), f"{product}/{name}"
    assert json.loads(compile_catalog(line))["binaries"].keys() == load_catalog(line).binaries.keys()
