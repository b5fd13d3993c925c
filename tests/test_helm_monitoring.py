"""The chart honours `monitoring.enabled` as the other targets do: its own Prometheus (finding
every OpenIM pod through the Kubernetes API), Alertmanager and Grafana; nothing of its own when
the cluster's Prometheus operator does the work (`serviceMonitor`), nothing at all when off.

Checked through Helm's engine, kubernetes-validate (strict), checkov, Prometheus's promtool and
Alertmanager's amtool, and the containers' start scripts run by the real sh and awk.
"""

from __future__ import annotations

import base64
import copy
import re
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from openim_config import build, yamlio
from openim_config.model import OpenIM
from openim_config.plan import Plan, build_plan
from openim_config.targets.monitoring import ALERT_RULES
from tests import consumers as c
from tests.helm_support import config, model_chart, names, one, pod, template, validate

SMTP_PASSWORD = 'LEAK-smtp "quoted" \\ password'
WEBHOOK_URL = "https://hooks.example.com/alerts?token=LEAK-webhook-token"
GRAFANA_PASSWORD = "LEAK-grafana-admin"
MODEL: dict[str, Any] = {
    "services": {"openim-push": {"instances": 2}, "openim-msggateway": {"instances": 2}},
    "monitoring": {
        "enabled": True,
        "grafanaUrl": "https://grafana.example.com/",
        "grafanaAdminUser": "boss",
        "grafanaAdminPassword": GRAFANA_PASSWORD,
        "prometheusPort": 19191,
        "alertmanagerPort": 19193,
        "grafanaPort": 13001,
        "alerts": {
            "email": {
                "to": ["oncall@example.com"],
                "sender": "alerts@example.com",
                "smarthost": "smtp.example.com:587",
                "username": "alerts@example.com",
                "password": SMTP_PASSWORD,
            },
            "webhook": {"url": WEBHOOK_URL},
        },
    },
    "storage": {"prometheus-data": {"size": "20Gi"}, "grafana-data": {"size": "2Gi"}},
    "targets": {"helm": {"release": "im", "networkPolicies": True}},
}
MONITORING = ("prometheus", "alertmanager", "grafana")

pytestmark = pytest.mark.slow


def _with(**over: Any) -> dict[str, Any]:
    data = copy.deepcopy(MODEL)
    for dotted, value in over.items():
        node = data
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, list[dict[str, Any]]]:
    plan, chart_dir = model_chart(MODEL, tmp_path_factory.mktemp("monitoring-chart"))
    return plan, template(plan, chart_dir)


def _name(component: str) -> str:
    return f"im-{component}"


def _config_map(docs: list[dict[str, Any]], component: str, suffix: str = "config") -> dict[str, str]:
    return one(docs, "ConfigMap", f"{_name(component)}-{suffix}")["data"]  # type: ignore[no-any-return]


