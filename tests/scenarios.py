"""The golden cases, shared by the golden tests, the consumer tests and the benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from openim_config import build
from openim_config.artifacts import Artifact
from openim_config.loader import Source
from openim_config.plan import Plan

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "openim.yaml").is_file())
TARGET_NAMES = ("binary", "compose", "helm")
REFRESH = "pytest tests/test_golden.py --update-goldens"

# Values for every `{env: ...}` secret a golden model references, so consumer tests can write
# the secret files too. Test-only values.
SECRET_ENV = {
    "OPENIM_SECRET": "golden-openim-secret",
    "CHAT_TOKEN_SECRET": "golden-chat-token",
    "MONGODB_PASSWORD": "golden-mongo-password",
    "REDIS_PASSWORD": "golden-redis-password",
    "MINIO_SECRET_KEY": "golden-minio-secret",
    "GRAFANA_ADMIN_PASSWORD": "golden-grafana-admin",
    "ALERT_SMTP_PASSWORD": 'golden "smtp" password',
    "ETCD_PASSWORD": "golden-etcd-root",
    "ALERT_WEBHOOK_URL": "https://hooks.example.com/openim?token=golden-webhook-token",
    "GETUI_MASTER_SECRET": "golden-getui-master-secret",
    "ALI_SMS_ACCESS_KEY_ID": "golden-ali-sms-id",
    "ALI_SMS_ACCESS_KEY_SECRET": "golden-ali-sms-secret",
    "FCM_SERVICE_ACCOUNT": '{"type": "service_account", "project_id": "golden", "private_key": "golden-fcm-private-key"}',
    "AWS_ACCESS_KEY_ID": "golden-aws-key-id",
    "AWS_SECRET_ACCESS_KEY": "golden-aws-secret-key",
}


@contextmanager
def secret_env() -> Iterator[None]:
    """The golden models' `{env: ...}` secrets set, for code that writes secret files."""
    mp = pytest.MonkeyPatch()
    for key, value in SECRET_ENV.items():
        mp.setenv(key, value)
    try:
        yield
    finally:
        mp.undo()


DEFAULT_CREDENTIALS = {"openIM123", "chat123", "666666", "23ztfSqsfQ8hKkHzHTl3Z4bvaxro0snjk5jwbp5p6Q3"}
"""Upstream's default credentials, which the default model keeps: they too must stay in secret files."""


def model_file(case: str) -> Path:
    return GOLDEN / case / "openim.yaml"


def plan_case(case: str) -> Plan:
    return build.plan_for(Source(files=[model_file(case)], environ={}))


def render_case(case: str, targets: tuple[str, ...] = TARGET_NAMES) -> dict[str, list[Artifact]]:
    return build.render(plan_case(case), targets)


def synthetic(instances: int, hosts: int = 1) -> dict[str, Any]:
    """A model of ``instances`` processes spread evenly over every service (chat included; a
    service left with none is turned off) and round-robin over ``hosts`` binary hosts: the
    sizes the scaling test and the benchmarks use."""
    from openim_config.catalog import load_catalog

    services = sorted(load_catalog("3.8").binaries)
    share, extra = divmod(instances, len(services))
    counts = [share + (k < extra) for k in range(len(services))]
    placed = 0
    model: dict[str, Any] = {
        "chat": {"enabled": True},
        "targets": {"binary": {"hosts": [{"name": f"h{i}", "address": f"10.0.{i // 250}.{i % 250 + 1}"} for i in range(hosts)]}},
        "services": {},
    }
    for name, count in zip(services, counts, strict=True):
        if count == 0:
            model["services"][name] = {"enabled": False}
            continue
        model["services"][name] = {"instances": count, "hosts": [f"h{(placed + j) % hosts}" for j in range(count)]}
        placed += count
    return model
