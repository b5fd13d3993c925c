"""Per-target settings."""

from __future__ import annotations

from pydantic import Field

from openim_config.model.base import Strict


class Host(Strict):
    name: str
    """A DNS-1123 label naming the host; its directory in the output."""
    address: str
    """Address the other hosts reach it at (registered in etcd, used for infrastructure)."""


class BinaryTarget(Strict):
    hosts: list[Host] = Field(default_factory=lambda: [Host(name="local", address="127.0.0.1")], min_length=1)
    """Machines of a bare-metal deployment; bundled infrastructure runs on the first."""
    install_dir: str = "/opt/openim"
    """Binaries are expected in `<installDir>/bin`."""
    config_dir: str = "/etc/openim"
    log_dir: str = "/var/log/openim"
    data_dir: str = "/var/lib/openim"
    user: str = "openim"
    group: str = "openim"


class ComposeTarget(Strict):
    project: str = "openim"
    """Compose project name (`name:`), a DNS-1123 label."""
    data_dir: str = "./data"
    """Where bind-mounted volumes live; relative paths are relative to compose.yaml."""


class Ingress(Strict):
    enabled: bool = False
    host: str = "openim.example.com"
    class_name: str = "nginx"
    tls_secret: str | None = None


class HelmTarget(Strict):
    namespace: str = "default"
    """The 3.8 line's Kubernetes discovery looks services up in `default` (FACTS 2.3)."""
    release: str = "openim"
    chart_name: str = "openim"
    storage_class: str | None = None
    ingress: Ingress = Field(default_factory=Ingress)


class Targets(Strict):
    binary: BinaryTarget = Field(default_factory=BinaryTarget)
    compose: ComposeTarget = Field(default_factory=ComposeTarget)
    helm: HelmTarget = Field(default_factory=HelmTarget)