def _prometheus_config(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return yamlio.load_plain(_config_map(docs, "prometheus")["prometheus.yml"])  # type: ignore[no-any-return]


def _secret(docs: list[dict[str, Any]]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in one(docs, "Secret", "im-credentials")["data"].items()}


def _workload(docs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    (found,) = [
        d
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet")
        and d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
    return found


# ------------------------------------------------------------------------------- the objects
def test_the_chart_runs_prometheus_alertmanager_and_grafana(rendered: tuple[Plan, list[dict[str, Any]]]) -> None:
    plan, docs = rendered
    validate(docs)
    assert {_workload(docs, n)["kind"] for n in MONITORING} == {"StatefulSet", "Deployment"}
    assert _workload(docs, "prometheus")["kind"] == "StatefulSet" and _workload(docs, "grafana")["kind"] == "StatefulSet"
    mon = plan.model.monitoring
    ports = {"prometheus": mon.prometheus_port, "alertmanager": mon.alertmanager_port, "grafana": mon.grafana_port}
    for component, port in ports.items():
        service = one(docs, "Service", _name(component))
        assert [(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [("http", port, "http")]
        workload = _workload(docs, component)
        assert service["spec"]["selector"].items() <= workload["spec"]["template"]["metadata"]["labels"].items()
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        assert container["image"] == plan.extra_image(component)
        contract = plan.catalog.contracts[component]
        assert [p["containerPort"] for p in container["ports"]] == [contract.listens[0]]
    # Prometheus and Grafana keep their data in claims sized by the model's storage.
    for component, size in (("prometheus", "20Gi"), ("grafana", "2Gi")):
        (claim,) = _workload(docs, component)["spec"]["volumeClaimTemplates"]
        assert claim["spec"]["resources"]["requests"]["storage"] == size


def test_the_pods_are_hardened_and_run_as_their_images_users(rendered: tuple[Plan, list[dict[str, Any]]]) -> None:
    plan, docs = rendered
    for component in MONITORING:
        spec = _workload(docs, component)["spec"]["template"]["spec"]
        uid, _, gid = plan.catalog.contracts[component].user.partition(":")
        assert spec["securityContext"] == {
            "runAsNonRoot": True,
            "runAsUser": int(uid),
            "runAsGroup": int(gid),
            "fsGroup": int(uid),
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        (container,) = spec["containers"]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert container["readinessProbe"]["httpGet"]["port"] == "http" and container["livenessProbe"]["httpGet"]["port"] == "http"
        # Only Prometheus talks to the Kubernetes API.
        assert spec["automountServiceAccountToken"] is (component == "prometheus")


def test_prometheus_may_read_pods_in_its_namespace_only(rendered: tuple[Plan, list[dict[str, Any]]]) -> None:
    plan, docs = rendered
    namespace = plan.model.targets.helm.namespace
    assert not [d for d in docs if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    role = one(docs, "Role", _name("prometheus"))
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
    binding = one(docs, "RoleBinding", _name("prometheus"))
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": _name("prometheus")}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": _name("prometheus"), "namespace": namespace}]
    assert pod(docs, "StatefulSet", _name("prometheus"))["spec"]["serviceAccountName"] == _name("prometheus")


# ------------------------------------------------------------------------------- scraping
def _selected(sd: Mapping[str, Any], namespace: str, labels: Mapping[str, str]) -> bool:
    """Whether Kubernetes discovery (role pod) lists a pod of ``namespace`` with ``labels``."""
    if sd["role"] != "pod" or namespace not in sd["namespaces"]["names"]:
        return False
    for selector in sd.get("selectors", []):
        assert selector["role"] == "pod" and set(selector) <= {"role", "label"}, selector
        wanted = dict(term.split("=", 1) for term in selector["label"].split(","))
        if not wanted.items() <= labels.items():
            return False
    return True


def _relabel(rules: list[Mapping[str, Any]], meta: dict[str, str]) -> dict[str, str] | None:
    """Prometheus's relabelling for the rules the chart uses (keep, replace); None: dropped."""
    labels = dict(meta)
    for rule in rules:
        value = ";".join(labels.get(s, "") for s in rule.get("source_labels", []))
        action = rule.get("action", "replace")
        if action == "keep":
            if not re.fullmatch(rule["regex"], value):
                return None
        elif action == "replace":
            if re.fullmatch(rule.get("regex", "(.*)"), value):
                labels[rule["target_label"]] = rule.get("replacement", value)
        else:
            raise AssertionError(f"unexpected relabel action {action}")
    return labels


def _targets(job: Mapping[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What the job scrapes: one target per container port of every pod it discovers."""
    out = []
    for p in pods:
        for container in p["containers"]:
            for port in container.get("ports", []):
                meta = {
                    "__address__": f"{p['ip']}:{port['containerPort']}",
                    "__meta_kubernetes_pod_name": p["name"],
                    "__meta_kubernetes_pod_phase": p["phase"],
                    "__meta_kubernetes_pod_container_port_name": port.get("name", ""),
                }
                if any(_selected(sd, p["namespace"], p["labels"]) for sd in job["kubernetes_sd_configs"]):
                    kept = _relabel(job.get("relabel_configs", []), meta)
                    if kept is not None:
                        out.append(kept)
    return out


def _pods(docs: list[dict[str, Any]], namespace: str, phase: str = "Running") -> list[dict[str, Any]]:
    """The pods the workloads would run: each replica with its template's labels and containers."""
    out: list[dict[str, Any]] = []
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet"):
            template = d["spec"]["template"]
            for i in range(d["spec"].get("replicas", 1)):
                out.append(
                    {
                        "name": f"{d['metadata']['name']}-{i}",
                        "ip": f"10.1.{len(out)}.{i + 1}",
                        "namespace": namespace,
                        "phase": phase,
                        "labels": template["metadata"]["labels"],
                        "containers": template["spec"]["containers"],
                    }
                )
    return out


def test_every_openim_metrics_port_is_scraped_on_every_pod(rendered: tuple[Plan, list[dict[str, Any]]]) -> None:
    plan, docs = rendered
    jobs = {j["job_name"]: j for j in _prometheus_config(docs)["scrape_configs"]}
    with_metrics = {name: svc for name, svc in plan.services.items() if "metrics" in svc.ports}
    assert set(jobs) == set(with_metrics), "one job per OpenIM service with a metrics port, named as in the other targets"
    namespace = plan.model.targets.helm.namespace
    pods = _pods(docs, namespace)
    # Another release's pods in the same namespace are not this release's targets.
    pods += [
        {**p, "name": "other-" + p["name"], "labels": {**p["labels"], "app.kubernetes.io/instance": "other"}}
        for p in _pods(docs, namespace)
    ]
    for name, svc in with_metrics.items():
        targets = _targets(jobs[name], pods)
        (container,) = _workload(docs, name)["spec"]["template"]["spec"]["containers"]
        metrics = next(p["containerPort"] for p in container["ports"] if p["name"] == "metrics")
        assert len(targets) == len(svc.instances), f"{name}: every replica is a target"
        assert {t["__address__"].rsplit(":", 1)[1] for t in targets} == {str(metrics)}, f"{name}: its metrics port only"
        assert all(t["service"] == name and t["instance"] == t["pod"] and name in t["pod"] for t in targets)
    # A pod that is not running (evicted, finished) is not an instance to alert on.
    assert not _targets(jobs["openim-api"], _pods(docs, namespace, phase="Failed"))
    # Pods of another namespace are not listed (the Role could not list them anyway).
    assert not _targets(jobs["openim-api"], _pods(docs, "elsewhere"))


def test_the_alert_rules_are_loaded_and_alerts_reach_alertmanager(rendered: tuple[Plan, list[dict[str, Any]]], tmp_path: Path) -> None:
    plan, docs = rendered
    data = _config_map(docs, "prometheus")
    prometheus = yamlio.load_plain(data["prometheus.yml"])
    (container,) = pod(docs, "StatefulSet", _name("prometheus"))["spec"]["containers"]
    config_file = next(a.split("=", 1)[1] for a in container["args"] if a.startswith("--config.file="))
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(Path(config_file).parent))
    volume = next(v for v in pod(docs, "StatefulSet", _name("prometheus"))["spec"]["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == f"{_name('prometheus')}-config" and Path(config_file).name in data
    # Rule files are read relative to prometheus.yml: the same ConfigMap.
    assert prometheus["rule_files"] and all(f in data for f in prometheus["rule_files"])
    assert [g for f in prometheus["rule_files"] for g in yamlio.load_plain(data[f])["groups"]] == ALERT_RULES["groups"]
    (alerting,) = prometheus["alerting"]["alertmanagers"]
    assert alerting["static_configs"] == [{"targets": [f"{_name('alertmanager')}:{plan.model.monitoring.alertmanager_port}"]}]
    # Prometheus's own checker. Debian's promtool is built without Kubernetes discovery, so the
    # discovery blocks (checked above) stand in as static targets for it.
    for file, text in data.items():
        (tmp_path / file).write_text(text)
    c.promtool(["check", "rules", *(tmp_path / f for f in prometheus["rule_files"])])
    static = copy.deepcopy(prometheus)
    for job in static["scrape_configs"]:
        del job["kubernetes_sd_configs"]
        job["static_configs"] = [{"targets": ["127.0.0.1:1"]}]
    (tmp_path / "prometheus.yml").write_text(yamlio.dump(static))
    c.promtool(["check", "config", tmp_path / "prometheus.yml"])


def test_grafana_reads_prometheus_and_is_where_openim_api_says(rendered: tuple[Plan, list[dict[str, Any]]]) -> None:
    plan, docs = rendered
    provisioning = yamlio.load_plain(_config_map(docs, "grafana", "datasources")["prometheus.yml"])
    (source,) = provisioning["datasources"]
    assert (source["type"], source["access"], source["isDefault"]) == ("prometheus", "proxy", True)
    assert source["url"] == f"http://{_name('prometheus')}:{plan.model.monitoring.prometheus_port}"
    spec = pod(docs, "StatefulSet", _name("grafana"))["spec"]
    (container,) = spec["containers"]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/etc/grafana/provisioning/datasources")
    assert next(v for v in spec["volumes"] if v["name"] == mount["name"])["configMap"]["name"] == f"{_name('grafana')}-datasources"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["GF_SECURITY_ADMIN_USER"] == "boss" and env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SERVER_ROOT_URL"] == "https://grafana.example.com/"
    assert (env["GF_SECURITY_COOKIE_SAMESITE"], env["GF_SECURITY_COOKIE_SECURE"]) == ("none", "true")
    assert config(docs, plan, "server", "openim-api.yml")["prometheus"]["grafanaURL"] == "https://grafana.example.com/"


# ------------------------------------------------------------------------------- credentials
def test_credentials_reach_the_monitoring_pods_only_as_secret_files(rendered: tuple[Plan, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    secret = _secret(docs)
    assert {secret[k] for k in ("grafanaAdminPassword", "alertSmtpPassword", "alertWebhookUrl")} == {
        GRAFANA_PASSWORD,
        SMTP_PASSWORD,
        WEBHOOK_URL,
    }
    text = yamlio.dump([d for d in docs if d["kind"] != "Secret"])
    assert "LEAK" not in text, "a credential outside the Secret"
    for component, ids in (("alertmanager", {"alertSmtpPassword", "alertWebhookUrl"}), ("grafana", {"grafanaAdminPassword"})):
        spec = _workload(docs, component)["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        assert not [e for e in container.get("env", []) if "valueFrom" in e], f"{component}: credentials as variables"
        (volume,) = [v for v in spec["volumes"] if "secret" in v]
        assert volume["secret"]["secretName"] == "im-credentials"
        assert {i["key"] for i in volume["secret"]["items"]} == ids and ids <= set(secret)
        assert next(m for m in container["volumeMounts"] if m["name"] == volume["name"])["readOnly"] is True
    assert _workload(docs, "prometheus")["spec"]["template"]["spec"]["containers"][0].get("env") is None


def _script_run(script: str, paths: Mapping[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    for old, new in paths.items():
        assert old in script, old
        script = script.replace(old, new)
    return subprocess.run(
        ["/bin/sh", "-c", script, *args], env={"PATH": f"{tmp_path}:/usr/bin:/bin"}, capture_output=True, text=True, check=False
    )


def _secret_files(docs: list[dict[str, Any]], component: str, where: Path) -> None:
    """The Secret volume as the kubelet writes it: one file per item, under a hidden ..data."""
    spec = _workload(docs, component)["spec"]["template"]["spec"]
    (volume,) = [v for v in spec["volumes"] if "secret" in v]
    (where / "..data").mkdir(parents=True)
    for item in volume["secret"]["items"]:
        (where / "..data" / item["path"]).write_text(_secret(docs)[item["key"]])
        (where / item["path"]).symlink_to(Path("..data") / item["path"])


def test_alertmanager_starts_with_the_credentials_from_the_secret_files(
    rendered: tuple[Plan, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """The container's start, run by the real sh and awk against the files the kubelet mounts: the
    configuration Alertmanager gets holds the credentials exactly, and amtool accepts it."""
    _, docs = rendered
    (container,) = pod(docs, "Deployment", _name("alertmanager"))["spec"]["containers"]
    assert container["command"][:2] == ["sh", "-c"]
    secrets_dir = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "secrets")
    _secret_files(docs, "alertmanager", tmp_path / "secrets")
    (tmp_path / "alertmanager.yml").write_text(_config_map(docs, "alertmanager")["alertmanager.yml"])
    paths = {
        secrets_dir: str(tmp_path / "secrets"),
        "/etc/alertmanager/alertmanager.yml": str(tmp_path / "alertmanager.yml"),
        "/tmp/alertmanager.yml": str(tmp_path / "started.yml"),
        "exec /bin/alertmanager": "echo",
    }
    proc = _script_run(container["command"][2], paths, tmp_path, *container["command"][3:], *container["args"])
    assert proc.returncode == 0, proc.stderr
    assert f"--config.file={tmp_path}/started.yml" in proc.stdout and "--cluster.listen-address=" in proc.stdout
    started = yamlio.load_plain((tmp_path / "started.yml").read_text())
    (receiver,) = started["receivers"]
    assert receiver["email_configs"][0]["auth_password"] == SMTP_PASSWORD
    assert receiver["webhook_configs"][0]["url"] == WEBHOOK_URL
    c.amtool_check_config(tmp_path / "started.yml")


def test_grafana_resets_its_admin_password_from_the_secret_file(rendered: tuple[Plan, list[dict[str, Any]]], tmp_path: Path) -> None:
    _, docs = rendered
    (container,) = pod(docs, "StatefulSet", _name("grafana"))["spec"]["containers"]
    secrets_dir = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "secrets")
    _secret_files(docs, "grafana", tmp_path / "secrets")
    grafana = tmp_path / "grafana"  # stands in for the image's CLI: records what it is asked
    grafana.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path}/cli-args\n')
    grafana.chmod(grafana.stat().st_mode | stat.S_IXUSR)
    proc = _script_run(container["command"][2], {secrets_dir: str(tmp_path / "secrets"), "exec /run.sh": "echo started"}, tmp_path)
    assert proc.returncode == 0 and proc.stdout == "started\n", proc.stderr
    assert (tmp_path / "cli-args").read_text().splitlines()[-3:] == ["admin", "reset-admin-password", GRAFANA_PASSWORD]


# ------------------------------------------------------------------------------- network, checkov
def test_network_policies_let_prometheus_scrape_and_close_the_rest(tmp_path: Path) -> None:
    plan, chart_dir = model_chart(MODEL, tmp_path)
    docs = template(plan, chart_dir, {"networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team": "ops"})
    validate(docs)

    def sources(component: str, port: str) -> list[Any]:
        (policy,) = [
            d
            for d in docs
            if d["kind"] == "NetworkPolicy" and d["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
        ]
        rules = policy["spec"]["ingress"]
        return [r.get("from") for r in rules if {"port": port, "protocol": "TCP"} in r["ports"]]

    def components(peers: list[Any]) -> set[str]:
        return {
            v
            for p in peers or []
            for e in p.get("podSelector", {}).get("matchExpressions", [])
            if e["key"].endswith("component")
            for v in e["values"]
        }

    (metrics,) = sources("openim-api", "metrics")
    assert components(metrics) == {"prometheus"} and {"namespaceSelector": {"matchLabels": {"team": "ops"}}} in metrics
    assert [components(p) for p in sources("alertmanager", "http")] == [{"prometheus"}]
    assert [components(p) for p in sources("prometheus", "http")] == [{"grafana"}]
    assert sources("grafana", "http") == [None], "Grafana is browsers' (networkPolicy.clientFrom, empty: anyone)"


def test_checkov_finds_nothing_new_in_the_monitoring_stack(rendered: tuple[Plan, list[dict[str, Any]]], tmp_path: Path) -> None:
    _, docs = rendered
    ours = [d for d in docs if d["metadata"]["labels"]["app.kubernetes.io/component"] in MONITORING]
    failures = c.checkov_failures(ours, tmp_path)
    assert failures == {}, "fix these in the chart, or waive them there with a reason"
    # The waivers it needs, each saying why: Prometheus's API token, Grafana's own user (472).
    skips = {
        d["metadata"]["name"]: " ".join(d["metadata"].get("annotations", {}).values())
        for d in ours
        if d["kind"] in ("Deployment", "StatefulSet")
    }
    assert "CKV_K8S_38=Prometheus lists this release's pods" in skips[_name("prometheus")]
    assert "CKV_K8S_40=runs as the image's own user" in skips[_name("grafana")]


# ------------------------------------------------------------------------------- the other choices
def _monitoring_objects(docs: list[dict[str, Any]]) -> list[str]:
    return [
        f"{d['kind']}/{d['metadata']['name']}"
        for d in docs
        if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") in MONITORING
    ]


def test_with_a_prometheus_operator_the_chart_runs_no_monitoring_of_its_own(tmp_path: Path) -> None:
    data = _with(targets__helm__serviceMonitor={"enabled": True})
    plan, chart_dir = model_chart(data, tmp_path)
    docs = template(plan, chart_dir)
    validate(docs)
    assert not _monitoring_objects(docs)
    assert names(docs, "ServiceMonitor") and names(docs, "PrometheusRule")
    assert "monitoring" not in yamlio.load_plain((chart_dir / "values.yaml").read_text())
    assert not {"grafanaAdminPassword", "alertSmtpPassword", "alertWebhookUrl"} & set(_secret(docs))
    notes = build.notes(plan, ("helm",))
    assert any("monitoring.grafanaPort" in n and "Prometheus operator" in n for n in notes), notes


def test_without_monitoring_the_chart_has_none(tmp_path: Path) -> None:
    plan, chart_dir = model_chart({"targets": {"helm": {"release": "im"}}}, tmp_path)
    docs = template(plan, chart_dir)
    assert not _monitoring_objects(docs) and not names(docs, "ServiceMonitor")
    assert not [n for n in build.notes(plan, ("helm",)) if "monitoring" in n]


def test_build_says_what_the_chart_leaves_out() -> None:
    plan = build_plan(OpenIM.model_validate(_with(monitoring__nodeExporterPort=19101, monitoring__grafanaUrl=None)))
    notes = build.notes(plan, ("helm",))
    assert any("no node-exporter" in n for n in notes), notes
    assert any(n.startswith("helm: monitoring.nodeExporterPort is set, but the helm target runs no node-exporter") for n in notes), notes
    assert any("prometheus.grafanaURL stays empty" in n for n in notes), notes
    assert not any("monitoring.grafanaPort" in n or "monitoring.alerts" in n for n in notes), "the chart uses them"


def test_the_release_name_prefixes_every_monitoring_object(tmp_path: Path) -> None:
    plan, chart_dir = model_chart({**MODEL, "targets": {"helm": {**MODEL["targets"]["helm"], "release": "other"}}}, tmp_path)
    target = plan.model.targets.helm
    docs = c.helm_template(chart_dir, target.release, target.namespace, [chart_dir / "secrets.values.yaml"])
    assert all(n.split("/", 1)[1].startswith("other-") for n in _monitoring_objects(docs)), _monitoring_objects(docs)
    prometheus = yamlio.load_plain(one(docs, "ConfigMap", "other-prometheus-config")["data"]["prometheus.yml"])
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0].startswith("other-alertmanager:")
    selectors = [j["kubernetes_sd_configs"][0]["selectors"][0]["label"] for j in prometheus["scrape_configs"]]
    assert selectors and all(s.startswith("app.kubernetes.io/instance=other,") for s in selectors)
