"""No setting is accepted and ignored: every key of the model changes some artifact of every
target it claims to reach, and no other.

The keys come from the model's own schema, so a new key fails ``test_every_key_is_claimed``
until it is listed in ``CLAIMS`` with the targets it reaches (and the context that makes it
matter, e.g. chat's keys with chat on). A key that is valid but does nothing in a target is
either refused by validation or said by ``build`` (the targets' notes): it never goes unsaid.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from openim_config import build
from openim_config.model import OpenIM
from openim_config.model.keys import dereference, mapping_values, model_schema
from openim_config.plan import build_plan

ALL = frozenset({"binary", "compose", "helm"})
HOSTS = frozenset({"binary", "compose"})
CHAT = {"chat": {"enabled": True}}
MONITORING = {"monitoring": {"enabled": True}}
EMAIL = {"to": ["ops@example.com"], "sender": "alerts@example.com", "smarthost": "smtp.example.com:587", "username": "u"}
ALERTS = {"monitoring": {"enabled": True, "alerts": {"email": EMAIL, "webhook": {"url": "https://hooks.example.com/x"}}}}
INGRESS = {"targets": {"helm": {"ingress": {"enabled": True, "host": "im.example.com"}}}}


def external(name: str, **more: Any) -> dict[str, Any]:
    return {"infra": {name: {"mode": "external", "address": [f"{name}.example.net:1234"], **more}}}


@dataclass(frozen=True)
class Claim:
    value: Any
    """The changed value (merged into the context at the key)."""
    targets: frozenset[str] = ALL
    context: Mapping[str, Any] = field(default_factory=dict)
    why: str = ""
    """For a key that reaches fewer targets than all: why, and where the tool says so."""
    change: Mapping[str, Any] | None = None
    """What to merge instead of ``value`` at the key, where the key alone cannot change validly
    (``objectStorage.backend`` comes with its block)."""


def S(name: str) -> str:
    return f"services.{name}"


CLAIMS: dict[str, Claim] = {
    "release": Claim(None, frozenset(), why="one release line exists: nothing to change it to"),
    "publicHost": Claim("im.example.org"),
    "secret": Claim("another-openim-secret"),
    "admins": Claim([{"userID": "root-admin"}]),
    "log.level": Claim(3),
    "log.rotationTime": Claim(12),
    "log.remainRotationCount": Claim(5),
    "log.json": Claim(True),
    "images.registry": Claim("registry.example.com/openim", frozenset({"compose", "helm"}), why="binary runs executables"),
    "images.tag": Claim("v3.8.3-patch.15", frozenset({"compose", "helm"}), why="binary runs executables"),
    "images.chatTag": Claim("v1.8.4-patch.4", frozenset({"compose", "helm"}), CHAT, why="binary runs executables"),
    "images.pullPolicy": Claim("Always"),
    "services.<key>.enabled": Claim(False),
    "services.<key>.instances": Claim(2),
    "services.<key>.ports.<key>": Claim([10999], context={"services": {"openim-push": {"instances": 1}}}),
    "services.<key>.image": Claim(
        "registry.example.com/push:v3.8.3-patch.16", frozenset({"compose", "helm"}), why="binary runs executables"
    ),
    "services.<key>.hosts": Claim(
        ["b"],
        frozenset({"binary"}),
        {"targets": {"binary": {"hosts": [{"name": "a", "address": "10.0.0.1"}, {"name": "b", "address": "10.0.0.2"}]}}},
        why="placement on bare hosts",
    ),
    "services.<key>.resources.limits.<key>": Claim("1Gi"),
    "services.<key>.resources.requests.<key>": Claim("512Mi", frozenset({"compose", "helm"}), why="systemd has no reservation"),
    "chat.enabled": Claim(True),
    "chat.adminAccounts": Claim(["boss"], context=CHAT),
    "chat.tokenSecret": Claim("another-token-secret", context=CHAT),
    "chat.apiURL": Claim("http://api.example.com:10002", context=CHAT),
    "chat.superCode": Claim("424242", context=CHAT),
    "chat.liveKit.url": Claim("wss://livekit.example.com", context=CHAT),
    "chat.liveKit.key": Claim("another-key", context=CHAT),
    "chat.liveKit.secret": Claim("another-livekit-secret", context=CHAT),
    **{
        f"infra.{name}.mode": Claim("external", context={"infra": {name: {"address": [f"{name}.example.net:1234"]}}})
        for name in ("mongodb", "redis", "kafka", "minio")
    },
    "infra.etcd.mode": Claim("external", context={"infra": {"etcd": {"address": ["etcd.example.net:2379"]}}, **CHAT}),
    **{
        f"infra.{name}.address": Claim([f"{name}2.example.net:1234"], context=external(name))
        for name in ("mongodb", "redis", "kafka", "minio")
    },
    "infra.etcd.address": Claim(["etcd2.example.net:2379"], context={**external("etcd"), **CHAT}),
    **{f"infra.{name}.image": Claim(f"{name}-mirror.example.com/{name}:1.0") for name in ("mongodb", "redis", "kafka", "minio")},
    "infra.etcd.image": Claim("mirror.example.com/etcd:3.5.13", context=CHAT),
    "infra.mongodb.port": Claim(37018, frozenset({"binary"}), why="host ports: the binary target's"),
    "infra.redis.port": Claim(16380, frozenset({"binary"}), why="host ports: the binary target's"),
    "infra.kafka.port": Claim(19095, frozenset({"binary"}), why="host ports: the binary target's"),
    "infra.etcd.port": Claim(12380, frozenset({"binary"}), why="host ports: the binary target's"),
    "infra.minio.port": Claim(10006),
    "infra.minio.consolePort": Claim(10007, HOSTS, why="Kubernetes: the Service port"),
    "infra.mongodb.database": Claim("im"),
    "infra.mongodb.authSource": Claim("admin", context=external("mongodb")),
    "infra.mongodb.username": Claim("im"),
    "infra.mongodb.password": Claim("another-mongo-password"),
    "infra.mongodb.rootUsername": Claim("admin2"),
    "infra.mongodb.rootPassword": Claim("another-root-password"),
    "infra.mongodb.replicaSet": Claim("rs1", context=external("mongodb")),
    "infra.mongodb.maxPoolSize": Claim(50),
    "infra.mongodb.maxRetry": Claim(3),
    "infra.redis.redisMode": Claim("cluster", context=external("redis")),
    "infra.redis.username": Claim("im", context=external("redis")),
    "infra.redis.password": Claim("another-redis-password"),
    "infra.redis.db": Claim(2),
    "infra.redis.maxRetry": Claim(3),
    "infra.redis.poolSize": Claim(50),
    "infra.kafka.username": Claim("im", context=external("kafka", password="kafka-password")),
    "infra.kafka.password": Claim("another-kafka-password", context=external("kafka", username="im")),
    "infra.kafka.producerAck": Claim("1"),
    "infra.kafka.compressType": Claim("gzip"),
    "infra.kafka.tls.enabled": Claim(True, context=external("kafka")),
    "infra.kafka.tls.caCrt": Claim("/certs/ca.crt", context=external("kafka", tls={"enabled": True})),
    "infra.kafka.tls.clientCrt": Claim("/certs/c.crt", context=external("kafka", tls={"enabled": True})),
    "infra.kafka.tls.clientKey": Claim("/certs/c.key", context=external("kafka", tls={"enabled": True})),
    "infra.kafka.tls.clientKeyPassword": Claim("key-password", context=external("kafka", tls={"enabled": True})),
    "infra.kafka.tls.insecureSkipVerify": Claim(True, context=external("kafka", tls={"enabled": True})),
    "infra.etcd.rootDirectory": Claim("im"),
    "infra.etcd.username": Claim("im", context={**external("etcd", password="etcd-password"), **CHAT}),
    "infra.etcd.password": Claim(
        "another-etcd-password", context={"infra": {"etcd": {"username": "root", "password": "etcd-password"}}, **CHAT}
    ),
    "infra.minio.bucket": Claim("files"),
    "infra.minio.accessKeyId": Claim("minio-admin"),
    "infra.minio.secretAccessKey": Claim("another-minio-secret"),
    "infra.minio.externalAddress": Claim("https://files.example.com"),
    "infra.minio.publicRead": Claim(True),
    "storage.<key>.hostPath": Claim("/srv/mongo", HOSTS, why="Kubernetes: claims"),
    "storage.<key>.size": Claim("20Gi", frozenset({"helm"}), why="hosts: the file system decides"),
    "storage.<key>.storageClass": Claim("fast", frozenset({"helm"}), why="Kubernetes only"),
    "storage.<key>.accessModes": Claim(["ReadWriteOncePod"], frozenset({"helm"}), why="Kubernetes only"),
    "storage.<key>.existingClaim": Claim("mongo-pvc", frozenset({"helm"}), why="Kubernetes only"),
    "monitoring.enabled": Claim(True),
    "monitoring.grafanaUrl": Claim("https://grafana.example.com/", context=MONITORING),
    "monitoring.alerts.email.to": Claim(["other@example.com"], context=ALERTS),
    "monitoring.alerts.email.sender": Claim("other@example.com", context=ALERTS),
    "monitoring.alerts.email.smarthost": Claim("smtp2.example.com:25", context=ALERTS),
    "monitoring.alerts.email.username": Claim("v", context=ALERTS),
    "monitoring.alerts.email.password": Claim("smtp-password", context=ALERTS),
    "monitoring.alerts.email.requireTls": Claim(False, context=ALERTS),
    "monitoring.alerts.webhook.url": Claim("https://hooks.example.com/y", context=ALERTS),
    "monitoring.alerts.webhook.sendResolved": Claim(False, context=ALERTS),
    "monitoring.prometheusPort": Claim(19091, context=MONITORING),
    "monitoring.alertmanagerPort": Claim(19095, context=MONITORING),
    "monitoring.grafanaPort": Claim(13001, context=MONITORING),
    "monitoring.nodeExporterPort": Claim(19101, HOSTS, MONITORING, why="helm: runs no node-exporter, said by build"),
    "monitoring.grafanaAdminUser": Claim("boss", context=MONITORING),
    "monitoring.grafanaAdminPassword": Claim("another-grafana-password", context=MONITORING),
    "fronts.web.enabled": Claim(True),
    "fronts.web.port": Claim(11011, context={"fronts": {"web": {"enabled": True}}}),
    "fronts.web.image": Claim("mirror.example.com/web:1", context={"fronts": {"web": {"enabled": True}}}),
    "fronts.admin.enabled": Claim(True, context=CHAT),
    "fronts.admin.port": Claim(11012, context={**CHAT, "fronts": {"admin": {"enabled": True}}}),
    "fronts.admin.image": Claim("mirror.example.com/admin:1", context={**CHAT, "fronts": {"admin": {"enabled": True}}}),
    "targets.binary.hosts": Claim([{"name": "one", "address": "10.0.0.9"}], frozenset({"binary"})),
    "targets.binary.installDir": Claim("/srv/openim", frozenset({"binary"})),
    "targets.binary.configDir": Claim("/srv/etc", frozenset({"binary"})),
    "targets.binary.logDir": Claim("/srv/log", frozenset({"binary"})),
    "targets.binary.dataDir": Claim("/srv/data", frozenset({"binary"})),
    "targets.binary.user": Claim("im", frozenset({"binary"})),
    "targets.binary.group": Claim("im", frozenset({"binary"})),
    "targets.compose.project": Claim("im-test", frozenset({"compose"})),
    "targets.compose.dataDir": Claim("/srv/im", frozenset({"compose"})),
    "targets.compose.volumes": Claim("named", frozenset({"compose"})),
    "targets.helm.namespace": Claim("im", frozenset({"helm"})),
    "targets.helm.release": Claim("im", frozenset({"helm"})),
    "targets.helm.chartName": Claim("im-chart", frozenset({"helm"})),
    "targets.helm.storageClass": Claim("fast", frozenset({"helm"})),
    "targets.helm.ingress.enabled": Claim(True, frozenset({"helm"})),
    "targets.helm.ingress.host": Claim("im2.example.com", frozenset({"helm"}), INGRESS),
    "targets.helm.ingress.className": Claim("traefik", frozenset({"helm"}), INGRESS),
    "targets.helm.ingress.controller": Claim("istio", frozenset({"helm"}), INGRESS),
    "targets.helm.ingress.adminHost": Claim(
        "console.example.com", frozenset({"helm"}), {**INGRESS, **CHAT, "fronts": {"admin": {"enabled": True}}}
    ),
    "targets.helm.ingress.tlsSecret": Claim("im-tls", frozenset({"helm"}), INGRESS),
    "targets.helm.ingress.minioPath": Claim("/files", frozenset({"helm"}), INGRESS),
    "targets.helm.externalServices": Claim(False, frozenset({"helm"}), external("redis")),
    "targets.helm.antiAffinity.services": Claim("required", frozenset({"helm"})),
    "targets.helm.antiAffinity.infra": Claim("required", frozenset({"helm"})),
    "targets.helm.networkPolicies": Claim(False, frozenset({"helm"})),
    "targets.helm.podDisruptionBudgets": Claim(True, frozenset({"helm"}), {"services": {"openim-push": {"instances": 2}}}),
    "targets.helm.serviceMonitor.enabled": Claim(True, frozenset({"helm"})),
    "targets.helm.serviceMonitor.interval": Claim("1m", frozenset({"helm"}), {"targets": {"helm": {"serviceMonitor": {"enabled": True}}}}),
    "targets.helm.serviceMonitor.labels.<key>": Claim(
        "kube-prometheus", frozenset({"helm"}), {"targets": {"helm": {"serviceMonitor": {"enabled": True}}}}
    ),
}
"""Model key -> how to change it, in which context, and the targets it must change."""

GETUI = {"push": {"provider": "getui", "getui": {"appKey": "app", "masterSecret": "getui-secret"}}}
JPUSH = {"push": {"provider": "jpush", "jpush": {"appKey": "app", "masterSecret": "jpush-secret"}}}
FCM = {"push": {"provider": "fcm", "fcm": {"serviceAccount": '{"type": "service_account"}'}}}
STORAGE = {
    "cos": {"bucketURL": "https://b-1.cos.ap-x.myqcloud.com", "secretID": "id", "secretKey": "key"},
    "oss": {
        "endpoint": "https://oss.example.com",
        "bucket": "b",
        "bucketURL": "https://b.oss.example.com",
        "accessKeyID": "id",
        "accessKeySecret": "key",
    },
    "aws": {"region": "eu-central-1", "bucket": "b", "accessKeyID": "id", "secretAccessKey": "key"},
}
STORAGE["kodo"] = STORAGE["oss"]
PROVIDER_CHANGES = {"appKey": "app2", "masterSecret": "other-secret", "pushUrl": "https://p.example.com", "pushURL": "https://p.example.com",
                    "intent": "i", "channelID": "c", "channelName": "n", "pushIntent": "i"}  # fmt: skip
STORAGE_CHANGES = {"bucketURL": "https://other.example.com", "secretID": "id2", "secretKey": "key2", "sessionToken": "token",
                   "publicRead": True, "endpoint": "https://other.example.com", "bucket": "b2", "accessKeyID": "id2",
                   "accessKeySecret": "key2", "secretAccessKey": "key2", "region": "us-east-1"}  # fmt: skip
CLAIMS |= {
    "config.server": Claim({"share.yml": {"multiLogin": {"policy": 2}}}),
    "config.chat": Claim({"chat-rpc-chat.yml": {"allowRegister": False}}, context=CHAT),
    "push.provider": Claim("none"),
    "push.fcm.serviceAccount": Claim('{"type": "service_account", "project_id": "p"}', context=FCM),
    "push.fcm.authURL": Claim("https://b.example.com", context={"push": {"provider": "fcm", "fcm": {"authURL": "https://a.example.com"}}}),
    "objectStorage.backend": Claim("cos", change={"objectStorage": {"backend": "cos", "cos": STORAGE["cos"]}}),
    **{
        f"push.getui.{k}": Claim(PROVIDER_CHANGES[k], context=GETUI)
        for k in ("appKey", "masterSecret", "pushUrl", "intent", "channelID", "channelName")
    },
    **{f"push.jpush.{k}": Claim(PROVIDER_CHANGES[k], context=JPUSH) for k in ("appKey", "masterSecret", "pushURL", "pushIntent")},
    **{
        f"objectStorage.{backend}.{k}": Claim(STORAGE_CHANGES[k], context={"objectStorage": {"backend": backend, backend: fields}})
        for backend, fields in STORAGE.items()
        for k in (*fields, "sessionToken", "publicRead")
    },
}

DICT_KEYS = {
    "services": "openim-push",
    "storage": "mongodb-data",
    "labels": "release",
    "ports": "grpc",
    "limits": "memory",
    "requests": "memory",
}
"""A representative key where the model holds a free-form mapping."""


def model_keys(node: dict[str, Any] | None = None, path: tuple[str, ...] = ()) -> Iterator[str]:
    """Every leaf key of the model (``<key>`` where a mapping takes any name)."""
    node = dereference(node if node is not None else model_schema())
    if node.get("title") != "Secret":
        variants = [dereference(v) for v in node.get("anyOf", [])]
        objects = [v for v in variants if "properties" in v or mapping_values(v) is not None]
        node = objects[0] if objects else node
    if path[:1] == ("config",) and len(path) == 2:
        yield ".".join(path)  # every upstream key: one claim per product
    elif "properties" in node and node.get("title") != "Secret":
        for key, child in node["properties"].items():
            yield from model_keys(child, (*path, key))
    elif (values := mapping_values(node)) is not None and node.get("title") != "Secret":
        yield from model_keys(values, (*path, "<key>"))
    else:
        yield ".".join(path)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), dict) else copy.deepcopy(value)
    return out


def _nest(key: str, value: Any) -> dict[str, Any]:
    parts = [DICT_KEYS[key.split(".")[i - 1]] if p == "<key>" else p for i, p in enumerate(key.split("."))]
    node: Any = value
    for part in reversed(parts):
        node = {part: node}
    return node  # type: ignore[no-any-return]


def _render(data: Mapping[str, Any]) -> dict[str, dict[str, bytes]]:
    plan = build_plan(OpenIM.model_validate(data))
    return {t: {a.path: a.data() for a in arts} for t, arts in build.render(plan, sorted(ALL)).items()}


@cache
def _baseline(context: str) -> dict[str, dict[str, bytes]]:
    import json

    return _render(json.loads(context))


def reached(key: str, claim: Claim) -> frozenset[str]:
    import json

    before = _baseline(json.dumps(claim.context, sort_keys=True))
    after = _render(_merge(dict(claim.context), claim.change or _nest(key, claim.value)))
    return frozenset(t for t in ALL if before[t] != after[t])


def test_every_key_is_claimed() -> None:
    keys = set(model_keys())
    assert keys - set(CLAIMS) == set(), "new model keys: say in CLAIMS which targets each reaches"
    assert set(CLAIMS) - keys == set(), "CLAIMS lists keys the model no longer has"


def _notes(key: str, claim: Claim) -> dict[str, list[str]]:
    plan = build_plan(OpenIM.model_validate(_merge(dict(claim.context), claim.change or _nest(key, claim.value))))
    return {t: [n for n in build.notes(plan, [t])] for t in sorted(ALL)}


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(k for k, c in CLAIMS.items() if c.targets))
def test_each_key_changes_the_targets_it_claims(key: str) -> None:
    """... and a target it does not reach says so when it is set (its build notes name it),
    unless the key's own name says which target it is for (``targets.<name>.*``)."""
    claim = CLAIMS[key]
    assert reached(key, claim) == claim.targets
    if key.startswith("targets."):
        return
    notes = _notes(key, claim)
    concrete = ".".join(DICT_KEYS[key.split(".")[i - 1]] if p == "<key>" else p for i, p in enumerate(key.split(".")))
    for target in sorted(ALL - claim.targets):
        assert any(concrete in n or concrete.rsplit(".", 1)[0] in n for n in notes[target]), f"{target} ignores {concrete} silently"
