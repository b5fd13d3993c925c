"""The Helm target, checked the way a user meets it: through Helm itself (lint, template) and
strict Kubernetes schema validation of every rendered object (tests/consumers.py)."""

from __future__ import annotations

import base64
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from openim_config.plan import Plan
from openim_config.plan.secrets import resolve
from openim_config.targets import helm
from tests import consumers as c
from tests.helm_support import chart as _chart
from tests.helm_support import config as _config
from tests.helm_support import model_chart as _model_chart
from tests.helm_support import one as _one
from tests.helm_support import template as _template
from tests.helm_support import validate as _validate
from tests.scenarios import CASES, SECRET_ENV, plan_case, secret_env

# Distinctive credentials, so a leak into a non-secret file cannot hide behind a common word.
LOUD_SECRETS: dict[str, Any] = {
    "secret": "LEAK-openim-secret",
    "chat": {"enabled": True, "tokenSecret": "LEAK-chat-token"},
    "infra": {
        "mongodb": {"password": "LEAK-mongo-app", "rootPassword": "LEAK-mongo-root"},
        "redis": {"password": "LEAK-redis"},
        "minio": {"accessKeyId": "LEAK-minio-id", "secretAccessKey": "LEAK-minio-key"},
    },
}


@pytest.fixture(scope="module", params=CASES)
def golden(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Plan, Path]]:
    """(plan, chart dir) of each golden case, secrets.values.yaml included."""
    with secret_env():
        plan = plan_case(request.param)
        yield plan, _chart(plan, tmp_path_factory.mktemp(f"helm-{request.param}"))


