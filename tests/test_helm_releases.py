"""Several OpenIM releases in one namespace (issue 13, item 1).

At the 3.8 line the server's Kubernetes discovery reads the fixed namespace ``default``, so a
second OpenIM cannot go to a namespace of its own; it can share one, because every object name
starts with the release's name and the config files dial those names. Proven here with Helm's
own engine: two releases rendered into one namespace share no kind/namespace/name, pass
kubernetes-validate (strict), and each release's config files reach only its own Services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from openim_config.plan import Plan
from openim_config.verify.reading import split_address
from tests.helm_support import model_chart, template, validate

NAMESPACE = "default"
OPTIONAL = {
    "networkPolicies": True,
    "podDisruptionBudgets": True,
    "serviceMonitor": {"enabled": True},
}


def _release(name: str, host: str, root: Path) -> tuple[Plan, list[dict[str, Any]]]:
    data = {
        "chat": {"enabled": True},
        "services": {"openim-push": {"instances": 2}},
        "infra": {"redis": {"mode": "external", "address": ["10.1.2.3:6379"]}},
        "targets": {"helm": {"release": name, "namespace": NAMESPACE, "ingress": {"enabled": True, "host": host}, **OPTIONAL}},
    }
    plan, chart = model_chart(data, root / name)
    return plan, template(plan, chart)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Plan, list[dict[str, Any]]]]:
    root = tmp_path_factory.mktemp("releases")
    return {name: _release(name, f"{name}.example.com", root) for name in ("im-a", "im-b")}


def _key(doc: dict[str, Any]) -> tuple[str, str, str]:
    meta = doc["metadata"]
    return doc["kind"], meta.get("namespace", NAMESPACE), meta["name"]


def test_two_releases_share_a_namespace_without_a_name_collision(releases: dict[str, tuple[Plan, list[dict[str, Any]]]]) -> None:
    seen: dict[tuple[str, str, str], str] = {}
    collisions = []
    for release, (_, docs) in releases.items():
        assert len(docs) > 40, f"{release}: the chart rendered only {len(docs)} objects"
        for doc in docs:
            key = _key(doc)
            if key in seen:
                collisions.append(f"{'/'.join(key)}: {seen[key]} and {release}")
            seen[key] = release
    assert collisions == []
    for _, docs in releases.values():
        validate(docs)


def test_every_object_is_named_after_its_release(releases: dict[str, tuple[Plan, list[dict[str, Any]]]]) -> None:
    for release, (_, docs) in releases.items():
        assert [_key(d) for d in docs if not d["metadata"]["name"].startswith(f"{release}-")] == []
        assert {d["metadata"]["labels"]["app.kubernetes.io/instance"] for d in docs} == {release}


def _config_hosts(docs: list[dict[str, Any]]) -> set[str]:
    """Every in-cluster host name (no dots, not an IP) an OpenIM config file of the release dials."""
    hosts: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and ":" in node:
            _, host, port, _ = split_address(node)
            if port is not None and host and "." not in host and ":" not in host:
                hosts.add(host)

    for cm in (d for d in docs if d["kind"] == "ConfigMap"):
        for text in cm["data"].values():
            walk(yamlio.load_plain(text))
    return hosts


def test_each_release_dials_only_its_own_services(releases: dict[str, tuple[Plan, list[dict[str, Any]]]]) -> None:
    for release, (plan, docs) in releases.items():
        services = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
        hosts = _config_hosts(docs)
        # MongoDB, Kafka, MinIO and etcd bundled, Redis external behind an in-cluster alias, and the API for chat.
        for base in ("mongodb", "kafka", "minio", "etcd", "redis", "openim-api"):
            assert f"{release}-{base}" in hosts, f"{release}: no config file dials {release}-{base}"
        assert hosts <= services, f"{release}: config files dial {sorted(hosts - services)}, which are not its Services"
        server = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}[f"{release}-server-config"]
        register = yamlio.load_plain(server["data"]["share.yml"])["rpcRegisterName"]
        grpc = {d["metadata"]["name"] for d in docs if d["kind"] == "Service" and d["spec"]["ports"][0]["name"] == "grpc"}
        # OpenIM's Kubernetes resolver dials the Service its discovery name names, on the port named grpc.
        assert set(register.values()) <= grpc and all(name.startswith(f"{release}-") for name in register.values())
        chat = yamlio.load_plain(_chat_config(docs, release)["data"]["discovery.yml"])["rpcService"]
        assert {chat["chat"], chat["admin"]} <= grpc
        assert plan.model.targets.helm.release == release


def _chat_config(docs: list[dict[str, Any]], release: str) -> dict[str, Any]:
    (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == f"{release}-chat-config"]
    return cm


def test_ingress_and_network_policies_point_at_the_releases_own_services(
    releases: dict[str, tuple[Plan, list[dict[str, Any]]]],
) -> None:
    for release, (_, docs) in releases.items():
        services = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
        backends = {
            p["backend"]["service"]["name"]
            for d in docs
            if d["kind"] == "Ingress"
            for rule in d["spec"]["rules"]
            for p in rule["http"]["paths"]
        }
        assert backends and backends <= services
        for policy in (d for d in docs if d["kind"] == "NetworkPolicy"):
            assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == release
            for rule in policy["spec"]["ingress"]:
                for peer in rule.get("from", []):
                    instance = [e for e in peer["podSelector"]["matchExpressions"] if e["key"] == "app.kubernetes.io/instance"]
                    assert instance == [{"key": "app.kubernetes.io/instance", "operator": "In", "values": [release]}]
