"""The Plan: one resolved, target-neutral description of a deployment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from openim_config.catalog import Catalog, PortKind
from openim_config.model import OpenIM, SecretRef

Flavour = Literal["host", "compose", "kubernetes"]
"""Where a process runs, which decides how it reaches the others: the binary target's
hosts, the compose network, or Kubernetes service DNS."""
FLAVOURS: tuple[Flavour, ...] = ("host", "compose", "kubernetes")
INFRA = ("mongodb", "redis", "kafka", "etcd", "minio")

Documents = Mapping[str, Mapping[str, Any]]
"""product -> config file name -> document."""


@dataclass(frozen=True)
class Instance:
    service: str
    index: int
    ports: Mapping[PortKind, int]
    host: str = "local"
    """Binary target: the name of the host it runs on."""


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable a process reads a credential from."""

    variable: str
    secret_id: str


@dataclass(frozen=True)
class SecretFile:
    """A credential a process reads from a file, at ``path`` relative to its config directory."""

    path: str
    secret_id: str


@dataclass(frozen=True)
class ServicePlan:
    name: str
    product: Literal["server", "chat"]
    image: str
    instances: tuple[Instance, ...]
    ports: Mapping[PortKind, tuple[int, ...]]
    files: tuple[str, ...]
    """Config files the binary reads, e.g. ``share.yml``."""
    infra: tuple[str, ...]
    """Infrastructure it connects to."""
    discovery_name: str | None
    client_facing: tuple[PortKind, ...]
    secret_env: tuple[SecretEnv, ...]
    secret_files: tuple[SecretFile, ...] = ()
    """Credentials installed as files in its config directory (the FCM service account)."""


@dataclass(frozen=True)
class InfraPlan:
    name: str
    bundled: bool
    image: str
    endpoints: Mapping[Flavour, tuple[str, ...]]
    """``host:port`` of every node as seen from each flavour."""
    host_ports: Mapping[str, int]
    """Bundled only: listener name -> port published on the host."""
    users: tuple[str, ...]
    """Binaries that connect to it."""


@dataclass(frozen=True)
class SecretPlan:
    id: str
    path: str
    """Dotted model path the value comes from (for messages; never the value)."""
    ref: SecretRef | None
    """``None`` for a secret derived from others (the MongoDB URI)."""


@dataclass(frozen=True)
class VolumePlan:
    name: str
    owner: str
    """The infra component (or ``openim``) whose data it holds."""
    host_path: str | None
    """As given in the model (absolute or relative to a target's data dir), or ``None``."""
    size: str
    storage_class: str | None
    access_modes: tuple[str, ...]
    existing_claim: str | None


@dataclass(frozen=True)
class Plan:
    model: OpenIM
    catalog: Catalog
    services: Mapping[str, ServicePlan]
    infra: Mapping[str, InfraPlan]
    volumes: Mapping[str, VolumePlan]
    secrets: Mapping[str, SecretPlan]
    documents: Mapping[Flavour, Documents]
    bundled_env: Mapping[str, tuple[SecretEnv, ...]] = field(default_factory=dict)
    """Bundled component (``mongodb``, ``redis``, ``minio``, ``grafana``) -> the credentials
    its container reads, as environment variables."""
    warnings: tuple[str, ...] = ()
    """Valid but probably not what the operator wants; `build` prints them."""
    images: Mapping[str, str] = field(default_factory=dict)
    """Images of the extras (``prometheus``, ``grafana``, ``web-front``, ...) once moved to a
    private registry or pinned (``plan.images.rewrite``); read them with ``extra_image``."""

    def extra_image(self, name: str) -> str:
        """The image of an extra of ``catalog.images`` (monitoring, fronts): as rewritten, else
        the model's own override, else the release line's pinned image."""
        if name in self.images:
            return self.images[name]
        fronts = self.model.fronts
        override = {"web-front": fronts.web.image, "admin-front": fronts.admin.image}.get(name)
        return override or self.catalog.images[name]

    def product_enabled(self, product: str) -> bool:
        return any(s.product == product for s in self.services.values())

    def bundled(self) -> list[InfraPlan]:
        return [i for i in self.infra.values() if i.bundled]
