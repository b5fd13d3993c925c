"""What an OpenIM release line is: binaries, ports, config files, credential keys, images.

Each line is data under ``lines/<line>/`` (``line.yaml`` plus the upstream default config
documents). Adding a line is adding data, not changing the targets.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from openim_config import yamlio

__all__ = ["LINES", "Binary", "Catalog", "PortKind", "PortSpec", "Product", "load_catalog"]

PortKind = Literal["http", "ws", "grpc", "metrics"]
ProductName = Literal["server", "chat"]
LINES = ("3.8",)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=None)


class PortSpec(_Data):
    key: str
    defaults: tuple[int, ...]


class Product(_Data):
    title: str
    tag: str
    envPrefix: str
    containerConfigDir: str
    containerLogDir: str
    discovery: dict[Literal["etcd", "kubernetes"], str]
    discoveryNameKey: str
    adminUsersKey: str


class Binary(_Data):
    product: ProductName
    image: str | None = None
    files: tuple[str, ...]
    instances: int
    portsFile: str | None = None
    discoveryKey: str | None = None
    discoveryName: str | None = None
    ports: dict[PortKind, PortSpec] = Field(default_factory=dict)
    autoSetPorts: tuple[str, ...] = ()
    clientFacing: tuple[PortKind, ...] = ()


class Catalog(_Data):
    line: str
    products: dict[ProductName, Product]
    binaries: dict[str, Binary]
    secretKeys: dict[ProductName, dict[str, str]]
    images: dict[str, str]
    documents: dict[ProductName, dict[str, object]]
    """Upstream default config documents, by product and file name (``share.yml``)."""

    def binary_file(self, name: str) -> str:
        """The file that carries a binary's own settings and port lists."""
        b = self.binaries[name]
        return f"{b.portsFile or name}.yml"

    def image_name(self, name: str) -> str:
        return self.binaries[name].image or name


@cache
def load_catalog(line: str) -> Catalog:
    root = resources.files("openim_config") / "catalog" / "lines" / line
    data = yamlio.load_plain((root / "line.yaml").read_text(encoding="utf-8"))
    documents: dict[str, dict[str, object]] = {}
    for product in ("server", "chat"):
        docs: dict[str, object] = {}
        for entry in sorted((root / product).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".yml"):
                docs[entry.name] = yamlio.load_plain(entry.read_text(encoding="utf-8"))
        documents[product] = docs
    data["documents"] = documents
    return Catalog.model_validate(data)
