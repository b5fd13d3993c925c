"""Deployment targets. Each is a module with a ``render(plan) -> list[Artifact]``; adding a
target is a module here, one line in ``TARGETS``, a ``templates/<name>/`` folder and a golden case."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from openim_config.artifacts import Artifact
from openim_config.names import TARGET_NAMES
from openim_config.plan import Plan
from openim_config.targets import binary, compose, helm

__all__ = ["TARGETS", "Target"]


class Target(Protocol):
    def render(self, plan: Plan) -> Sequence[Artifact]: ...

    def notes(self, plan: Plan) -> list[str]:
        """What the target does instead with parts of the model it does not deploy (``build`` prints them)."""
        ...


TARGETS: dict[str, Target] = {"binary": binary, "compose": compose, "helm": helm}
assert tuple(TARGETS) == TARGET_NAMES, "names.TARGET_NAMES lists the targets in build order"
