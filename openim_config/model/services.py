"""OpenIM server binaries and chat services: enabled, instances, ports, image."""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from openim_config.model.base import ImageRef, ImageTag, Quantity, Registry, SecretRef, Strict, fresh

PortKind = Literal["http", "ws", "grpc", "metrics"]


AMOUNTS = {
    "cpu": (re.compile(r"^[0-9]+(\.[0-9]+)?$|^[0-9]+m$"), "CPUs such as 2, 0.5 or 500m"),
    "memory": (re.compile(r"^[0-9]+(\.[0-9]+)?(k|Ki|M|Mi|G|Gi|T|Ti|P|Pi)?$"), "bytes such as 512Mi, 2Gi or 1G (no m: that is milli-bytes)"),
}
"""What every target can state: Compose's `cpus` and memory units, systemd's `CPUQuota=` and
`MemoryMax=`, and Kubernetes' quantities."""


def _amounts(values: dict[Literal["cpu", "memory"], str]) -> dict[Literal["cpu", "memory"], str]:
    for kind, value in values.items():
        pattern, what = AMOUNTS[kind]
        if not pattern.match(value):
            raise ValueError(f"{kind} {value!r} is not {what}")
    return values


Amounts = Annotated[dict[Literal["cpu", "memory"], Quantity], AfterValidator(_amounts)]


class Resources(Strict):
    """Kubernetes-style requests/limits (`cpu: 500m`, `memory: 512Mi`); Helm uses them as given,
    the binary target maps limits to systemd (`MemoryMax=`, `CPUQuota=`)."""

    requests: Amounts = Field(default_factory=fresh(dict))
    limits: Amounts = Field(default_factory=fresh(dict))


class Service(Strict):
    enabled: bool = True
    instances: int | None = Field(None, ge=1, le=64)
    """Processes to run; default: upstream's `start-config.yml` count."""
    ports: dict[PortKind, list[Annotated[int, Field(ge=1, le=65535)]]] = Field(default_factory=fresh(dict))
    """One port per instance, per listener kind (http, ws, grpc, metrics); default:
    upstream's fixed ports, then consecutive ones."""
    image: ImageRef | None = None
    """Full image reference overriding `<images.registry>/<image>:<tag>`."""
    hosts: list[str] = Field(default_factory=fresh(list))
    """Binary target: the host (`targets.binary.hosts[].name`) of each instance, one per
    instance, or one host for all; default: the first host."""
    resources: Resources = Field(default_factory=fresh(Resources))


class AdminUser(Strict):
    user_id: str = Field("imAdmin", alias="userID")
    nickname: str = "superAdmin"


class LiveKit(Strict):
    """The LiveKit server chat uses for audio/video calls (`chat-rpc-chat.yml liveKit`)."""

    url: str = "ws://127.0.0.1:7880"
    key: str = "APIGPW3gnFTzqHH"
    """API key (upstream's sample value)."""
    secret: SecretRef = Field(default_factory=lambda: SecretRef.model_validate("23ztfSqsfQ8hKkHzHTl3Z4bvaxro0snjk5jwbp5p6Q3"))
    """API secret (upstream's sample value: replace it with your LiveKit server's)."""


class Chat(Strict):
    enabled: bool = False
    """Deploy the openim-chat services (chat-api, admin-api, chat-rpc, admin-rpc)."""
    admin_accounts: list[str] = Field(default_factory=lambda: ["chatAdmin"])
    token_secret: SecretRef = Field(default_factory=lambda: SecretRef.model_validate("chat123"))
    """Secret that signs admin tokens (`chat-rpc-admin.yml secret`)."""
    api_url: str | None = Field(None, alias="apiURL")
    """URL the chat services use for the OpenIM API; default: the API as reached from
    where chat runs in each target."""
    super_code: SecretRef = Field(default_factory=lambda: SecretRef.model_validate("666666"))
    """`verifyCode.superCode`: accepted as any SMS or mail verification code; a credential
    (upstream's default is 666666: change it for anything public)."""
    live_kit: LiveKit = Field(default_factory=fresh(LiveKit))


class Images(Strict):
    registry: Registry = "openim"
    """Registry and organisation of the OpenIM images, e.g. `ghcr.io/openimsdk`."""
    tag: ImageTag | None = None
    """Tag of the server images; default: the release line's tag."""
    chat_tag: ImageTag | None = None
    """Tag of the chat images; default: the release line's chat tag."""
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"


class Log(Strict):
    level: Literal[1, 2, 3, 4, 5, 6] = 6
    """`remainLogLevel`: 3 for production, 6 for debugging (upstream default)."""
    rotation_time: int = Field(24, ge=1)
    """Hours between log file rotations."""
    remain_rotation_count: int = Field(2, ge=1)
    json_format: bool = Field(False, alias="json")
