"""values.yaml and values.schema.json: one declaration read two ways. Every key a person can set
is commented, the schema knows every key and type, and Helm refuses a wrong value at lint."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openim_config import yamlio
from openim_config.plan import Plan
from openim_config.targets import helm
from openim_config.targets.helm import tree
from openim_config.targets.helm.values import build
from tests import consumers as c
from tests.helm_support import chart
from tests.scenarios import CASES, plan_case, secret_env


@pytest.fixture(scope="module", params=CASES)
def golden(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Plan, Path]]:
    with secret_env():
        plan = plan_case(request.param)
        yield plan, chart(plan, tmp_path_factory.mktemp(f"helm-values-{request.param}"))


def _block_keys(node: tree.Block, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, child in node.fields.items():
        yield (*path, key)
        if isinstance(child, tree.Block):
            yield from _block_keys(child, (*path, key))


_KEY = re.compile(r"^( *)([^ #\-][^:]*|'[^']*'):(?: |$)")


def _commented_keys(text: str) -> dict[tuple[str, ...], bool]:
    """Every mapping key of a block-style YAML text (outside lists) -> whether a comment line
    at its indentation stands right above it."""
    found: dict[tuple[str, ...], bool] = {}
    stack: list[tuple[int, str]] = []
    previous = ""
    for line in text.splitlines():
        match = _KEY.match(line)
        if match:
            indent, key = len(match.group(1)), match.group(2).strip("'")
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, key))
            found[tuple(k for _, k in stack)] = previous.startswith(" " * indent + "# ")
        elif line.lstrip().startswith("- "):
            indent = len(line) - len(line.lstrip())
            while stack and stack[-1][0] > indent:
                stack.pop()
            stack.append((indent + 1, "-"))  # keys of list entries are not values.yaml keys
        previous = line
    return found


def test_every_key_is_commented(golden: tuple[Plan, Path]) -> None:
    plan, chart_dir = golden
    found = _commented_keys((chart_dir / "values.yaml").read_text())
    declared = list(_block_keys(build(plan)))
    assert declared and all(k in found for k in declared), [".".join(k) for k in declared if k not in found]
    assert [".".join(k) for k in declared if not found[k]] == []


def test_comments_are_not_values(golden: tuple[Plan, Path]) -> None:
    """The commented file carries exactly the plain values Helm works with."""
    plan, chart_dir = golden
    values = yamlio.load_plain((chart_dir / "values.yaml").read_text())
    assert values == helm._helm_safe(tree.plain(build(plan)))
    assert c.helm_values([chart_dir / "values.yaml"]) == values


def test_schema_and_values_come_from_one_declaration(golden: tuple[Plan, Path]) -> None:
    _, chart_dir = golden
    values = yamlio.load_plain((chart_dir / "values.yaml").read_text())
    schema = json.loads((chart_dir / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(values, schema)

    def walk(node: dict[str, Any], value: Any, where: str) -> None:
        node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node
        if node.get("type") == "object" and "properties" in node and isinstance(value, dict):
            assert set(node["properties"]) >= set(value), f"{where}: keys without a schema: {set(value) - set(node['properties'])}"
            for key, child in value.items():
                walk(node["properties"][key], child, f"{where}.{key}")

    walk(schema, values, "values")


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("openimApi.replicas", "two", r"/openimApi/replicas"),
        ("openimApi.ports.http", "70000", r"/openimApi/ports/http"),
        ("openimRpcUser.serviceName", "users", r"/openimRpcUser/serviceName"),
        ("openimApii.replicas", "2", r"openimApii"),
        ("antiAffinity.infra", "sometimes", r"/antiAffinity/infra"),
        ("config.server.log\\.yml.remainLogLevel", "high", r"remainLogLevel"),
        ("config.server.share\\.yml.noSuchKey", "1", r"noSuchKey"),
        ("ingress.host", "Not A Host", r"/ingress/host"),
    ],
)
def test_lint_refuses_a_wrong_value(golden: tuple[Plan, Path], setting: str, value: str, complaint: str) -> None:
    _, chart_dir = golden
    with pytest.raises(AssertionError, match=complaint):
        c.helm_lint(chart_dir, [chart_dir / helm.SECRETS_FILE], {setting: value})


def test_config_keys_are_typed_like_upstream(golden: tuple[Plan, Path]) -> None:
    """A config key set to its own type passes: the schema follows upstream's value types."""
    _, chart_dir = golden
    c.helm_lint(chart_dir, [chart_dir / helm.SECRETS_FILE], {"config.server.log\\.yml.remainLogLevel": "3"})


def test_json_layout_is_compact_and_exact() -> None:
    data = {"a": [1, 2], "b": {"c": "x" * 120}, "d": {}}
    text = tree.dump_json(data)
    assert json.loads(text) == data
    assert text.splitlines()[1] == '  "a": [1, 2],'
    assert all(len(line) <= tree.WIDTH or line.strip().startswith('"c"') for line in text.splitlines())


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=500, deadline=None)
@given(_json_values, st.integers(min_value=10, max_value=120))
def test_json_layout_reads_back_as_the_data_and_folds_only_what_does_not_fit(data: Any, width: int) -> None:
    text = tree.dump_json(data, width)
    assert json.loads(text) == data
    for line in text.splitlines():  # over the width (its comma aside) only what cannot be folded:
        body = line.rstrip(",")  # a scalar, an empty collection, a lone bracket deep in the indentation
        folded_enough = not body.endswith(("}", "]")) or body.endswith(("{}", "[]")) or body.strip() in ("}", "]")
        assert len(body) <= width or folded_enough, line


def test_repeated_shapes_are_written_once() -> None:
    shape = {"type": "object", "properties": {"enable": {"type": "boolean"}}, "additionalProperties": False}
    root = {"type": "object", "properties": {"one": dict(shape), "two": dict(shape), "three": {"type": "string"}}}
    out = tree.hoist_repeats(root)
    assert out["properties"]["one"] == out["properties"]["two"] == {"$ref": "#/definitions/one"}
    assert out["definitions"] == {"one": shape}
    jsonschema.validate({"one": {"enable": True}, "two": {"enable": False}, "three": "x"}, out)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"two": {"enable": "yes"}}, out)
