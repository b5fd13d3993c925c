"""``openim-gen graph``: the deployment's topology from the plan, as Mermaid or Graphviz dot.

Per target: where the processes run (each host of the binary target with the instances placed
on it; the compose project; the Helm release's namespace), the infrastructure (bundled or
external), which process connects to which component at which address (the plan's endpoints as
that target's processes see them: ``plan.infra[...].endpoints``), and the client-facing entry
points (the listeners upstream marks client-facing, the fronts, MinIO's file links).
Deterministic: everything is sorted or in the plan's order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from openim_config.plan import INFRA, Plan
from openim_config.plan.types import Flavour

FLAVOUR: dict[str, Flavour] = {"binary": "host", "compose": "compose", "helm": "kubernetes"}


@dataclass
class Group:
    id: str
    label: str
    nodes: list[tuple[str, list[str], str]] = field(default_factory=list)
    """(id, label lines, shape: ``process`` | ``store`` | ``entry``)."""


@dataclass
class Topology:
    title: str
    groups: list[Group]
    edges: list[tuple[str, str, str]]
    """(from id, to id, label)."""


def _id(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_") for p in parts)


def _span(ports: list[int]) -> str:
    """``[10170, 10171, 10172, 10180]`` -> ``10170-10172,10180``."""
    runs: list[list[int]] = []
    for port in ports:
        if runs and port == runs[-1][-1] + 1:
            runs[-1].append(port)
        else:
            runs.append([port])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs)


def _ports(kinds: Mapping[str, list[int]]) -> str:
    return ", ".join(f"{k} {_span(ports)}" for k, ports in kinds.items() if ports)


def topology(plan: Plan, target: str) -> Topology:
    model = plan.model
    flavour = FLAVOUR[target]
    groups: list[Group] = []
    where: dict[str, list[str]] = {}
    """service -> the node ids of its processes."""
    if target == "binary":
        places = [(h.name, f"host {h.name} ({h.address})") for h in model.targets.binary.hosts]
    elif target == "compose":
        places = [("compose", f"compose project {model.targets.compose.project}")]
    else:
        places = [("helm", f"namespace {model.targets.helm.namespace}, release {model.targets.helm.release}")]
    edges: list[tuple[str, str, str]] = []
    entry = "clients"
    for place, label in places:
        group = Group(_id("at", place), label)
        for svc in plan.services.values():
            mine = [i for i in svc.instances if target != "binary" or i.host == place]
            if not mine:
                continue
            node = _id(place, svc.name)
            kinds: dict[str, list[int]] = {k: [i.ports[k] for i in mine if k in i.ports] for k in sorted(svc.ports)}
            if target == "helm":  # one Service port per listener in Kubernetes
                kinds = {k: v[:1] for k, v in kinds.items()}
            group.nodes.append((node, [f"{svc.name} ×{len(mine)}", _ports(kinds)], "process"))
            where.setdefault(svc.name, []).append(node)
            for kind in svc.client_facing:
                ports = kinds.get(kind, [])
                edges.append((entry, node, f"{kind} {_span(ports)}"))
        groups.append(group)
    store = Group("infrastructure", "infrastructure")
    for name in (n for n in INFRA if n in plan.infra):  # no MinIO with a cloud objectStorage backend
        infra = plan.infra[name]
        if not infra.users and name != "minio":
            continue
        node = _id("infra", name)
        how = "bundled" if infra.bundled else "external"
        store.nodes.append((node, [f"{name} ({how})", infra.image if infra.bundled else ", ".join(infra.endpoints[flavour])], "store"))
        address = ", ".join(infra.endpoints[flavour])
        for user in infra.users:
            for process in where.get(user, []):
                edges.append((process, node, address))
    groups.append(store)
    fronts = Group("fronts", "fronts")
    for name, front in (("web-front", model.fronts.web), ("admin-front", model.fronts.admin)):
        if front.enabled and (name != "admin-front" or model.chat.enabled):
            fronts.nodes.append((_id(name), [name, f"http {front.port}"], "process"))
            edges.append((entry, _id(name), f"http {front.port}"))
    if fronts.nodes:
        groups.append(fronts)
    minio = model.infra.minio
    storage = model.object_storage
    if storage.backend != "minio":
        node = _id("infra", "object-storage")
        block = getattr(storage, storage.backend)
        bucket = getattr(block, "bucket_url", None) or f"{getattr(block, 'region', '')} {getattr(block, 'bucket', '')}".strip()
        store.nodes.append((node, [f"{storage.backend} (objectStorage)", bucket], "store"))
        edges += [(process, node, "objects") for process in where.get("openim-rpc-third", [])]
        edges.append((entry, node, "files"))
    elif plan.infra["minio"].bundled and target != "helm":
        edges.append((entry, _id("infra", "minio"), f"files {minio.external_address or f'http://{model.public_host}:{minio.port}'}"))
    elif target == "helm" and model.targets.helm.ingress.enabled:
        ingress = model.targets.helm.ingress
        edges.append((entry, _id("infra", "minio"), f"files https://{ingress.host}{ingress.minio_path}"))
    title = f"openim-gen graph: {target} target"
    return Topology(title, groups, edges)


def _clean(text: str) -> str:
    return text.replace('"', "'")


def mermaid(top: Topology) -> str:
    lines = ["flowchart LR", f"  %% {top.title}", '  clients(["clients: apps and browsers"])']
    for group in top.groups:
        lines.append(f'  subgraph {group.id}["{_clean(group.label)}"]')
        for node, lines_, shape in group.nodes:
            text = "<br/>".join(_clean(x) for x in lines_ if x)
            lines.append(f'    {node}[("{text}")]' if shape == "store" else f'    {node}["{text}"]')
        lines.append("  end")
    for a, b, edge in top.edges:
        lines.append(f'  {a} -->|"{_clean(edge)}"| {b}')
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(top: Topology) -> str:
    lines = [
        "digraph openim {",
        f'  label="{_dot_text(top.title)}";',
        "  rankdir=LR;",
        '  node [fontname="sans-serif", fontsize=10];',
        '  edge [fontname="sans-serif", fontsize=9];',
        '  clients [label="clients: apps and browsers", shape=oval];',
    ]
    for group in top.groups:
        lines.append(f"  subgraph cluster_{group.id} {{")
        lines.append(f'    label="{_dot_text(group.label)}";')
        for node, lines_, shape in group.nodes:
            text = "\\n".join(_dot_text(x) for x in lines_ if x)
            lines.append(f'    {node} [label="{text}", shape={"cylinder" if shape == "store" else "box"}];')
        lines.append("  }")
    for a, b, edge in top.edges:
        lines.append(f'  {a} -> {b} [label="{_dot_text(edge)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
