"""Monitoring that works: Grafana's URL reaches the admin front, Grafana can be embedded,
node-exporter reports the host, Alertmanager gets its receivers' credentials at start (and
nowhere else), and the chart hands the same alert rules to the cluster's Prometheus."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from openim_config import artifacts, yamlio
from openim_config.plan import Plan
from tests import consumers as c
from tests.helm_support import one, validate
from tests.scenarios import SECRET_ENV, plan_case, render_case, secret_env
from tests.startup.processes import render_chart

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    root = tmp_path_factory.mktemp("monitoring")
    with secret_env():
        artifacts.write(root, render_case("production"))
        return plan_case("production"), root


def _compose(root: Path) -> dict[str, Any]:
    return c.compose_config(root / "compose/compose.yaml")["services"]  # type: ignore[no-any-return]


def test_alertmanager_reads_its_receivers_credentials_at_start(production: tuple[Plan, Path], tmp_path: Path) -> None:
    """The container's own start script, run by the real sh and awk: the configuration it
    hands Alertmanager holds the credentials exactly; the file on disk holds none."""
    _, root = production
    svc = _compose(root)["alertmanager"]
    on_disk = next(v["source"] for v in svc["volumes"] if v["target"] == "/etc/alertmanager/alertmanager.yml")
    text = Path(on_disk).read_text()
    assert SECRET_ENV["ALERT_SMTP_PASSWORD"] not in text and "golden-webhook-token" not in text
    entry = [a.replace("$$", "$") for a in svc["entrypoint"]]  # what the container gets from Compose
    assert entry[:2] == ["sh", "-c"]
    script = (
        entry[2].replace("/tmp/alertmanager.yml", f"{tmp_path}/alertmanager.yml").replace("/etc/alertmanager/alertmanager.yml", on_disk)
    )
    script = script.replace("exec /bin/alertmanager", "echo")
    env = {"PATH": "/usr/bin:/bin", **{k: v for k, v in svc["environment"].items() if v is not None}}
    proc = subprocess.run(["/bin/sh", "-c", script, *entry[3:], *svc["command"]], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"--config.file={tmp_path}/alertmanager.yml" in proc.stdout and "--web.listen-address=:9093" in proc.stdout
    started = yamlio.load_plain((tmp_path / "alertmanager.yml").read_text())
    (receiver,) = started["receivers"]
    assert receiver["email_configs"][0]["auth_password"] == SECRET_ENV["ALERT_SMTP_PASSWORD"]
    assert receiver["webhook_configs"][0]["url"] == SECRET_ENV["ALERT_WEBHOOK_URL"]
    assert (root / "compose/secrets/alertmanager.env").stat().st_mode & 0o777 == 0o600


def test_grafana_is_where_openim_api_says_and_can_be_embedded(production: tuple[Plan, Path]) -> None:
    plan, root = production
    grafana = _compose(root)["grafana"]["environment"]
    assert grafana["GF_SERVER_ROOT_URL"] == "https://grafana.example.com/"
    assert grafana["GF_SECURITY_ALLOW_EMBEDDING"] == "true"
    # SameSite=None for a cross-site frame, which browsers only keep over HTTPS.
    assert (grafana["GF_SECURITY_COOKIE_SAMESITE"], grafana["GF_SECURITY_COOKIE_SECURE"]) == ("none", "true")
    for flavour in ("host", "compose", "kubernetes"):
        api = plan.documents[flavour]["server"]["openim-api.yml"]
        assert api["prometheus"]["grafanaURL"] == "https://grafana.example.com/", flavour


def test_grafana_url_defaults_to_the_public_host() -> None:
    plan = plan_case("two-hosts")  # monitoring on, no grafanaUrl
    flavours = ("host", "compose", "kubernetes")
    docs = {f: plan.documents[f]["server"]["openim-api.yml"]["prometheus"]["grafanaURL"] for f in flavours}  # type: ignore[index]
    assert docs == {"host": "http://im.example.org:13000/", "compose": "http://im.example.org:13000/", "kubernetes": ""}
    default = plan_case("default").documents["compose"]["server"]["openim-api.yml"]
    assert default["prometheus"]["grafanaURL"] == ""


def test_node_exporter_reports_the_host(production: tuple[Plan, Path]) -> None:
    plan, root = production
    exporter = _compose(root)["node-exporter"]
    assert exporter["network_mode"] == "host" and exporter["pid"] == "host"
    assert [(v["source"], v["target"], v["read_only"]) for v in exporter["volumes"]] == [("/", "/host", True)]
    assert "--path.rootfs=/host" in exporter["command"]
    prometheus = yamlio.load_plain((root / "compose/monitoring/prometheus.yml").read_text())
    job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "node-exporter")
    assert job["static_configs"][0]["targets"] == [f"host.docker.internal:{plan.model.monitoring.node_exporter_port}"]
    assert _compose(root)["prometheus"]["extra_hosts"] == ["host.docker.internal=host-gateway"]


def test_the_chart_hands_the_alert_rules_to_the_cluster(production: tuple[Plan, Path]) -> None:
    plan, root = production
    with secret_env():
        docs = render_chart(plan, root)
    validate(docs)
    rule = one(docs, "PrometheusRule", "im-openim")
    groups = yamlio.load_plain((root / "compose/monitoring/instance-down-rules.yml").read_text())["groups"]
    assert rule["spec"]["groups"] == groups, "the same rules as the binary and compose targets' Prometheus"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_build_says_what_the_chart_does_with_monitoring(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from openim_config.cli import cli

    model = tmp_path / "openim.yaml"
    model.write_text("monitoring: {enabled: true}\nfronts: {web: {enabled: true}}\n")
    result = CliRunner().invoke(cli, ["build", "-f", str(model), "-t", "helm", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "note: helm: monitoring: the chart runs Prometheus" in result.output and "no node-exporter" in result.output
    assert "not part of the chart" not in result.output, "the chart runs the fronts"
    assert "note: helm: fronts.web: the pages call the APIs at https://<their host>/api" in result.output
    result = CliRunner().invoke(cli, ["build", "-f", str(model), "-t", "compose", "-o", str(tmp_path / "out")])
    assert "note:" not in result.output
