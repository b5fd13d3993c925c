"""The chart's cluster-convention knobs as an operator sets them (values files and --set through
Helm itself): image registry and pull secrets, placement, pod metadata, security context
overrides, probe timing, autoscaling, and the version label on every object. Each rendering is
validated strictly; a wrong type or a knob a process must not have is refused by the schema."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from openim_config.plan import Plan
from openim_config.targets import helm
from openim_config.targets.helm.values import kubernetes_components, values_key
from tests import consumers as c
from tests.helm_support import chart, model_chart, one, template, validate
from tests.scenarios import CASES, plan_case, secret_env

WORKLOADS = ("Deployment", "StatefulSet")
VERSION = "app.kubernetes.io/version"
SELECTOR = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component")
ALL_OPTIONAL = {
    "networkPolicy.enabled": "true",
    "podDisruptionBudget.enabled": "true",
    "serviceMonitor.enabled": "true",
    "ingress.enabled": "true",
    "openimApi.resources.requests.cpu": "100m",
    "openimApi.autoscaling.enabled": "true",
}
"""Every optional kind of object the chart renders."""


@pytest.fixture(scope="module")
def chat_chart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    """Server and chat: every kind of OpenIM process and all five bundled components."""
    return model_chart({"chat": {"enabled": True}}, tmp_path_factory.mktemp("helm-scheduling"))


def render(
    plan: Plan, chart_dir: Path, values: Mapping[str, Any] | None = None, sets: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """helm template with a values file (lists and maps as an operator writes them) and --set."""
    files = [chart_dir / helm.SECRETS_FILE]
    if values is not None:
        extra = chart_dir.parent / "operator.values.yaml"
        extra.write_text(yamlio.dump(dict(values)), encoding="utf-8")
        files.append(extra)
    target = plan.model.targets.helm
    return c.helm_template(chart_dir, target.release, target.namespace, files, sets)


def lint(chart_dir: Path, values: Mapping[str, Any] | None = None, sets: Mapping[str, str] | None = None) -> None:
    files = [chart_dir / helm.SECRETS_FILE]
    if values is not None:
        extra = chart_dir.parent / "operator.values.yaml"
        extra.write_text(yamlio.dump(dict(values)), encoding="utf-8")
        files.append(extra)
    c.helm_lint(chart_dir, files, sets)


def workloads(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Deployments and StatefulSets by component (their names carry the release's)."""
    return {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in docs if d["kind"] in WORKLOADS}


def component_pod(docs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    template_: dict[str, Any] = workloads(docs)[component]["spec"]["template"]
    return template_


def pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: d["spec"]["template"]["spec"] for name, d in workloads(docs).items()}


# --------------------------------------------------------------------------- the version label
@pytest.fixture(scope="module", params=CASES)
def golden(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Plan, Path]]:
    with secret_env():
        plan = plan_case(request.param)
        yield plan, chart(plan, tmp_path_factory.mktemp(f"helm-sched-{request.param}"))


def _selectors(doc: dict[str, Any]) -> list[dict[str, str]]:
    spec = doc.get("spec") or {}
    found = []
    if doc["kind"] in WORKLOADS:
        found.append(spec["selector"]["matchLabels"])
    if doc["kind"] == "Service" and spec.get("selector"):
        found.append(spec["selector"])
    if doc["kind"] == "PodDisruptionBudget":
        found.append(spec["selector"]["matchLabels"])
    if doc["kind"] == "NetworkPolicy":
        found.append(spec["podSelector"].get("matchLabels") or {})
    return found


def test_version_label_on_every_object_of_every_golden(golden: tuple[Plan, Path]) -> None:
    plan, chart_dir = golden
    version = yamlio.load_plain((chart_dir / "Chart.yaml").read_text())["appVersion"]
    docs = template(plan, chart_dir, ALL_OPTIONAL)
    kinds = {d["kind"] for d in docs}
    assert {"HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor", "Ingress", "ConfigMap", "Secret"} <= kinds
    for doc in docs:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        assert doc["metadata"]["labels"][VERSION] == version, where
        if doc["kind"] in WORKLOADS:
            assert doc["spec"]["template"]["metadata"]["labels"][VERSION] == version, where
        for selector in _selectors(doc):
            assert VERSION not in selector, where  # a new version must not orphan the old pods
    validate(docs)


