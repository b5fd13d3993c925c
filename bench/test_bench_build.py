"""Benchmarks (not tests): how long the stages take on the golden models.

Run: `.venv/bin/python -m pytest bench --benchmark-only` (machines are noisy, so speed is
measured here, never asserted in the test suite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openim_config import artifacts, build
from openim_config.loader import Source, load
from openim_config.plan import build_plan
from tests.scenarios import CASES, TARGET_NAMES, model_file


@pytest.mark.parametrize("case", CASES)
def test_load_and_plan(benchmark: Any, case: str) -> None:
    source = Source(files=[model_file(case)], environ={})
    benchmark(lambda: build_plan(*load(source)))


@pytest.mark.parametrize("target", TARGET_NAMES)
@pytest.mark.parametrize("case", CASES)
def test_render(benchmark: Any, case: str, target: str) -> None:
    plan = build.plan_for(Source(files=[model_file(case)], environ={}))
    benchmark(lambda: build.render(plan, (target,)))


def test_check_against_disk(benchmark: Any, tmp_path: Path) -> None:
    plan = build.plan_for(Source(environ={}))
    rendered = build.render(plan, TARGET_NAMES)
    artifacts.write(tmp_path, rendered)
    benchmark(lambda: artifacts.compare(tmp_path, rendered))
