"""What a started process must satisfy, beyond loading: upstream's early start-up checks,
the network addresses it dials, its credentials, and its environment.

Each rule cites the upstream code it stands for (open-im-server v3.8.3-patch.16 and chat
v1.8.4-patch.5, vendored in ``upstream/``); the network parts upstream runs after loading
cannot run here, so their preconditions are checked instead.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

from openim_config.plan import Plan
from openim_config.plan.secrets import resolve
from tests.startup.launch import Started
from tests.startup.processes import Network

SERVER_DISCOVERY = ("etcd", "k8s")
"""pkg/common/discoveryregister/discoveryregister.go: NewDiscoveryRegister's switch; anything
else is "unsupported discovery type"."""


def dig(doc: Any, dotted: str) -> Any:
    node = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        match = next((k for k in node if k.lower() == part.lower()), None)  # mapstructure matches case-insensitively
        if match is None:
            return None
        node = node[match]
    return node


def _server_checks(plan: Plan, s: Started, binary: str) -> Iterable[str]:
    """Early start-up checks of the server: pkg/common/startrpc/start.go (index into the port
    lists, autoSetPorts only with etcd), discoveryregister.go (accepted values; k8s builds an
    in-cluster client), and the same index rule for the API's and gateway's own listeners."""
    assert s.loaded is not None
    docs, index = s.loaded.files, s.loaded.index
    spec = plan.catalog.binaries[binary]
    own = docs[plan.catalog.binary_file(binary)]
    enable = dig(docs["discovery.yml"], "enable")
    if enable not in SERVER_DISCOVERY:
        yield f"discovery.yml enable {enable!r}: unsupported discovery type (accepted: {', '.join(SERVER_DISCOVERY)})"
    if enable == "k8s" and not s.process.sa_token:
        yield "discovery k8s needs the pod's service-account token (rest.InClusterConfig), and none is mounted"
    auto = any(dig(own, key) for key in spec.autoSetPorts)
    if auto and enable != "etcd" and "grpc" in spec.ports:
        yield "autoSetPorts is true while discovery is not etcd: 'only etcd support autoSetPorts' (startrpc/start.go)"
    for kind, port in spec.ports.items():
        if kind in ("grpc", "metrics") and auto:
            continue
        if kind == "metrics" and dig(own, "prometheus.enable") is False:
            continue
        ports = dig(own, port.key) or []
        if index >= len(ports):
            yield f"-i {index}: {plan.catalog.binary_file(binary)} {port.key} has {len(ports)} port(s): index out of range"
    yield from _fcm_file(s)


def _fcm_file(s: Started) -> Iterable[str]:
    """internal/push/offlinepush/fcm NewClient: with enable fcm and a filePath, the credentials
    are read from filepath.Join(<the -c directory>, fcm.filePath) (push.go sets FcmConfigPath to
    the -c flag): that file must be in the process's filesystem, a service-account JSON."""
    assert s.loaded is not None
    push = s.loaded.files.get("openim-push.yml")
    if str(dig(push, "enable") or "").lower() != "fcm" or not dig(push, "fcm.filePath"):
        return
    args = list(s.args or ())
    config_dir = args[args.index("-c") + 1] if "-c" in args[:-1] else ""
    path = posixpath.normpath(posixpath.join(config_dir, str(dig(push, "fcm.filePath"))))
    data = s.process.files.get(path)
    if data is None:
        yield f"fcm.filePath: {path} is not in the process's filesystem"
        return
    try:
        kind = json.loads(data).get("type")
    except ValueError:
        kind = None
    if kind != "service_account":
        yield f"fcm.filePath: {path} is not a service-account JSON"


def _chat_checks(plan: Plan, s: Started, binary: str) -> Iterable[str]:
    assert s.loaded is not None
    own = s.loaded.files[plan.catalog.binary_file(binary)]
    key = "rpc.ports" if "grpc" in plan.catalog.binaries[binary].ports else "api.ports"
    ports = dig(own, key) or []
    if s.loaded.index >= len(ports):
        yield f"-i {s.loaded.index}: {key} has {len(ports)} port(s): index out of range"


def _addresses(docs: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(what, host:port) of every infrastructure address a process's files make it dial."""
    if "mongodb.yml" in docs and not dig(docs["mongodb.yml"], "uri"):
        yield from (("mongodb.yml address", a) for a in dig(docs["mongodb.yml"], "address") or [])
    if "redis.yml" in docs:
        yield from (("redis.yml address", a) for a in dig(docs["redis.yml"], "address") or [])
    if "kafka.yml" in docs:
        yield from (("kafka.yml address", a) for a in dig(docs["kafka.yml"], "address") or [])
    # third.go dials MinIO only with object.enable: minio (the other backends are cloud services).
    if "minio.yml" in docs and dig(docs.get("openim-rpc-third.yml"), "object.enable") in (None, "minio"):
        yield ("minio.yml internalAddress", re.sub(r"^https?://", "", dig(docs["minio.yml"], "internalAddress") or ""))
    if "discovery.yml" in docs and dig(docs["discovery.yml"], "enable") == "etcd":
        yield from (("discovery.yml etcd.address", a) for a in dig(docs["discovery.yml"], "etcd.address") or [])


def credentials(plan: Plan, s: Started) -> Iterable[str]:
    """Every credential field holds the model's value once the environment has applied."""
    assert s.loaded is not None
    product = plan.catalog.binaries[s.process.binary].product
    for key, sid in plan.catalog.secretKeys[product].items():
        file, dotted = key.split(":")
        if file not in s.loaded.files:
            continue
        expected = resolve(plan, sid) if sid in plan.secrets else ""
        got = dig(s.loaded.files[file], dotted)
        if got != expected:
            yield f"{file} {dotted}: the process gets {'nothing' if not got else 'another value'} (secret {sid})"


def unused_environment(plan: Plan, s: Started) -> Iterable[str]:
    """No IMENV_/CHATENV_ variable that overrides no key of a file the process loads."""
    assert s.loaded is not None
    prefixes = tuple(p.envPrefix for p in plan.catalog.products.values())
    consulted = {n for names in s.loaded.env_names.values() for n in names}
    for name in sorted(s.process.env):
        if name.startswith(prefixes) and name not in consulted:
            yield f"environment {name} reaches no key of the files it loads"


def findings(plan: Plan, s: Started, network: Network) -> list[str]:
    """Everything wrong with one started process ([] when it would get past start-up)."""
    if s.error:
        return [f"does not start: {s.error}"]
    assert s.loaded is not None
    binary = s.process.binary
    out = []
    expected = {f"{f}.yml" for f in plan.catalog.binaries[binary].files}
    if set(s.loaded.loaded) != expected:
        out.append(f"loaded {sorted(s.loaded.loaded)}, the catalog says {sorted(expected)}")
    product = plan.catalog.binaries[binary].product
    out += list(_server_checks(plan, s, binary) if product == "server" else _chat_checks(plan, s, binary))
    for what, address in _addresses(s.loaded.files):
        if not network.reaches(address):
            out.append(f"{what} {address}: nothing in this target listens there")
    out += list(credentials(plan, s))
    out += list(unused_environment(plan, s))
    return out
