"""Facts of the binary target, found by walking the tree: every directory holding
``etc/systemd/system`` is one host's root (one host, or ``<host>/...`` for several). Template
units run ``<binary> -i %i -c <dir>``; the ``.target`` files (or ``.wants`` links) say which
instances run; ``EnvironmentFile=`` names the credential file; the bundled infrastructure is a
Compose file beside them, published on the host ports the config files name."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openim_config.catalog import Catalog
from openim_config.errors import UserError
from openim_config.verify import composefile as cf
from openim_config.verify.facts import NotApplicable, ProcessFacts, TargetFacts, Unknown
from openim_config.verify.normalise import Resolver, normalise_document, process_infra, settle_copies
from openim_config.verify.reading import binary_for, env_file, flag, get, load_yaml, secret_ids, start_fact

__all__ = ["extract"]

UNIT_DIR = Path("etc/systemd/system")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
_INSTANCE = re.compile(r"^(?P<template>.+@)(?P<index>\d+)\.service$")


@dataclass
class Unit:
    host: str
    root: Path
    name: str
    binary: str
    exe: str
    args: list[str]
    """ExecStart's arguments (``%i``: the instance)."""
    config_dir: Path | None
    env_files: list[Path]
    indexes: list[int] = field(default_factory=list)
    docs: dict[str, Any] = field(default_factory=dict)


def parse_unit(path: Path) -> dict[str, list[str]]:
    """``Section.Key`` -> every value (systemd allows repeated keys)."""
    out: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if sep:
            out.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return out


def host_roots(root: Path) -> dict[str, Path]:
    roots = sorted(p.parents[2] for p in root.rglob("system") if p.is_dir() and p.as_posix().endswith(UNIT_DIR.as_posix()))
    return {("" if r == root else r.relative_to(root).as_posix()): r for r in roots}


def extract(root: Path, catalog: Catalog) -> TargetFacts:
    hosts = host_roots(root)
    if not hosts:
        raise UserError(f"{root}: no etc/systemd/system: run `openim-gen build` first")
    facts = TargetFacts("binary")
    units: list[Unit] = []
    resolvers: dict[str, Resolver] = {}
    published: dict[str, dict[int, str]] = {}
    for host, hroot in hosts.items():
        units.extend(_units(host, hroot, catalog, facts))
        published[host] = _infra(hroot, facts)
    for u in units:
        if u.config_dir is None or not u.config_dir.is_dir():
            facts.problem(u.binary, "files", f"binary: {u.name} on {u.host or 'the host'}: config directory missing")
            continue
        for file in (f"{f}.yml" for f in catalog.binaries[u.binary].files):
            if (u.config_dir / file).is_file():
                u.docs[file] = load_yaml(u.config_dir / file)
            else:
                facts.problem(u.binary, "files", f"binary: {u.config_dir.relative_to(root)}/{file} missing")
    aliases = {alias: u.host for u in units for alias in _register_ips(u.docs)}
    for host in hosts:
        resolvers[host] = _resolver(host, units, published, aliases, catalog)
    _documents(units, catalog, facts, resolvers, root)
    ids = secret_ids(catalog)
    for binary in dict.fromkeys(u.binary for u in units):
        facts.processes[binary] = _process(binary, [u for u in units if u.binary == binary], catalog, facts, ids, resolvers)
    return facts


def _units(host: str, hroot: Path, catalog: Catalog, facts: TargetFacts) -> list[Unit]:
    unit_dir = hroot / UNIT_DIR
    wanted: list[str] = []
    for target in sorted(unit_dir.glob("*.target")):
        parsed = parse_unit(target)
        for key in ("Unit.Wants", "Unit.Requires"):
            for value in parsed.get(key, []):
                wanted.extend(value.split())
    wanted.extend(p.name for p in sorted(unit_dir.glob("*.wants/*")) + sorted(unit_dir.glob("*.requires/*")))
    out = []
    for path in sorted(unit_dir.glob("*.service")):
        parsed = parse_unit(path)
        exec_start = parsed.get("Service.ExecStart", [""])[-1].lstrip("-@:+!")
        args = shlex.split(exec_start)
        if not args:
            continue
        exe = args[0]
        binary = binary_for(catalog, Path(exe).name, path.stem.rstrip("@"), path.stem.rstrip("@").removeprefix("openim-"))
        if binary is None:
            continue
        config = flag(args, "-c", "--config_folder_path")
        env = [hroot / v.lstrip("-").lstrip("/") for v in parsed.get("Service.EnvironmentFile", [])]
        unit = Unit(host, hroot, path.name, binary, exe, args[1:], hroot / config.lstrip("/") if config else None, env)
        if path.name.endswith("@.service"):
            unit.indexes = sorted({int(m["index"]) for w in wanted if (m := _INSTANCE.match(w)) and m["template"] == path.name[:-8]})
        elif path.name in wanted:
            index = flag(args, "-i", "--index")
            unit.indexes = [int(index) if index and index.isdigit() else 0]
        out.append(unit)
    return out


