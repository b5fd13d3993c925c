"""Writing an import: the credentials, each in its own 0600 file under ``openim.secrets/``
(0700) beside ``openim.yaml``, then ``openim.yaml`` itself. Every check comes first, each
file is written beside itself and renamed over, and ``openim.yaml`` comes last: an
interrupted import leaves no half-written file and no ``openim.yaml`` naming a missing one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from openim_config import yamlio
from openim_config.errors import Location, Problem, UserError
from openim_config.importer import ImportResult, model_fields
from openim_config.importer.residue import SecretValue

SECRETS_DIR = "openim.secrets"
ORDER = (
    "release",
    "publicHost",
    "secret",
    "admins",
    "log",
    "images",
    "services",
    "chat",
    "infra",
    "storage",
    "monitoring",
    "fronts",
    "targets",
    "push",
    "objectStorage",
    "config",
)


def reference(path: Path, cwd: Path) -> str:
    """How ``{file: PATH}`` must name ``path``: openim-gen opens it as given, from the working
    directory (``plan.secrets._read_secret_file``), so relative to it when it is below, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(cwd.absolute()))
    except ValueError:
        return str(absolute)


def render(result: ImportResult, output: Path, cwd: Path) -> tuple[str, dict[Path, bytes]]:
    """The text of ``openim.yaml`` and every secret file (path -> content) it references."""
    secrets_dir = output.parent / SECRETS_DIR
    files: dict[Path, bytes] = {}

    def refs(node: Any) -> Any:
        if isinstance(node, SecretValue):
            target = secrets_dir / node.name
            files[target] = node.value + b"\n" if node.newline and not node.value.endswith(b"\n") else node.value
            return {"file": reference(target, cwd)}
        if isinstance(node, dict):
            return {k: refs(v) for k, v in node.items()}
        return node

    data = refs(result.model)
    ordered = {k: data[k] for k in sorted(data, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))}
    pending = sorted(set(ordered) - model_fields())
    header = [
        "# yaml-language-server: $schema=openim.schema.json",
        f"# Written by `openim-gen import {' '.join(result.sources)}`: only what differs from openim-gen's defaults.",
    ]
    if files:
        header.append(f"# Credentials are in {SECRETS_DIR}/ (0600), referenced {{file: ...}} from the directory the import ran in.")
    if pending:
        header.append(f"# Needs an openim-gen whose model has: {', '.join(pending)}.")
    body = yamlio.dump(ordered) if ordered else "{}\n"
    return "\n".join(header) + "\n" + body, files


def write(result: ImportResult, output: Path, force: bool, cwd: Path) -> list[Path]:
    """Write ``openim.yaml`` and its secret files; refuse to replace an existing
    ``openim.yaml`` (or a secret file with other content) unless ``force``."""
    text, files = render(result, output, cwd)
    problems = []
    if output.exists() and not force:
        problems.append(Problem(Location(str(output)), (), "already exists: choose another --output, or --force to replace it"))
    for path, content in sorted(files.items()):
        if path.is_symlink() or (path.exists() and not path.is_file()):
            problems.append(Problem(Location(str(path)), (), "not a regular file: not replaced"))
        elif path.exists() and not force and path.read_bytes() != content:
            problems.append(Problem(Location(str(path)), (), "already exists with another value: --force replaces it"))
    if problems:
        raise UserError(problems)
    try:
        if files:
            secrets_dir = output.parent / SECRETS_DIR
            secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(secrets_dir, 0o700)
        for path, content in sorted(files.items()):
            _atomic(path, content, 0o600)
        _atomic(output, text.encode(), 0o644)
    except OSError as exc:
        raise UserError([Problem(Location(str(exc.filename or output)), (), f"cannot write: {exc.strerror}")]) from None
    return [*sorted(files), output]


def _atomic(path: Path, content: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
