"""The one YAML serializer every artifact goes through.

Structured outputs are built as plain data (dicts, lists, scalars) and dumped here, so
formatting is decided in one place and the same data always gives the same bytes.

The emitter is our own, for plain data only, because ruamel.yaml's round-trip dumper (pure
Python, a general-purpose serializer) took most of a build's time. It writes one style:
block mappings and sequences (sequences indented under their key), ``key:`` for ``None``,
``|`` blocks for multi-line strings, and a string plain only where every YAML reader, 1.1 or
1.2, takes it back as the same string; otherwise single-quoted, or double-quoted with escapes
when it holds a character a single-quoted scalar cannot. ``tests/test_yamlio.py`` proves that
two independent parsers (ruamel.yaml 1.2, PyYAML 1.1) read back exactly the data dumped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["Commented", "Quoted", "copy_plain", "dump", "load_all_plain", "load_plain"]

INDENT = 2


class Commented(dict[str, Any]):
    """A mapping whose keys carry comment lines, written above each key."""

    def __init__(self) -> None:
        super().__init__()
        self.comments: dict[str, list[str]] = {}


class Quoted(str):
    """A string always written double-quoted (a credential: whatever it looks like, a string)."""

    __slots__ = ()


# Strings a YAML 1.1 reader (Helm's values loader, older Go and Python YAML libraries) takes
# for booleans, numbers, dates or null although a YAML 1.2 reader would not: `on`, `no`, `y`,
# `1_000`, `0b11`, `3.8`, `2024-01-01`. Quoted, every reader gets the same string.
_AMBIGUOUS = re.compile(
    r"y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE|null|Null|NULL|~|=|<<"
    # integers: YAML 1.2's [0-9_]+ (so `_` and `-_`), binary, octal, hex, and every digits:digits
    # (1.1's sexagesimal `1:20`; Compose's own advice quotes port mappings such as `8080:80`)
    r"|[-+]?(?:[0-9_]+|0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-9_]+)+(?:\.[0-9_]*)?)"
    # floats, with or without a fraction or exponent, and the special values
    r"|[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF))|\.(?:nan|NaN|NAN)"
    # dates and timestamps (YAML 1.1)
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?"
)
_NONPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
_ONE_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
_INDICATORS = ",[]{}#&*!|>'\"%@`"


def _plain(value: str) -> bool:
    """Whether ``value`` reads back as itself written bare, in any block context."""
    if not value or value != value.strip() or _AMBIGUOUS.fullmatch(value) or _ONE_LINE_UNSAFE.search(value):
        return False
    if value[0] in _INDICATORS or (value[0] in "-?:" and (len(value) == 1 or value[1] == " ")):
        return False
    return not (value.startswith(("---", "...")) or ": " in value or " #" in value or value.endswith(":"))


@lru_cache(maxsize=1 << 16)
def _string(value: str) -> str:
    """A single-line scalar for ``value``: plain, else single-quoted, else double-quoted.
    (Cached: the same keys and values recur across every file of a build.)"""
    if _plain(value):
        return value
    if not _ONE_LINE_UNSAFE.search(value):
        return "'" + value.replace("'", "''") + "'"
    return _double(value)


def _double(value: str) -> str:
    escaped = json.dumps(value, ensure_ascii=False)
    return _NONPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        return (mantissa if "." in mantissa else mantissa + ".0") + (e + exponent if e else "")
    if isinstance(value, Quoted):
        return _double(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _block(value: str, indent: int) -> list[str] | None:
    """A literal block (``|``): its header, then its lines; None when one cannot hold ``value``."""
    if "\n" not in value or not value.strip("\n") or _NONPRINTABLE.search(value) or "\r" in value:
        return None
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = body.split("\n") + [""] * max(0, trailing - 1)
    first = next((line for line in lines if line.strip()), "")
    indicator = str(INDENT) if first[:1] in (" ", "\t") or not first else ""
    pad = " " * indent
    return [f"|{indicator}{chomp}", *(pad + line if line else "" for line in lines)]


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _string(key)
    if isinstance(key, (int, bool)) or key is None:
        return _scalar(key)
    raise TypeError(f"cannot write a {type(key).__name__} key as YAML")


def _value(prefix: str, value: Any, indent: int, out: list[str]) -> None:
    """Append ``prefix`` (``key:``, ``-`` or ``- key:``) and ``value``, whose children sit at ``indent``."""
    if value.__class__ is str:  # the common case first
        block = _block(value, indent) if "\n" in value else None
        if block is None:
            out.append(f"{prefix} {_string(value)}")
        else:
            out.append(f"{prefix} {block[0]}")
            out.extend(block[1:])
    elif value.__class__ is int:
        out.append(f"{prefix} {value}")
    elif isinstance(value, Mapping):
        if value:
            out.append(prefix)
            _mapping(value, indent, out)
        else:
            out.append(f"{prefix} {{}}")
    elif isinstance(value, (list, tuple)):
        if value:
            out.append(prefix)
            _sequence(value, indent, out)
        else:
            out.append(f"{prefix} []")
    elif value is None:
        out.append(prefix)
    else:
        out.append(f"{prefix} {_scalar(value)}")


def _mapping(data: Mapping[Any, Any], indent: int, out: list[str], first: str | None = None) -> None:
    """Append ``data``'s keys at ``indent``; ``first``: the first key's line starts so instead
    (``- ``, a mapping inside a sequence)."""
    pad = " " * indent
    comments = data.comments if isinstance(data, Commented) else None
    for key, value in data.items():
        if comments:
            out.extend(f"{pad}# {line}".rstrip() for line in comments.get(key, ()))
        _value(f"{first if first is not None else pad}{_key(key)}:", value, indent + INDENT, out)
        first = None


def _sequence(items: Sequence[Any], indent: int, out: list[str], first: str | None = None) -> None:
    pad = " " * indent
    for item in items:
        dash = f"{first if first is not None else pad}- "
        first = None
        kind = item.__class__
        if kind is int or (kind is str and "\n" not in item):  # port lists, addresses: the common items
            out.append(dash + (str(item) if kind is int else _string(item)))
        elif isinstance(item, Mapping) and item:
            _mapping(item, indent + INDENT, out, dash)  # the first key on the dash's line
        elif isinstance(item, (list, tuple)) and item:
            _sequence(item, indent + INDENT, out, dash)
        else:
            _value(dash.rstrip(), item, indent + INDENT, out)


def dump(data: Any) -> str:
    """Serialize plain data to YAML text; key order is the insertion order of the dicts."""
    out: list[str] = []
    if isinstance(data, Mapping) and data:
        _mapping(data, 0, out)
    elif isinstance(data, (list, tuple)) and data:
        _sequence(data, 0, out)
    else:
        _value("", data, INDENT, out)
        out[0] = out[0].lstrip()
    return "\n".join(out) + "\n"


def copy_plain(node: Any) -> Any:
    """A fresh copy of plain data's mappings and lists (its scalars are immutable): what
    ``copy.deepcopy`` gives for parsed YAML or JSON, several times faster."""
    if isinstance(node, dict):
        return {k: copy_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [copy_plain(v) for v in node]
    return node


def load_plain(text: str) -> Any:
    """Load one YAML document into plain Python data (no comments, no positions); a stream of
    several documents is an error, as in ruamel.yaml."""
    return _read(lambda yaml: yaml.load(text))


def load_all_plain(text: str) -> list[Any]:
    """Every document of a YAML stream as plain Python data."""
    return list(_read(lambda yaml: list(yaml.load_all(text))))


def _read(read: Any) -> Any:
    """``read`` with ruamel.yaml's safe loader and its C parser (``ruamel.yaml.clib``, a
    dependency) where the platform has a wheel: about five times the pure-Python parser's
    speed, the same data (``tests/test_yamlio.py``). The C parser is libyaml, which refuses a
    few valid YAML 1.2 forms (``[host:port]`` in a flow sequence); those, and every real
    error, are read again by the pure parser, whose verdict and message stand."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return read(YAML(typ="safe"))
    except YAMLError:
        return read(YAML(typ="safe", pure=True))
