"""Upstream's own inputs: a config directory (server or chat, recognised by its file names)
and ``IMENV_``/``CHATENV_`` variables, applied as OpenIM applies them (FACTS 3.1)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from openim_config.catalog import Catalog, load_catalog
from openim_config.errors import Location, Problem
from openim_config.importer.reading import load_yaml, parse_env_file
from openim_config.importer.state import Imported, KeyPath, get_path, leaves

MONITORING_FILES = {"prometheus.yml", "alertmanager.yml", "instance-down-rules.yml", "email.tmpl"}
"""Files upstream keeps in the server's config directory that no OpenIM binary reads."""
NO_ENV_PREFIX = {("server", "local-cache.yml")}
"""Files upstream's prefix map lacks (FACTS 3.1): their variables carry no IMENV_ prefix."""


def product_of(catalog: Catalog, names: set[str]) -> str | None:
    """``server`` or ``chat`` by the files only that product has; None when neither or both."""
    server, chat = set(catalog.documents["server"]), set(catalog.documents["chat"])
    hits = {"server": names & (server - chat), "chat": names & (chat - server)}
    found = [p for p, h in hits.items() if h]
    return found[0] if len(found) == 1 else None


def read_config_dir(imp: Imported, directory: Path, product: str, problems: list[Problem]) -> None:
    """Every upstream file of ``directory`` over the defaults, type-checked against them."""
    known = imp.catalog.documents[product]  # type: ignore[index]
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        if path.name in known:
            loaded = load_yaml(path, problems)
            if loaded is None:
                continue
            data, lines = loaded
            if not isinstance(data, dict):
                problems.append(Problem(Location(str(path), 1, 1), (), "not a mapping of upstream keys"))
                continue
            _overlay(imp, product, path, data, lines, problems)
        elif product == "server" and path.name in MONITORING_FILES:
            imp.report.lost(
                str(path), "monitoring configuration", "openim-gen writes its own from monitoring.* (set monitoring.alerts for receivers)"
            )
        elif path.is_file() and path.suffix not in (".yml", ".yaml"):
            try:
                imp.files[path.name] = path.read_bytes()[: 64 * 1024 + 1]
            except OSError as exc:
                problems.append(Problem(Location(str(path)), (), f"cannot read: {exc.strerror}"))
        else:
            imp.report.lost(str(path), "file", f"not a config file of the {product} {imp.catalog.line} line: no OpenIM binary reads it")
    imp.given.add(product)


def _overlay(imp: Imported, product: str, path: Path, data: dict[str, Any], lines: dict[Any, int], problems: list[Problem]) -> None:
    default = imp.catalog.documents[product][path.name]  # type: ignore[index]
    seen: set[KeyPath] = set()
    for key, value in leaves(data):
        if not key:
            continue
        where = f"{path}:{lines.get(key, 1)}"
        expected = _default_at(default, key)
        if expected is _MISSING:
            imp.report.lost(where, ".".join(key), f"not a key of upstream's {path.name}: OpenIM ignores it")
            continue
        typed = typed_value(value, expected)
        if typed is _BAD:
            problems.append(Problem(Location(str(path), lines.get(key, 1), 1), key, f"{type_name(expected)} expected, got {value!r}"))
            continue
        imp.set(product, path.name, key, typed, where)
        seen.add(key)
    for key, value in leaves(default):
        if key and key not in seen and not any(key[: len(s)] == s for s in seen):
            imp.report.lost(str(path), ".".join(key), f"absent: OpenIM read an empty value; openim-gen writes upstream's default {value!r}")


_MISSING, _BAD = object(), object()


def _default_at(doc: Any, key: KeyPath) -> Any:
    return get_path(doc, key, _MISSING)


def type_name(expected: Any) -> str:
    if isinstance(expected, bool):
        return "a boolean"
    if isinstance(expected, int):
        return "an integer"
    if isinstance(expected, list):
        return "a list"
    if isinstance(expected, dict):
        return "a mapping"
    return "a string"


