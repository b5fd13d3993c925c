"""Model -> Plan: built once, then every target renders from it."""

from __future__ import annotations

from openim_config.catalog import load_catalog
from openim_config.errors import Problem, UserError
from openim_config.loader import Provenance
from openim_config.model import VOLUME_OWNERS, VOLUMES, OpenIM, Service, Volume
from openim_config.plan.appconfig import build_documents
from openim_config.plan.resolve import FILE_INFRA, allocate_ports, domain_findings, enabled_services, infra_plans, instance_count, instances
from openim_config.plan.secrets import bundled_secret_env, secret_plans
from openim_config.plan.surface import FCM_FILE, FCM_SECRET, minio_used, surface_findings
from openim_config.plan.surface import values as surface_values
from openim_config.plan.types import (
    FLAVOURS,
    INFRA,
    Flavour,
    InfraPlan,
    Instance,
    Plan,
    SecretEnv,
    SecretFile,
    SecretPlan,
    ServicePlan,
    VolumePlan,
)

__all__ = ["FLAVOURS", "INFRA", "Flavour", "InfraPlan", "Instance", "Plan", "ServicePlan", "VolumePlan", "build_plan", "domain_problems"]


def domain_problems(model: OpenIM, prov: Provenance, skip: tuple[tuple[str | int, ...], ...] = ()) -> list[Problem]:
    """The model's domain rules (ports, names, addresses, images); ``skip``: paths already in
    error, whose defaults stood in while checking the rest."""
    catalog = load_catalog(model.release)
    findings: list[tuple[tuple[str | int, ...], str]] = []
    ports = allocate_ports(model, catalog, findings)
    findings.extend(domain_findings(model, catalog, ports))
    findings.extend(surface_findings(model, catalog))
    return [prov.problem(path, msg) for path, msg in findings if not any(path[: len(s)] == s for s in skip)]


def build_plan(model: OpenIM, prov: Provenance | None = None) -> Plan:
    prov = prov or Provenance()
    catalog = load_catalog(model.release)
    problems = domain_problems(model, prov)
    if problems:
        raise UserError(problems)
    ports = allocate_ports(model, catalog, [])
    secrets = secret_plans(model)
    services: dict[str, ServicePlan] = {}
    users: dict[str, list[str]] = {}
    for name in enabled_services(model, catalog):
        binary = catalog.binaries[name]
        product = catalog.products[binary.product]
        files = tuple(f"{f}.yml" for f in binary.files)
        infra = tuple(i for i in INFRA if any(FILE_INFRA.get(f) == i for f in files) and (i != "minio" or minio_used(model)))
        for i in infra:
            users.setdefault(i, []).append(name)
        secret_env = []
        for key, sid in catalog.secretKeys[binary.product].items():
            file, dotted_key = key.split(":")
            if file in files and sid in secrets:
                stem = file.removesuffix(".yml").upper().replace("-", "_")
                secret_env.append(SecretEnv(f"{product.envPrefix}{stem}_{dotted_key.replace('.', '_').upper()}", sid))
        settings = model.services.get(name, Service())
        tag = (model.images.tag or product.tag) if binary.product == "server" else (model.images.chat_tag or product.tag)
        services[name] = ServicePlan(
            name=name,
            product=binary.product,
            image=settings.image or f"{model.images.registry}/{catalog.image_name(name)}:{tag}",
            instances=instances(model, name, ports[name], instance_count(model, catalog, name)),
            ports=ports[name],
            files=files,
            infra=infra,
            discovery_name=binary.discoveryName,
            client_facing=binary.clientFacing,
            secret_env=tuple(secret_env),
            secret_files=(SecretFile(FCM_FILE, FCM_SECRET),) if FCM_SECRET in secrets and f"{name}.yml" == "openim-push.yml" else (),
        )
    # No MinIO without object.enable: minio: OpenIM would never reach it.
    infra_map = {k: v for k, v in infra_plans(model, catalog, users).items() if k != "minio" or minio_used(model)}
    volumes: dict[str, VolumePlan] = {}
    for vol in VOLUMES:
        owner = VOLUME_OWNERS[vol]
        if owner in INFRA and (owner not in infra_map or not infra_map[owner].bundled):
            continue
        if owner in ("prometheus", "grafana") and not model.monitoring.enabled:
            continue
        v = model.storage.get(vol, Volume())
        volumes[vol] = VolumePlan(
            name=vol,
            owner=owner,
            host_path=v.host_path,
            size=v.size,
            storage_class=v.storage_class if v.storage_class is not None else model.targets.helm.storage_class,
            access_modes=tuple(v.access_modes),
            existing_claim=v.existing_claim,
        )
    surface = surface_values(model, catalog)
    documents = {f: build_documents(model, catalog, services, infra_map, f, surface) for f in FLAVOURS}
    bundled_env = bundled_secret_env(model, secrets)
    used = {e.secret_id for envs in [*(s.secret_env for s in services.values()), *bundled_env.values()] for e in envs}
    warnings = _warnings(model) + _default_credentials(model, secrets, used)
    return Plan(model, catalog, services, infra_map, volumes, secrets, documents, bundled_env, tuple(warnings))


def _default_credentials(model: OpenIM, secrets: dict[str, SecretPlan], used: set[str]) -> list[str]:
    """Credentials still at upstream's published values: fine on a laptop, not in public."""
    defaults = secret_plans(OpenIM())
    same = [
        plan.path
        for sid, plan in secrets.items()
        if sid in used
        and plan.ref is not None
        and plan.ref.literal is not None
        and sid in defaults
        and defaults[sid].ref is not None
        and defaults[sid].ref.literal is not None  # type: ignore[union-attr]
        and plan.ref.literal.get_secret_value() == defaults[sid].ref.literal.get_secret_value()  # type: ignore[union-attr]
    ]
    if not same:
        return []
    return [f"credentials still at upstream's published defaults: {', '.join(same)}; set them (e.g. {{env: NAME}}) before exposing this"]


def _warnings(model: OpenIM) -> list[str]:
    out = []
    if model.public_host in ("127.0.0.1", "localhost", "::1") and not model.infra.minio.external_address and minio_used(model):
        out.append(
            f"publicHost is {model.public_host}: MinIO links (http://{model.public_host}:{model.infra.minio.port}) only work on this "
            "machine; set publicHost (or infra.minio.externalAddress) to what apps and browsers reach"
        )
    return out
