"""Facts of the helm target, from the rendered manifests: a workload whose container has
``CONFIG_PATH`` is an OpenIM binary reading the ConfigMap mounted there; the others named
after a component are bundled infrastructure. Services are matched to workloads by selector."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from openim_config.catalog import Catalog
from openim_config.verify import composefile as cf
from openim_config.verify.facts import ExtraFacts, InfraFacts, NotApplicable, ProcessFacts, TargetFacts, Unknown, Volume
from openim_config.verify.normalise import Resolver, normalise_document, process_infra, strip_ports, unprefix_names
from openim_config.verify.reading import binary_for, digest, flag, get, load_yaml_text, start_fact

__all__ = ["extract"]

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
MONITORING = ("prometheus", "alertmanager", "grafana")
"""The chart's own monitoring stack, by component label (values.monitoring)."""


@dataclass
class Workload:
    manifest: dict[str, Any]
    pod: dict[str, Any]
    container: dict[str, Any]
    labels: dict[str, str]

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])

    def env(self, name: str) -> Any:
        return next((e.get("value") for e in self.container.get("env") or [] if e.get("name") == name), None)

    def mount(self, path: str) -> dict[str, Any] | None:
        m = next((m for m in self.container.get("volumeMounts") or [] if m.get("mountPath", "").rstrip("/") == path.rstrip("/")), None)
        if m is None:
            return None
        return next((v for v in self.pod.get("volumes") or [] if v.get("name") == m.get("name")), {"name": m.get("name")})


def _workloads(manifests: list[dict[str, Any]]) -> Iterator[Workload]:
    for m in manifests:
        if m.get("kind") in WORKLOADS:
            template = get(m, "spec.template") or {}
            pod = template.get("spec") or {}
            labels = get(template, "metadata.labels") or {}
            for container in pod.get("containers") or []:
                yield Workload(m, pod, container, labels)


def _services(manifests: list[dict[str, Any]], w: Workload) -> list[dict[str, Any]]:
    out = []
    for m in manifests:
        selector = get(m, "spec.selector") or {}
        if m.get("kind") == "Service" and selector and all(w.labels.get(k) == v for k, v in selector.items()):
            out.append(m)
    return out


def extract(manifests: list[dict[str, Any]], catalog: Catalog, with_secrets: bool) -> TargetFacts:
    facts = TargetFacts("helm")
    secrets = {get(m, "metadata.name"): m for m in manifests if m.get("kind") == "Secret"}
    procs: list[tuple[str, Workload, dict[str, Any]]] = []
    identity: dict[str, tuple[str, Workload]] = {}
    for w in _workloads(manifests):
        config_path = w.env("CONFIG_PATH")
        binary = binary_for(catalog, w.container.get("name"), w.name, str(w.container.get("image", "")))
        if config_path and binary:
            procs.append((binary, w, _config(manifests, w, str(config_path))))
            identity[w.name] = (binary, w)
            continue
        if w.labels.get("app.kubernetes.io/component") in MONITORING:
            name = w.labels["app.kubernetes.io/component"]
            facts.extras[name] = ExtraFacts(name, str(w.container.get("image", "")))
            continue
        extra = cf.EXTRA_SERVICES.get(str(w.container.get("name", "")))
        if extra:
            facts.extras[extra] = _extra(extra, w, manifests)
            continue
        component = cf.infra_component(str(w.container.get("name", w.name)), w.container)
        if component:
            env = _credentials(w, secrets)
            facts.infra[component] = InfraFacts(
                name=component,
                image=str(w.container.get("image", "")),
                volumes=_volumes(w),
                credentials=tuple(sorted(env)),
                secret_digests=_digests(env, secrets) if with_secrets else Unknown("secrets.values.yaml not written"),
            )
            identity[w.name] = (f"bundled:{component}", w)
    resolve = _resolver(manifests, identity, catalog, procs)
    for binary, w, docs in procs:
        facts.processes[binary] = _process(binary, w, docs, manifests, catalog, facts, secrets, with_secrets, resolve)
        product = catalog.binaries[binary].product
        release = str((get(w.manifest, "metadata.labels") or {}).get("app.kubernetes.io/instance", ""))
        for file, doc in docs.items():
            normalised = unprefix_names(catalog, product, file, normalise_document(file, doc, resolve), release)
            facts.documents.setdefault(f"{product}/{file}", strip_ports(catalog, product, file, normalised))
    return facts


