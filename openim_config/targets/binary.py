"""Binary target: systemd units and config files for bare hosts, one directory per host.

Each ``<host>/`` tree mirrors where its files land (``etc/openim/...``,
``etc/systemd/system/...``), so installing is copying it to ``/`` — which its ``install.sh``
does, with owners and modes. One template unit per binary (``openim-<name>@.service`` runs
``-i %i``) and an ``openim.target`` that wants the host's instances. Credentials live only in
root-only env files read by systemd (``EnvironmentFile=``), never in config files or units.
Bundled infrastructure runs in Compose on the first host, published on the ports the config
files name (upstream's own bare-host layout), with a Prometheus config scraping every instance.
"""

from __future__ import annotations

from typing import Any

from openim_config import templating, yamlio
from openim_config.artifacts import GENERATED, Artifact, secret, text, yaml_artifact
from openim_config.plan import Instance, Plan, ServicePlan
from openim_config.targets.envfile import env_file, secret_file
from openim_config.targets.ignored import set_but_unused
from openim_config.targets.infra_compose import (
    front_services,
    hand_over_data,
    infra_env_files,
    infra_services,
    label_inputs,
    literal_environment,
    monitoring_services,
    pull_policy,
)
from openim_config.targets.monitoring import ALERT_RULES, RULES_FILE, alertmanager_config, prometheus_config

REPOS = {"server": "open-im-server", "chat": "chat"}
HARDENING = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "PrivateMounts=yes",
    "PrivateUsers=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectProc=invisible",
    "ProcSubset=pid",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes",
    "RemoveIPC=yes",
    "UMask=0077",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    # Go's net package lists interfaces over netlink (OpenIM picks its register IP that way).
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged @resources",
    "SystemCallErrorNumber=EPERM",
    "IPAddressAllow=any",
    "DevicePolicy=closed",
    "KeyringMode=private",
)


def _rel(path: str) -> str:
    return path.strip("/")


def config_dir(plan: Plan, product: str) -> str:
    return f"{plan.model.targets.binary.config_dir.rstrip('/')}/{product}"


def unit_name(service: str) -> str:
    """``openim-api@.service``; chat binaries get the prefix too (``openim-chat-api@.service``)."""
    return f"{service}@.service" if service.startswith("openim-") else f"openim-{service}@.service"


def host_address(plan: Plan, instance: Instance) -> str:
    return next(h.address for h in plan.model.targets.binary.hosts if h.name == instance.host)


CLAIMS_ARE_KUBERNETES = "keeps data in directories (claims are Kubernetes')"
UNUSED = [
    *(
        (key, "runs the executables in installDir/bin, not images")
        for key in ("images.registry", "images.tag", "images.chatTag", "services.<key>.image")
    ),
    *((f"storage.<key>.{key}", CLAIMS_ARE_KUBERNETES) for key in ("size", "storageClass", "accessModes", "existingClaim")),
    ("services.<key>.resources.requests.<key>", "maps limits to systemd (MemoryMax=, CPUQuota=) and reserves nothing"),
]
"""What the model says that bare hosts have no use for."""


def notes(plan: Plan) -> list[str]:
    return set_but_unused(plan, "binary", UNUSED)


def render(plan: Plan) -> list[Artifact]:
    hosts = plan.model.targets.binary.hosts
    artifacts: list[Artifact] = []
    dumped: dict[int, tuple[object, bytes]] = {}
    for index, host in enumerate(hosts):
        on_host = {n: s for n, s in plan.services.items() if any(i.host == host.name for i in s.instances)}
        files = _host_files(plan, host.name, on_host, index == 0, dumped)
        artifacts += [_at(host.name, a) for a in files]
    return artifacts


def _at(host: str, artifact: Artifact) -> Artifact:
    return Artifact(f"{host}/{artifact.path}", artifact.content, artifact.mode, artifact.secret, artifact.produce)


