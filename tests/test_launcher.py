"""``openim-gen --version`` and ``--help`` answered without click print exactly what click
would, and import nothing heavy to do it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from openim_config import launcher

SCRIPT = str(Path(sys.executable).with_name("openim-gen"))
"""The installed command (bin/openim-gen), as a user runs it."""


def _script(*args: str, columns: str = "80") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": columns}
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, env=env, check=False)


def _click(*args: str, columns: str = "80") -> subprocess.CompletedProcess[str]:
    code = f"import sys; from openim_config.cli import main; sys.exit(main({list(args)!r}))"
    env = {**os.environ, "COLUMNS": columns}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)


def test_help_file_is_clicks_rendering() -> None:
    assert Path(launcher.HELP).read_text(encoding="utf-8") == launcher.render_help(), (
        "openim_config/help.txt is stale: run `python -m openim_config.launcher`"
    )


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["-h"]])
@pytest.mark.parametrize("columns", ["80", "200", "60"])
def test_quick_answers_equal_clicks(args: list[str], columns: str) -> None:
    quick, slow = _script(*args, columns=columns), _click(*args, columns=columns)
    assert (quick.returncode, quick.stdout, quick.stderr) == (slow.returncode, slow.stdout, slow.stderr)


def test_quick_answers_import_neither_click_nor_the_model() -> None:
    code = (
        "import sys; from openim_config import launcher; launcher.quick_answer(['--help']); launcher.quick_answer(['--version']);"
        "heavy = ('click', 'pydantic', 'ruamel', 'jinja2');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith('openim_config.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "['openim_config.launcher']"


def test_a_command_imports_only_what_it_needs() -> None:
    code = (
        "import sys; from openim_config.cli import main; main(['validate']);"
        "rendering = ('openim_config.verify', 'openim_config.bundle', 'openim_config.targets');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('deepdiff', 'jinja2') or m.startswith(rendering)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/").stdout.strip().splitlines()[-1]
    assert out == "[]", "validate reads the model and plans; it renders nothing"