# --------------------------------------------------------------------------- images
def test_image_registry_reaches_every_container_of_the_chart(tmp_path: Path) -> None:
    """The fronts, the monitoring stack and the `helm test` pods too, not only OpenIM and its infrastructure."""
    model = {
        "chat": {"enabled": True},
        "fronts": {"web": {"enabled": True}, "admin": {"enabled": True}},
        "monitoring": {"enabled": True},
        "targets": {"helm": {"ingress": {"enabled": True, "tlsSecret": "im-tls"}}},
    }
    plan, chart_dir = model_chart(model, tmp_path)
    docs = template(plan, chart_dir, {"global.imageRegistry": "mirror.example.com:5000/openim"})
    images = {}
    for doc in docs:
        spec = doc["spec"]["template"]["spec"] if doc["kind"] in WORKLOADS else doc["spec"] if doc["kind"] == "Pod" else None
        for container in [*(spec or {}).get("initContainers", []), *(spec or {}).get("containers", [])]:
            images[f"{doc['kind']}/{doc['metadata']['name']}/{container['name']}"] = container["image"]
    kinds = {where.split("/")[1] for where in images}
    assert {"openim-prometheus", "openim-grafana", "openim-alertmanager", "openim-test-api", "openim-openim-web-front"} <= kinds
    assert {w: i for w, i in images.items() if not i.startswith("mirror.example.com:5000/openim/")} == {}


def test_image_registry_replaces_a_registry_and_prefixes_a_hub_name(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    before = {name: spec["containers"][0]["image"] for name, spec in pod_specs(template(plan, chart_dir)).items()}
    sets = {
        "global.imageRegistry": "mirror.example.com:5000/openim",
        "openimApi.image": "ghcr.io/openimsdk/openim-api:v3.8.3",  # with a registry
        "openimRpcUser.image": "localhost:5000/users:1",  # localhost counts as a registry
        "infra.mongodb.image": "mongo:7.0",  # Docker Hub, no registry
    }
    docs = template(plan, chart_dir, sets)
    after = {name: spec["containers"][0]["image"] for name, spec in pod_specs(docs).items()}
    assert after["openim-api"] == "mirror.example.com:5000/openim/openimsdk/openim-api:v3.8.3"
    assert after["openim-rpc-user"] == "mirror.example.com:5000/openim/users:1"
    assert after["mongodb"] == "mirror.example.com:5000/openim/mongo:7.0"
    assert before["openim-push"].startswith("openim/")  # a Hub organisation, not a registry
    assert after["openim-push"] == "mirror.example.com:5000/openim/" + before["openim-push"]
    assert after["kafka"] == "mirror.example.com:5000/openim/" + before["kafka"]
    assert set(after) == set(before)
    validate(docs)
    with pytest.raises(AssertionError, match="imageRegistry"):
        lint(chart_dir, sets={"global.imageRegistry": "https://mirror.example.com"})


def test_pull_secrets_add_up_from_global_and_own(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    assert all("imagePullSecrets" not in spec for spec in pod_specs(template(plan, chart_dir)).values())
    values = {
        "global": {"imagePullSecrets": ["regcred", {"name": "mirror"}]},
        "openimApi": {"imagePullSecrets": [{"name": "api-only"}, "regcred"]},
        "infra": {"redis": {"imagePullSecrets": ["redis-only"]}},
    }
    docs = render(plan, chart_dir, values)
    specs = pod_specs(docs)
    assert specs["openim-api"]["imagePullSecrets"] == [{"name": "regcred"}, {"name": "mirror"}, {"name": "api-only"}]
    assert specs["redis"]["imagePullSecrets"] == [{"name": "regcred"}, {"name": "mirror"}, {"name": "redis-only"}]
    assert all(spec["imagePullSecrets"][:2] == [{"name": "regcred"}, {"name": "mirror"}] for spec in specs.values())
    validate(docs)


# --------------------------------------------------------------------------- placement
def test_placement_global_and_own(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    toleration = {"key": "dedicated", "operator": "Equal", "value": "im", "effect": "NoSchedule"}
    values = {
        "nodeSelector": {"pool": "im", "disk": "ssd"},
        "tolerations": [toleration],
        "priorityClassName": "im-normal",
        "openimMsggateway": {
            "nodeSelector": {"pool": "edge"},
            "tolerations": [{"key": "edge", "operator": "Exists"}],
            "priorityClassName": "im-critical",
        },
        "infra": {"mongodb": {"nodeSelector": {"disk": "nvme"}}},
    }
    docs = render(plan, chart_dir, values)
    specs = pod_specs(docs)
    assert specs["openim-msggateway"]["nodeSelector"] == {"pool": "edge", "disk": "ssd"}
    assert specs["openim-msggateway"]["tolerations"] == [toleration, {"key": "edge", "operator": "Exists"}]
    assert specs["openim-msggateway"]["priorityClassName"] == "im-critical"
    assert specs["mongodb"]["nodeSelector"] == {"pool": "im", "disk": "nvme"}
    for name, spec in specs.items():
        if name not in ("openim-msggateway", "mongodb"):
            assert spec["nodeSelector"] == {"pool": "im", "disk": "ssd"}, name
            assert spec["tolerations"] == [toleration] and spec["priorityClassName"] == "im-normal", name
    validate(docs)


def test_affinity_replaces_the_generated_anti_affinity(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    specs = pod_specs(template(plan, chart_dir))
    assert all("podAntiAffinity" in spec["affinity"] for spec in specs.values())  # preferred, by default
    zone_a = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]}]}
    ]}}}  # fmt: skip
    own = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "podAffinityTerm": {
        "topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app.kubernetes.io/component": "redis"}}
    }}]}}  # fmt: skip
    docs = render(plan, chart_dir, {"affinity": zone_a, "openimPush": {"affinity": own}, "infra": {"kafka": {"affinity": own}}})
    specs = pod_specs(docs)
    assert specs["openim-push"]["affinity"] == own and specs["kafka"]["affinity"] == own
    assert all(spec["affinity"] == zone_a for name, spec in specs.items() if name not in ("openim-push", "kafka"))
    validate(docs)


