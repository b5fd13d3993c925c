"""Property: any valid model builds in every target, Compose accepts its file, Helm renders
its chart, and `verify` finds the three targets agree."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openim_config import artifacts, build, yamlio
from openim_config.loader import Source
from openim_config.verify import verify
from tests import consumers

SCALABLE = ("openim-push", "openim-msgtransfer", "openim-rpc-user", "openim-rpc-msg", "openim-api")
EXTERNAL_PORTS = {"mongodb": 27017, "redis": 6379, "kafka": 9092, "etcd": 2379, "minio": 9000}


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    services: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(SCALABLE), unique=True, max_size=3)):
        services[name] = {"instances": draw(st.integers(1, 3))}
    gateways = draw(st.integers(1, 3))
    gateway: dict[str, Any] = {"instances": gateways}
    if draw(st.booleans()):  # explicit ports, from a range nothing else uses
        gateway["ports"] = {
            kind: [base + i for i in range(gateways)] for kind, base in (("ws", 41000), ("grpc", 41100), ("metrics", 41200))
        }
    services["openim-msggateway"] = gateway
    if draw(st.booleans()):
        services["openim-crontask"] = {"enabled": False}
    infra: dict[str, Any] = {}
    for component, port in EXTERNAL_PORTS.items():
        if draw(st.booleans()):
            nodes = draw(st.integers(1, 2))
            infra[component] = {"mode": "external", "address": [f"{component}-{i}.ext.example:{port}" for i in range(nodes)]}
    return {
        "publicHost": "im.example.test",
        "chat": {"enabled": draw(st.booleans())},
        "services": services,
        "infra": infra,
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_every_valid_model_builds_passes_its_consumers_and_agrees(model: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="openim-prop-") as tmp:
        root = Path(tmp)
        source = root / "openim.yaml"
        source.write_text(yamlio.dump(model))
        plan = build.plan_for(Source([source], environ={}))
        out = root / "deploy"
        artifacts.write(out, build.render(plan, ["binary", "compose", "helm"]))
        consumers.compose_config_quiet(out / "compose/compose.yaml")
        report = verify(out)
        assert report.agree, yamlio.dump(model) + "\n".join(str(f) for f in report.findings)
        rows = {(r.subject, r.fact): r for r in report.rows}
        gateways = model["services"]["openim-msggateway"]["instances"]
        assert rows["openim-msggateway", "instances"].values == {"binary": gateways, "compose": gateways, "helm": gateways}
