"""Shared by the Helm tests: write a chart from a plan, render it through Helm, pick objects."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openim_config import artifacts, yamlio
from openim_config.model import OpenIM
from openim_config.plan import Plan, build_plan
from openim_config.targets import helm
from tests import consumers as c

CRDS = ("ServiceMonitor", "PrometheusRule")
"""Kinds from CRDs (no schema bundled with kubernetes-validate)."""


def chart(plan: Plan, root: Path) -> Path:
    artifacts.write(root, {"helm": helm.render(plan)})
    return root / "helm"


def model_chart(data: Mapping[str, Any], root: Path) -> tuple[Plan, Path]:
    plan = build_plan(OpenIM.model_validate(data))
    return plan, chart(plan, root)


def template(plan: Plan, chart_dir: Path, sets: Mapping[str, str] | None = None, secrets: bool = True) -> list[dict[str, Any]]:
    target = plan.model.targets.helm
    values = [chart_dir / helm.SECRETS_FILE] if secrets else []
    return c.helm_template(chart_dir, target.release, target.namespace, values, sets)


def validate(docs: list[dict[str, Any]]) -> None:
    c.kube_validate(docs, allow_unknown_kinds=CRDS)


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


def names(docs: list[dict[str, Any]], kind: str) -> set[str]:
    return {d["metadata"]["name"] for d in docs if d["kind"] == kind}


def config(docs: list[dict[str, Any]], plan: Plan, product: str, file: str) -> Any:
    cm = one(docs, "ConfigMap", f"{plan.model.targets.helm.release}-{product}-config")
    return yamlio.load_plain(cm["data"][file])


def pod(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The pod template (metadata and spec) of a Deployment or StatefulSet."""
    template_: dict[str, Any] = one(docs, kind, name)["spec"]["template"]
    return template_
