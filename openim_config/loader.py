"""Load ``openim.yaml`` layers into the source model, remembering where each value came from.

Layers, highest first: ``--set`` flags, ``OPENIM_GEN_*`` environment variables, the ``-f``
files in order (later wins; maps merge deeply, lists are replaced), the built-in defaults
(the model's own defaults). Every YAML and validation problem of one run is collected and
raised together as a :class:`UserError`, each with the file, line and column it came from.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from openim_config.errors import Location, Problem, UserError
from openim_config.errors import Path as KeyPath
from openim_config.model import OpenIM
from openim_config.model.surface import expand
from openim_config.names import ENV_PREFIX

__all__ = ["ENV_PREFIX", "Provenance", "Source", "load", "parse_set"]

# ``OPENIM_GEN_<KEY>__<KEY>...=value``: keys separated by ``__``, each matched ignoring case,
# ``-`` and ``_`` (so ``PUBLIC_HOST`` is ``publicHost``, ``OPENIM_PUSH`` is ``openim-push``); e.g.
# ``OPENIM_GEN_SERVICES__OPENIM_PUSH__INSTANCES=4``. Values are typed like ``--set``.

DEFAULTS = Location("<defaults>")


@dataclass
class Provenance:
    """Key path -> where its value was last set."""

    locations: dict[KeyPath, Location] = field(default_factory=dict)

    def locate(self, path: KeyPath) -> Location:
        """The location of ``path``, or of its nearest ancestor that has one; for a key nobody
        set (a default), where its closest set sibling came from: `--set infra.mongodb.mode=external`
        is what leaves `infra.mongodb.address` empty."""
        for end in range(len(path), 0, -1):
            found = self.locations.get(path[:end])
            if found is not None:
                return found
        inside = [loc for p, loc in self.locations.items() if p[: len(path)] == path]
        if inside:  # `--set publicHost.x=1` made publicHost a mapping
            return inside[-1]
        for end in range(len(path) - 1, 0, -1):
            near = [loc for p, loc in self.locations.items() if p[:end] == path[:end]]
            if near:
                return near[-1]  # the latest layer set it
        return DEFAULTS

    def problem(self, path: KeyPath, message: str) -> Problem:
        return Problem(self.locate(path), path, message)


@dataclass(frozen=True)
class Source:
    """The inputs of one run."""

    files: Sequence[Path] = ()
    sets: Sequence[str] = ()
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def load(source: Source) -> tuple[OpenIM, Provenance]:
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    prov = Provenance()
    for path in source.files:
        layer = _load_file(path, problems)
        if layer is not None:
            _merge(data, layer[0], (), prov, layer[1])
    for name in sorted(k for k in source.environ if k.startswith(ENV_PREFIX)):
        _apply_env(data, name, source.environ[name], prov, problems)
    for item in source.sets:
        _apply_set(data, item, prov, problems)
    model: OpenIM | None = None
    try:
        model = OpenIM.model_validate(data)
    except ValidationError as exc:
        for err in expand(exc.errors(include_input=False, include_url=False)):
            loc = tuple(err["loc"])
            if loc[-1:] == ("[key]",):  # pydantic's marker for a mapping's key in error
                loc = loc[:-1]
                problems.append(prov.problem(loc, "the key is " + _message(err, loc)))
                continue
            problems.append(prov.problem(loc, _message(err, loc)))
    if problems or model is None:
        raise ModelError(problems, _lenient(data, problems), prov)
    return model, prov


class ModelError(UserError):
    """The model's problems, with the model as far as it is valid (``partial``: the input
    without the keys in error), so the domain rules can still be checked in the same run."""

    def __init__(self, problems: Sequence[Problem], partial: OpenIM | None, prov: Provenance) -> None:
        super().__init__(problems)
        self.partial = partial
        self.prov = prov
        self.pruned = tuple(p.path for p in problems)


def _lenient(data: dict[str, Any], problems: Sequence[Problem]) -> OpenIM | None:
    """The model without the keys in error (a list with a bad item goes whole), or None."""
    pruned = copy.deepcopy(data)
    paths = [p.path for p in problems]
    for _ in range(4):
        for path in paths:
            cut = path
            while cut and isinstance(cut[-1], int):
                cut = cut[:-1]
            _delete(pruned, cut)
        try:
            return OpenIM.model_validate(pruned)
        except ValidationError as exc:
            paths = [tuple(e["loc"]) for e in expand(exc.errors(include_input=False, include_url=False))]
    return None


def _delete(data: dict[str, Any], path: KeyPath) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and path:
        node.pop(path[-1], None)


def _message(err: Any, loc: KeyPath = ()) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        from openim_config.model.keys import known_keys

        near = difflib.get_close_matches(str(loc[-1]), known_keys(loc[:-1]), n=1) if loc else []
        if not near and len(loc) >= 4 and loc[0] == "config":
            from openim_config.model.surface import files_with

            others = files_with(str(loc[1]), tuple(str(p) for p in loc[3:]))
            if others:
                return f"unknown key in {loc[2]}; it is a key of {', '.join(others)}"
        return "unknown key" + (f"; did you mean {near[0]!r}?" if near else "")
    if err["type"] == "string_pattern_mismatch":
        from openim_config.model.base import PATTERN_HELP

        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        if pattern in PATTERN_HELP:
            return f"not {PATTERN_HELP[pattern]}"
    return msg.removeprefix("Value error, ")


# --- files -------------------------------------------------------------------------------


MODEL_FILE_LIMIT = 256 * 1024
"""The largest model file read (256 KiB): an openim.yaml is a few KiB."""
MAX_DEPTH = 32
"""The deepest nesting a model file may have (the model's own is 6)."""


Loaded = tuple[dict[str, Any], dict[KeyPath, Location]]
"""A model file's data and the location of every key and list item in it."""


def _load_file(path: Path, problems: list[Problem]) -> Loaded | None:
    name = str(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MODEL_FILE_LIMIT + 1)
    except OSError as exc:
        problems.append(Problem(Location(name), (), f"cannot read: {exc.strerror or exc}"))
        return None
    if len(raw) > MODEL_FILE_LIMIT:
        problems.append(Problem(Location(name), (), f"larger than {MODEL_FILE_LIMIT // 1024} KiB: not a model file"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(Location(name, line, exc.start - raw.rfind(b"\n", 0, exc.start)), (), "not UTF-8 text"))
        return None
    return _load_fast(text, name) or _load_round_trip(text, name, problems)


def _load_round_trip(text: str, name: str, problems: list[Problem]) -> Loaded | None:
    """Any model file, read with ruamel.yaml's (pure Python) round-trip reader, which judges
    and explains what is wrong with it."""
    try:
        refused = _refused_constructs(text, name, YAML(typ="rt"))
        if refused is not None:
            problems.append(refused)
            return None
        doc = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        # ruamel quotes the values of a duplicated key: they may be credentials, so drop them.
        detail = re.sub(r' with value ".*', "", str(exc.problem or exc.context), flags=re.DOTALL)
        problems.append(Problem(where, (), f"YAML syntax error: {detail}"))
        return None
    except YAMLError as exc:  # the reader: a character YAML does not allow (a NUL, ...)
        position = getattr(exc, "position", None)
        if isinstance(position, int):
            line = text.count("\n", 0, position) + 1
            where = Location(name, line, position - text.rfind("\n", 0, position))
        else:
            where = Location(name)
        character = getattr(exc, "character", None)
        code = ord(character) if isinstance(character, str) and len(character) == 1 else character
        shown = f"U+{code:04X}" if isinstance(code, int) else "a character"
        problems.append(Problem(where, (), f"YAML syntax error: {shown} is not allowed in YAML"))
        return None
    if doc is None:
        return {}, {}
    if not isinstance(doc, CommentedMap):
        problems.append(Problem(Location(name, 1, 1), (), "the top level must be a mapping"))
        return None
    locations: dict[KeyPath, Location] = {}
    plain = _plain(doc, (), name, locations, problems)
    assert isinstance(plain, dict)
    return plain, locations


def _load_fast(text: str, name: str) -> Loaded | None:
    """A well-formed model file read with ruamel.yaml's C parser (libyaml), or its pure-Python
    safe parser for the YAML 1.2 libyaml does not know: the round-trip reader took a third of a
    large model's build. Anything unusual (a syntax error, a refused construct, a duplicated or non-string key, a
    top level that is not a mapping) gives ``None``, and the round-trip reader gives the
    verdict and the message. ``tests/test_loader.py`` proves both readers agree on the data
    and every location."""
    for yaml in _safe_readers():
        try:
            if _refused_constructs(text, name, yaml) is not None:
                return None
            root = yaml.compose(text)
            break
        except YAMLError:
            continue
    else:
        return None
    if root is None:
        return {}, {}
    if not isinstance(root, MappingNode):
        return None
    locations: dict[KeyPath, Location] = {}
    try:
        plain = _from_node(root, (), name, locations, yaml.constructor)
    except _Unusual:
        return None
    return plain, locations


def _safe_readers() -> list[YAML]:
    """libyaml (YAML 1.1: ``[db-0:27017]`` is a syntax error to it), then ruamel.yaml's pure
    Python safe reader (YAML 1.2, no comment gathering: several times faster than round trip)."""
    readers = [YAML(typ="safe"), YAML(typ="safe", pure=True)]
    return [y for y in readers if y.Parser is not None and ("CParser" in y.Parser.__name__) != y.pure]


class _Unusual(Exception):
    """A model file the round-trip reader must judge."""


def _from_node(node: Node, path: KeyPath, name: str, out: dict[KeyPath, Location], constructor: Any) -> Any:
    """Composed node -> plain data, as ``_plain`` makes it from the round-trip reader's."""
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            plain_key = isinstance(key_node, ScalarNode) and not str(key_node.tag).endswith(":merge")
            key = constructor.construct_object(key_node) if plain_key else None
            if not isinstance(key, str) or key in result:
                raise _Unusual
            mark = key_node.start_mark
            out[(*path, key)] = Location(name, mark.line + 1, mark.column + 1)
            result[key] = _from_node(value_node, (*path, key), name, out, constructor)
        return result
    if isinstance(node, SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            mark = item.start_mark
            out[(*path, index)] = Location(name, mark.line + 1, mark.column + 1)
            items.append(_from_node(item, (*path, index), name, out, constructor))
        return items
    value = constructor.construct_object(node)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise _Unusual  # a timestamp: the round-trip reader's text of it stands


def _refused_constructs(text: str, name: str, yaml: YAML) -> Problem | None:
    """What a model file may not use, found in one linear pass over the YAML events before
    anything is built: aliases (an alias bomb grows exponentially), explicit tags (``!!python``
    and the like mean nothing here), merge keys (``<<``: keys that are not keys) and nesting
    deeper than ``MAX_DEPTH``."""
    open_: list[list[int]] = []
    """Per open collection: [is a mapping, nodes seen in it] (a key: an even count in a mapping)."""
    for event in yaml.parse(text):
        mark = event.start_mark
        where = Location(name, mark.line + 1, mark.column + 1)
        is_node = isinstance(event, ScalarEvent | AliasEvent | MappingStartEvent | SequenceStartEvent)
        is_key = is_node and bool(open_) and open_[-1][0] == 1 and open_[-1][1] % 2 == 0
        if is_node and open_:
            open_[-1][1] += 1
        if is_key and isinstance(event, ScalarEvent) and event.implicit[0] and event.value == "<<":
            return Problem(where, (), "YAML merge keys (<<) are not allowed in a model file")
        if isinstance(event, AliasEvent):
            return Problem(where, (), "YAML aliases (*name) are not allowed in a model file")
        tag = getattr(event, "tag", None)
        if tag is not None and not (isinstance(event, ScalarEvent) and event.implicit[0]):
            return Problem(where, (), f"YAML tags ({tag}) are not allowed in a model file")
        if getattr(event, "anchor", None) is not None:
            return Problem(where, (), "YAML anchors (&name) are not allowed in a model file")
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            open_.append([int(isinstance(event, MappingStartEvent)), 0])
            if len(open_) > MAX_DEPTH:
                return Problem(where, (), f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            open_.pop()
    return None


def _plain(node: Any, path: KeyPath, name: str, out: dict[KeyPath, Location], problems: list[Problem]) -> Any:
    """Round-trip node -> plain data, recording the position of every key and list item."""
    if isinstance(node, CommentedMap):
        result: dict[str, Any] = {}
        for key, value in node.items():
            line, col = node.lc.key(key)
            if not isinstance(key, str):
                problems.append(Problem(Location(name, line + 1, col + 1), path, f"key {key!r} is not a string"))
                continue
            out[(*path, key)] = Location(name, line + 1, col + 1)
            result[key] = _plain(value, (*path, key), name, out, problems)
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            line, col = node.lc.item(index)
            out[(*path, index)] = Location(name, line + 1, col + 1)
            items.append(_plain(value, (*path, index), name, out, problems))
        return items
    if node is None or isinstance(node, (bool, int, float, str)):
        return node if not isinstance(node, str) else str(node)
    return str(node)  # timestamps and other YAML types stay text


def _merge(dst: dict[str, Any], src: dict[str, Any], path: KeyPath, prov: Provenance, locs: dict[KeyPath, Location]) -> None:
    """Deep-merge ``src`` into ``dst``: maps merge, everything else (lists too) is replaced."""
    for key, value in src.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            prov.locations[here] = locs.get(here, prov.locate(here))
            _merge(dst[key], value, here, prov, locs)
            continue
        for old in [p for p in prov.locations if p[: len(here)] == here]:
            del prov.locations[old]
        dst[key] = value
        for sub, loc in locs.items():
            if sub[: len(here)] == here:
                prov.locations[sub] = loc


# --- --set and environment -------------------------------------------------------------

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?[0-9]*\.[0-9]+$")


def typed_value(text: str) -> Any:
    """Type a scalar like Helm's ``--set``: integers, booleans, null, ``{a,b}`` lists."""
    if text.startswith("{") and text.endswith("}"):
        inner = text[1:-1]
        return [typed_value(v.strip()) for v in inner.split(",")] if inner.strip() else []
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "~"):
        return None
    return text


def parse_set(item: str) -> tuple[KeyPath, Any]:
    """``a.b[0].c=value`` -> (("a", "b", 0, "c"), typed value); ``\\.`` escapes a dot."""
    if "=" not in item:
        raise ValueError("expected KEY=VALUE")
    raw_key, raw_value = item.split("=", 1)
    parts: list[str | int] = []
    for segment in re.split(r"(?<!\\)\.", raw_key):
        match = re.fullmatch(r"([^\[\]]*)((?:\[[0-9]+\])*)", segment.replace("\\.", "."))
        if not match or not match.group(1):
            raise ValueError(f"malformed key {raw_key!r}")
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[([0-9]+)\]", match.group(2)))
    return tuple(parts), typed_value(raw_value)


MAX_INDEX = 1024
"""The largest list index ``--set`` and ``OPENIM_GEN_*`` accept (no list in the model is near it)."""


def _assign(data: dict[str, Any], path: KeyPath, value: Any, prov: Provenance, loc: Location) -> str | None:
    node: Any = data
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(part, int):
            if not isinstance(node, list):
                return "indexes something that is not a list"
            if part > MAX_INDEX:
                return f"index {part} is larger than {MAX_INDEX}"
            while len(node) <= part:
                node.append(None)
            if last:
                node[part] = value
            else:
                if not isinstance(node[part], (dict, list)):
                    node[part] = [] if isinstance(path[depth + 1], int) else {}
                node = node[part]
            continue
        if not isinstance(node, dict):
            return "sets a key inside something that is not a mapping"
        if last:
            node[part] = value
        else:
            if not isinstance(node.get(part), (dict, list)):
                node[part] = [] if isinstance(path[depth + 1], int) else {}
            node = node[part]
    for old in [p for p in prov.locations if p[: len(path)] == path]:
        del prov.locations[old]
    prov.locations[path] = loc
    return None


def _apply_set(data: dict[str, Any], item: str, prov: Provenance, problems: list[Problem]) -> None:
    key = item.split("=", 1)[0]
    loc = Location(f"--set {key}")
    try:
        path, value = parse_set(item)
    except ValueError as exc:
        problems.append(Problem(loc, (), str(exc)))
        return
    error = _assign(data, path, value, prov, loc)
    if error:
        problems.append(Problem(loc, path, error))


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def _known_keys(path: KeyPath, data: dict[str, Any]) -> list[str]:
    """Keys allowed at ``path``: those of the default model, plus those already given."""
    from openim_config.model.keys import known_keys

    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    given = list(node) if isinstance(node, dict) else []
    return given + known_keys(path)


def _apply_env(data: dict[str, Any], name: str, value: str, prov: Provenance, problems: list[Problem]) -> None:
    loc = Location(f"environment {name}")
    segments = name[len(ENV_PREFIX) :].split("__")
    path: list[str] = []
    for segment in segments:
        options = {_norm(k): k for k in _known_keys(tuple(path), data)}
        key = options.get(_norm(segment))
        if key is None:
            problems.append(Problem(loc, tuple(path), f"no key matches {segment!r} here"))
            return
        path.append(key)
    error = _assign(data, tuple(path), typed_value(value), prov, loc)
    if error:
        problems.append(Problem(loc, tuple(path), error))
