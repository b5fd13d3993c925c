"""Compose target: ``compose.yaml`` with one container per OpenIM process.

Each container gets a read-only directory holding only the config files its binary reads,
``-i``/``-c`` as the per-service image expects (FACTS 11), credentials from a per-service env
file (mode 0600, never in compose.yaml or a config file), and a healthy-dependency chain on
the bundled infrastructure it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from openim_config import yamlio
from openim_config.artifacts import GENERATED, Artifact, secret, text, yaml_artifact
from openim_config.model import Service
from openim_config.model.services import Resources
from openim_config.plan import Plan, ServicePlan
from openim_config.plan.appconfig import compose_name
from openim_config.targets.envfile import env_file, secret_file
from openim_config.targets.ignored import set_but_unused
from openim_config.targets.infra_compose import (
    HARDENING,
    ROTATED_LOGS,
    front_services,
    hand_over_data,
    infra_env_files,
    infra_services,
    label_inputs,
    literal_environment,
    monitoring_services,
    pull_policy,
    volume_source,
)
from openim_config.targets.monitoring import ALERT_RULES, RULES_FILE, alertmanager_config, prometheus_config


def data_dir(plan: Plan) -> str | None:
    """Where bind mounts live, or ``None`` when the model asks for named volumes."""
    target = plan.model.targets.compose
    return target.data_dir if target.volumes == "bind" else None


UNUSED = [
    *(
        (f"infra.{name}.port", "keeps it on its own network and publishes no host port (containers reach it by name)")
        for name in ("mongodb", "redis", "kafka", "etcd")
    ),
    ("services.<key>.hosts", "runs every process on one Docker host (hosts place them on bare hosts)"),
    *(
        (f"storage.<key>.{key}", "keeps data in directories or named volumes (claims are Kubernetes')")
        for key in ("size", "storageClass", "accessModes", "existingClaim")
    ),
]
"""What the model says that one Docker host has no use for."""


def notes(plan: Plan) -> list[str]:
    return set_but_unused(plan, "compose", UNUSED)


def render(plan: Plan) -> list[Artifact]:
    target = plan.model.targets.compose
    artifacts: list[Artifact] = []
    services: dict[str, Any] = infra_services(plan, data_dir(plan), publish=False)
    for component, pairs in infra_env_files(plan).items():
        artifacts.append(secret(f"secrets/{component}.env", env_file(plan, pairs)))
    # Each file is dumped once and mounted into every service that reads it.
    dumped = {
        (product, file): yaml_artifact(file, doc, header=GENERATED).content
        for product, docs in plan.documents["compose"].items()
        for file, doc in docs.items()
    }
    for svc in plan.services.values():
        for file in svc.files:
            artifacts.append(Artifact(f"config/{svc.name}/{file}", dumped[svc.product, file]))
        for sf in svc.secret_files:
            # In the directory mounted at -c, where upstream looks (filePath joined to it); 0600,
            # read by the container's root.
            artifacts.append(secret(f"config/{svc.name}/{sf.path}", secret_file(plan, sf.secret_id)))
        if svc.secret_env:
            artifacts.append(secret(f"secrets/{svc.name}.env", env_file(plan, ((e.variable, e.secret_id) for e in svc.secret_env))))
        for inst in svc.instances:
            services[compose_name(svc.name, inst.index, len(svc.instances))] = _process(plan, svc, inst.index)
    services.update(front_services(plan, lambda name: compose_name(name, 0, len(plan.services[name].instances))))
    if plan.model.monitoring.enabled:
        artifacts += _monitoring(plan, services)
    hand_over_data(plan, services, data_dir(plan))
    pull_policy(plan, services)
    literal_environment(services)
    label_inputs(services, {f"./{a.path}": a.content for a in artifacts if not a.secret})
    compose: dict[str, Any] = {"name": target.project, "services": services, "networks": {"openim": {"name": f"{target.project}-net"}}}
    if data_dir(plan) is None:
        compose["volumes"] = {name: {} for name in plan.volumes}
    artifacts.append(text("compose.yaml", GENERATED + yamlio.dump(compose)))
    return artifacts


def _process(plan: Plan, svc: ServicePlan, index: int) -> dict[str, Any]:
    product = plan.catalog.products[svc.product]
    name = compose_name(svc.name, index, len(svc.instances))
    depends: dict[str, Any] = {i.name: {"condition": "service_healthy"} for i in plan.bundled() if i.name in svc.infra}
    if "minio" in depends:
        depends["minio-init"] = {"condition": "service_completed_successfully"}
    if svc.product == "chat" and "openim-api" in plan.services:
        depends[compose_name("openim-api", 0, len(plan.services["openim-api"].instances))] = {"condition": "service_started"}
    contract = plan.catalog.binary_contract(svc.name)
    out: dict[str, Any] = {"image": svc.image}
    if not contract.passes_arguments():
        # The image's entrypoint would swallow -i/-c (a `sh -c` script): start the binary itself.
        out["entrypoint"] = [contract.binary]
    out |= {
        "command": ["-i", str(index), "-c", product.containerConfigDir],
        "restart": "unless-stopped",
        "networks": ["openim"],
        "volumes": [f"./config/{svc.name}:{product.containerConfigDir}:ro", _logs_mount(plan, name, product.containerLogDir)],
        "logging": ROTATED_LOGS,
        **HARDENING,
    }
    if svc.secret_env:
        out["env_file"] = [f"secrets/{svc.name}.env"]
    published = [f"{svc.ports[k][index]}:{svc.ports[k][index]}" for k in svc.client_facing]
    if published:
        out["ports"] = published
    if svc.name == "openim-msggateway":
        out["ulimits"] = {"nofile": {"soft": 1048576, "hard": 1048576}}
    resources = compose_resources(plan.model.services.get(svc.name, Service()).resources)
    if resources:
        out["deploy"] = {"resources": resources}
    if depends:
        out["depends_on"] = depends
    return out


def compose_resources(resources: Resources) -> dict[str, Any]:
    """Kubernetes-style requests/limits as Compose's ``deploy.resources`` (limits, reservations):
    ``500m`` CPU is ``0.5``; ``512Mi`` memory is ``512m`` (Compose's units are binary already)."""

    def part(values: Mapping[Literal["cpu", "memory"], str]) -> dict[str, str]:
        out = {}
        if "cpu" in values:
            cpu = values["cpu"]
            out["cpus"] = f"{int(cpu[:-1]) / 1000:g}" if cpu.endswith("m") else f"{float(cpu):g}"
        if "memory" in values:
            out["memory"] = values["memory"].removesuffix("i").lower()
        return out

    found = {"limits": part(resources.limits), "reservations": part(resources.requests)}
    return {k: v for k, v in found.items() if v}


def _logs_mount(plan: Plan, name: str, container_dir: str) -> Any:
    """Each process logs into its own directory of the `openim-logs` volume."""
    base = data_dir(plan)
    if base is not None:
        return f"{volume_source(plan, 'openim-logs', base)}/{name}:{container_dir}"
    return {"type": "volume", "source": "openim-logs", "target": container_dir, "volume": {"subpath": name}}


def _monitoring(plan: Plan, services: dict[str, Any]) -> list[Artifact]:
    """Prometheus, Alertmanager, Grafana, node-exporter under the `monitoring` profile:
    `docker compose --profile monitoring up -d`."""
    config = {
        "prometheus.yml": prometheus_config(
            plan,
            lambda i: compose_name(i.service, i.index, len(plan.services[i.service].instances)),
            "alertmanager:9093",
            f"host.docker.internal:{plan.model.monitoring.node_exporter_port}",
        ),
        RULES_FILE: ALERT_RULES,
        "alertmanager.yml": alertmanager_config(plan),
    }
    for name, svc in monitoring_services(plan, data_dir(plan), "./monitoring", host_network=False).items():
        svc["profiles"] = ["monitoring"]
        services[name] = svc
    return [yaml_artifact(f"monitoring/{file}", doc, header=GENERATED) for file, doc in config.items()]