def _extra(name: str, w: Workload, manifests: list[dict[str, Any]]) -> ExtraFacts:
    """A front: its image, its Services' ports (what the other targets publish on the host), and
    the container ports they send to."""
    named = {p.get("name"): p.get("containerPort") for p in w.container.get("ports") or []}
    published: set[int] = set()
    listens: set[int] = set()
    for svc in _services(manifests, w):
        for p in get(svc, "spec.ports") or []:
            published.add(int(p["port"]))
            target = p.get("targetPort", p["port"])
            port = named.get(target, target)  # a named targetPort: the container port of that name
            if str(port).isdigit():
                listens.add(int(port))
    return ExtraFacts(name, str(w.container.get("image", "")), tuple(sorted(published)), tuple(sorted(listens)))


def _config(manifests: list[dict[str, Any]], w: Workload, path: str) -> dict[str, Any]:
    """The files the container sees at ``path``: its ConfigMap's keys, or the volume's items
    (a projected volume: those of its ConfigMap source; a Secret source holds no config file)."""
    volume = w.mount(path) or {}
    sources = get(volume, "projected.sources")
    if isinstance(sources, list):
        volume = next((s for s in sources if isinstance(s, dict) and "configMap" in s), {})
    name = get(volume, "configMap.name")
    cm = next((m for m in manifests if m.get("kind") == "ConfigMap" and get(m, "metadata.name") == name), None)
    data = (cm or {}).get("data") or {}
    items = {i["key"]: i["path"] for i in get(volume, "configMap.items") or []} or {k: k for k in data}
    seen = {items[k]: data[k] for k in data if k in items}
    return {file: (load_yaml_text(text, f"ConfigMap {name} {file}") or [None])[0] for file, text in sorted(seen.items())}


def _credentials(w: Workload, secrets: dict[Any, Any]) -> dict[str, tuple[str, str]]:
    """Variable -> (Secret name, key) of every credential the container reads."""
    out = {}
    for e in w.container.get("env") or []:
        ref = get(e, "valueFrom.secretKeyRef")
        if isinstance(ref, dict):
            out[str(e["name"])] = (str(ref.get("name")), str(ref.get("key")))
    return out


def _digests(env: dict[str, tuple[str, str]], secrets: dict[Any, Any]) -> dict[str, str] | Unknown:
    out = {}
    for var, (name, key) in env.items():
        secret = secrets.get(name)
        if secret is None:
            return Unknown(f"Secret {name} not rendered")
        if key in (secret.get("stringData") or {}):
            out[var] = digest(str(secret["stringData"][key]))
        elif key in (secret.get("data") or {}):
            out[var] = digest(base64.b64decode(secret["data"][key]).decode("utf-8"))
        else:
            return Unknown(f"Secret {name} has no key {key}")
    return out


def _volumes(w: Workload) -> tuple[Volume, ...]:
    claims = {get(t, "metadata.name"): t.get("spec") or {} for t in get(w.manifest, "spec.volumeClaimTemplates") or []}
    volumes = {v.get("name"): v for v in w.pod.get("volumes") or []}
    out = []
    for m in w.container.get("volumeMounts") or []:
        name, mount = m.get("name"), str(m.get("mountPath", ""))
        if name in claims:
            spec = claims[name]
            size = get(spec, "resources.requests.storage")
            parts = [f"PVC {name}", str(size), spec.get("storageClassName") or "default class", ",".join(spec.get("accessModes") or [])]
            out.append(Volume(mount, " ".join(p for p in parts if p), str(name)))
        elif claim := get(volumes.get(name) or {}, "persistentVolumeClaim.claimName"):
            out.append(Volume(mount, f"PVC {claim} (existing)", str(claim)))
        elif path := get(volumes.get(name) or {}, "hostPath.path"):
            out.append(Volume(mount, f"hostPath {path}", str(path).rstrip("/").rsplit("/", 1)[-1]))
    return tuple(sorted(out, key=lambda v: v.mount))


