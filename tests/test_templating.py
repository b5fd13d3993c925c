"""The compiled text templates: exactly what this Jinja makes of the sources, and used."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from openim_config import templating


@pytest.mark.parametrize("folder", templating.TEXT_TEMPLATES)
def test_compiled_templates_are_what_jinja_makes_of_the_sources(folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    committed = templating.COMPILED / folder
    monkeypatch.setattr(templating, "COMPILED", tmp_path)
    templating.compile_templates(folder)
    fresh = {p.name: p.read_bytes() for p in sorted((tmp_path / folder).iterdir())}
    on_disk = {p.name: p.read_bytes() for p in sorted(committed.iterdir()) if p.is_file()}
    assert on_disk == fresh, "templates changed: run `python -m openim_config.templating` and commit the result"


@pytest.mark.parametrize("folder", templating.TEXT_TEMPLATES)
def test_a_run_uses_them_or_the_sources_when_stale(folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    templating._env.cache_clear()
    try:
        assert isinstance(templating._env(folder).loader, jinja2.ModuleLoader)
        stale = tmp_path / folder
        stale.mkdir()
        (stale / templating.STAMP).write_text('{"jinja2": "0.0", "templates": {}}\n')
        monkeypatch.setattr(templating, "COMPILED", tmp_path)
        templating._env.cache_clear()
        assert isinstance(templating._env(folder).loader, jinja2.FileSystemLoader)
    finally:
        templating._env.cache_clear()
