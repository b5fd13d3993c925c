"""Offline push and object storage: the two provider choices operators make most, first-class.

Every field but the FCM service account is named exactly as its upstream key.

Each maps onto upstream keys (``openim-push.yml``, ``openim-rpc-third.yml``) through
``plan.surface``; credentials are secret references, delivered as ``IMENV_`` variables (the FCM
service account as a file beside the config, where upstream reads it).
"""

from typing import Literal

from pydantic import Field

from openim_config.model.base import SecretRef, Strict

NonEmpty = Field(min_length=1)


class Getui(Strict):
    """Getui (个推) push: `openim-push.yml geTui`."""

    app_key: str = NonEmpty
    master_secret: SecretRef
    push_url: str | None = None
    """Default: upstream's `https://restapi.getui.com/v2/$appId`."""
    intent: str | None = None
    """Android intent the notification opens."""
    channel_id: str | None = Field(None, alias="channelID")
    channel_name: str | None = None


class Fcm(Strict):
    """Firebase Cloud Messaging: `openim-push.yml fcm`."""

    service_account: SecretRef | None = None
    """The service-account JSON (usually `{file: ./firebase-adminsdk.json}`): installed as a file
    beside the config, readable by OpenIM only, and named in `fcm.filePath`."""
    auth_url: str | None = Field(None, alias="authURL")
    """Instead of a service account: a URL OpenIM fetches the credentials JSON from (`fcm.authURL`)."""


class Jpush(Strict):
    """JPush (极光): `openim-push.yml jpush`."""

    app_key: str = NonEmpty
    master_secret: SecretRef
    push_url: str | None = Field(None, alias="pushURL")
    push_intent: str | None = None


class Push(Strict):
    """Offline push: the provider `openim-push` hands notifications to when a user is offline."""

    provider: Literal["none", "getui", "fcm", "jpush"] | None = None
    """`none`, `getui`, `fcm` or `jpush`, with its block below. Unset: upstream's file as it is
    (`enable: geTui` with no credentials, so nothing is delivered)."""
    getui: Getui | None = None
    fcm: Fcm | None = None
    jpush: Jpush | None = None


class Cos(Strict):
    """Tencent Cloud COS: `openim-rpc-third.yml object.cos`."""

    bucket_url: str = Field(alias="bucketURL", min_length=1)
    """e.g. `https://<bucket>-<appid>.cos.<region>.myqcloud.com`."""
    secret_id: SecretRef = Field(alias="secretID")
    secret_key: SecretRef
    session_token: SecretRef | None = None
    public_read: bool = False


class Oss(Strict):
    """Alibaba Cloud OSS (`object.oss`), and the same fields for Qiniu Kodo (`object.kodo`)."""

    endpoint: str = NonEmpty
    bucket: str = NonEmpty
    bucket_url: str = Field(alias="bucketURL", min_length=1)
    access_key_id: SecretRef = Field(alias="accessKeyID")
    access_key_secret: SecretRef
    session_token: SecretRef | None = None
    public_read: bool = False


class Aws(Strict):
    """Amazon S3: `openim-rpc-third.yml object.aws`."""

    region: str = NonEmpty
    bucket: str = NonEmpty
    access_key_id: SecretRef = Field(alias="accessKeyID")
    secret_access_key: SecretRef
    session_token: SecretRef | None = None
    public_read: bool = False


Backend = Literal["minio", "cos", "oss", "kodo", "aws"]


class ObjectStorage(Strict):
    """Where `openim-rpc-third` keeps files (`object.enable`)."""

    backend: Backend = "minio"
    """`minio` (set up under `infra.minio`), or a cloud service with its block below; then no
    MinIO is deployed or configured, and `infra.minio` settings are refused."""
    cos: Cos | None = None
    oss: Oss | None = None
    kodo: Oss | None = None
    aws: Aws | None = None