def _resolver(
    manifests: list[dict[str, Any]], identity: dict[str, tuple[str, Workload]], catalog: Catalog, procs: list[tuple[str, Workload, Any]]
) -> Resolver:
    services: dict[str, tuple[str, dict[int, str]]] = {}
    for name, (ident, w) in identity.items():
        del name
        for svc in _services(manifests, w):
            ports = {int(p["port"]): str(p.get("name", "")) for p in get(svc, "spec.ports") or []}
            services[str(get(svc, "metadata.name"))] = (ident, ports)
    external = _external_services(manifests)
    namespace = {str(get(m, "metadata.namespace")) for m in manifests if get(m, "metadata.namespace")}

    def resolve(host: str, port: int) -> str | None:
        first, _, rest = host.partition(".")
        if rest and not any(rest == ns or rest.startswith(f"{ns}.svc") for ns in namespace | {"default"}):
            return None
        if first in external:
            return external[first](port)
        if first not in services:
            return None
        ident, ports = services[first]
        if port not in ports:
            return None
        return ident if ident.startswith("bundled:") else f"{ident}:{ports[port]}"

    return resolve


def _external_services(manifests: list[dict[str, Any]]) -> dict[str, Callable[[int], str | None]]:
    """Selector-less Services that lead out of the cluster: an ExternalName (the same port on
    that DNS name) or EndpointSlices/Endpoints naming the addresses. -> what ``host:port`` reaches."""
    slices: dict[str, list[dict[str, Any]]] = {}
    for m in manifests:
        if m.get("kind") == "EndpointSlice":
            owner = str(get(m, "metadata.labels") and m["metadata"]["labels"].get("kubernetes.io/service-name"))
            for ep in m.get("endpoints") or []:
                for address in ep.get("addresses") or []:
                    slices.setdefault(owner, []).append({"ip": address, "ports": m.get("ports") or []})
        elif m.get("kind") == "Endpoints":
            for subset in m.get("subsets") or []:
                for address in subset.get("addresses") or []:
                    slices.setdefault(str(get(m, "metadata.name")), []).append(
                        {"ip": address.get("ip"), "ports": subset.get("ports") or []}
                    )
    out: dict[str, Callable[[int], str | None]] = {}
    for m in manifests:
        if m.get("kind") != "Service" or get(m, "spec.selector"):
            continue
        name = str(get(m, "metadata.name"))
        ports = get(m, "spec.ports") or []
        if get(m, "spec.type") == "ExternalName":
            host = str(get(m, "spec.externalName"))
            out[name] = partial(_external_name, host, {int(p["port"]) for p in ports})
        elif name in slices:
            out[name] = partial(_endpoint, slices[name], ports)
    return out


def _external_name(host: str, ports: set[int], port: int) -> str | None:
    return f"{host}:{port}" if port in ports or not ports else None


def _endpoint(endpoints: list[dict[str, Any]], ports: list[dict[str, Any]], port: int) -> str | None:
    svc_port = next((p for p in ports if int(p["port"]) == port), None)
    if svc_port is None:
        return None
    out = []
    for ep in endpoints:
        named = next((int(p["port"]) for p in ep["ports"] if p.get("name") == svc_port.get("name")), None)
        target = named or svc_port.get("targetPort") or port
        ip = str(ep["ip"])
        out.append(f"[{ip}]:{target}" if ":" in ip else f"{ip}:{target}")
    return ",".join(out)


