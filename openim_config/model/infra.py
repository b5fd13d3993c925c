"""Infrastructure: MongoDB, Redis, Kafka, etcd, MinIO, each bundled or external."""

from typing import Literal

from pydantic import Field

from openim_config.model.base import ImageRef, SecretRef, Strict, fresh

Mode = Literal["bundled", "external"]


def _secret(value: str) -> SecretRef:
    return SecretRef.model_validate(value)


class _Component(Strict):
    mode: Mode = "bundled"
    """`bundled`: the target deploys it; `external`: it exists, reach it at `address`."""
    address: list[str] = Field(default_factory=fresh(list))
    """External only: `host:port` of every node."""
    image: ImageRef | None = None
    """Image of the bundled component; default: the release line's pinned image."""


class MongoDB(_Component):
    port: int = Field(37017, ge=1, le=65535)
    """Port the bundled MongoDB is published on where the target uses host ports."""
    database: str = "openim_v3"
    auth_source: str | None = None
    """Authentication database; default: `database` (use `admin` for a root user)."""
    username: str = "openIM"
    password: SecretRef = Field(default_factory=lambda: _secret("openIM123"))
    root_username: str = "root"
    """Bundled only: the administrator that creates `username`."""
    root_password: SecretRef = Field(default_factory=lambda: _secret("openIM123"))
    replica_set: str | None = None
    """External only: replica-set name; OpenIM then connects with a URI naming it."""
    max_pool_size: int = Field(100, ge=1)
    max_retry: int = Field(10, ge=0)


class Redis(_Component):
    port: int = Field(16379, ge=1, le=65535)
    redis_mode: Literal["standalone", "cluster"] = "standalone"
    username: str = ""
    password: SecretRef | None = Field(default_factory=lambda: _secret("openIM123"))
    db: int = Field(0, ge=0)
    max_retry: int = Field(10, ge=0)
    pool_size: int = Field(100, ge=1)


class KafkaTLS(Strict):
    enabled: bool = False
    ca_crt: str = ""
    client_crt: str = ""
    client_key: str = ""
    client_key_password: SecretRef | None = None
    insecure_skip_verify: bool = False


class Kafka(_Component):
    port: int = Field(19094, ge=1, le=65535)
    username: str = ""
    """SASL user; empty: no SASL."""
    password: SecretRef | None = None
    producer_ack: str = ""
    compress_type: Literal["none", "gzip", "snappy", "lz4", "zstd"] = "none"
    tls: KafkaTLS = Field(default_factory=fresh(KafkaTLS))


class Etcd(_Component):
    port: int = Field(12379, ge=1, le=65535)
    root_directory: str = "openim"
    username: str = ""
    password: SecretRef | None = None


class MinIO(_Component):
    port: int = Field(10005, ge=1, le=65535)
    """Host port of the bundled MinIO API; clients upload and download through it."""
    console_port: int = Field(10004, ge=1, le=65535)
    bucket: str = "openim"
    access_key_id: SecretRef = Field(default_factory=lambda: _secret("root"))
    secret_access_key: SecretRef = Field(default_factory=lambda: _secret("openIM123"))
    external_address: str | None = None
    """URL clients (browsers, apps) use for MinIO, e.g. `https://files.example.com`.
    Default: `http://<publicHost>:<port>`."""
    public_read: bool = False


class Infra(Strict):
    mongodb: MongoDB = Field(default_factory=fresh(MongoDB))
    redis: Redis = Field(default_factory=fresh(Redis))
    kafka: Kafka = Field(default_factory=fresh(Kafka))
    etcd: Etcd = Field(default_factory=fresh(Etcd))
    minio: MinIO = Field(default_factory=fresh(MinIO))
