"""What an OpenIM release line is: binaries, ports, config files, credential keys, images.

Each line is data under ``lines/<line>/`` (``line.yaml`` plus the upstream default config
documents). Adding a line is adding data, not changing the targets.

Those YAML files are the source; a run reads ``catalog.json``, the same data compiled once
(parsing 30 YAML documents was a tenth of every build). ``python -m openim_config.catalog``
rewrites it; ``tests/test_catalog.py`` fails while it is stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Literal

from openim_config import yamlio

__all__ = ["COMPILED", "LINES", "Binary", "Catalog", "Contract", "PortKind", "PortSpec", "Product", "compile_catalog", "load_catalog"]

PortKind = Literal["http", "ws", "grpc", "metrics"]
ProductName = Literal["server", "chat"]
LINES = ("3.8",)


# The catalog is openim-gen's own data, checked when it is compiled (``tests/test_catalog.py``):
# plain frozen dataclasses, built from the JSON by hand, so reading it needs no pydantic
# (``verify`` imports no model at all). An unknown or missing key still fails, as a TypeError.


@dataclass(frozen=True, kw_only=True)
class PortSpec:
    key: str
    defaults: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class Product:
    title: str
    tag: str
    tagPattern: str
    """Image tags of this release line (a regular expression matched at the start)."""
    envPrefix: str
    containerConfigDir: str
    containerLogDir: str
    discovery: dict[Literal["etcd", "kubernetes"], str]
    serviceAccountToken: bool
    """Kubernetes: whether its pods mount a service-account token (which makes OpenIM take
    the pod for a Kubernetes runtime)."""
    discoveryNameKey: str
    adminUsersKey: str


@dataclass(frozen=True, kw_only=True)
class Contract:
    """How an image starts and what it writes (the image's Dockerfile, as data)."""

    sources: tuple[str, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...] = ()
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    binary: str | None = None
    """OpenIM images: where the executable is (``{binary}``: the image's binary name)."""
    user: str
    """``uid:gid`` the image starts as."""
    runsAs: str | None = None
    """``uid:gid`` its entrypoint switches to, when it starts as root and drops privileges."""
    chowns: tuple[str, ...] = ()
    """Directories its entrypoint (as root) hands over to ``runsAs`` before starting."""
    shell: bool
    volumes: tuple[str, ...] = ()
    """Image-declared VOLUMEs."""
    writes: tuple[str, ...] = ()
    """Directories the program must be able to write."""
    baked: dict[str, str] = field(default_factory=dict)
    """Directories the image ships content in (OpenIM chat: its default config)."""
    listens: tuple[int, ...] = ()
    """Ports it listens on unless configured otherwise."""

    def for_binary(self, binary: str) -> Contract:
        """The contract with ``{binary}`` filled in."""

        def fill(text: str) -> str:
            return text.replace("{binary}", binary)

        return replace(
            self,
            entrypoint=tuple(fill(a) for a in self.entrypoint),
            env={k: fill(v) for k, v in self.env.items()},
            binary=fill(self.binary) if self.binary else None,
        )

    def passes_arguments(self) -> bool:
        """Whether arguments given as the container command reach the program: not through a
        ``sh -c SCRIPT`` entrypoint whose script does not pass ``"$@"`` on."""
        shell = len(self.entrypoint) >= 3 and self.entrypoint[0] in ("sh", "/bin/sh", "bash", "/bin/bash") and self.entrypoint[1] == "-c"
        return not shell or '"$@"' in self.entrypoint[2]


@dataclass(frozen=True, kw_only=True)
class Binary:
    product: ProductName
    command: str
    """The upstream constructor of its cobra command (``NewPushRpcCmd``): what it loads."""
    image: str | None = None
    files: tuple[str, ...]
    instances: int
    portsFile: str | None = None
    discoveryKey: str | None = None
    discoveryName: str | None = None
    ports: dict[PortKind, PortSpec] = field(default_factory=dict)
    autoSetPorts: tuple[str, ...] = ()
    clientFacing: tuple[PortKind, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Catalog:
    line: str
    products: dict[ProductName, Product]
    binaries: dict[str, Binary]
    secretKeys: dict[ProductName, dict[str, str]]
    images: dict[str, str]
    contracts: dict[str, Contract]
    documents: dict[ProductName, dict[str, object]]
    """Upstream default config documents, by product and file name (``share.yml``)."""

    def binary_file(self, name: str) -> str:
        """The file that carries a binary's own settings and port lists."""
        b = self.binaries[name]
        return f"{b.portsFile or name}.yml"

    def image_name(self, name: str) -> str:
        return self.binaries[name].image or name

    def binary_contract(self, name: str) -> Contract:
        """The contract of an OpenIM binary's image, for that binary."""
        return self.contracts[self.binaries[name].product].for_binary(self.image_name(name))


COMPILED = "catalog.json"
"""The compiled form of a line's YAML sources, beside them."""


def _line_dir(line: str) -> Traversable:
    return resources.files("openim_config") / "catalog" / "lines" / line


def compile_catalog(line: str) -> str:
    """A line's ``line.yaml`` and upstream documents as one JSON text (what ``catalog.json`` holds)."""
    root = _line_dir(line)
    data = yamlio.load_plain((root / "line.yaml").read_text(encoding="utf-8"))
    documents: dict[str, dict[str, object]] = {}
    for product in ("server", "chat"):
        docs: dict[str, object] = {}
        for entry in sorted((root / product).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".yml"):
                docs[entry.name] = yamlio.load_plain(entry.read_text(encoding="utf-8"))
        documents[product] = docs
    data["documents"] = documents
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


@cache
def load_catalog(line: str) -> Catalog:
    return _catalog(json.loads((_line_dir(line) / COMPILED).read_text(encoding="utf-8")))


def _tuples(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``data`` with the JSON lists under ``names`` as tuples."""
    return {k: tuple(v) if k in names else v for k, v in data.items()}


def _catalog(data: dict[str, Any]) -> Catalog:
    def binary(b: dict[str, Any]) -> Binary:
        ports = {kind: PortSpec(key=spec["key"], defaults=tuple(spec["defaults"])) for kind, spec in b.get("ports", {}).items()}
        return Binary(**{**_tuples(b, ("files", "autoSetPorts", "clientFacing")), "ports": ports})

    contract_lists = ("sources", "entrypoint", "cmd", "chowns", "volumes", "writes", "listens")
    return Catalog(
        line=data["line"],
        products={name: Product(**p) for name, p in data["products"].items()},
        binaries={name: binary(b) for name, b in data["binaries"].items()},
        secretKeys=data["secretKeys"],
        images=data["images"],
        contracts={name: Contract(**_tuples(c, contract_lists)) for name, c in data["contracts"].items()},
        documents=data["documents"],
    )
