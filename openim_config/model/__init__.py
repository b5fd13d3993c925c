"""The typed source model of ``openim.yaml`` (pydantic v2, strict)."""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from openim_config.model.base import DNS1123_LABEL, SecretRef, Strict, fresh, host_or_address
from openim_config.model.extras import Fronts, Monitoring
from openim_config.model.infra import Infra
from openim_config.model.providers import ObjectStorage, Push
from openim_config.model.services import AdminUser, Chat, Images, Log, PortKind, Service
from openim_config.model.storage import VOLUME_OWNERS, VOLUMES, Volume
from openim_config.model.surface import Surface
from openim_config.model.targets import Targets

__all__ = ["DNS1123_LABEL", "VOLUMES", "VOLUME_OWNERS", "OpenIM", "PortKind", "SecretRef", "Service", "Volume"]


_SERVER, _CHAT = Surface("server"), Surface("chat")


class Config(Strict):
    """OpenIM's own config files: any key of the release line's files, by product, file name
    and the key's path in that file, typed as upstream's value."""

    server: Annotated[dict[str, Any], BeforeValidator(_SERVER.validator()), _SERVER] = Field(default_factory=fresh(dict))
    """open-im-server's files (`share.yml`, `openim-push.yml`, `webhooks.yml`, ...)."""
    chat: Annotated[dict[str, Any], BeforeValidator(_CHAT.validator()), _CHAT] = Field(default_factory=fresh(dict))
    """chat's files (`chat-rpc-chat.yml`, `share.yml`, ...)."""


class OpenIM(Strict):
    """One OpenIM deployment, compiled into every target."""

    release: Literal["3.8"] = "3.8"
    """OpenIM release line: `3.8` is the v3.8.3-patch line."""
    public_host: Annotated[str, AfterValidator(host_or_address)] = "127.0.0.1"
    """Host name or IP clients (apps, browsers) use to reach this deployment."""
    secret: SecretRef = Field(default_factory=lambda: SecretRef.model_validate("openIM123"))
    """OpenIM shared secret (`share.yml secret`), also given to chat."""
    admins: list[AdminUser] = Field(default_factory=lambda: [AdminUser()], min_length=1)
    log: Log = Field(default_factory=fresh(Log))
    images: Images = Field(default_factory=fresh(Images))
    services: dict[str, Service] = Field(default_factory=fresh(dict))
    """Per binary (`openim-api`, `openim-push`, `chat-api`, ...): what differs from the default."""
    chat: Chat = Field(default_factory=fresh(Chat))
    infra: Infra = Field(default_factory=fresh(Infra))
    storage: dict[str, Volume] = Field(default_factory=fresh(dict))
    """Per logical volume (`mongodb-data`, ..., `openim-logs`): what differs from the default."""
    monitoring: Monitoring = Field(default_factory=fresh(Monitoring))
    fronts: Fronts = Field(default_factory=fresh(Fronts))
    targets: Targets = Field(default_factory=fresh(Targets))
    push: Push = Field(default_factory=fresh(Push))
    object_storage: ObjectStorage = Field(default_factory=fresh(ObjectStorage))
    config: Config = Field(default_factory=fresh(Config))
    """Every other key of OpenIM's config files (`config.server.share.yml.multiLogin.policy`);
    keys the model sets itself are refused here with the model key to use instead."""