# --------------------------------------------------------------------------- the chart directory
def test_chart_files(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    from openim_config import build

    arts = {a.path: a for a in build.render(plan, ["helm"])["helm"]}
    assert {"Chart.yaml", "values.yaml", "values.schema.json", ".gitignore", ".helmignore", helm.SECRETS_FILE} <= set(arts)
    assert {f"templates/services/{name}.yaml" for name in plan.services} <= set(arts)
    secret = arts[helm.SECRETS_FILE]
    assert secret.secret and secret.mode == 0o600 and secret.content == b""
    assert (chart / helm.SECRETS_FILE).stat().st_mode & 0o777 == 0o600
    assert f"/{helm.SECRETS_FILE}" in arts[".gitignore"].content.decode().splitlines()
    assert helm.SECRETS_FILE in arts[".helmignore"].content.decode().splitlines()
    meta = yamlio.load_plain(arts["Chart.yaml"].content.decode())
    assert meta["apiVersion"] == "v2" and meta["name"] == plan.model.targets.helm.chart_name
    assert meta["appVersion"] == (plan.model.images.tag or plan.catalog.products["server"].tag)


def test_same_plan_same_bytes(golden: tuple[Plan, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    plan, _ = golden
    first, second = helm.render(plan), helm.render(plan)
    assert [(a.path, a.mode, a.content) for a in first] == [(a.path, a.mode, a.content) for a in second]
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    assert [a.data() for a in first if a.secret] == [a.data() for a in second if a.secret]


def test_values_layout(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    values = yamlio.load_plain((chart / "values.yaml").read_text())
    for name, svc in plan.services.items():
        block = values[helm.values_key(name)]
        # Service names start with the release's name (several releases share a namespace).
        assert block["name"] == name and block["serviceName"] == f"{plan.model.targets.helm.release}-{svc.discovery_name or name}"
        assert block["replicas"] == len(svc.instances) and block["image"] == svc.image
        assert block["ports"] == {kind: ports[0] for kind, ports in svc.ports.items()}
        assert block["configFile"] == plan.catalog.binary_file(name)
        assert block["secretEnv"] == {e.variable: e.secret_id for e in svc.secret_env}
    assert helm.values_key("openim-rpc-user") == "openimRpcUser" and helm.values_key("chat-api") == "chatApi"
    assert set(values["config"]) == {s.product for s in plan.services.values()}
    # etcd always: both products find their services through etcd in Kubernetes too (catalog line.yaml says why).
    assert "etcd" in values["infra"]


def test_helm_reads_values_as_written(golden: tuple[Plan, Path]) -> None:
    """Helm parses values as YAML 1.1: nothing may turn into a bool, a number or a dropped null."""
    _, chart = golden
    for name in ("values.yaml", helm.SECRETS_FILE):
        assert c.helm_values([chart / name]) == yamlio.load_plain((chart / name).read_text()), name


# --------------------------------------------------------------------------- through Helm
def test_lint_strict(golden: tuple[Plan, Path]) -> None:
    _, chart = golden
    c.helm_lint(chart, [chart / helm.SECRETS_FILE])


def test_every_manifest_is_valid(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    _validate(_template(plan, chart))


def test_port_set_at_install_reaches_config_container_and_service(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    release = plan.model.targets.helm.release
    docs = _template(plan, chart, {"openimRpcUser.ports.grpc": "10999"})
    assert _config(docs, plan, "server", "openim-rpc-user.yml")["rpc"]["ports"] == [10999]
    container = _one(docs, "Deployment", f"{release}-openim-rpc-user")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "grpc", "containerPort": 10999, "protocol": "TCP"} in container["ports"]
    assert _one(docs, "Service", f"{release}-user-rpc-service")["spec"]["ports"][0]["port"] == 10999
    _validate(docs)


def test_gateway_port_set_at_install_reaches_config_probe_service_and_ingress(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    release = plan.model.targets.helm.release
    docs = _template(plan, chart, {"openimMsggateway.ports.ws": "20999", "ingress.enabled": "true"})
    assert _config(docs, plan, "server", "openim-msggateway.yml")["longConnSvr"]["ports"] == [20999]
    container = _one(docs, "Deployment", f"{release}-openim-msggateway")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "ws", "containerPort": 20999, "protocol": "TCP"} in container["ports"]
    assert container["readinessProbe"]["tcpSocket"]["port"] in {p["name"] for p in container["ports"]}
    service = _one(docs, "Service", f"{release}-messagegateway-rpc-service")["spec"]["ports"]
    assert {"name": "ws", "port": 20999, "targetPort": "ws", "protocol": "TCP"} in service
    ingress = next(d for d in docs if d["kind"] == "Ingress" and d["metadata"]["name"].endswith("-openim"))
    backends = [p["backend"]["service"] for p in ingress["spec"]["rules"][0]["http"]["paths"]]
    assert {"name": f"{release}-messagegateway-rpc-service", "port": {"name": "ws"}} in backends
    _validate(docs)


def test_workloads_and_services(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    docs = _template(plan, chart)
    release = plan.model.targets.helm.release
    sa = f"{release}-openim"
    for name, svc in plan.services.items():
        product = plan.catalog.products[svc.product]
        spec = _one(docs, "Deployment", f"{release}-{name}")["spec"]
        assert spec["replicas"] == len(svc.instances)
        pod = spec["template"]["spec"]
        assert pod["serviceAccountName"] == sa and pod["securityContext"]["runAsNonRoot"] is True
        container = pod["containers"][0]
        assert container["image"] == svc.image
        # The 3.8 line reads only -c (CONFIG_PATH is the main line's); chat's shell entrypoint is replaced.
        assert container["args"] == ["-i", "0", "-c", product.containerConfigDir]
        contract = plan.catalog.binary_contract(name)
        assert container.get("command") == (None if contract.passes_arguments() else [contract.binary])
        assert pod["automountServiceAccountToken"] is product.serviceAccountToken
        env = {e["name"]: e for e in container["env"]}
        assert env["CONFIG_PATH"]["value"] == product.containerConfigDir
        mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
        assert mount == {"name": "config", "mountPath": product.containerConfigDir, "readOnly": True}
        assert {e.variable for e in svc.secret_env} <= set(env)
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {p["name"]: p["containerPort"] for p in container.get("ports", [])} == {k: v[0] for k, v in svc.ports.items()}
        services = [d for d in docs if d["kind"] == "Service" and d["spec"].get("selector") == spec["selector"]["matchLabels"]]
        if not svc.ports:
            assert services == [], f"{name} listens on nothing and needs no Service"
            continue
        (service,) = services
        assert service["metadata"]["name"] == f"{release}-{svc.discovery_name or name}"
        if "grpc" in svc.ports:
            assert service["spec"]["ports"][0]["name"] == "grpc", f"{name}: gRPC must be the Service's first port"
    assert not [d for d in docs if d["kind"] == "Service" and "crontask" in d["metadata"]["name"]]


def test_no_process_reads_the_kubernetes_api(golden: tuple[Plan, Path]) -> None:
    """Discovery is etcd's in Kubernetes too, so OpenIM's pods get no token and no Role."""
    plan, chart = golden
    docs = _template(plan, chart)
    kinds = {d["kind"] for d in docs}
    assert "ClusterRole" not in kinds and "ClusterRoleBinding" not in kinds
    release = plan.model.targets.helm.release
    assert not [d for d in docs if d["kind"] in ("Role", "RoleBinding") and d["metadata"]["name"] == f"{release}-openim-discovery"]
    _one(docs, "ServiceAccount", f"{release}-openim")
    for config in (d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith(("-server-config", "-chat-config"))):
        assert yamlio.load_plain(config["data"]["discovery.yml"])["enable"] == "etcd", config["metadata"]["name"]
    for deployment in (d for d in docs if d["kind"] == "Deployment" and "CONFIG_PATH" in str(d)):
        assert deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_credentials_only_in_the_secret(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    docs = _template(plan, chart)
    secret = _one(docs, "Secret", f"{plan.model.targets.helm.release}-credentials")
    stored = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert stored == {sid: resolve(plan, sid, SECRET_ENV) for sid in stored}
    for d in docs:
        for container in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            for e in container.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                assert ref is None or (ref["name"] == secret["metadata"]["name"] and ref["key"] in stored), e
    for cm in (d for d in docs if d["kind"] == "ConfigMap"):
        text = yamlio.dump(cm["data"])
        assert not [sid for sid, value in stored.items() if len(value) > 4 and value in text]


def test_no_credential_outside_the_secret_file(tmp_path: Path) -> None:
    plan, chart = _model_chart(LOUD_SECRETS, tmp_path)
    leaked = [str(p.relative_to(chart)) for p in chart.rglob("*") if p.is_file() and b"LEAK-" in p.read_bytes()]
    assert leaked == [helm.SECRETS_FILE]
    docs = _template(plan, chart)
    assert [f"{d['kind']}/{d['metadata']['name']}" for d in docs if "LEAK-" in yamlio.dump(d)] == []
    secret = _one(docs, "Secret", f"{plan.model.targets.helm.release}-credentials")
    assert base64.b64decode(secret["data"]["mongodbRootPassword"]).decode() == "LEAK-mongo-root"


def test_missing_credentials_fail_with_their_name(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    with pytest.raises(AssertionError, match=r"secrets\.\w+ is required: install with -f secrets\.values\.yaml"):
        _template(plan, chart, secrets=False)


def test_existing_secret(golden: tuple[Plan, Path]) -> None:
    plan, chart = golden
    docs = _template(plan, chart, {"existingSecret": "my-openim"}, secrets=False)
    assert [d for d in docs if d["kind"] == "Secret"] == []
    refs = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for d in docs
        for ctr in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        for e in ctr.get("env", [])
        if "valueFrom" in e
    }
    assert refs == {"my-openim"}
    _validate(docs)


def test_schema_rejects_a_mistyped_port(golden: tuple[Plan, Path]) -> None:
    _, chart = golden
    with pytest.raises(AssertionError, match=r"/openimApi/ports/http"):
        c.helm_lint(chart, [chart / helm.SECRETS_FILE], {"openimApi.ports.http": "ten"})


def test_package_leaves_credentials_out(golden: tuple[Plan, Path], tmp_path: Path) -> None:
    plan, chart = golden
    hp = pytest.importorskip("helm_python")
    tgz = Path(hp.package(chart, destination=tmp_path))
    assert c.helm_load_package(tgz) == plan.model.targets.helm.chart_name
    with tarfile.open(tgz) as tar:
        names = {Path(n).name for n in tar.getnames()}
    assert helm.SECRETS_FILE not in names and "values.yaml" in names


# --------------------------------------------------------------------------- model variants
def test_bundled_infra_is_statefulsets(tmp_path: Path) -> None:
    data = {"storage": {"kafka-data": {"size": "50Gi", "storageClass": "fast"}, "redis-data": {"existingClaim": "redis-pvc"}}}
    plan, chart = _model_chart(data, tmp_path)
    docs = _template(plan, chart)
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "StatefulSet"} == {
        "openim-mongodb",
        "openim-redis",
        "openim-kafka",
        "openim-minio",
        "openim-etcd",
    }
    etcd = _one(docs, "StatefulSet", "openim-etcd")["spec"]["template"]["spec"]
    assert etcd["containers"][0]["volumeMounts"] == [{"name": "data", "mountPath": "/bitnami/etcd"}]
    for name, port in (("mongodb", 27017), ("redis", 6379), ("kafka", 9092), ("minio", 9000)):
        assert _one(docs, "Service", f"openim-{name}")["spec"]["ports"][0]["port"] == port
    kafka = _one(docs, "StatefulSet", "openim-kafka")["spec"]["volumeClaimTemplates"][0]["spec"]
    assert kafka["storageClassName"] == "fast" and kafka["resources"]["requests"]["storage"] == "50Gi"
    redis = _one(docs, "StatefulSet", "openim-redis")["spec"]
    assert "volumeClaimTemplates" not in redis
    assert redis["template"]["spec"]["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "redis-pvc"}}]
    assert "--requirepass" in redis["template"]["spec"]["containers"][0]["args"][0]
    mongo_env = {e["name"] for e in _one(docs, "StatefulSet", "openim-mongodb")["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {"MONGO_INITDB_ROOT_PASSWORD", "MONGO_OPENIM_PASSWORD", "MONGO_OPENIM_USERNAME"} <= mongo_env
    assert _config(docs, plan, "server", "kafka.yml")["address"] == ["openim-kafka:9092"]
    _validate(docs)


def test_external_infra_is_reached_by_a_stable_in_cluster_name(tmp_path: Path) -> None:
    data = {"infra": {"mongodb": {"mode": "external", "address": ["db.example.com:27017"]}}}
    plan, chart = _model_chart(data, tmp_path)
    docs = _template(plan, chart)
    assert not [d for d in docs if d["kind"] == "StatefulSet" and "mongodb" in d["metadata"]["name"]]
    service = _one(docs, "Service", "openim-mongodb")["spec"]
    assert service["type"] == "ExternalName" and service["externalName"] == "db.example.com" and "selector" not in service
    assert _config(docs, plan, "server", "mongodb.yml")["address"] == ["openim-mongodb:27017"]
    secret = _one(docs, "Secret", f"{plan.model.targets.helm.release}-credentials")
    assert "mongodbRootPassword" not in secret["data"] and "mongodbPassword" in secret["data"]
    _validate(docs)


def test_without_chat_there_is_no_chat_config(tmp_path: Path) -> None:
    plan, chart = _model_chart({}, tmp_path)
    docs = _template(plan, chart)
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"} == {"openim-server-config"}
    assert not [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] in ("openim-chat-api", "openim-admin-api")]


def test_yaml_1_1_words_stay_strings(tmp_path: Path) -> None:
    data = {"secret": "yes", "chat": {"enabled": True, "adminAccounts": ["y", "off", "0777", "1_000"]}}
    plan, chart = _model_chart(data, tmp_path)
    docs = _template(plan, chart)
    assert _config(docs, plan, "chat", "share.yml")["chatAdmin"] == ["y", "off", "0777", "1_000"]
    secret = _one(docs, "Secret", f"{plan.model.targets.helm.release}-credentials")
    assert base64.b64decode(secret["data"]["openimSecret"]).decode() == "yes"
    # Keys upstream leaves empty stay present, so IMENV_ overrides keep working (FACTS 3.1).
    assert _config(docs, plan, "server", "openim-rpc-user.yml")["rpc"]["registerIP"] == ""


def test_the_chart_installs_only_into_the_namespace_the_model_names(tmp_path: Path) -> None:
    _, chart = _model_chart({"chat": {"enabled": True}, "targets": {"helm": {"namespace": "team-im", "release": "im"}}}, tmp_path)
    docs = c.helm_template(chart, "im", "team-im", [chart / helm.SECRETS_FILE])
    cm = _one(docs, "ConfigMap", "im-chat-config")
    assert yamlio.load_plain(cm["data"]["discovery.yml"])["kubernetes"]["namespace"] == "team-im"
    with pytest.raises(AssertionError, match="this chart is made for namespace team-im"):
        c.helm_template(chart, "im", "default", [chart / helm.SECRETS_FILE])
    # Nor as another release: the config files dial the Services by the release's names.
    with pytest.raises(AssertionError, match="this chart is made for release im"):
        c.helm_template(chart, "openim", "team-im", [chart / helm.SECRETS_FILE])
