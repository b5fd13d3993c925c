"""The pipeline the CLI drives: inputs -> model -> plan -> rendered targets."""

from __future__ import annotations

from collections.abc import Sequence

from openim_config.artifacts import Artifact, gitignore
from openim_config.errors import UserError
from openim_config.loader import ModelError, Source, load
from openim_config.plan import Plan, build_plan, domain_problems

__all__ = ["notes", "plan_for", "render"]


def plan_for(source: Source) -> Plan:
    """Every problem of the input in one run: syntax and types, then the domain rules checked
    on what is valid (so a misspelt service name shows up beside a wrong type)."""
    try:
        model, prov = load(source)
    except ModelError as exc:
        extra = domain_problems(exc.partial, exc.prov, exc.pruned) if exc.partial is not None else []
        raise UserError([*exc.problems, *extra]) from None
    return build_plan(model, prov)


def render(plan: Plan, targets: Sequence[str]) -> dict[str, list[Artifact]]:
    from openim_config.targets import TARGETS  # the templates and serializers: only to render

    out = {}
    for name in targets:
        artifacts = list(TARGETS[name].render(plan))
        out[name] = sorted([*artifacts, gitignore(artifacts)], key=lambda a: a.path)
    return out


def notes(plan: Plan, targets: Sequence[str]) -> list[str]:
    """``<target>: <what it does instead>`` for the chosen targets."""
    from openim_config.targets import TARGETS

    return [f"{name}: {note}" for name in targets for note in TARGETS[name].notes(plan)]
