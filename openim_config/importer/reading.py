"""Reading what an import is given: YAML with the line of every key, env files, and Compose's
``${VAR}`` interpolation. Every unreadable input is a located error (file, line)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openim_config.errors import Location, Problem

Lines = dict[tuple[str | int, ...], int]
"""Key path -> 1-based line where it is written."""

INPUT_LIMIT = 1024 * 1024
"""The largest input file read (1 MiB): config files and env files are a few KiB."""


def read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        if not path.is_file():
            problems.append(Problem(Location(str(path)), (), "not a regular file"))
            return None
        if path.stat().st_size > INPUT_LIMIT:
            problems.append(Problem(Location(str(path)), (), f"larger than {INPUT_LIMIT // 1024} KiB: not a config file"))
            return None
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(Location(str(path)), (), "not UTF-8 text"))
    except OSError as exc:
        problems.append(Problem(Location(str(path)), (), f"cannot read: {exc.strerror}"))
    return None


def load_yaml(path: Path, problems: list[Problem]) -> tuple[Any, Lines] | None:
    """A YAML file as plain data and the line of every key; None (with a problem) when unreadable."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    text = read_text(path, problems)
    if text is None:
        return None
    try:
        node = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        problems.append(Problem(where, (), f"not valid YAML: {exc.problem or exc.context}"))
        return None
    except YAMLError as exc:
        problems.append(Problem(Location(str(path)), (), f"not valid YAML: {exc}"))
        return None
    lines: Lines = {}
    return _plain(node, (), lines), lines


def _plain(node: Any, path: tuple[str | int, ...], lines: Lines) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            with contextlib.suppress(AttributeError, KeyError, TypeError):
                lines[(*path, str(key))] = node.lc.key(key)[0] + 1  # type: ignore[attr-defined]
            out[str(key)] = _plain(value, (*path, str(key)), lines)
        return out
    if isinstance(node, list):
        return [_plain(v, (*path, i), lines) for i, v in enumerate(node)]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_env_file(path: Path, problems: list[Problem]) -> dict[str, tuple[str, int]] | None:
    """``NAME=VALUE`` lines (``export`` allowed, ``#`` comments, single or double quotes, an
    unquoted value ends at `` #``), as Docker Compose reads ``.env``: name -> (value, line)."""
    text = read_text(path, problems)
    if text is None:
        return None
    out: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, eq, rest = line.partition("=")
        name = name.strip()
        if not eq or not ENV_NAME.fullmatch(name):
            problems.append(Problem(Location(str(path), number, 1), (), "not a NAME=VALUE line"))
            continue
        value = _env_value(rest.lstrip())
        if value is None:
            problems.append(Problem(Location(str(path), number, len(raw) - len(rest) + 1), (), f"{name}: unterminated quote"))
            continue
        out[name] = (value, number)
    return out


def _env_value(rest: str) -> str | None:
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        end = rest.find(quote, 1)
        if end < 0:
            return None
        value = rest[1:end]
        return value.replace("\\n", "\n").replace('\\"', '"') if quote == '"' else value
    cut = re.search(r"\s#", rest)
    return (rest[: cut.start()] if cut else rest).strip()


_VARIABLE = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


class InterpolationError(ValueError):
    pass


def interpolate(value: Any, env: Mapping[str, str], used: set[str]) -> Any:
    """Compose's interpolation over plain data: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
    ``${VAR-default}``, ``${VAR:?error}``, ``${VAR:+alt}``; an unset variable is empty."""
    if isinstance(value, dict):
        return {k: interpolate(v, env, used) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, used) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return "$"
        name = match.group(2) or match.group(5)
        used.add(name)
        op, arg = match.group(3), match.group(4) or ""
        have = name in env
        current = env.get(name, "")
        if op in (":-", "-"):
            return current if (current if op == ":-" else have) else str(interpolate(arg, env, used))
        if op in (":?", "?"):
            if not (current if op == ":?" else have):
                raise InterpolationError(f"${{{name}}} is required: {arg or 'not set'}")
            return current
        if op in (":+", "+"):
            return str(interpolate(arg, env, used)) if (current if op == ":+" else have) else ""
        return current

    return _VARIABLE.sub(one, value)
