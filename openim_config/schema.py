"""JSON Schema of the source model (``schema/openim.schema.json``), for editors and CI."""

from __future__ import annotations

import json

from openim_config.model import OpenIM

SCHEMA_ID = "https://openim-gen.invalid/schema/openim.schema.json"


def schema_text() -> str:
    schema = OpenIM.model_json_schema(by_alias=True, mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
