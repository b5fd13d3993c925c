"""The chart as operations meet it: pods roll when config or credentials change, pods spread
across nodes, resources come from the model, the optional NetworkPolicies, PodDisruptionBudgets
and ServiceMonitors, hardened pods, external infrastructure under in-cluster names, and one
Ingress host with MinIO's external address following it. Everything through Helm itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openim_config.plan.appconfig import minio_external
from tests.helm_support import config, model_chart, names, one, pod, template, validate

WORKLOADS = ("Deployment", "StatefulSet")


def _annotations(docs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {
        f"{d['kind']}/{d['metadata']['name']}": dict(d["spec"]["template"]["metadata"].get("annotations", {}))
        for d in docs
        if d["kind"] in WORKLOADS
    }


def _changed(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]], key: str) -> set[str]:
    return {w for w in before if before[w].get(key) != after[w].get(key)}


@pytest.fixture(scope="module")
def chat_chart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    return model_chart({"chat": {"enabled": True}}, tmp_path_factory.mktemp("helm-ops"))


# --------------------------------------------------------------------------- rolling on change
def test_pods_roll_when_a_config_value_changes(chat_chart: tuple[Any, Path]) -> None:
    plan, chart = chat_chart
    before = _annotations(template(plan, chart))
    after = _annotations(template(plan, chart, {"config.server.share\\.yml.multiLogin.policy": "2"}))
    server = {f"Deployment/openim-{n}" for n, s in plan.services.items() if s.product == "server"}
    assert _changed(before, after, "checksum/config") == server
    assert _changed(before, after, "checksum/secret") == set()
    ported = _annotations(template(plan, chart, {"chatRpc.ports.grpc": "30999"}))
    assert _changed(before, ported, "checksum/config") == {
        f"Deployment/openim-{n}" for n, s in plan.services.items() if s.product == "chat"
    }


def test_pods_roll_when_a_credential_changes(chat_chart: tuple[Any, Path]) -> None:
    plan, chart = chat_chart
    before = _annotations(template(plan, chart))
    after = _annotations(template(plan, chart, {"secrets.redisPassword": "rotated"}))
    readers = {f"Deployment/openim-{n}" for n, s in plan.services.items() if "redisPassword" in {e.secret_id for e in s.secret_env}}
    assert readers and _changed(before, after, "checksum/secret") == readers | {"StatefulSet/openim-redis"}
    assert "Deployment/openim-openim-crontask" not in readers
    assert _changed(before, after, "checksum/config") == set()
    rotated = _annotations(template(plan, chart, {"secrets.openimSecret": "rotated"}))
    assert "Deployment/openim-openim-crontask" in _changed(before, rotated, "checksum/secret")
    assert all(a.get("checksum/secret") for a in before.values() if a)


def test_rendering_twice_gives_the_same_manifests(chat_chart: tuple[Any, Path]) -> None:
    plan, chart = chat_chart
    assert template(plan, chart) == template(plan, chart)


# --------------------------------------------------------------------------- scheduling and resources
def test_pods_spread_across_nodes(chat_chart: tuple[Any, Path]) -> None:
    plan, chart = chat_chart
    docs = template(plan, chart)
    api = pod(docs, "Deployment", "openim-openim-api")["spec"]["affinity"]["podAntiAffinity"]
    (term,) = api["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    expressions = term["podAffinityTerm"]["labelSelector"]["matchExpressions"]
    assert {"key": "app.kubernetes.io/component", "operator": "In", "values": ["openim-api"]} in expressions
    mongo = pod(docs, "StatefulSet", "openim-mongodb")["spec"]["affinity"]["podAntiAffinity"]
    (term,) = mongo["preferredDuringSchedulingIgnoredDuringExecution"]
    components = next(e for e in term["podAffinityTerm"]["labelSelector"]["matchExpressions"] if e["key"].endswith("component"))
    assert components["values"] == ["etcd", "kafka", "minio", "mongodb", "redis"]  # etcd: chat's discovery
    hard = template(plan, chart, {"antiAffinity.infra": "required", "antiAffinity.services": "none"})
    assert "affinity" not in pod(hard, "Deployment", "openim-openim-api")["spec"]
    assert pod(hard, "StatefulSet", "openim-kafka")["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    validate(hard)


def test_resources_come_from_the_model(tmp_path: Path) -> None:
    resources = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}
    plan, chart = model_chart({"services": {"openim-push": {"resources": resources}}}, tmp_path)
    docs = template(plan, chart)
    assert pod(docs, "Deployment", "openim-openim-push")["spec"]["containers"][0]["resources"] == resources
    assert "resources" not in pod(docs, "Deployment", "openim-openim-api")["spec"]["containers"][0]
    bumped = template(plan, chart, {"openimPush.resources.limits.cpu": "2"})
    assert pod(bumped, "Deployment", "openim-openim-push")["spec"]["containers"][0]["resources"]["limits"] == {"memory": "1Gi", "cpu": 2}
    validate(bumped)


def test_every_pod_is_hardened(chat_chart: tuple[Any, Path]) -> None:
    plan, chart = chat_chart
    docs = template(plan, chart)
    for d in (d for d in docs if d["kind"] in WORKLOADS):
        spec = d["spec"]["template"]["spec"]
        name = d["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False and security["capabilities"]["drop"] == ["ALL"], name
            # Kafka's and etcd's images write their generated configuration into their own trees.
            assert security.get("readOnlyRootFilesystem") is (name not in ("openim-kafka", "openim-etcd")), name
            if container.get("ports"):  # crontask listens on nothing: its exit is its failure
                assert container["readinessProbe"] and container["livenessProbe"], name


# --------------------------------------------------------------------------- optional objects
def test_network_policies_admit_only_the_topology(tmp_path: Path) -> None:
    plan, chart = model_chart({"chat": {"enabled": True}, "targets": {"helm": {"networkPolicies": True}}}, tmp_path)
    docs = template(plan, chart)
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    pods = [d["spec"]["selector"]["matchLabels"] for d in docs if d["kind"] in WORKLOADS]
    for labels in pods:  # every pod of the release is behind exactly one policy
        assert sum(p["spec"]["podSelector"]["matchLabels"] == labels for p in policies) == 1, labels
    openim = set(plan.services) | {"helm-test"}  # and the `helm test` pods, which dial the same ports

    def sources(rule: dict[str, Any]) -> set[str] | None:
        if "from" not in rule:
            return None  # anyone
        (peer,) = rule["from"]
        return set(next(e for e in peer["podSelector"]["matchExpressions"] if e["key"].endswith("component"))["values"])

    user = {
        tuple(p["port"] for p in r["ports"]): sources(r) for r in one(docs, "NetworkPolicy", "openim-openim-rpc-user")["spec"]["ingress"]
    }
    assert user == {("grpc",): openim, ("metrics",): None}
    api = [(tuple(p["port"] for p in r["ports"]), sources(r)) for r in one(docs, "NetworkPolicy", "openim-openim-api")["spec"]["ingress"]]
    assert api == [(("http",), openim), (("http",), None), (("metrics",), None)]
    assert one(docs, "NetworkPolicy", "openim-openim-crontask")["spec"]["ingress"] == []
    (mongo,) = one(docs, "NetworkPolicy", "openim-mongodb")["spec"]["ingress"]
    assert sources(mongo) == set(plan.infra["mongodb"].users) | {"mongodb"} and mongo["ports"] == [{"port": "mongodb", "protocol": "TCP"}]
    assert "openim-msggateway" not in sources(mongo)  # type: ignore[operator]
    peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    narrowed = template(
        plan, chart, {"networkPolicy.clientFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name": "ingress-nginx"}
    )
    gateway = one(narrowed, "NetworkPolicy", "openim-openim-msggateway")["spec"]["ingress"]
    assert {"from": [peer], "ports": [{"port": "ws", "protocol": "TCP"}]} in gateway
    validate(narrowed)


def test_disruption_budgets_for_replicated_services(tmp_path: Path) -> None:
    data = {"services": {"openim-push": {"instances": 3}}, "targets": {"helm": {"podDisruptionBudgets": True}}}
    plan, chart = model_chart(data, tmp_path)
    docs = template(plan, chart)
    replicated = {f"openim-{n}" for n, s in plan.services.items() if len(s.instances) > 1}
    assert names(docs, "PodDisruptionBudget") == replicated and "openim-openim-push" in replicated
    assert one(docs, "PodDisruptionBudget", "openim-openim-push")["spec"]["maxUnavailable"] == 1
    assert "openim-openim-rpc-user" in names(template(plan, chart, {"openimRpcUser.replicas": "2"}), "PodDisruptionBudget")
    validate(docs)


def test_service_monitor_per_metrics_port(tmp_path: Path) -> None:
    data = {"targets": {"helm": {"serviceMonitor": {"enabled": True, "interval": "15s", "labels": {"release": "kps"}}}}}
    plan, chart = model_chart(data, tmp_path)
    docs = template(plan, chart)
    assert names(docs, "ServiceMonitor") == {f"openim-{n}" for n, s in plan.services.items() if "metrics" in s.ports}
    monitor = one(docs, "ServiceMonitor", "openim-openim-rpc-user")
    assert monitor["metadata"]["labels"]["release"] == "kps"
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "15s"}]
    service = one(docs, "Service", "openim-user-rpc-service")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert "metrics" in {p["name"] for p in service["spec"]["ports"]}
    validate(docs)
    assert names(template(*model_chart({}, tmp_path / "off")), "ServiceMonitor") == set()


# --------------------------------------------------------------------------- external infrastructure
def test_external_ips_get_a_service_and_an_endpoint_slice(tmp_path: Path) -> None:
    data = {
        "infra": {
            "redis": {"mode": "external", "address": ["10.1.2.3:6380"]},
            "kafka": {"mode": "external", "address": ["10.1.2.4:9092", "k.example.com:9093"]},
        }
    }
    plan, chart = model_chart(data, tmp_path)
    docs = template(plan, chart)
    redis = one(docs, "Service", "openim-redis")["spec"]
    assert "selector" not in redis and redis["ports"][0]["port"] == 6380
    slice_ = one(docs, "EndpointSlice", "openim-redis-external")
    assert slice_["metadata"]["labels"]["kubernetes.io/service-name"] == "openim-redis"
    assert slice_["endpoints"][0]["addresses"] == ["10.1.2.3"] and slice_["ports"][0]["port"] == 6380
    assert config(docs, plan, "server", "redis.yml")["address"] == ["openim-redis:6380"]
    assert config(docs, plan, "server", "kafka.yml")["address"] == ["openim-kafka-0:9092", "openim-kafka-1:9093"]
    assert one(docs, "Service", "openim-kafka-1")["spec"]["externalName"] == "k.example.com"
    assert one(docs, "EndpointSlice", "openim-kafka-0-external")["addressType"] == "IPv4"
    assert not {"openim-redis", "openim-kafka"} & names(docs, "StatefulSet")
    validate(docs)
    # Compose and binary keep dialing the addresses themselves.
    assert plan.documents["compose"]["server"]["redis.yml"]["address"] == ["10.1.2.3:6380"]


def test_external_services_can_be_turned_off(tmp_path: Path) -> None:
    data = {"infra": {"redis": {"mode": "external", "address": ["10.1.2.3:6380"]}}, "targets": {"helm": {"externalServices": False}}}
    plan, chart = model_chart(data, tmp_path)
    docs = template(plan, chart)
    assert "openim-redis" not in names(docs, "Service") and names(docs, "EndpointSlice") == set()
    assert config(docs, plan, "server", "redis.yml")["address"] == ["10.1.2.3:6380"]


def test_a_mongodb_replica_set_is_dialed_by_its_members_names(tmp_path: Path) -> None:
    data = {"infra": {"mongodb": {"mode": "external", "address": ["m0.example.com:27017", "m1.example.com:27017"], "replicaSet": "rs0"}}}
    plan, chart = model_chart(data, tmp_path)
    docs = template(plan, chart)
    assert not {"openim-mongodb", "openim-mongodb-0"} & names(docs, "Service")
    assert config(docs, plan, "server", "mongodb.yml")["address"] == ["m0.example.com:27017", "m1.example.com:27017"]


# --------------------------------------------------------------------------- ingress
def test_one_host_for_api_websocket_chat_and_minio(tmp_path: Path) -> None:
    data = {"chat": {"enabled": True}, "targets": {"helm": {"ingress": {"enabled": True, "host": "im.example.com", "tlsSecret": "im-tls"}}}}
    plan, chart = model_chart(data, tmp_path)
    docs = template(plan, chart)
    main = one(docs, "Ingress", "openim-openim")["spec"]
    assert main["ingressClassName"] == "nginx" and main["tls"] == [{"hosts": ["im.example.com"], "secretName": "im-tls"}]
    (rule,) = main["rules"]
    routes = {p["path"]: (p["backend"]["service"]["name"], p["backend"]["service"]["port"]["name"]) for p in rule["http"]["paths"]}
    assert routes == {
        "/api(/|$)(.*)": ("openim-openim-api", "http"),
        "/msg_gateway(/|$)(.*)": ("openim-messagegateway-rpc-service", "ws"),
        "/chat(/|$)(.*)": ("openim-chat-api", "http"),
        "/complete_admin(/|$)(.*)": ("openim-admin-api", "http"),
    }
    minio = one(docs, "Ingress", "openim-openim-minio")
    (path,) = minio["spec"]["rules"][0]["http"]["paths"]
    assert path["path"] == "/im-minio-api(/|$)(.*)" and path["backend"]["service"] == {"name": "openim-minio", "port": {"name": "api"}}
    assert minio["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "0"
    external = config(docs, plan, "server", "minio.yml")["externalAddress"]
    assert external == "https://im.example.com/im-minio-api" == minio_external(plan.model, "kubernetes")
    assert (
        plan.documents["compose"]["server"]["minio.yml"]["externalAddress"]
        == f"http://{plan.model.public_host}:{plan.model.infra.minio.port}"
    )
    validate(docs)
    moved = template(plan, chart, {"ingress.host": "chat.example.org", "ingress.tlsSecret": ""})
    assert config(moved, plan, "server", "minio.yml")["externalAddress"] == "http://chat.example.org/im-minio-api"
    assert "tls" not in one(moved, "Ingress", "openim-openim")["spec"]
    without_gateway = template(plan, chart, {"openimMsggateway.enabled": "false"})
    paths = one(without_gateway, "Ingress", "openim-openim")["spec"]["rules"][0]["http"]["paths"]
    assert "/msg_gateway(/|$)(.*)" not in {p["path"] for p in paths}


def test_minio_with_its_own_address_is_not_routed(tmp_path: Path) -> None:
    data = {"infra": {"minio": {"externalAddress": "https://files.example.com"}}, "targets": {"helm": {"ingress": {"enabled": True}}}}
    plan, chart = model_chart(data, tmp_path)
    docs = template(plan, chart)
    assert names(docs, "Ingress") == {"openim-openim"}
    assert config(docs, plan, "server", "minio.yml")["externalAddress"] == "https://files.example.com"