def test_zone_spread_exactly_for_services_with_more_than_one_pod(golden: tuple[Plan, Path]) -> None:
    plan, chart_dir = golden
    docs = template(plan, chart_dir)
    specs = pod_specs(docs)
    several = {name for name, svc in plan.services.items() if len(svc.instances) > 1}
    assert {name for name, spec in specs.items() if "topologySpreadConstraints" in spec} == several
    for name in several:
        (constraint,) = specs[name]["topologySpreadConstraints"]
        selector = workloads(docs)[name]["spec"]["selector"]["matchLabels"]
        assert constraint == {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        }


def test_spread_follows_the_pods_a_service_may_run(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    assert "topologySpreadConstraints" not in component_pod(template(plan, chart_dir), "openim-api")["spec"]
    hostname = [{"maxSkew": 2, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}]
    values = {
        "openimApi": {"replicas": 3, "topologySpreadConstraints": hostname},
        "openimRpcUser": {"resources": {"requests": {"cpu": "100m"}}, "autoscaling": {"enabled": True, "minReplicas": 1, "maxReplicas": 3}},
        "topologySpreadConstraints": [],
    }
    docs = render(
        plan,
        chart_dir,
        {**values, "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]},
    )
    specs = pod_specs(docs)
    (api,) = specs["openim-api"]["topologySpreadConstraints"]
    assert (
        api["topologyKey"] == "kubernetes.io/hostname"
        and api["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "openim-api"
    )
    assert specs["openim-rpc-user"]["topologySpreadConstraints"][0]["topologyKey"] == "zone"  # up to 3 pods with the autoscaler
    validate(docs)
    off = pod_specs(render(plan, chart_dir, values))
    assert "topologySpreadConstraints" not in off["openim-rpc-user"] and off["openim-api"]["topologySpreadConstraints"]


# --------------------------------------------------------------------------- pod metadata
def test_pod_labels_and_annotations_never_touch_the_selector(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    plain = template(plan, chart_dir)
    values = {
        "podLabels": {"team": "im", "tier": "backend"},
        "podAnnotations": {"example.com/owner": "im"},
        "openimApi": {"podLabels": {"tier": "edge"}, "podAnnotations": {"example.com/owner": "api"}},
        "infra": {"minio": {"podLabels": {"backup": "daily"}}},
    }
    docs = render(plan, chart_dir, values)
    for name, doc in workloads(docs).items():
        before = workloads(plain)[name]
        assert doc["spec"]["selector"] == before["spec"]["selector"], name
        labels = doc["spec"]["template"]["metadata"]["labels"]
        assert {k: labels[k] for k in SELECTOR} == doc["spec"]["selector"]["matchLabels"], name
        assert labels["team"] == "im", name
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        assert set(before["spec"]["template"]["metadata"]["annotations"]) < set(annotations), name  # the checksums stay
    api = workloads(docs)["openim-api"]["spec"]["template"]["metadata"]
    assert api["labels"]["tier"] == "edge" and api["annotations"]["example.com/owner"] == "api"
    assert workloads(docs)["minio"]["spec"]["template"]["metadata"]["labels"]["backup"] == "daily"
    assert workloads(docs)["openim-push"]["spec"]["template"]["metadata"]["labels"]["tier"] == "backend"
    validate(docs)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"podLabels": {"app.kubernetes.io/component": "other"}}, "podLabels"),
        ({"openimApi": {"podLabels": {"app.kubernetes.io/instance": "other"}}}, "podLabels"),
        ({"infra": {"redis": {"podLabels": {"app.kubernetes.io/version": "x"}}}}, "podLabels"),
        ({"podAnnotations": {"checksum/config": "0"}}, "podAnnotations"),
        ({"nodeSelector": {"pool": 1}}, "nodeSelector"),
        ({"tolerations": [{"key": "x", "operator": "Maybe"}]}, "tolerations"),
        ({"tolerations": {"key": "x"}}, "tolerations"),
        ({"affinity": {"nodeAffinty": {}}}, "affinity"),
        ({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone"}]}, "topologySpreadConstraints"),
        ({"priorityClassName": "High Priority"}, "priorityClassName"),
        ({"global": {"imagePullSecrets": [{"secret": "x"}]}}, "imagePullSecrets"),
        ({"podSecurityContext": {"runAsUsr": 1}}, "podSecurityContext"),
        ({"openimApi": {"securityContext": {"readOnlyRootFilesystm": False}}}, "securityContext"),
        ({"openimApi": {"livenessProbe": {"periodSeconds": "often"}}}, "livenessProbe"),
        ({"openimApi": {"startupProbe": {"exec": {"command": ["true"]}}}}, "startupProbe"),
        ({"openimApi": {"autoscaling": {"maxReplicas": 0}}}, "maxReplicas"),
        ({"global": {"compatibility": {"openshift": {"adaptSecurityContext": "yes"}}}}, "adaptSecurityContext"),
    ],
)
def test_schema_refuses_a_wrong_knob(chat_chart: tuple[Plan, Path], values: dict[str, Any], complaint: str) -> None:
    _, chart_dir = chat_chart
    with pytest.raises(AssertionError, match=complaint):
        lint(chart_dir, values)


def test_a_parent_charts_globals_pass(chat_chart: tuple[Plan, Path]) -> None:
    _, chart_dir = chat_chart
    lint(chart_dir, {"global": {"storageClass": "fast", "compatibility": {"omitEmptySeLinuxOptions": True}}})


# --------------------------------------------------------------------------- probes
def test_probes_are_tunable_with_a_startup_probe(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    docs = template(plan, chart_dir, {"openimApi.livenessProbe.periodSeconds": "7", "openimApi.startupProbe.failureThreshold": "120"})
    for name, spec in pod_specs(docs).items():
        container = spec["containers"][0]
        if name in plan.services and plan.services[name].ports:
            port = container["ports"][0]["name"]
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert container[probe]["tcpSocket"] == {"port": port}, (name, probe)
        elif name in plan.services:
            assert not {"startupProbe", "readinessProbe", "livenessProbe"} & set(container), name
    api = component_pod(docs, "openim-api")["spec"]["containers"][0]
    assert api["livenessProbe"]["periodSeconds"] == 7 and api["livenessProbe"]["failureThreshold"] == 6
    assert api["startupProbe"]["failureThreshold"] == 120
    validate(docs)
    with pytest.raises(AssertionError, match="openimCrontask"):
        lint(chart_dir, sets={"openimCrontask.startupProbe.periodSeconds": "5"})  # it listens on nothing


# --------------------------------------------------------------------------- security context
def test_security_context_overrides_and_null_unsets(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    sets = {
        "podSecurityContext.runAsUser": "null",
        "podSecurityContext.fsGroup": "null",
        "openimApi.podSecurityContext.runAsGroup": "null",
        "openimPush.securityContext.readOnlyRootFilesystem": "false",
        "infra.mongodb.podSecurityContext.runAsUser": "null",
    }
    docs = template(plan, chart_dir, sets)
    specs = pod_specs(docs)
    for name in plan.services:
        context = specs[name]["securityContext"]
        assert "runAsUser" not in context and "fsGroup" not in context and context["runAsNonRoot"] is True, name
        assert ("runAsGroup" in context) is (name != "openim-api"), name
        container = specs[name]["containers"][0]["securityContext"]
        assert container["readOnlyRootFilesystem"] is (name != "openim-push") and container["capabilities"] == {"drop": ["ALL"]}, name
    assert "runAsUser" not in specs["mongodb"]["securityContext"] and specs["mongodb"]["securityContext"]["fsGroup"] == 999
    assert specs["redis"]["securityContext"]["runAsUser"] == 999  # the global override is OpenIM's only
    validate(docs)


IDS = {"runAsUser", "runAsGroup", "fsGroup"}


def test_openshift_leaves_the_ids_to_the_scc(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    auto = pod_specs(template(plan, chart_dir))  # auto, and no OpenShift API here
    assert all("runAsUser" in spec["securityContext"] for spec in auto.values())
    docs = template(plan, chart_dir, {"global.compatibility.openshift.adaptSecurityContext": "force"})
    for name, spec in pod_specs(docs).items():
        assert not IDS & set(spec["securityContext"]), name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"]:
            assert not IDS & set(container["securityContext"]), name
    assert len(pod_specs(docs)) == len(plan.services) + 5
    validate(docs)


# --------------------------------------------------------------------------- autoscaling
NOT_SCALED = ("openim-crontask",)


def test_autoscaling_renders_an_hpa_and_leaves_the_replicas_to_it(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    assert not [d for d in template(plan, chart_dir) if d["kind"] == "HorizontalPodAutoscaler"]
    values = {
        "podDisruptionBudget": {"enabled": True},
        "openimRpcMsg": {
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
            "autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 6, "targetMemoryUtilizationPercentage": 70},
        },
        "openimMsgtransfer": {"resources": {"requests": {"cpu": "250m"}}, "autoscaling": {"enabled": True, "minReplicas": 1}},
    }
    docs = render(plan, chart_dir, values)
    hpas = {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    assert set(hpas) == {"openim-rpc-msg", "openim-msgtransfer"}
    msg = hpas["openim-rpc-msg"]
    assert msg["apiVersion"] == "autoscaling/v2" and msg["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert msg["metadata"]["name"] == f"{plan.model.targets.helm.release}-openim-rpc-msg"
    one(docs, "Deployment", msg["spec"]["scaleTargetRef"]["name"])  # it names the Deployment as rendered
    assert (msg["spec"]["minReplicas"], msg["spec"]["maxReplicas"]) == (2, 6)
    assert msg["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}}},
    ]
    assert [m["resource"]["name"] for m in hpas["openim-msgtransfer"]["spec"]["metrics"]] == ["cpu"]
    assert "replicas" not in workloads(docs)["openim-rpc-msg"]["spec"]
    assert "replicas" not in workloads(docs)["openim-msgtransfer"]["spec"]
    assert workloads(docs)["openim-push"]["spec"]["replicas"] == len(plan.services["openim-push"].instances)
    budgets = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for d in docs if d["kind"] == "PodDisruptionBudget"}
    assert "openim-rpc-msg" in budgets  # one replica in the model, but never fewer than 2 with the autoscaler
    assert "openim-msgtransfer" not in budgets  # the autoscaler may take it down to one
    assert "openim-push" in budgets
    validate(docs)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        (
            {"autoscaling": {"enabled": True}},
            r"openimRpcUser.autoscaling.targetCPUUtilizationPercentage .*no cpu request.*openimRpcUser.resources",
        ),
        (
            {"resources": {"requests": {"cpu": "1"}}, "autoscaling": {"enabled": True, "targetMemoryUtilizationPercentage": 60}},
            r"targetMemoryUtilizationPercentage .*no memory request",
        ),
        (
            {"resources": {"requests": {"cpu": "1"}}, "autoscaling": {"enabled": True, "targetCPUUtilizationPercentage": 0}},
            r"set targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage",
        ),
        (
            {"resources": {"requests": {"cpu": "1"}}, "autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 2}},
            r"maxReplicas \(2\) is below minReplicas \(3\)",
        ),
    ],
)
def test_autoscaling_without_what_it_needs_fails_the_render(chat_chart: tuple[Plan, Path], values: dict[str, Any], complaint: str) -> None:
    plan, chart_dir = chat_chart
    with pytest.raises(AssertionError, match=complaint):
        render(plan, chart_dir, {"openimRpcUser": values})


@pytest.mark.parametrize("name", NOT_SCALED)
def test_no_autoscaling_for_a_process_whose_instances_are_not_interchangeable(chat_chart: tuple[Plan, Path], name: str) -> None:
    _, chart_dir = chat_chart
    key = values_key(name)
    values = yamlio.load_plain((chart_dir / "values.yaml").read_text())
    assert "autoscaling" not in values[key]
    assert all(
        "autoscaling" in block
        for k, block in values.items()
        if isinstance(block, dict) and "configFile" in block and k != key and block["name"] not in NOT_SCALED
    )
    with pytest.raises(AssertionError, match=key):
        lint(chart_dir, {key: {"autoscaling": {"enabled": True}}})
    text = (chart_dir / "values.yaml").read_text()
    assert text.count("No autoscaling") == len(NOT_SCALED)


# --------------------------------------------------------------------------- everything at once
def test_every_knob_at_once_lints_and_validates(chat_chart: tuple[Plan, Path]) -> None:
    plan, chart_dir = chat_chart
    own = {
        "imagePullSecrets": ["own"],
        "nodeSelector": {"pool": "own"},
        "tolerations": [{"key": "own", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}],
        "podAnnotations": {"own": "yes"},
        "podLabels": {"own": "yes"},
        "priorityClassName": "own",
        "podSecurityContext": {"supplementalGroups": [5000]},
        "securityContext": {"runAsNonRoot": True},
    }
    prefer_im = {"weight": 1, "preference": {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["im"]}]}}
    spread = {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule", "minDomains": 2}
    readiness = {"initialDelaySeconds": 1, "periodSeconds": 2, "timeoutSeconds": 3, "failureThreshold": 4}
    values = {
        "global": {"imageRegistry": "mirror.example.com", "imagePullSecrets": ["regcred"]},
        "nodeSelector": {"pool": "im"},
        "tolerations": [{"key": "im", "operator": "Exists"}],
        "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [prefer_im]}},
        "podAnnotations": {"a": "b"},
        "podLabels": {"c": "d"},
        "priorityClassName": "im",
        "openimApi": {**own, "topologySpreadConstraints": [spread], "replicas": 2, "readinessProbe": readiness},
        "infra": {name: own for name in kubernetes_components(plan)},
    }
    lint(chart_dir, values)
    docs = render(plan, chart_dir, values)
    spec = component_pod(docs, "openim-api")["spec"]
    assert spec["containers"][0]["readinessProbe"]["timeoutSeconds"] == 3 and spec["topologySpreadConstraints"][0]["minDomains"] == 2
    assert spec["securityContext"]["supplementalGroups"] == [5000]
    validate(docs)
