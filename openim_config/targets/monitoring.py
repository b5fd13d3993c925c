"""Prometheus configuration with static targets: every instance's metrics port.

Upstream's http_sd discovery needs etcd and random ports (FACTS 7); with fixed ports every
target scrapes each instance directly. Shared by the binary and compose targets, which differ
only in how an instance is addressed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openim_config.plan import Instance, Plan

ALERT_RULES: dict[str, Any] = {
    "groups": [
        {
            "name": "instance_down",
            "rules": [
                {
                    "alert": "InstanceDown",
                    "expr": "up == 0",
                    "for": "1m",
                    "labels": {"severity": "critical"},
                    "annotations": {"summary": "{{ $labels.job }} {{ $labels.instance }} is down"},
                }
            ],
        },
        {
            "name": "database_insert_failure_alerts",
            "rules": [
                {
                    "alert": "DatabaseInsertFailed",
                    "expr": "increase(msg_insert_redis_failed_total[5m]) > 0 or increase(msg_insert_mongo_failed_total[5m]) > 0",
                    "for": "1m",
                    "labels": {"severity": "critical"},
                    "annotations": {"summary": "messages failed to reach Redis or MongoDB on {{ $labels.instance }}"},
                }
            ],
        },
    ]
}


def scrape_configs(plan: Plan, address: Callable[[Instance], str]) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    for svc in plan.services.values():
        if "metrics" not in svc.ports:
            continue
        jobs.append(
            {
                "job_name": svc.name,
                "metrics_path": "/metrics",
                "static_configs": [
                    {"targets": [f"{address(i)}:{i.ports['metrics']}" for i in svc.instances], "labels": {"service": svc.name}}
                ],
            }
        )
    return jobs


def prometheus_config(plan: Plan, address: Callable[[Instance], str], alertmanager: str, node_exporter: str | None) -> dict[str, Any]:
    jobs = scrape_configs(plan, address)
    if node_exporter:
        jobs.append({"job_name": "node-exporter", "static_configs": [{"targets": [node_exporter]}]})
    return {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "rule_files": ["instance-down-rules.yml"],
        "scrape_configs": jobs,
    }
