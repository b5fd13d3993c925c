"""`pip install .` (not only editable) ships everything the installed tool reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_templates_and_catalog(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("openim_gen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(REPO).as_posix() for p in (REPO / "templates").rglob("*") if p.is_file()}
    assert shipped and {f"openim_config/{n}" for n in shipped} <= names
    catalog = {p.relative_to(REPO).as_posix() for p in (REPO / "openim_config/catalog/lines").rglob("*") if p.is_file()}
    assert catalog <= names
    assert not [n for n in names if n.startswith(("tests/", "deploy/"))]
