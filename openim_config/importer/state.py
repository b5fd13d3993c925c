"""What an import has read so far: upstream's config values per product and file, where each
came from, and the model keys and credentials found outside the config files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openim_config import yamlio
from openim_config.catalog import Catalog
from openim_config.importer.report import Report
from openim_config.plan.types import Flavour

KeyPath = tuple[str, ...]


def get_path(doc: Any, path: KeyPath, missing: Any = None) -> Any:
    """The value at ``path``, or ``missing`` where there is none."""
    node = doc
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return missing
        node = node[part]
    return node


def set_path(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = doc
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def leaves(doc: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    """Every leaf of a config document (a list is a leaf: upstream sets lists whole)."""
    if isinstance(doc, dict) and doc:
        return [item for key, value in doc.items() for item in leaves(value, (*path, key))]
    return [(path, doc)]


@dataclass
class DockerNames:
    """How an openim-docker deployment names things, for recognising its own addresses."""

    infra: dict[str, set[str]] = field(default_factory=dict)
    """Component (``mongodb``) -> its Compose service and container names (``mongo``)."""
    server: set[str] = field(default_factory=set)
    """Names of the all-in-one server container (chat's ``apiURL`` host)."""


@dataclass
class Imported:
    catalog: Catalog
    docs: dict[str, dict[str, Any]]
    """Product -> file -> document: upstream's defaults with every imported value over them."""
    flavour: Flavour = "host"
    """Where the imported processes ran: on hosts (a config directory, an env file) or in
    openim-docker's containers; decides how their addresses are read."""
    given: set[str] = field(default_factory=set)
    """Products whose values were imported."""
    origin: dict[tuple[str, str, KeyPath], str] = field(default_factory=dict)
    """(product, file, key) -> where its value was read (``config/share.yml:12``)."""
    model: dict[str, Any] = field(default_factory=dict)
    """Model keys read from outside the config files (openim-docker's ports, images, data)."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Credentials read from outside the config files: model path -> value."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Files a config value names (the FCM service account): path in the config dir -> bytes."""
    files_named: set[str] = field(default_factory=set)
    """Those files a key names (the rest are reported)."""
    consumed: set[tuple[str, str, KeyPath]] = field(default_factory=set)
    """Keys the mapping represented in its own way (a renamed address, a published port)."""
    docker: DockerNames | None = None
    report: Report = field(default_factory=Report)

    @classmethod
    def start(cls, catalog: Catalog) -> Imported:
        return cls(catalog, {p: yamlio.copy_plain(catalog.documents[p]) for p in ("server", "chat")})

    def set(self, product: str, file: str, path: KeyPath, value: Any, where: str) -> None:
        set_path(self.docs[product][file], path, value)
        self.given.add(product)
        self.origin[(product, file, path)] = where

    def value(self, product: str, file: str, key: str) -> Any:
        return get_path(self.docs[product][file], tuple(key.split(".")))

    def default(self, product: str, file: str, key: str) -> Any:
        return get_path(self.catalog.documents[product][file], tuple(key.split(".")))  # type: ignore[index]

    def changed(self, product: str, file: str, key: str) -> bool:
        return product in self.given and self.value(product, file, key) != self.default(product, file, key)

    def where(self, product: str, file: str, key: str) -> str:
        found = self.origin.get((product, file, tuple(key.split("."))))
        return found or f"{product} {file}"

    def consume(self, product: str, file: str, key: str) -> None:
        self.consumed.add((product, file, tuple(key.split("."))))
