"""The strict base every source-model class inherits, and the secret reference type."""

import hashlib
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SecretStr,
    SerializationInfo,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$")


def host_or_address(value: str) -> str:
    """A host name or an IP address, nothing else (no scheme, port or path): what goes into
    URLs as ``http://<host>:<port>``."""
    import ipaddress

    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not HOST_NAME.match(value):
        raise ValueError(f"{value!r} is not a host name or IP address (no scheme, port or path), e.g. im.example.com")
    return value


T = TypeVar("T")


def fresh(factory: Callable[[], T]) -> Callable[[], T]:
    """``default_factory=fresh(Log)``: the same default, cheaper to build. pydantic reads every
    factory's signature when it builds a class, and a model class's is generated, a builtin's
    (``dict``) parsed from text: 3% of every run for the model's 60 factories."""

    def make() -> T:
        return factory()

    return make


class Strict(BaseModel):
    """camelCase keys in YAML, snake_case in Python; an unknown key is an error."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_assignment=False,
        use_attribute_docstrings=False,  # read only by schema.py: see there
    )


class SecretRef(BaseModel):
    """A credential: a literal, ``{env: NAME}`` or ``{file: PATH}``.

    A reference is resolved only by a target that writes the value into a secret file, and
    the literal is a ``SecretStr`` so it never shows in a repr, a log line or an error.
    """

    model_config = ConfigDict(extra="forbid")

    literal: SecretStr | None = None
    env: str | None = None
    file: str | None = None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # What a user writes, not the internal shape: a string, {env: NAME} or {file: PATH}.
        return {
            "title": "Secret",
            "description": "A credential: the value itself, {env: VARIABLE} or {file: PATH}.",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {"env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}},
                    "required": ["env"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"file": {"type": "string", "minLength": 1}},
                    "required": ["file"],
                    "additionalProperties": False,
                },
            ],
        }

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data == "":
                raise ValueError("empty credential")
            if "\0" in data:
                raise ValueError("a credential cannot contain a NUL byte")
            return {"literal": data}
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"literal": str(data)}
        if isinstance(data, dict):
            if "literal" in data:
                raise ValueError("a secret is a string, {env: NAME} or {file: PATH}")
            if len(data) != 1:
                raise ValueError("a secret reference has exactly one key: env or file")
            if "env" in data and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(data["env"])):
                raise ValueError(f"not an environment variable name: {data['env']!r}")
        return data

    @model_serializer
    def _to_yaml(self, info: SerializationInfo) -> Any:
        if self.env is not None:
            return {"env": self.env}
        if self.file is not None:
            return {"file": self.file}
        if self.literal is None:
            return None
        if isinstance(info.context, dict) and info.context.get("secrets") == "digest":
            # Comparable without being shown (whether a literal changed).
            return "<secret " + hashlib.sha256(self.literal.get_secret_value().encode()).hexdigest()[:16] + ">"
        return "<secret>"

    def describe(self) -> str:
        """Where the value comes from, without the value."""
        if self.env is not None:
            return f"environment variable {self.env}"
        if self.file is not None:
            return f"file {self.file}"
        return "literal in the model"


# --- strings that reach scripts, units and files: only what every consumer takes as written ----
_PATH_CHARS = re.compile(r"^[A-Za-z0-9._@+/-]+$")


def _normal_path(value: str, absolute: bool) -> str:
    if not _PATH_CHARS.match(value):
        raise ValueError(f"{value!r}: a path of letters, digits and . _ - + @ / only (no spaces, quotes, $ or %)")
    if absolute and not value.startswith("/"):
        raise ValueError(f"{value!r}: an absolute path (starting with /)")
    parts = value.split("/")
    inner = parts[1:] if value.startswith("./") else parts
    if any(p in (".", "..") for p in inner) or "//" in value or (len(value) > 1 and value.endswith("/")):
        raise ValueError(f"{value!r}: a normalised path (no '.', '..', '//' or trailing '/')")
    return value


def absolute_path(value: str) -> str:
    return _normal_path(value, absolute=True)


def any_path(value: str) -> str:
    """Absolute, or relative (``./data``) to the file that names it."""
    return _normal_path(value, absolute=False)


AbsolutePath = Annotated[str, AfterValidator(absolute_path)]
RelativeOrAbsolutePath = Annotated[str, AfterValidator(any_path)]
POSIX_NAME = r"^[a-z_][a-z0-9_-]{0,31}$"
QUANTITY = r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$"
REGISTRY = r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
TAG = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"
PosixName = Annotated[str, Field(pattern=POSIX_NAME)]
"""A user or group name as useradd takes it."""
Quantity = Annotated[str, Field(pattern=QUANTITY)]
"""A Kubernetes quantity: ``500m``, ``1.5``, ``512Mi``, ``2Gi``."""
IMAGE_PATTERN = (
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$"
)
ImageRef = Annotated[str, Field(pattern=IMAGE_PATTERN)]
"""An OCI image reference: ``[registry[:port]/]name[:tag][@sha256:digest]``."""
Registry = Annotated[str, Field(pattern=REGISTRY)]
K8S_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
K8sName = Annotated[str, Field(pattern=K8S_NAME, max_length=253)]
"""The name of a Kubernetes object (a DNS-1123 subdomain): a Secret, a StorageClass, a claim."""
INGRESS_HOST = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
IngressHost = Annotated[str, Field(pattern=INGRESS_HOST, max_length=253)]
"""An Ingress rule's host: a lower-case DNS name, optionally a leading ``*.`` wildcard."""
# No look-arounds: Helm checks values.schema.json with Go's regexp, pydantic with Rust's.
LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
LABEL_VALUE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"
LabelKey = Annotated[str, Field(pattern=LABEL_KEY, max_length=317)]
LabelValue = Annotated[str, Field(pattern=LABEL_VALUE)]
ImageTag = Annotated[str, Field(pattern=TAG)]
PATTERN_HELP = {
    POSIX_NAME: "a user or group name: lower-case letters, digits, _ and -, starting with a letter or _, at most 32",
    QUANTITY: "a quantity such as 500m, 1.5, 512Mi or 2Gi",
    IMAGE_PATTERN: "an image reference, [registry[:port]/]name[:tag][@sha256:digest], lower-case",
    REGISTRY: "a registry and path such as ghcr.io/openimsdk (no scheme, no tag)",
    TAG: "an image tag: letters, digits, . _ and -, at most 128",
    K8S_NAME: "a Kubernetes object name: lower-case letters, digits, '-' and '.', at most 253",
    INGRESS_HOST: "a lower-case host name such as im.example.com (a leading *. allowed)",
    LABEL_KEY: "a label key: [prefix/]name, the name at most 63 letters, digits, '-', '_' and '.'",
    LABEL_VALUE: "a label value: at most 63 letters, digits, '-', '_' and '.', starting and ending alphanumeric",
}
"""What each pattern of the model means, for its error messages."""
