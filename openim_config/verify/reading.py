"""Reading artifacts back: YAML/JSON files, credential env files, the release-line catalog.

A file that cannot be parsed is the user's problem (exit 2, naming the file); a credential
file that is absent is normal (they are never committed) and makes its facts ``Unknown``.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from openim_config import yamlio
from openim_config.catalog import LINES, Catalog, load_catalog
from openim_config.errors import UserError

__all__ = ["catalog_for", "digest", "env_file", "get", "load_yaml", "secret_ids"]


READ_LIMIT = 16 * 1024 * 1024
"""``verify`` reads no file larger than this (16 MiB), as ``check``."""


def load_yaml(path: Path) -> Any:
    """One YAML (or JSON) document as plain data (shared: never mutate it). A link, a device
    or a huge file is refused unread: a committed link to /proc/self/environ stays closed."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            raise UserError(f"{path}: a symbolic link: not followed")
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{path}: not a regular file: not read")
        if info.st_size > READ_LIMIT:
            raise UserError(f"{path}: larger than {READ_LIMIT // (1024 * 1024)} MiB: not read")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        docs = _parse(text)
    except (YAMLError, ValueError) as exc:
        raise UserError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return docs[0] if docs else None


def load_yaml_text(text: str, where: str) -> list[Any]:
    """Every document of a YAML stream, empty ones dropped (shared: never mutate them)."""
    try:
        return [d for d in _parse(text) if d is not None]
    except YAMLError as exc:
        raise UserError(f"{where}: not valid YAML: {str(exc).splitlines()[0]}") from None


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[Any, ...]:
    """Parsed once per distinct text: Compose mounts the same file into many containers and
    every Helm workload mounts the same ConfigMap."""
    return tuple(yamlio.load_all_plain(text))


def digest(value: str) -> str:
    """Stands for a credential's value in comparisons; never printed."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def env_file(path: Path) -> dict[str, str] | None:
    """``NAME=value`` lines (systemd ``EnvironmentFile=`` and Compose ``env_file`` syntax);
    ``None`` when the file is absent. Values are returned as digests only."""
    if not path.is_file():
        return None
    out: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        try:
            parts = shlex.split(value, posix=True) if value else [""]
            value = parts[0] if parts else ""
        except ValueError:
            pass
        out[name.strip()] = digest(value)
    return out


def get(doc: Any, dotted: str) -> Any:
    """``doc['a']['b']`` for ``a.b``; ``None`` where a step is missing."""
    node = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def catalog_for(services: Iterable[str]) -> Catalog:
    """The release line whose binaries cover the services found (newest line first)."""
    names = set(services)
    for line in reversed(LINES):
        catalog = load_catalog(line)
        if names <= set(catalog.binaries):
            return catalog
    return load_catalog(LINES[-1])


def secret_ids(catalog: Catalog) -> dict[str, str]:
    """Credential variable (``IMENV_REDIS_PASSWORD``) -> secret id (``redisPassword``),
    by OpenIM's naming rule: prefix + file stem + dotted key, upper-cased."""
    out: dict[str, str] = {}
    for product, keys in catalog.secretKeys.items():
        prefix = catalog.products[product].envPrefix
        for key, sid in keys.items():
            file, dotted = key.split(":")
            stem = file.removesuffix(".yml").upper().replace("-", "_")
            out[f"{prefix}{stem}_{dotted.replace('.', '_').upper()}"] = sid
    return out


def binary_for(catalog: Catalog, *candidates: str | None) -> str | None:
    """The catalog binary a workload runs, from the first candidate that names one: a
    config directory name, a container or unit name, an image reference."""
    images = {catalog.image_name(name): name for name in catalog.binaries}
    for cand in candidates:
        if not cand:
            continue
        if cand in catalog.binaries:
            return cand
        repo = cand.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
        if repo in images:
            return images[repo]
    return None


def split_address(address: str) -> tuple[str, str, int | None, str]:
    """``http://host:port/path`` -> (``http://``, host, port, ``/path``); no port -> None."""
    scheme, rest = "", address
    if "://" in address:
        scheme, _, rest = address.partition("://")
        scheme += "://"
    hostport, slash, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return scheme, hostport, None, slash + path
    return scheme, host.strip("[]"), int(port), slash + path


def flag(args: Sequence[str], *names: str) -> str | None:
    """The value of ``-i 3`` / ``--index=3`` in an argument list."""
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def start_fact(catalog: Catalog, binary: str, entrypoint: Sequence[str] | None, args: Sequence[str], holds: bool, image: bool) -> str:
    """How one process starts, as its program sees it: ``-i N -c ok`` when ``holds`` says the
    -c directory holds its files. ``entrypoint``: a container's override (``None``: the image's,
    from the release line's contract); ``image``: a container (else an executable run as is)."""
    if image:
        contract = catalog.binary_contract(binary)
        if entrypoint is not None:
            contract = replace(contract, entrypoint=tuple(entrypoint))
        if not contract.passes_arguments():
            return f"arguments never reach it (entrypoint {' '.join(contract.entrypoint)!r})"
    index = flag(args, "-i", "--index") or "0"
    config = flag(args, "-c", "--config_folder_path")
    where = "missing" if config is None else "ok" if holds else f"{config} (not its config)"
    return f"-i {index} -c {where}"