def _infra(hroot: Path, facts: TargetFacts) -> dict[int, str]:
    """Bundled components of a host's Compose files, and host port -> component."""
    ports: dict[int, str] = {}
    for path in cf.find_compose_files(hroot):
        data = load_yaml(path)
        named = set((data.get("volumes") or {}) if isinstance(data, dict) else {})
        services = cf.load_services(path)
        facts.extras.update(cf.extras(services))
        for component, (_, svc) in cf.infra_services({n: s for n, s in services.items() if n not in cf.EXTRA_SERVICES}).items():
            facts.infra[component] = cf.infra_facts(component, svc, path.parent, named)
            for host_port, _ in cf.published(svc):
                if host_port is not None:
                    ports[host_port] = f"bundled:{component}"
    return ports


def _register_ips(node: Any) -> set[str]:
    """The addresses a host's config files register its processes under (``rpc.registerIP``):
    how the other hosts' config files name that host."""
    if isinstance(node, dict):
        found = {str(v) for k, v in node.items() if k == "registerIP" and v}
        return found.union(*(_register_ips(v) for v in node.values()))
    return set()


def _resolver(host: str, units: list[Unit], published: dict[str, dict[int, str]], aliases: dict[str, str], catalog: Catalog) -> Resolver:
    listeners: dict[str, dict[int, str]] = {}
    for u in units:
        own = u.docs.get(catalog.binary_file(u.binary))
        for kind, spec in catalog.binaries[u.binary].ports.items():
            lst = get(own, spec.key)
            for i in u.indexes:
                if isinstance(lst, list) and i < len(lst):
                    listeners.setdefault(u.host, {})[int(lst[i])] = f"{u.binary}:{kind}"

    def resolve(name: str, port: int) -> str | None:
        where = host if name in LOCAL_HOSTS else name if name in published else aliases.get(name)
        if where is None:
            return None
        return published[where].get(port) or listeners.get(where, {}).get(port)

    return resolve


def _documents(units: list[Unit], catalog: Catalog, facts: TargetFacts, resolvers: dict[str, Resolver], root: Path) -> None:
    """One document per product file; the copies on several hosts (or config dirs) must agree."""
    copies: dict[str, dict[Path, Any]] = {}
    for u in units:
        if u.config_dir is None:
            continue
        product = catalog.binaries[u.binary].product
        for file, doc in u.docs.items():
            copies.setdefault(f"{product}/{file}", {}).setdefault(u.config_dir, normalise_document(file, doc, resolvers[u.host]))
    settle_copies(facts, catalog, copies, lambda d, file: f"{d.relative_to(root)}/{file}", "binary")


def _process(
    binary: str, group: list[Unit], catalog: Catalog, facts: TargetFacts, ids: dict[str, str], resolvers: dict[str, Resolver]
) -> ProcessFacts:
    spec = catalog.binaries[binary]
    first = group[0]
    proc = ProcessFacts(binary, spec.product, image=NotApplicable("executable", first.exe))
    pairs = sorted((i, u) for u in group for i in u.indexes) if group else []
    proc.instances = len(pairs)
    for kind, port_spec in spec.ports.items():
        ports = []
        for i, u in pairs:
            lst = get(u.docs.get(catalog.binary_file(binary)), port_spec.key)
            if not isinstance(lst, list) or i >= len(lst):
                facts.problem(binary, f"port.{kind}", f"binary: {u.name} instance {i} has no entry in {port_spec.key}")
                continue
            ports.append(int(lst[i]))
        proc.ports[kind] = tuple(ports)
    own = catalog.binary_file(binary)
    proc.start = tuple(
        start_fact(catalog, binary, None, [a.replace("%i", str(i)) for a in u.args], own in u.docs, image=False) for i, u in pairs
    )
    # On a bare host every listener is the host's: the client-facing ones are what clients reach.
    proc.published = tuple(sorted(p for k in spec.clientFacing for p in proc.ports.get(k, ())))
    proc.files = tuple(sorted(first.docs))
    docs = {f: normalise_document(f, d, resolvers[first.host]) for f, d in first.docs.items()}
    proc.infra = process_infra(proc.files, docs)
    env: dict[str, str] | Unknown = {}
    for path in dict.fromkeys(p for u in group for p in u.env_files):
        got = env_file(path)
        if got is None:
            env = Unknown(f"{path.name} not written")
            break
        assert isinstance(env, dict)
        env.update(got)
    proc.secret_digests = env
    proc.credentials = env if isinstance(env, Unknown) else {v: ids.get(v, "?") for v in sorted(env)}
    where = str(get(first.docs.get("log.yml"), "storageLocation") or "")
    stdout = get(first.docs.get("log.yml"), "isStdout") is True
    proc.logs = "; ".join(x for x in (where, "stdout" if stdout else "") if x)
    return proc
