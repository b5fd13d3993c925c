"""placeholder"""
from __future__ import annotations
from openim_config.artifacts import Artifact
from openim_config.plan import Plan
def render(plan: Plan) -> list[Artifact]:
    return []