def typed_value(value: Any, expected: Any) -> Any:
    """``value`` as OpenIM's weakly typed decoder takes it for a key whose default is
    ``expected``; ``_BAD`` when it cannot. A null is the key's empty value."""
    if value is None:
        return None if expected is None else type(expected)()
    if isinstance(expected, dict):
        return value if isinstance(value, dict) else _BAD
    if isinstance(expected, bool):
        return value if isinstance(value, bool) else _BAD
    if isinstance(expected, int):
        return value if isinstance(value, int) and not isinstance(value, bool) else _BAD
    if isinstance(expected, list):
        if not isinstance(value, list):
            return _BAD
        if expected and isinstance(expected[0], int):
            return value if all(isinstance(v, int) and not isinstance(v, bool) for v in value) else _BAD
        return value
    if isinstance(value, (dict, list)):
        return _BAD if expected is not None or isinstance(value, dict) else value
    return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


# --- environment variables -------------------------------------------------------------------


@cache
def _env_keys(line: str) -> dict[str, list[tuple[str, str, KeyPath]]]:
    """``IMENV_OPENIM_API_PROMETHEUS_GRAFANAURL`` -> [(product, file, key)], for every leaf."""
    catalog = load_catalog(line)
    out: dict[str, list[tuple[str, str, KeyPath]]] = {}
    for product in ("server", "chat"):
        prefix = catalog.products[product].envPrefix
        for file, doc in catalog.documents[product].items():
            if (product, file) in NO_ENV_PREFIX:
                continue
            stem = prefix + file.removesuffix(".yml").upper().replace("-", "_")
            for key, _ in leaves(doc):
                out.setdefault(stem + "_" + "_".join(k.upper() for k in key), []).append((product, file, key))
    return out


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def env_value(text: str, expected: Any) -> Any:
    """A variable's text as OpenIM's loader decodes it (viper, weakly typed): Go's
    ``strconv.ParseBool``, integers, lists split on ``,``; ``_BAD`` when it cannot."""
    if isinstance(expected, bool):
        return True if text in _TRUE else False if text in _FALSE else _BAD
    if isinstance(expected, int):
        try:
            return int(text)
        except ValueError:
            return _BAD
    if isinstance(expected, list):
        parts = text.split(",")
        if expected and isinstance(expected[0], int):
            try:
                return [int(p) for p in parts]
            except ValueError:
                return _BAD
        return parts
    return text


def is_openim_variable(catalog: Catalog, name: str) -> bool:
    return any(name.startswith(p.envPrefix) for p in catalog.products.values())


def apply_variable(imp: Imported, name: str, text: str, where: str, problems: list[Problem], location: Location) -> bool:
    """Apply one ``IMENV_``/``CHATENV_`` variable; False when it reaches no key."""
    targets = _env_keys(imp.catalog.line).get(name)
    if not targets:
        imp.report.lost(where, name, "reaches no key of the release line's files: OpenIM ignores it")
        return False
    if text == "":
        imp.report.lost(where, name, "empty: OpenIM ignores an empty variable and keeps the file's value")
        return True
    for product, file, key in targets:
        expected = _default_at(imp.catalog.documents[product][file], key)  # type: ignore[index]
        value = env_value(text, expected)
        if value is _BAD:
            problems.append(Problem(location, (name,), f"{type_name(expected)} expected for {file} {'.'.join(key)}, got {text!r}"))
            continue
        imp.set(product, file, key, value, where)
    return True


def read_env_file(imp: Imported, path: Path, problems: list[Problem]) -> None:
    found = parse_env_file(path, problems)
    if found is None:
        return
    if not found:
        problems.append(Problem(Location(str(path)), (), "no NAME=VALUE line: not an env file"))
        return
    for name, (text, line) in found.items():
        where = f"{path}:{line}"
        if is_openim_variable(imp.catalog, name):
            apply_variable(imp, name, text, where, problems, Location(str(path), line, 1))
        else:
            imp.report.lost(where, name, "not an IMENV_/CHATENV_ variable: OpenIM does not read it")
