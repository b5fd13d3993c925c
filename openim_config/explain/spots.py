"""Artifact locations (``compose:compose.yaml:services.openim-api.ports[0]``) and what differs
between two renderings of the same targets, as locations. Nothing here prints a value of a
credential file: its locations are names (a variable, a key), never contents."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.error import YAMLError

from openim_config import yamlio
from openim_config.artifacts import Artifact

Rendered = Mapping[str, Sequence[Artifact]]


@dataclass(frozen=True, order=True)
class Spot:
    """A place in a generated file: ``path`` is a data path in a YAML/JSON file, ``NAME`` in an
    environment file, ``line N`` in other text, empty for the file as a whole."""

    target: str
    file: str
    path: str = ""
    secret: bool = False

    def __str__(self) -> str:
        return f"{self.target}:{self.file}" + (f":{self.path}" if self.path else "")

    def covers(self, other: Spot) -> bool:
        """Whether a change at ``other`` is a change at this place (one holds the other)."""
        if (self.target, self.file) != (other.target, other.file):
            return False
        a, b = self.path, other.path
        return not a or not b or a == b or _inside(a, b) or _inside(b, a)


def _inside(outer: str, inner: str) -> bool:
    return inner.startswith(outer) and inner[len(outer)] in ".["


def data_path(parts: Sequence[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_/-][A-Za-z0-9_/@-]*", part):
            out += ("." if out else "") + part
        else:
            out += f"[{json.dumps(part)}]"
    return out


_STRUCTURED = (".yaml", ".yml", ".json")
_ENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=")


def parse(name: str, content: bytes) -> list[Any] | None:
    """The documents of a YAML/JSON file, or None (a template, other text)."""
    if not name.endswith(_STRUCTURED):
        return None
    try:
        text = content.decode("utf-8")
        return [json.loads(text)] if name.endswith(".json") else yamlio.load_all_plain(text)
    except (UnicodeDecodeError, ValueError, YAMLError):
        return None


def _data_diff(a: Any, b: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                yield (*path, key)
            elif a[key] != b[key]:
                yield from _data_diff(a[key], b[key], (*path, key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                yield from _data_diff(x, y, (*path, index))
    elif a != b:
        yield path


def _text_diff(a: bytes, b: bytes) -> Iterator[str]:
    old = a.decode("utf-8", "replace").splitlines()
    new = b.decode("utf-8", "replace").splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        lines = [(old, n) for n in range(i1, i2)] + [(new, n) for n in range(j1, j2)]
        for text, n in lines:
            match = _ENV_LINE.match(text[n])
            yield match.group(1) if match else f"line {n + 1}"


def file_changes(name: str, a: bytes, b: bytes) -> list[str]:
    """Where ``a`` and ``b`` (two versions of file ``name``) differ; ``[""]``: as a whole."""
    if a == b:
        return []
    old, new = parse(name, a), parse(name, b)
    if old is not None and new is not None:
        if old == new:
            return ["formatting"]
        if len(old) == len(new) == 1:
            old, new = old[0], new[0]
        return sorted({data_path(p) for p in _data_diff(old, new, ())}) or [""]
    found = set(_text_diff(a, b))
    return sorted(found, key=lambda s: (s.startswith("line "), int(s[5:]) if s.startswith("line ") else 0, s)) or [""]


def changes(before: Rendered, after: Rendered, contents: Mapping[tuple[str, str], tuple[bytes, bytes]] | None = None) -> list[Spot]:
    """Every place that differs between two renderings of the same targets. Credential files
    are compared only through ``contents`` (their produced bytes, given by the caller)."""
    spots: list[Spot] = []
    for target in sorted(set(before) | set(after)):
        old = {a.path: a for a in before.get(target, ())}
        new = {a.path: a for a in after.get(target, ())}
        for path in sorted(set(old) | set(new)):
            a, b = old.get(path), new.get(path)
            secret = bool((a and a.secret) or (b and b.secret))
            if a is None or b is None:
                spots.append(Spot(target, path, "", secret))
            elif secret:
                pair = (contents or {}).get((target, path))
                if pair is not None:
                    spots += [Spot(target, path, where, True) for where in file_changes(path, *pair)]
            else:
                spots += [Spot(target, path, where) for where in file_changes(path, a.content, b.content)]
    return spots


ABSENT = object()


def value_at(rendered: Rendered, spot: Spot) -> Any:
    """The content at a structured non-secret place; ``ABSENT`` when there is none to show."""
    if spot.secret or not spot.path:
        return ABSENT
    artifact = next((a for a in rendered.get(spot.target, ()) if a.path == spot.file), None)
    docs = parse(spot.file, artifact.content) if artifact is not None else None
    if docs is None:
        return ABSENT
    data: Any = docs[0] if len(docs) == 1 else docs
    for part in split_path(spot.path):
        if isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
            continue
        if not (isinstance(data, dict) and part in data):
            return ABSENT
        data = data[part]
    return data


def split_path(text: str) -> list[str | int]:
    """``a.b[0]["c.d"]`` -> ``["a", "b", 0, "c.d"]`` (the inverse of :func:`data_path`)."""
    parts: list[str | int] = []
    for match in re.finditer(r'\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.\[]+)', text):
        index, quoted, name = match.groups()
        parts.append(int(index) if index is not None else json.loads(quoted) if quoted is not None else name)
    return parts


def resolve(text: str, rendered: Rendered) -> Spot:
    """``TARGET:FILE[:PATH]``, or ``TARGET:PATH`` when one structured file of the target holds
    PATH (``compose:services.openim-api.ports[0]``) -> the place; ValueError says why not."""
    target, sep, rest = text.partition(":")
    if not sep or target not in rendered:
        raise ValueError(f"{text!r}: an artifact location is TARGET:FILE[:PATH], TARGET one of {', '.join(sorted(rendered))}")
    files = {a.path: a for a in rendered[target]}
    for cut in [m.start() for m in re.finditer(":", rest)] + [len(rest)]:
        name, where = rest[:cut], rest[cut + 1 :]
        if name in files:
            spot = Spot(target, name, where, files[name].secret)
            if where and not files[name].secret and parse(name, files[name].content) is not None and value_at(rendered, spot) is ABSENT:
                raise ValueError(f"{text!r}: {target}/{name} has no {where!r}")
            return spot
    holders = [n for n, a in files.items() if not a.secret and value_at(rendered, Spot(target, n, rest)) is not ABSENT]
    if len(holders) == 1:
        return Spot(target, holders[0], rest)
    if holders:
        raise ValueError(f"{text!r}: several files of {target} hold {rest!r}: name one ({', '.join(sorted(holders))})")
    near = difflib.get_close_matches(rest.split(":")[0], list(files), n=1)
    hint = f"; did you mean {target}:{near[0]}?" if near else ""
    raise ValueError(f"{text!r}: no file of the {target} target is or holds {rest!r}{hint}")