def _host_files(
    plan: Plan, host: str, services: dict[str, ServicePlan], with_infra: bool, dumped: dict[int, tuple[object, bytes]]
) -> list[Artifact]:
    """``dumped``: documents already serialised for another host, by identity (each kept
    alive beside its bytes, so an identity is never reused): most hosts share most files."""
    target = plan.model.targets.binary
    artifacts: list[Artifact] = []
    for product, docs in _documents(plan, host, services).items():
        for file, doc in docs.items():
            path = f"{_rel(config_dir(plan, product))}/{file}"
            if id(doc) not in dumped:
                dumped[id(doc)] = (doc, yaml_artifact(path, doc, 0o640, GENERATED).content)
            artifacts.append(Artifact(path, dumped[id(doc)][1], 0o640))
    for svc in services.values():
        for sf in svc.secret_files:
            # Read by the process itself (as the service user), so group-readable like the config
            # it sits beside (install.sh: root:<group>), never by others.
            path = f"{_rel(config_dir(plan, svc.product))}/{sf.path}"
            artifacts.append(Artifact(path, b"", 0o640, True, secret_file(plan, sf.secret_id)))
    units: list[str] = []
    secrets_dir = f"{target.config_dir.rstrip('/')}/secrets"
    for svc in services.values():
        env_path = f"{secrets_dir}/{svc.name}.env" if svc.secret_env else None
        if env_path:
            artifacts.append(secret(_rel(env_path), env_file(plan, ((e.variable, e.secret_id) for e in svc.secret_env))))
        artifacts.append(text(f"etc/systemd/system/{unit_name(svc.name)}", _unit(plan, svc, env_path, with_infra)))
        units.extend(unit_name(svc.name).replace("@.", f"@{i.index}.") for i in svc.instances if i.host == host)
    artifacts.append(text("etc/systemd/system/openim.target", templating.render("binary", "openim.target.j2", units=units)))
    infra_root = f"{_rel(target.install_dir)}/infra"
    if with_infra:
        artifacts += _infra(plan, infra_root)
    artifacts.append(text("install.sh", _install_script(plan, host, services, artifacts, infra_root), 0o755))
    return artifacts


def _documents(plan: Plan, host: str, services: dict[str, ServicePlan]) -> dict[str, dict[str, Any]]:
    """The host's config files: those its binaries read; with several hosts, each binary's
    own file registers the host's address (``rpc.registerIP``) in etcd."""
    wanted = {(s.product, f) for s in services.values() for f in s.files}
    docs = {p: {f: d for f, d in files.items() if (p, f) in wanted} for p, files in plan.documents["host"].items()}
    docs = {p: d for p, d in docs.items() if d}
    if len(plan.model.targets.binary.hosts) > 1:
        address = next(h.address for h in plan.model.targets.binary.hosts if h.name == host)
        for name, svc in services.items():
            file = plan.catalog.binary_file(name)
            own = docs[svc.product][file]
            if isinstance(own.get("rpc"), dict) and "registerIP" in own["rpc"]:
                # a new document sharing the rest: documents are never mutated
                docs[svc.product][file] = {**own, "rpc": {**own["rpc"], "registerIP": address}}
    return docs


