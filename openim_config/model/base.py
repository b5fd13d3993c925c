"""The strict base every source-model class inherits, and the secret reference type."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, SecretStr, SerializationInfo, model_serializer, model_validator
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


class Strict(BaseModel):
    """camelCase keys in YAML, snake_case in Python; an unknown key is an error."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_assignment=False,
        use_attribute_docstrings=True,
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