def _process(
    binary: str,
    w: Workload,
    docs: dict[str, Any],
    manifests: list[dict[str, Any]],
    catalog: Catalog,
    facts: TargetFacts,
    secrets: dict[Any, Any],
    with_secrets: bool,
    resolve: Resolver,
) -> ProcessFacts:
    spec = catalog.binaries[binary]
    replicas = get(w.manifest, "spec.replicas")
    proc = ProcessFacts(binary, spec.product, image=str(w.container.get("image", "")), instances=1 if replicas is None else int(replicas))
    own = docs.get(catalog.binary_file(binary))
    container_ports = {p.get("name"): int(p["containerPort"]) for p in w.container.get("ports") or []}
    services = _services(manifests, w)
    for kind, port_spec in spec.ports.items():
        lst = get(own, port_spec.key)
        if not isinstance(lst, list) or not lst:
            facts.problem(binary, f"port.{kind}", f"helm: the ConfigMap has no port in {port_spec.key}")
            proc.ports[kind] = ()
            continue
        port = int(lst[0])
        proc.ports[kind] = (port,)
        if container_ports.get(kind) != port:
            facts.problem(binary, f"port.{kind}", f"helm: listens on {port} but its containerPort {kind} is {container_ports.get(kind)}")
        for svc in services:
            for p in get(svc, "spec.ports") or []:
                if p.get("name") == kind and int(p["port"]) != port:
                    where = f"Service {get(svc, 'metadata.name')}"
                    facts.problem(binary, f"port.{kind}", f"helm: {where} exposes {kind} on {p['port']}, not {port}")
    if spec.discoveryKey:
        _check_discovery_name(binary, catalog, docs, services, facts)
    own = catalog.binary_file(binary)
    config = str(w.env("CONFIG_PATH") or "")
    args = w.container.get("args")
    command = w.container.get("command")
    # Kubernetes: command replaces the image's entrypoint (and its CMD); args replace CMD.
    holds = (flag(list(args or []), "-c", "--config_folder_path") or "").rstrip("/") == config.rstrip("/") and own in docs
    start = start_fact(catalog, binary, command, list(args or []), holds, image=True)
    proc.start = (start,)
    proc.published = NotApplicable("published", "Service")
    proc.files = tuple(sorted(f"{f}.yml" for f in spec.files if f"{f}.yml" in docs))
    missing = [f"{f}.yml" for f in spec.files if f"{f}.yml" not in docs]
    if missing:
        facts.problem(binary, "files", f"helm: the ConfigMap lacks {', '.join(missing)}")
    normalised = {f: normalise_document(f, docs[f], resolve) for f in proc.files}
    proc.infra = process_infra(proc.files, normalised)
    env = _credentials(w, secrets)
    ids = {var: key for var, (_, key) in env.items()}
    proc.credentials = dict(sorted(ids.items()))
    proc.secret_digests = _digests(env, secrets) if with_secrets else Unknown("secrets.values.yaml not written")
    where = str(get(docs.get("log.yml"), "storageLocation") or "")
    source = next(iter(k for k in (w.mount(where) or {}) if k != "name"), "") if where else ""
    stdout = get(docs.get("log.yml"), "isStdout") is True
    proc.logs = "; ".join(x for x in (f"{where} ({source})" if source else where, "stdout" if stdout else "") if x)
    return proc


def _check_discovery_name(binary: str, catalog: Catalog, docs: dict[str, Any], services: list[dict[str, Any]], facts: TargetFacts) -> None:
    """OpenIM's Kubernetes resolver dials the Service named by the registered discovery name,
    on its port named grpc (FACTS 5.2)."""
    spec = catalog.binaries[binary]
    file, key = catalog.products[spec.product].discoveryNameKey.split(":")
    name = get(docs.get(file), f"{key}.{spec.discoveryKey}")
    grpc = [s for s in services if any(p.get("name") == "grpc" for p in get(s, "spec.ports") or [])]
    if name and "grpc" in spec.ports and not any(get(s, "metadata.name") == name for s in grpc):
        facts.problem(binary, "port.grpc", f"helm: no Service named {name} (its discovery name in {file}) exposes its grpc port")
