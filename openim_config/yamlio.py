"""The one YAML serializer every artifact goes through.

Structured outputs are built as plain data (dicts, lists, scalars) and dumped here, so
formatting is decided in one place and the same data always gives the same bytes.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import RoundTripRepresenter


class _Representer(RoundTripRepresenter):
    """Round-trip representer that writes ``None`` as an empty value (``key:``), as
    upstream OpenIM files do, and never emits anchors/aliases for repeated objects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_none(representer: RoundTripRepresenter, data: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "")


# Strings a YAML 1.1 reader (Helm's values loader, older Go and Python YAML libraries) takes
# for booleans or numbers although a YAML 1.2 dumper may write them bare: `on`, `no`, `y`,
# `1_000`, `0b11`, `3.8`. Quoting them costs nothing and keeps every reader on the same value.
_YAML11_AMBIGUOUS = re.compile(
    r"y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE|null|Null|NULL|~"
    r"|[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_:]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?)"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def _represent_str(representer: RoundTripRepresenter, data: str) -> Any:
    # Multi-line strings (scripts, embedded files) are far easier to review as blocks.
    if "\n" in data:
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    style = "'" if _YAML11_AMBIGUOUS.fullmatch(data) else None
    return representer.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Representer.add_representer(type(None), _represent_none)
_Representer.add_representer(str, _represent_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dump(data: Any) -> str:
    """Serialize plain data to YAML text; key order is the insertion order of the dicts."""
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def dump_all(documents: list[Any]) -> str:
    """Serialize several documents separated by ``---`` (a stream of manifests)."""
    buf = io.StringIO()
    _yaml().dump_all(documents, buf)
    return buf.getvalue()


def load_plain(text: str) -> Any:
    """Load YAML into plain Python data (no comments, no positions)."""
    return YAML(typ="safe", pure=True).load(text)
