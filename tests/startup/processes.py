"""Every OpenIM process a target defines, reconstructed from the artifacts as that target
starts it: the argv the container runtime or systemd executes, the working directory, the
environment, the files at their paths in the process's filesystem, and whether a Kubernetes
service-account token is mounted.

Read from what ``build`` wrote, through the real consumers where one exists: compose.yaml
normalised by ``docker-compose config`` (env files merged, paths made absolute), the chart
rendered by Helm's own engine with ``secrets.values.yaml``, and the systemd units and env
files of each host as systemd reads them. Image defaults (ENTRYPOINT, CMD, WORKDIR, ENV,
content baked in) come from the release line's image contracts.
"""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openim_config.catalog import Catalog, Contract
from openim_config.plan import Plan
from openim_config.plan.resolve import reach
from openim_config.targets import helm
from tests import consumers as c
from tests.startup.harness import sa_path


@dataclass
class Process:
    target: str
    name: str
    """Compose service, Deployment, or systemd instance (``openim-push@1.service``)."""
    binary: str
    """The catalog binary it runs (found from its image or executable)."""
    argv: tuple[str, ...]
    """What the runtime executes: entrypoint + command, or the unit's ExecStart."""
    cwd: str
    env: dict[str, str]
    files: dict[str, bytes]
    """Absolute path in the process's filesystem -> content."""
    dirs: set[str] = field(default_factory=set)
    """Directories that exist besides those holding files (empty volumes, the token dir)."""
    executables: set[str] = field(default_factory=set)
    """Where the program is (image contract or unit): the only executables laid out."""
    replicas: int = 1
    sa_token: bool = False
    contract: Contract | None = None
    user: str | None = None
    """``uid:gid`` a container is set to run as (its target's override), if any."""

    def describe(self) -> str:
        return f"{self.target}:{self.name}"


def binary_for_image(catalog: Catalog, image: str) -> str | None:
    """The catalog binary an image runs, by the image's repository name (registry and tag
    are the deployment's choice)."""
    repo = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return next((name for name in catalog.binaries if catalog.image_name(name) == repo), None)


