"""Logical volumes: one entry per persistent thing, mapped by each target."""

from typing import Literal

from pydantic import Field

from openim_config.model.base import K8sName, RelativeOrAbsolutePath, Strict

VOLUMES = ("mongodb-data", "redis-data", "kafka-data", "etcd-data", "minio-data", "openim-logs", "prometheus-data", "grafana-data")
"""Every logical volume, in a fixed order; `<infra>-data` exists only while that infra is bundled,
`prometheus-data` and `grafana-data` only with monitoring."""
VOLUME_OWNERS = {v: v.removesuffix("-data") for v in VOLUMES if v.endswith("-data")} | {"openim-logs": "openim"}

AccessMode = Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]


class Volume(Strict):
    host_path: RelativeOrAbsolutePath | None = None
    """Binary and compose: absolute path, or relative to the target's data dir;
    default: the volume's name under the data dir."""
    size: str = Field("10Gi", pattern=r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
    """Helm: requested capacity."""
    storage_class: K8sName | None = None
    """Helm: storage class; default: `targets.helm.storageClass`."""
    access_modes: list[AccessMode] = Field(default_factory=lambda: list[AccessMode](["ReadWriteOnce"]), min_length=1)
    existing_claim: K8sName | None = None
    """Helm: use this PVC instead of creating one."""
