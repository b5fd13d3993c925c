from __future__ import annotations

from pathlib import Path

import pytest

from openim_config import artifacts
from tests.scenarios import CASES, render_case, secret_env


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden/*/expected from the current code")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every golden case built to disk once (secret files included), by case name."""
    out: dict[str, Path] = {}
    with secret_env():
        for case in CASES:
            root = tmp_path_factory.mktemp(f"built-{case}")
            artifacts.write(root, render_case(case))
            out[case] = root
    return out
