"""The compiled text templates: exactly what this Jinja makes of the sources, and used."""

from __future__ import annotations

import subprocess
import sys
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


@pytest.mark.parametrize(("target", "imported"), [("helm", False), ("compose", False), ("binary", True)])
def test_jinja_is_imported_only_by_a_target_that_renders_a_template(tmp_path: Path, target: str, imported: bool) -> None:
    """The chart's templates are Helm's and Compose has none: building them never pays for
    importing Jinja; the binary target's units and script are Jinja templates."""
    script = (
        "import sys\n"
        "from openim_config.cli import main\n"
        f"main(['build', '-t', '{target}', '-o', sys.argv[1]])\n"
        "print('jinja2' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], capture_output=True, text=True, check=True)
    assert proc.stdout.split()[-1] == str(imported)
