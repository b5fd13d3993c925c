"""Facts of the compose target: every container whose command carries ``-i N`` is one
instance of an OpenIM binary; the others are bundled infrastructure."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openim_config.catalog import Catalog
from openim_config.errors import UserError
from openim_config.verify import composefile as cf
from openim_config.verify.facts import ProcessFacts, TargetFacts, Unknown
from openim_config.verify.normalise import Resolver, normalise_document, process_infra, settle_copies
from openim_config.verify.reading import binary_for, flag, get, load_yaml, secret_ids, start_fact

__all__ = ["extract"]


@dataclass
class Container:
    name: str
    binary: str
    index: int
    image: str
    config_dir: Path | None
    svc: dict[str, Any]
    docs: dict[str, Any] = field(default_factory=dict)
    listeners: dict[int, str] = field(default_factory=dict)
    """port -> listener kind of this instance."""


def extract(root: Path, catalog: Catalog) -> TargetFacts:
    files = [root / n for n in cf.COMPOSE_FILES if (root / n).is_file()]
    if not files:
        raise UserError(f"{root}: no compose.yaml: run `openim-gen build` first")
    path = files[0]
    data = load_yaml(path)
    named = set((data.get("volumes") or {}) if isinstance(data, dict) else {})
    services = cf.load_services(path)
    facts = TargetFacts("compose")
    facts.extras = cf.extras(services)
    containers: list[Container] = []
    hosts: dict[str, str] = {}
    processes = {n: s for n, s in services.items() if (flag(cf.command(s), "-i", "--index") or "").isdigit()}
    for component, (name, svc) in cf.infra_services({n: s for n, s in services.items() if n not in processes}).items():
        facts.infra[component] = cf.infra_facts(component, svc, root, named)
        hosts.update(dict.fromkeys(cf.host_names(name, svc), f"bundled:{component}"))
    for name, svc in processes.items():
        args = cf.command(svc)
        index = flag(args, "-i", "--index") or "0"
        config_target = flag(args, "-c", "--config_folder_path")
        mount = next((m for m in cf.mounts(svc, named) if config_target and m.target.rstrip("/") == config_target.rstrip("/")), None)
        config_dir = root / mount.source if mount else None
        binary = binary_for(catalog, config_dir.name if config_dir else None, name.rsplit("-", 1)[0], name, str(svc.get("image", "")))
        if binary is None:
            facts.notes.append(f"compose: service {name} runs -i {index} but is no OpenIM binary this release line knows")
            continue
        containers.append(Container(name, binary, int(index), str(svc.get("image", "")), config_dir, svc))
    for c in containers:
        _read_config(c, catalog, facts)
        for host in cf.host_names(c.name, c.svc):
            hosts[host] = f"@{c.name}"
    by_name = {c.name: c for c in containers}

    def resolve(host: str, port: int) -> str | None:
        reached = hosts.get(host)
        if reached is None or not reached.startswith("@"):
            return reached
        c = by_name[reached[1:]]
        return f"{c.binary}:{c.listeners[port]}" if port in c.listeners else None

    _documents(containers, catalog, facts, resolve)
    ids = secret_ids(catalog)
    for binary in dict.fromkeys(c.binary for c in containers):
        group = sorted((c for c in containers if c.binary == binary), key=lambda c: c.index)
        facts.processes[binary] = _process(binary, group, catalog, facts, ids, resolve, root)
    return facts


def _read_config(c: Container, catalog: Catalog, facts: TargetFacts) -> None:
    if c.config_dir is None or not c.config_dir.is_dir():
        facts.problem(c.binary, "files", f"{c.name}: no config directory mounted at its -c path")
        return
    c.docs = {p.name: load_yaml(p) for p in sorted(c.config_dir.iterdir()) if p.suffix in (".yml", ".yaml")}
    own = c.docs.get(catalog.binary_file(c.binary))
    for kind, spec in catalog.binaries[c.binary].ports.items():
        ports = get(own, spec.key)
        if isinstance(ports, list) and c.index < len(ports):
            c.listeners[int(ports[c.index])] = kind


def _documents(containers: list[Container], catalog: Catalog, facts: TargetFacts, resolve: Resolver) -> None:
    """One document per product file: the copies mounted into the containers must agree."""
    copies: dict[str, dict[str, Any]] = {}
    for c in containers:
        if c.config_dir is not None:
            product = catalog.binaries[c.binary].product
            for file, doc in c.docs.items():
                copies.setdefault(f"{product}/{file}", {}).setdefault(c.config_dir.name, normalise_document(file, doc, resolve))
    settle_copies(facts, catalog, copies, lambda d, file: f"config/{d}/{file}", "compose")


def _process(
    binary: str, group: list[Container], catalog: Catalog, facts: TargetFacts, ids: dict[str, str], resolve: Resolver, root: Path
) -> ProcessFacts:
    spec = catalog.binaries[binary]
    first = group[0]
    proc = ProcessFacts(binary, spec.product, image=first.image, instances=len(group))
    if len({c.image for c in group}) > 1:
        facts.problem(binary, "image", "compose: instances run different images: " + ", ".join(sorted({c.image for c in group})))
    indexes = [c.index for c in group]
    if indexes != list(range(len(group))):
        facts.problem(binary, "instances", f"compose: instance indexes are {indexes}, not 0..{len(group) - 1}")
    for kind, port_spec in spec.ports.items():
        ports = []
        for c in group:
            lst = get(c.docs.get(catalog.binary_file(binary)), port_spec.key)
            if not isinstance(lst, list) or c.index >= len(lst):
                facts.problem(binary, f"port.{kind}", f"compose: {c.name} (-i {c.index}) has no entry in {port_spec.key}")
                continue
            ports.append(int(lst[c.index]))
        proc.ports[kind] = tuple(ports)
        if kind in spec.clientFacing:
            _check_published(binary, kind, group, facts)
    own = catalog.binary_file(binary)
    proc.start = tuple(start_fact(catalog, binary, cf.entrypoint(c.svc), cf.command(c.svc), own in c.docs, image=True) for c in group)
    proc.published = tuple(
        sorted(h for c in group for h, t in cf.published(c.svc) if h is not None and c.listeners.get(t) in spec.clientFacing)
    )
    proc.files = tuple(sorted(first.docs))
    docs = {f: normalise_document(f, d, resolve) for f, d in first.docs.items()}
    proc.infra = process_infra(proc.files, docs)
    env: dict[str, str] | Unknown = {}
    for c in group:
        got = cf.read_env(root, c.svc)
        if isinstance(got, Unknown):
            env = got
            break
        assert isinstance(env, dict)
        env.update(got)
    proc.secret_digests = env
    proc.credentials = env if isinstance(env, Unknown) else {v: ids.get(v, "?") for v in sorted(env)}
    where = str(get(first.docs.get("log.yml"), "storageLocation") or "").rstrip("/")
    mount = next((m for m in cf.mounts(first.svc, set()) if where and m.target.rstrip("/") == where), None)
    stdout = get(first.docs.get("log.yml"), "isStdout") is True
    proc.logs = "; ".join(x for x in (f"{mount.source} (bind)" if mount else where, "stdout" if stdout else "") if x)
    return proc


def _check_published(binary: str, kind: str, group: list[Container], facts: TargetFacts) -> None:
    """A client-facing listener is published on the same port on the host, as the binary
    target listens on it and helm's Service exposes it."""
    for c in group:
        port = next((p for p, k in c.listeners.items() if k == kind), None)
        if port is None:
            continue
        pub = cf.published(c.svc)
        if (port, port) not in pub:
            shown = ", ".join(f"{h}:{t}" for h, t in pub) or "nothing"
            facts.problem(binary, f"port.{kind}", f"compose: {c.name} listens for {kind} on {port} but publishes {shown}")
