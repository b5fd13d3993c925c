"""The chart's own monitoring stack: Prometheus, Alertmanager and Grafana, when the model asks
for monitoring (``monitoring.enabled``) and not through the cluster's Prometheus operator
(``targets.helm.serviceMonitor``, which the operator's own Prometheus then serves).

Values only; the objects are ``templates/monitoring-*.yaml``. Prometheus finds the pods itself
(``kubernetes_sd_configs``, role pod, in the release's namespace): a Service balances across
replicas, and every replica must be scraped. Credentials reach the containers as files of a
Secret volume, never as variables of the pod spec: each start script reads them (``from_files``)
before doing what the other targets do (Alertmanager's placeholder substitution, Grafana's
admin password reset).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openim_config.plan import Plan
from openim_config.targets.helm.tree import Block, Node, Value
from openim_config.targets.infra_compose import GRAFANA_START
from openim_config.targets.monitoring import GLOBAL, START, alertmanager_config, from_files

__all__ = ["COMPONENTS", "block", "deploys_monitoring"]

COMPONENTS = ("prometheus", "alertmanager", "grafana")
SECRET_DIRS = {"alertmanager": "/etc/alertmanager-secrets", "grafana": "/etc/grafana-secrets"}
"""Where each component's credentials are mounted, one file per variable its start reads."""

PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
ID = {"type": "integer", "minimum": 0}
RESOURCES_DOC = "CPU and memory requests and limits."


def deploys_monitoring(plan: Plan) -> bool:
    """The chart runs its own stack: monitoring asked for, and not left to a Prometheus operator."""
    model = plan.model
    return model.monitoring.enabled and not model.targets.helm.service_monitor.enabled


def block(plan: Plan, persistence: Mapping[str, Block], resources: Mapping[str, Any]) -> Block:
    """``monitoring`` in values.yaml: one block per component. ``persistence``: the data volumes of
    Prometheus and Grafana (storage.prometheus-data, storage.grafana-data); ``resources``: the
    schema of a resources map."""
    mon = plan.model.monitoring
    ports = {"prometheus": mon.prometheus_port, "alertmanager": mon.alertmanager_port, "grafana": mon.grafana_port}
    docs = {
        "prometheus": "Prometheus: scrapes every OpenIM pod's metrics port, evaluates the alert rules (alertRules).",
        "alertmanager": "Alertmanager: sends the alerts where openim.yaml monitoring.alerts says.",
        "grafana": "Grafana, with Prometheus provisioned as its data source.",
    }
    blocks: dict[str, Node] = {"enabled": Value("Run them (openim.yaml monitoring.enabled).", True, {"type": "boolean"})}
    for name in COMPONENTS:
        contract = plan.catalog.contracts[name]
        uid, _, gid = contract.user.partition(":")
        fields: dict[str, Node] = {
            "image": Value("Image reference.", plan.extra_image(name), {"type": "string", "minLength": 1}),
            "port": Value(f"Service port (openim.yaml monitoring.{name}Port).", ports[name], PORT),
            "containerPort": Value("Where the image listens.", contract.listens[0], PORT),
            "runAsUser": Value("The image's own user: what its data directory expects.", int(uid), ID),
            "runAsGroup": Value("The image's own group.", int(gid or uid), ID),
        }
        if name == "prometheus":
            fields["global"] = Value(
                "prometheus.yml's global settings (the other targets' too).",
                dict(GLOBAL),
                {"type": "object", "additionalProperties": {"type": "string"}},
            )
        elif name == "alertmanager":
            fields["config"] = Value(
                "alertmanager.yml: the receivers of openim.yaml monitoring.alerts, each credential a placeholder\n"
                "(__ALERT_SMTP_PASSWORD__, __ALERT_WEBHOOK_URL__) its start replaces from the Secret.",
                alertmanager_config(plan),
                {"type": "object", "required": ["route", "receivers"]},
            )
        else:
            fields["adminUser"] = Value(
                "Grafana's administrator (openim.yaml monitoring.grafanaAdminUser).",
                mon.grafana_admin_user,
                {"type": "string", "minLength": 1},
            )
            fields["rootUrl"] = Value(
                "Where browsers open Grafana: openim.yaml monitoring.grafanaUrl, which is also openim-api.yml's\n"
                "prometheus.grafanaURL (the admin front embeds it); empty: not known to the chart (fixed).",
                mon.grafana_url or "",
                {"const": mon.grafana_url or ""},
            )
        if name in SECRET_DIRS:
            fields["secretFiles"] = Block(
                "Credentials it reads, as files of the Secret: variable its start sets -> Secret key.",
                {
                    e.variable: Value("Read at start.", e.secret_id, {"type": "string", "minLength": 1})
                    for e in plan.bundled_env.get(name, ())
                },
            )
            fields["secretDir"] = Value("Where they are mounted (fixed).", SECRET_DIRS[name], {"const": SECRET_DIRS[name]})
            start = START if name == "alertmanager" else GRAFANA_START
            fields["start"] = Value(
                "Its start: the credentials from the files, then as the other targets start it (fixed).",
                from_files(SECRET_DIRS[name]) + start,
                {"const": from_files(SECRET_DIRS[name]) + start},
            )
        if name in persistence:
            fields["persistence"] = persistence[name]
        fields["resources"] = Value(RESOURCES_DOC, {}, resources)
        blocks[name] = Block(docs[name], fields)
    return Block(
        "The chart's own monitoring (openim.yaml monitoring.enabled without targets.helm.serviceMonitor): Prometheus\n"
        "finds OpenIM's pods through the Kubernetes API (a namespaced Role); node-exporter is not part of the chart.",
        blocks,
    )
