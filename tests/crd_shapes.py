"""The shape of the custom-resource objects the chart renders, as JSON Schemas written from the
upstream CRD references (kubernetes-validate bundles no schema for them and skips them). Only the
fields the chart uses are listed, each with its documented type; any other field fails, so a
misspelt or misplaced key is caught, not ignored by the controller.

Sources:
- Traefik Middleware: https://doc.traefik.io/traefik/reference/routing-configuration/http/middlewares/stripprefix/
  (traefik.io/v1alpha1, `spec.stripPrefix.prefixes`: list of strings).
- Istio Gateway: https://istio.io/latest/docs/reference/config/networking/gateway/ (`selector`: map,
  `servers[]`: `port{number,name,protocol}`, `hosts[]`, `tls{httpsRedirect,mode,credentialName}`).
- Istio VirtualService: https://istio.io/latest/docs/reference/config/networking/virtual-service/
  (`hosts`, `gateways`, `http[]`: `name`, `match[].uri{exact|prefix|regex}`, `rewrite.uri`,
  `timeout` (a duration), `route[].destination{host, port.number}`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema

NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}


def _object(api: str, kind: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": api},
            "kind": {"const": kind},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {"name": NAME, "namespace": NAME, "labels": LABELS, "annotations": LABELS},
            },
            "spec": spec,
        },
    }


def _strict(properties: Mapping[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": dict(properties), "required": list(required), "additionalProperties": False}


STRING_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}
STRING_MATCH = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
    "properties": {"exact": {"type": "string"}, "prefix": {"type": "string"}, "regex": {"type": "string"}},
}
TLS_MODES = ["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"]
DURATION = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(h|m|s|ms)$"}

SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("traefik.io/v1alpha1", "Middleware"): _object(
        "traefik.io/v1alpha1",
        "Middleware",
        _strict({"stripPrefix": _strict({"prefixes": {**STRING_LIST, "items": {"type": "string", "pattern": "^/"}}}, ["prefixes"])}),
    ),
    ("networking.istio.io/v1beta1", "Gateway"): _object(
        "networking.istio.io/v1beta1",
        "Gateway",
        _strict(
            {
                "selector": {**LABELS, "minProperties": 1},
                "servers": {
                    "type": "array",
                    "minItems": 1,
                    "items": _strict(
                        {
                            "port": _strict(
                                {
                                    "number": {"type": "integer", "minimum": 1, "maximum": 65535},
                                    "name": {"type": "string"},
                                    "protocol": {"enum": ["HTTP", "HTTPS", "GRPC", "HTTP2", "MONGO", "TCP", "TLS"]},
                                },
                                ["number", "name", "protocol"],
                            ),
                            "hosts": {**STRING_LIST, "minItems": 1},
                            "tls": _strict(
                                {
                                    "httpsRedirect": {"type": "boolean"},
                                    "mode": {
                                        "enum": ["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"]
                                    },
                                    "credentialName": {"type": "string", "minLength": 1},
                                }
                            ),
                        },
                        ["port", "hosts"],
                    ),
                },
            },
            ["servers"],
        ),
    ),
    ("networking.istio.io/v1beta1", "VirtualService"): _object(
        "networking.istio.io/v1beta1",
        "VirtualService",
        _strict(
            {
                "hosts": {**STRING_LIST, "minItems": 1},
                "gateways": STRING_LIST,
                "http": {
                    "type": "array",
                    "items": _strict(
                        {
                            "name": {"type": "string"},
                            "match": {"type": "array", "items": _strict({"uri": STRING_MATCH})},
                            "rewrite": _strict({"uri": {"type": "string"}}),
                            "timeout": DURATION,
                            "route": {
                                "type": "array",
                                "minItems": 1,
                                "items": _strict(
                                    {
                                        "destination": _strict(
                                            {"host": {"type": "string", "minLength": 1}, "port": _strict({"number": {"type": "integer"}})},
                                            ["host"],
                                        ),
                                        "weight": {"type": "integer"},
                                    },
                                    ["destination"],
                                ),
                            },
                        },
                        ["route"],
                    ),
                },
            },
            ["hosts"],
        ),
    ),
}
CRD_KINDS = tuple(kind for _, kind in SCHEMAS)


def validate_custom(docs: Sequence[Mapping[str, Any]]) -> int:
    """Check every Middleware, Gateway and VirtualService against its schema; returns how many were checked."""
    checked = 0
    for doc in docs:
        schema = SCHEMAS.get((str(doc.get("apiVersion")), str(doc.get("kind"))))
        if doc.get("kind") in CRD_KINDS:
            assert schema is not None, f"{doc.get('kind')} with apiVersion {doc.get('apiVersion')}: no documented shape"
            jsonschema.validate(dict(doc), schema)
            checked += 1
    return checked