def _infra(plan: Plan, infra_root: str) -> list[Artifact]:
    target = plan.model.targets.binary
    artifacts: list[Artifact] = []
    services = infra_services(plan, target.data_dir, publish=True)
    services.update(front_services(plan, None))
    monitoring = plan.model.monitoring
    config_root = f"{target.config_dir.rstrip('/')}/monitoring"
    prometheus = prometheus_config(
        plan,
        lambda i: host_address(plan, i),
        f"127.0.0.1:{monitoring.alertmanager_port}",
        f"127.0.0.1:{monitoring.node_exporter_port}" if monitoring.enabled else None,
    )
    artifacts.append(yaml_artifact(f"{_rel(config_root)}/prometheus.yml", prometheus, 0o644, GENERATED))
    artifacts.append(yaml_artifact(f"{_rel(config_root)}/{RULES_FILE}", ALERT_RULES, 0o644, GENERATED))
    artifacts.append(yaml_artifact(f"{_rel(config_root)}/alertmanager.yml", alertmanager_config(plan), 0o644, GENERATED))
    if monitoring.enabled:
        services.update(monitoring_services(plan, target.data_dir, config_root, host_network=True))
    hand_over_data(plan, services, target.data_dir)
    pull_policy(plan, services)
    literal_environment(services)
    label_inputs(services, {f"/{a.path}": a.content for a in artifacts if not a.secret})
    if services:
        compose = {"name": "openim-infra", "services": services, "networks": {"openim": {"name": "openim-infra-net"}}}
        artifacts.append(text(f"{infra_root}/compose.yaml", GENERATED + yamlio.dump(compose)))
        pairs = infra_env_files(plan)
        for component in sorted(pairs):
            artifacts.append(secret(f"{infra_root}/secrets/{component}.env", env_file(plan, pairs[component])))
    return artifacts


def _unit(plan: Plan, svc: ServicePlan, env_path: str | None, docker_host: bool) -> str:
    target = plan.model.targets.binary
    limits = svc_limits(plan, svc)
    return templating.render(
        "binary",
        "unit.service.j2",
        name=svc.name,
        repo=REPOS[svc.product],
        after=["docker.service"] if docker_host and plan.bundled() else [],
        user=target.user,
        group=target.group,
        env_file=env_path,
        work_dir=target.data_dir,
        exec=f"{target.install_dir.rstrip('/')}/bin/{svc.name}",
        config_dir=config_dir(plan, svc.product),
        nofile=1048576 if svc.name == "openim-msggateway" else 65536,
        hardening=[*HARDENING, f"ReadWritePaths=-{target.log_dir}", f"ReadWritePaths=-{target.data_dir}", *limits],
    )


def svc_limits(plan: Plan, svc: ServicePlan) -> list[str]:
    """The model's resource limits as systemd settings (memory: Mi/Gi; cpu: millicores)."""
    limits = plan.model.services.get(svc.name)
    out: list[str] = []
    if limits is None:
        return out
    memory = limits.resources.limits.get("memory")
    if memory:
        out.append(f"MemoryMax={memory.replace('Ki', 'K').replace('Mi', 'M').replace('Gi', 'G').replace('Ti', 'T')}")
    cpu = limits.resources.limits.get("cpu")
    if cpu:
        millis = int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)
        out.append(f"CPUQuota={millis // 10}%")
    return out


def _install_script(plan: Plan, host: str, services: dict[str, ServicePlan], artifacts: list[Artifact], infra_root: str) -> str:
    target = plan.model.targets.binary
    group_readable = {_rel(config_dir(plan, p)) for p in ("server", "chat")}
    files = []
    for art in sorted(artifacts, key=lambda a: a.path):
        if art.path == "install.sh":
            continue
        owner = "root:" + target.group if any(art.path.startswith(d + "/") for d in group_readable) else "root:root"
        files.append((art.path, f"{art.mode:04o}", owner))
    return templating.render(
        "binary",
        "install.sh.j2",
        host=host,
        target=target,
        files=files,
        secrets_dir=f"{target.config_dir.rstrip('/')}/secrets",
        config_dirs=sorted("/" + d for d in group_readable if any(f[0].startswith(d + "/") for f in files)),
        services=[
            (s.name, unit_name(s.name).removesuffix("@.service"), [i.index for i in s.instances if i.host == host])
            for s in services.values()
        ],
        infra_compose=f"/{infra_root}/compose.yaml" if any(f[0] == f"{infra_root}/compose.yaml" for f in files) else "",
        bin_dir=f"{target.install_dir.rstrip('/')}/bin",
    )
