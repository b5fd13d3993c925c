"""Cost grows at most linearly with the deployment's size, counted in operations (Python
calls into openim-gen, files rendered), never timed: an accidental quadratic path (a scan of
every file per file, of every instance per instance) fails here on any machine."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

import openim_config
from openim_config import build
from openim_config.model import OpenIM
from openim_config.plan import build_plan
from tests.scenarios import synthetic

ROOT = os.path.dirname(openim_config.__file__)


def operations(data: dict[str, Any]) -> tuple[int, int]:
    """(calls into openim-gen's own code, files rendered) to plan and render every target,
    the second time round: what a process caches (wrapped comments, compiled templates, a
    schema environments share) is filled by the first, so every size is counted alike."""
    build.render(build_plan(OpenIM.model_validate(data)), ["binary", "compose", "helm"])
    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_filename.startswith(ROOT):
            calls += 1

    profiler: Callable[[FrameType, str, object], None] = count
    sys.setprofile(profiler)
    try:
        rendered = build.render(build_plan(OpenIM.model_validate(data)), ["binary", "compose", "helm"])
    finally:
        sys.setprofile(None)
    return calls, sum(len(artifacts) for artifacts in rendered.values())


def _marginals(sizes: list[int], costs: list[int]) -> list[float]:
    return [(costs[i + 1] - costs[i]) / (sizes[i + 1] - sizes[i]) for i in range(len(sizes) - 1)]


@pytest.mark.parametrize(
    ("axis", "models"),
    [
        ("instances", [(n, synthetic(n, 1)) for n in (64, 256, 1024)]),
        ("hosts", [(h, synthetic(128, h)) for h in (2, 16, 128)]),
    ],
)
def test_cost_per_unit_does_not_grow_with_size(axis: str, models: list[tuple[int, dict[str, Any]]]) -> None:
    sizes = [size for size, _ in models]
    calls, files = zip(*(operations(data) for _, data in models), strict=True)
    per_call = _marginals(sizes, list(calls))
    # A linear path costs the same per added unit at every size; a quadratic one 8 times more
    # per unit at the larger step here. Allow 50 % for what is rounded per unit.
    assert per_call[1] <= 1.5 * per_call[0], f"{axis}: calls per added unit {per_call} (calls {calls})"
    per_file = _marginals(sizes, list(files))
    assert per_file[1] <= 1.5 * max(per_file[0], 1 / sizes[0]), f"{axis}: files per added unit {per_file} (files {files})"


def test_the_counter_sees_a_quadratic_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The measure can fail: a target that visits every instance once per instance (planted)."""
    from openim_config.plan import Plan
    from openim_config.targets import TARGETS, compose

    class Quadratic:
        @staticmethod
        def render(plan: Plan) -> Any:
            every = [i for s in plan.services.values() for i in s.instances]
            for _ in every:
                for _ in every:
                    _touch()
            return compose.render(plan)

        notes = staticmethod(compose.notes)

    monkeypatch.setitem(TARGETS, "compose", Quadratic)
    sizes = [64, 256, 1024]
    per_call = _marginals(sizes, [operations(synthetic(n, 1))[0] for n in sizes])
    assert per_call[1] > 1.5 * per_call[0]


def _touch() -> None:
    """A function of openim-gen's tests, counted like openim-gen's own code when planted there."""


_touch.__code__ = _touch.__code__.replace(co_filename=os.path.join(ROOT, "planted.py"))
