from __future__ import annotations

from pathlib import Path

import pytest

from openim_config import artifacts
from tests.scenarios import SECRET_ENV, render_case


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden/*/expected from the current code")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every golden case built to disk once (secret files included), by case name."""
    out: dict[str, Path] = {}
    mp = pytest.MonkeyPatch()
    for key, value in SECRET_ENV.items():
        mp.setenv(key, value)
    try:
        from tests.scenarios import CASES

        for case in CASES:
            root = tmp_path_factory.mktemp(f"built-{case}")
            artifacts.write(root, render_case(case))
            out[case] = root
    finally:
        mp.undo()
    return out