def contract_for_image(catalog: Catalog, image: str) -> Contract | None:
    """The contract of an infrastructure or extra image, by its repository (``bitnamilegacy/kafka``)."""
    repo = image.split("@", 1)[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image.split("@", 1)[0]
    for name, ref in catalog.images.items():
        if ref.rsplit(":", 1)[0].rsplit("/", 1)[-1] == repo.rsplit("/", 1)[-1] and name in catalog.contracts:
            return catalog.contracts[name]
    return None


def _baked(catalog: Catalog, contract: Contract) -> dict[str, bytes]:
    """Files an image ships (chat: upstream's default config, default credentials included)."""
    from openim_config import yamlio

    out: dict[str, bytes] = {}
    for directory, product in contract.baked.items():
        for file, doc in catalog.documents[product].items():  # type: ignore[index]
            out[f"{directory.rstrip('/')}/{file}"] = yamlio.dump(doc).encode()
    return out


def _shadow(files: dict[str, bytes], mount: str) -> None:
    """A mount hides what the image has below it."""
    for path in [p for p in files if p == mount or p.startswith(mount.rstrip("/") + "/")]:
        del files[path]


def _read_tree(source: Path, target: str) -> dict[str, bytes]:
    if source.is_file():
        return {target: source.read_bytes()}
    return {f"{target.rstrip('/')}/{p.relative_to(source)}": p.read_bytes() for p in sorted(source.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- compose
def compose_processes(plan: Plan, out: Path) -> list[Process]:
    data = c.compose_config(out / "compose" / "compose.yaml")
    procs = []
    for name, svc in sorted(data["services"].items()):
        binary = binary_for_image(plan.catalog, svc["image"])
        if binary is None:
            continue
        contract = plan.catalog.binary_contract(binary)
        entrypoint = svc.get("entrypoint")
        # Compose: a service entrypoint resets the image's CMD too.
        command = svc.get("command") if svc.get("command") is not None else ([] if entrypoint is not None else list(contract.cmd))
        files = _baked(plan.catalog, contract)
        dirs: set[str] = set()
        for volume in svc.get("volumes", []):
            _shadow(files, volume["target"])
            if volume["type"] == "bind":
                files.update(_read_tree(Path(volume["source"]), volume["target"]))
            dirs.add(volume["target"])
        # `docker-compose config` keeps Compose's `$$` escapes; the container gets one `$`.
        env = {**contract.env, **{k: v.replace("$$", "$") for k, v in (svc.get("environment") or {}).items() if v is not None}}
        procs.append(
            Process(
                target="compose",
                name=name,
                binary=binary,
                argv=tuple(a.replace("$$", "$") for a in (*(entrypoint if entrypoint is not None else contract.entrypoint), *command)),
                cwd=svc.get("working_dir") or contract.workdir,
                env=env,
                files=files,
                dirs=dirs,
                executables={contract.binary} if contract.binary else set(),
                contract=contract,
                user=svc.get("user"),
            )
        )
    return procs


# --------------------------------------------------------------------------- helm
def render_chart(plan: Plan, out: Path) -> list[dict[str, Any]]:
    target = plan.model.targets.helm
    chart = out / "helm"
    return c.helm_template(chart, target.release, target.namespace, [chart / helm.SECRETS_FILE])


def _secret_data(doc: Mapping[str, Any]) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (doc.get("data") or {}).items()}
    data.update(doc.get("stringData") or {})
    return data


def _env_value(entry: Mapping[str, Any], secrets: Mapping[str, dict[str, str]], maps: Mapping[str, dict[str, str]]) -> str | None:
    if "value" in entry:
        return str(entry["value"])
    source = entry.get("valueFrom", {})
    for kind, store in (("secretKeyRef", secrets), ("configMapKeyRef", maps)):
        if kind in source:
            ref = source[kind]
            value = store.get(ref["name"], {}).get(ref["key"])
            if value is None and not ref.get("optional"):
                raise AssertionError(f"{kind} {ref['name']}/{ref['key']} does not exist in the rendered chart")
            return value
    raise AssertionError(f"unsupported env source {entry}")


def helm_processes(plan: Plan, docs: list[dict[str, Any]]) -> list[Process]:
    secrets = {d["metadata"]["name"]: _secret_data(d) for d in docs if d["kind"] == "Secret"}
    maps = {d["metadata"]["name"]: {k: str(v) for k, v in (d.get("data") or {}).items()} for d in docs if d["kind"] == "ConfigMap"}
    accounts = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ServiceAccount"}
    procs = []
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        pod = doc["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        account = accounts.get(pod.get("serviceAccountName", "default"), {})
        token = pod.get("automountServiceAccountToken", account.get("automountServiceAccountToken", True))
        for container in pod["containers"]:
            binary = binary_for_image(plan.catalog, container["image"])
            if binary is None:
                continue
            contract = plan.catalog.binary_contract(binary)
            command, args = container.get("command"), container.get("args")
            # Kubernetes: command replaces ENTRYPOINT (and drops CMD); args replace CMD.
            cmd = args if args is not None else ([] if command else contract.cmd)
            argv = (*(command if command is not None else contract.entrypoint), *cmd)
            files = _baked(plan.catalog, contract)
            dirs = set()
            for mount in container.get("volumeMounts", []):
                path = mount["mountPath"]
                _shadow(files, path)
                dirs.add(path)
                files.update(_volume_files(volumes[mount["name"]], mount, path, maps, secrets))
            env = dict(contract.env)
            for entry in container.get("env", []):
                value = _env_value(entry, secrets, maps)
                if value is not None:
                    env[entry["name"]] = value
            for source in container.get("envFrom", []):
                ref = source.get("secretRef") or source.get("configMapRef")
                env.update((secrets if "secretRef" in source else maps).get(ref["name"], {}))
            if token:
                dirs.add(sa_path())
            procs.append(
                Process(
                    target="helm",
                    name=doc["metadata"]["name"],
                    binary=binary,
                    argv=tuple(argv),
                    cwd=container.get("workingDir") or contract.workdir,
                    env=env,
                    files=files,
                    dirs=dirs,
                    executables={contract.binary} if contract.binary else set(),
                    replicas=int(doc["spec"].get("replicas", 1)),
                    sa_token=bool(token),
                    contract=contract,
                    user=_pod_user(pod, container),
                )
            )
    return procs


def _pod_user(pod: Mapping[str, Any], container: Mapping[str, Any]) -> str | None:
    ctx = {**(pod.get("securityContext") or {}), **(container.get("securityContext") or {})}
    if "runAsUser" not in ctx:
        return None
    return f"{ctx['runAsUser']}:{ctx.get('runAsGroup', ctx['runAsUser'])}"


def _volume_files(
    volume: Mapping[str, Any],
    mount: Mapping[str, Any],
    path: str,
    maps: Mapping[str, dict[str, str]],
    secrets: Mapping[str, dict[str, str]],
) -> dict[str, bytes]:
    source: dict[str, str]
    if "projected" in volume:  # each source as the volume it stands for, into one directory
        out: dict[str, bytes] = {}
        for src in volume["projected"].get("sources", []):
            as_volume = {"secret": {**src["secret"], "secretName": src["secret"]["name"]}} if "secret" in src else src
            out.update(_volume_files(as_volume, mount, path, maps, secrets))
        return out
    if "configMap" in volume:
        source, spec = maps.get(volume["configMap"]["name"], {}), volume["configMap"]
    elif "secret" in volume:
        source, spec = secrets.get(volume["secret"]["secretName"], {}), volume["secret"]
    else:
        return {}
    items = {i["key"]: i["path"] for i in spec.get("items", [])} or {k: k for k in source}
    files = {name: source[key].encode() for key, name in items.items() if key in source}
    if "subPath" in mount:
        return {path: files[mount["subPath"]]} if mount["subPath"] in files else {}
    return {f"{path.rstrip('/')}/{name}": data for name, data in files.items()}


# --------------------------------------------------------------------------- binary
def _unit(text: str) -> dict[str, list[str]]:
    """A systemd unit's settings (repeatable keys keep every value)."""
    out: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def _specifiers(value: str, instance: str) -> str:
    """systemd specifiers in ExecStart: the ones our units may use."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "%" and i + 1 < len(value):
            spec = value[i + 1]
            if spec == "i":
                out.append(instance)
            elif spec == "%":
                out.append("%")
            else:
                raise AssertionError(f"unexpected systemd specifier %{spec} in {value!r}")
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def env_file(text: str) -> dict[str, str]:
    """``KEY=value`` lines as systemd's EnvironmentFile= reads them (quotes removed)."""
    out = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        words = shlex.split(value, posix=True)
        out[key.strip()] = " ".join(words)
    return out


def binary_processes(plan: Plan, out: Path) -> list[Process]:
    procs = []
    for host_dir in sorted(p for p in (out / "binary").iterdir() if p.is_dir() and not p.name.startswith(".")):
        tree = {"/" + str(p.relative_to(host_dir)): p.read_bytes() for p in sorted(host_dir.rglob("*")) if p.is_file()}
        target = _unit(tree["/etc/systemd/system/openim.target"].decode())
        for instance_unit in " ".join(target.get("Wants", [])).split():
            template, instance = instance_unit.split("@", 1)[0] + "@.service", instance_unit.split("@", 1)[1].removesuffix(".service")
            unit = _unit(tree[f"/etc/systemd/system/{template}"].decode())
            exec_start = unit["ExecStart"][-1].lstrip("-@+!:")
            argv = tuple(_specifiers(word, instance) for word in shlex.split(exec_start))
            env: dict[str, str] = {}
            for line in unit.get("Environment", []):
                env.update(env_file(line.replace(" ", "\n")))
            for path in unit.get("EnvironmentFile", []):
                optional = path.startswith("-")
                data = tree.get(path.lstrip("-"))
                if data is None and not optional:
                    raise AssertionError(f"{host_dir.name}: {template}: EnvironmentFile {path} is not in the host's tree")
                env.update(env_file(data.decode()) if data else {})
            name = Path(argv[0]).name
            binary = name if name in plan.catalog.binaries else name.removeprefix("openim-")
            work = unit.get("WorkingDirectory", ["/"])[-1].lstrip("-")
            procs.append(
                Process(
                    target="binary",
                    name=f"{host_dir.name}/{instance_unit}",
                    binary=binary,
                    argv=argv,
                    cwd=work,
                    env=env,
                    files=dict(tree),
                    # install.sh creates the working (data) directory before it starts units.
                    dirs={work},
                    executables={argv[0]},
                )
            )
    return procs


def all_processes(plan: Plan, out: Path, helm_docs: list[dict[str, Any]]) -> Iterator[Process]:
    yield from binary_processes(plan, out)
    yield from compose_processes(plan, out)
    yield from helm_processes(plan, helm_docs)


# --------------------------------------------------------------------------- networks
@dataclass(frozen=True)
class Network:
    """The ``host:port`` addresses a process of one target can reach (a service, a Service, a
    published port), and the external addresses the model names (reached as written)."""

    endpoints: frozenset[str]
    external: frozenset[str]

    def reaches(self, address: str) -> bool:
        return address in self.endpoints or address in self.external


def external_addresses(plan: Plan) -> frozenset[str]:
    infra = plan.model.infra
    return frozenset(a for name in ("mongodb", "redis", "kafka", "etcd", "minio") for a in getattr(infra, name).address)


def _ports_in(value: str) -> set[int]:
    """Ports of listener URLs or specs: ``INTERNAL://:9092,CONTROLLER://:9093``, ``http://0.0.0.0:2379``."""
    return {int(m) for m in re.findall(r":(\d+)(?=,|$|/)", value)}


def compose_network(plan: Plan, out: Path) -> Network:
    """Compose: a service name with a port its container listens on (the image's own, or the
    listeners its environment or command configures)."""
    data = c.compose_config(out / "compose" / "compose.yaml")
    endpoints = set()
    for name, svc in data["services"].items():
        ports: set[int] = set()
        binary = binary_for_image(plan.catalog, svc["image"])
        if binary is not None:
            ports = {p for inst in plan.services[binary].instances for p in inst.ports.values()}
        else:
            contract = contract_for_image(plan.catalog, svc["image"])
            ports = set(contract.listens) if contract else set()
            for key, value in (svc.get("environment") or {}).items():
                if value and (key.endswith("_LISTENERS") or key.endswith("_LISTEN_CLIENT_URLS")):
                    ports = _ports_in(value)
        endpoints |= {f"{name}:{p}" for p in ports}
    return Network(frozenset(endpoints), external_addresses(plan))


def helm_network(plan: Plan, docs: list[dict[str, Any]]) -> Network:
    """Kubernetes: a Service name (in the release's namespace) with one of its ports."""
    endpoints = {f"{d['metadata']['name']}:{p['port']}" for d in docs if d["kind"] == "Service" for p in d["spec"].get("ports", [])}
    return Network(frozenset(endpoints), external_addresses(plan))


def binary_network(plan: Plan, out: Path) -> Network:
    """Bare hosts: the ports the infrastructure's Compose file publishes on the first host,
    and every OpenIM listener on its host."""
    hosts = plan.model.targets.binary.hosts
    first = out / "binary" / hosts[0].name
    endpoints = set()
    infra = next(first.rglob("infra/compose.yaml"), None)
    if infra is not None:
        data = c.compose_config(infra)
        for svc in data["services"].values():
            for port in svc.get("ports", []):
                endpoints.add(f"{reach(plan.model, hosts[0].name)}:{port['published']}")
    for svc in plan.services.values():
        for inst in svc.instances:
            endpoints |= {f"{reach(plan.model, inst.host)}:{p}" for p in inst.ports.values()}
    return Network(frozenset(endpoints), external_addresses(plan))
