"""openim-gen's YAML emitter is judged by readers it did not write: ruamel.yaml (YAML 1.2, what
openim-gen reads back) and PyYAML (YAML 1.1, the rules Helm's and older Go readers follow)
must both read every dump back as exactly the data dumped."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from openim_config import yamlio

TRICKY = [
    "", " ", "yes", "No", "on", "OFF", "y", "~", "null", "=", "<<", "1_000", "0b11", "0o17", "017", "0x1F", "1:20", "3.8",
    ".5", "1e5", "+1", "-.inf", ".NaN", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "- x", "-", "-c", "--config", "? x",
    ": x", "a: b", "a #b", "a#b", "#x", "&a", "*a", "!tag", "|", ">", "'q'", '"q"', "%x", "@x", "`x", "---", "...", "a:",
    "http://x:1/y", "10.0.0.1:8080", "{a}", "[a]", "a,b", "tab\there", "nul\x00", "bell\x07", "del\x7f", "nel\x85",
    "ls\u2028", "bom\ufeff", "名前", "☃", "trailing ", " leading", "a\nb", "a\nb\n", "a\nb\n\n", "\na", "  indented\nx\n",
    "x\n  y\n", "\n", "\n\n", "cr\r\nlf", "a\n\tb", "line\nExecStartPre=+/bin/id\n---\nkind: Pod", "{{ .Release.Name }}",
    "$(id) `id` ${PATH} $$x %i %%",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=True),
    st.sampled_from(TRICKY),
    st.text(max_size=30),
)
keys = st.one_of(st.sampled_from(TRICKY).filter(lambda k: "\n" not in k), st.text(max_size=12).filter(lambda k: "\n" not in k))
data = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=25,
)


def _ruamel(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _pyyaml(text: str) -> Any:
    return yaml.safe_load(text)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, data, max_size=5))
def test_both_readers_get_back_what_was_dumped(value: dict[str, Any]) -> None:
    text = yamlio.dump(value)
    assert _ruamel(text) == value, text
    assert _pyyaml(text) == value, text
    assert yamlio.load_plain(text) == value, text  # ruamel.yaml's C parser, as openim-gen reads


def test_every_tricky_string_reads_back_in_both_yaml_versions() -> None:
    value = {"list": TRICKY, "map": {s: s for s in TRICKY if "\n" not in s}, "nested": [[s] for s in TRICKY]}
    text = yamlio.dump(value)
    assert _ruamel(text) == value
    assert _pyyaml(text) == value
    assert yamlio.load_plain(text) == value


def test_style_is_block_with_indented_sequences_and_literal_blocks() -> None:
    value: dict[str, Any] = {"a": [{"b": 1, "c": [1, 2]}, "x", None], "script": "set -eu\necho hi\n"}
    value |= {"empty": {}, "none": None, "off": "off"}
    assert yamlio.dump(value) == (
        "a:\n  - b: 1\n    c:\n      - 1\n      - 2\n  - x\n  -\nscript: |\n  set -eu\n  echo hi\nempty: {}\nnone:\n'off': 'off'\n"
    )


def test_comments_sit_above_their_keys_and_credentials_are_always_quoted() -> None:
    doc = yamlio.Commented()
    doc["port"] = 10001
    doc.comments["port"] = ["The API's port.", "  --set port=1"]
    doc["password"] = yamlio.Quoted("openIM123")
    text = yamlio.dump(doc)
    assert text == '# The API\'s port.\n#   --set port=1\nport: 10001\npassword: "openIM123"\n'
    assert _pyyaml(text) == {"port": 10001, "password": "openIM123"}


def test_the_fast_reader_reads_every_golden_artifact_as_the_pure_python_reader_does() -> None:
    """openim-gen reads YAML back (check, verify, bundle) with ruamel.yaml's C parser; on every
    YAML file the goldens hold, hand-written comments and all, it must give the pure reader's data."""
    from ruamel.yaml import CParser  # type: ignore[attr-defined]  # exported only when the C extension loads

    from tests.scenarios import GOLDEN

    assert CParser is not None, "ruamel.yaml.clib is a dependency: its C parser must be importable"
    files = [p for p in sorted(GOLDEN.rglob("*.y*ml")) if "templates" not in p.parts]  # model files too: [host:port]
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert yamlio.load_all_plain(text) == list(YAML(typ="safe", pure=True).load_all(text)), path


def test_one_document_is_expected_where_one_is_read() -> None:
    """An images lock or a Chart.yaml with a second document is an error, not half read."""
    from ruamel.yaml.error import YAMLError

    assert yamlio.load_all_plain("a: 1\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    with pytest.raises(YAMLError):
        yamlio.load_plain("a: 1\n---\nb: 2\n")
