"""``openim-gen import PATH...``: an existing deployment -> the smallest ``openim.yaml``.

Reads upstream config directories (server, chat), env files of ``IMENV_``/``CHATENV_``
variables and openim-docker checkouts, maps what the model owns onto model keys, puts every
other upstream value that differs from upstream's default under ``config:``, then builds the
plan from that model and reports each imported value its generated files do not carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openim_config.errors import Location, Problem, UserError, dotted
from openim_config.importer.report import Report
from openim_config.importer.residue import SecretValue

__all__ = ["ImportResult", "Report", "SecretValue", "import_paths"]


@dataclass
class ImportResult:
    model: dict[str, Any]
    """The model as written (``SecretValue`` where a credential goes)."""
    report: Report
    sources: tuple[str, ...]


def _classify(paths: Sequence[Path], problems: list[Problem]) -> list[tuple[str, Path, str]]:
    """(kind, path, product): ``config`` directories first, then ``docker`` checkouts, then
    ``env`` files, the order in which OpenIM lets each override the one before."""
    from openim_config.catalog import load_catalog
    from openim_config.importer.docker import is_checkout
    from openim_config.importer.upstream import product_of

    catalog = load_catalog("3.8")
    found: list[tuple[str, Path, str]] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(Location(str(path)), (), "no such file or directory"))
        elif path.is_dir():
            if is_checkout(path):
                found.append(("docker", path, ""))
                continue
            names = {p.name for p in path.iterdir() if p.suffix == ".yml"}
            product = product_of(catalog, names)
            if product is not None:
                found.append(("config", path, product))
            elif names & set(catalog.documents["server"]) - set(catalog.documents["chat"]):
                problems.append(Problem(Location(str(path)), (), "holds both server and chat files: give each config directory on its own"))
            elif names & set(catalog.documents["server"]):
                problems.append(
                    Problem(Location(str(path)), (), "holds only files both products have: cannot tell the server's from chat's")
                )
            else:
                problems.append(
                    Problem(
                        Location(str(path)),
                        (),
                        "not an upstream config directory (no file of the release line) nor an openim-docker checkout",
                    )
                )
        else:
            found.append(("env", path, ""))
    order = {"config": 0, "docker": 1, "env": 2}
    return sorted(found, key=lambda item: order[item[0]])


def import_paths(paths: Sequence[Path]) -> ImportResult:
    """Read ``paths`` and make the model; a ``UserError`` (every problem, located) when an
    input cannot be read, before anything is written."""
    from openim_config.catalog import load_catalog
    from openim_config.importer.docker import read_checkout
    from openim_config.importer.mapping import map_model
    from openim_config.importer.providers import map_providers
    from openim_config.importer.residue import config_section
    from openim_config.importer.state import Imported as State
    from openim_config.importer.upstream import read_config_dir, read_env_file

    problems: list[Problem] = []
    inputs = _classify(paths, problems)
    state = State.start(load_catalog("3.8"))
    for kind, path, product in inputs:
        if kind == "config":
            read_config_dir(state, path, product, problems)
        elif kind == "docker":
            read_checkout(state, path, problems)
        else:
            read_env_file(state, path, problems)
    if problems:
        raise UserError(problems)
    map_model(state)
    data = _with_secrets(state)
    if "server" in state.given:
        map_providers(state, data)
    config = config_section(state)
    if config:
        data["config"] = config
    _settle(state, data)
    return ImportResult(data, state.report, tuple(str(p) for p in paths))


def _with_secrets(state: Any) -> dict[str, Any]:
    """The model keys with each credential that differs from the model's default."""
    from openim_config import yamlio
    from openim_config.importer.mapping import model_secret_paths
    from openim_config.importer.state import set_path
    from openim_config.model import OpenIM
    from openim_config.plan.secrets import secret_plans

    data: dict[str, Any] = yamlio.copy_plain(state.model)
    defaults = secret_plans(OpenIM())
    ids = model_secret_paths()
    for path, value in sorted(state.secrets.items()):
        sid = ids[path]
        default = defaults.get(sid)
        literal = default.ref.literal if default is not None and default.ref is not None else None
        if literal is not None and literal.get_secret_value() == value:
            continue
        set_path(data, tuple(path.split(".")), SecretValue(sid, value.encode()))
    return data


PENDING = ("config", "push", "objectStorage")
"""Sections of issue 12 another part of the model adds (``config:``, ``push:``,
``objectStorage:``): written in the shared shape, checked only where the model has them."""


def model_fields() -> set[str]:
    from openim_config.model import OpenIM

    return {f.alias or n for n, f in OpenIM.model_fields.items()}


def _validatable(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as the model validates it: credentials as (unread) file references, and
    without the sections this model does not have yet."""
    fields = model_fields()

    def plain(node: Any) -> Any:
        if isinstance(node, SecretValue):
            return {"file": node.name}
        if isinstance(node, dict):
            return {k: plain(v) for k, v in node.items()}
        return node

    return {k: plain(v) for k, v in data.items() if k in fields}


def _settle(state: Any, data: dict[str, Any]) -> None:
    """Build the plan from the model; a value the model refuses (a setting a bundled component
    would not honour) is reported and left out, so what is written always validates. Then the
    generated files are compared with the imported values, and the defaults pruned."""
    from pydantic import ValidationError

    from openim_config.importer.residue import unreproduced
    from openim_config.model import OpenIM
    from openim_config.plan import build_plan

    for _ in range(16):
        try:
            plan = build_plan(OpenIM.model_validate(_validatable(data)))
        except ValidationError as exc:
            refused = [(tuple(e["loc"]), str(e["msg"])) for e in exc.errors(include_url=False)]
        except UserError as exc:
            refused = [(tuple(p.path), p.message) for p in exc.problems]
        else:
            unreproduced(state, plan, set(PENDING) - model_fields())
            _prune(data)
            return
        for path, message in refused:
            state.report.lost("openim.yaml", dotted(path), f"refused by the model ({message}): left out")
            _delete(data, path)
    raise UserError("the imported model does not validate; please report this with the inputs you gave")


def _delete(data: dict[str, Any], path: tuple[Any, ...]) -> None:
    while path and isinstance(path[-1], int):
        path = path[:-1]
    node: Any = data
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if path and isinstance(node, dict):
        node.pop(path[-1], None)


def _prune(data: dict[str, Any]) -> None:
    """Leave out every model value equal to its default: the smallest model."""
    from openim_config.model import OpenIM, Service, Volume

    defaults: dict[str, Any] = OpenIM().model_dump(by_alias=True, mode="json")
    defaults["services"] = {n: Service().model_dump(by_alias=True, mode="json") for n in data.get("services", {})}
    defaults["storage"] = {n: Volume().model_dump(by_alias=True, mode="json") for n in data.get("storage", {})}

    def prune(node: dict[str, Any], default: Any, skip: tuple[str, ...] = ()) -> None:
        for key in [k for k in node if k not in skip]:
            value, base = node[key], default.get(key, _NONE) if isinstance(default, dict) else _NONE
            if isinstance(value, dict):
                prune(value, base if isinstance(base, dict) else {})
                if not value:
                    del node[key]
            elif not isinstance(value, SecretValue) and value == base:
                del node[key]

    prune(data, defaults, PENDING)


_NONE = object()
