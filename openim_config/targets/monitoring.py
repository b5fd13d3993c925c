"""Monitoring configuration shared by the targets: Prometheus with static targets (every
instance's metrics port), the alert rules, and Alertmanager's receivers.

Upstream's http_sd discovery needs etcd and random ports (FACTS 7); with fixed ports every
target scrapes each instance directly. The binary and compose targets differ only in how an
instance is addressed; the Helm chart carries the same rules as a PrometheusRule.

Alertmanager's configuration is credential-free on disk: a receiver's password or webhook URL
is a placeholder, replaced inside the container at start from its environment (``START``).
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


PLACEHOLDERS = {"alertSmtpPassword": "__ALERT_SMTP_PASSWORD__", "alertWebhookUrl": "__ALERT_WEBHOOK_URL__"}
"""Secret id -> the token standing for it in alertmanager.yml (the variable between the underscores)."""


def alertmanager_config(plan: Plan) -> dict[str, Any]:
    """One receiver with the model's email and webhook settings (none: alerts only show in the UI)."""
    alerts = plan.model.monitoring.alerts
    receiver: dict[str, Any] = {"name": "default"}
    if alerts.email is not None:
        mail = alerts.email
        email: dict[str, Any] = {"to": ", ".join(mail.to), "from": mail.sender, "smarthost": mail.smarthost}
        if mail.username:
            email["auth_username"] = mail.username
        if mail.password is not None:
            email["auth_password"] = PLACEHOLDERS["alertSmtpPassword"]
        email |= {"require_tls": mail.require_tls, "send_resolved": True}
        receiver["email_configs"] = [email]
    if alerts.webhook is not None:
        receiver["webhook_configs"] = [{"url": PLACEHOLDERS["alertWebhookUrl"], "send_resolved": alerts.webhook.send_resolved}]
    return {"route": {"receiver": "default", "group_by": ["alertname"]}, "receivers": [receiver]}


def alertmanager_needs_secrets(plan: Plan) -> bool:
    return any(e.secret_id in PLACEHOLDERS for e in plan.bundled_env.get("alertmanager", ()))


# Alertmanager's start when a receiver has a credential: each __NAME__ token becomes the value
# of $NAME as a YAML double-quoted string (quotes and backslashes escaped), in a copy under /tmp
# (the image's busybox sh and awk; it runs as nobody). Compose needs `$` doubled (compose_text).
START = """\
set -eu
awk '
function esc(s,    out, i, c) {
  out = ""
  for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); if (c == "\\\\" || c == "\\"") out = out "\\\\"; out = out c }
  return out
}
{
  for (name in ENVIRON) {
    if (name !~ /^ALERT_/) continue
    token = "__" name "__"
    line = $0; out = ""
    while ((at = index(line, token)) > 0) {
      out = out substr(line, 1, at - 1) "\\"" esc(ENVIRON[name]) "\\""
      line = substr(line, at + length(token))
    }
    $0 = out line
  }
  print
}' /etc/alertmanager/alertmanager.yml > /tmp/alertmanager.yml
exec /bin/alertmanager --config.file=/tmp/alertmanager.yml --storage.path=/alertmanager "$@"
"""


def from_files(directory: str) -> str:
    """A start script's first line in Kubernetes, where credentials are files of a Secret volume
    (never variables of the pod spec): each file of ``directory`` becomes the variable it is named
    after (Kubernetes' own ``..data`` entries are hidden from the glob)."""
    return f'for f in {directory}/*; do if [ -f "$f" ]; then export "${{f##*/}}=$(cat "$f")"; fi; done\n'


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


GLOBAL = {"scrape_interval": "15s", "evaluation_interval": "15s"}
"""Prometheus's global settings, the same in every target."""
RULES_FILE = "instance-down-rules.yml"
"""The alert rules' file, beside prometheus.yml."""


def prometheus_config(plan: Plan, address: Callable[[Instance], str], alertmanager: str, node_exporter: str | None) -> dict[str, Any]:
    jobs = scrape_configs(plan, address)
    if node_exporter:
        jobs.append({"job_name": "node-exporter", "static_configs": [{"targets": [node_exporter]}]})
    return {
        "global": dict(GLOBAL),
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "rule_files": [RULES_FILE],
        "scrape_configs": jobs,
    }
