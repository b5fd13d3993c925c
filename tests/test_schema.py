"""The committed JSON Schema is current, and the example models validate against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from openim_config import yamlio
from openim_config.schema import schema_text
from tests.scenarios import CASES, model_file

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "openim.schema.json"


def test_committed_schema_is_current(update_goldens: bool) -> None:
    if update_goldens:
        SCHEMA.write_text(schema_text())
    assert SCHEMA.read_text() == schema_text(), "schema/openim.schema.json is stale: run `openim-gen schema -o schema/openim.schema.json`"


@pytest.mark.parametrize("case", CASES)
def test_examples_validate_and_name_the_schema(case: str) -> None:
    text = model_file(case).read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    jsonschema.validate(yamlio.load_plain(text) or {}, json.loads(SCHEMA.read_text()))


def test_schema_rejects_unknown_keys() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"infra": {"mongodb": {"bogus": 1}}}, json.loads(SCHEMA.read_text()))


def test_schema_describes_secrets_as_users_write_them() -> None:
    schema = json.loads(SCHEMA.read_text())
    for ok in ("literal-value", {"env": "OPENIM_SECRET"}, {"file": "/run/secrets/openim"}):
        jsonschema.validate({"secret": ok}, schema)
    for bad in ({"literal": "x"}, {"env": "not a name"}, {"env": "A", "file": "/b"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"secret": bad}, schema)
