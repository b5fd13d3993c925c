"""``openim-gen secrets init``: strong random values for every credential the model needs.

Each goes to its own file (0600, in a 0700 directory) and a model overlay references them
with ``{file: ...}``, so no credential is ever written into ``openim.yaml`` and nobody deploys
upstream's published defaults. Existing files are kept, never overwritten.
"""

from __future__ import annotations

import os
import secrets as random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from openim_config import build, yamlio
from openim_config.errors import UserError
from openim_config.loader import Source
from openim_config.options import model_inputs

__all__ = ["secrets_group"]

DERIVED = {"mongodbUri"}
"""Built from other credentials, not set on its own."""


def new_value() -> str:
    """32 characters of [A-Za-z0-9_-] (192 bits): safe in env files, URLs and YAML as is."""
    return random.token_urlsafe(24)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _overlay(paths: dict[str, str]) -> dict[str, Any]:
    """``{"infra.redis.password": "secrets/redisPassword"}`` -> the nested model overlay."""
    out: dict[str, Any] = {}
    for dotted, file in sorted(paths.items()):
        node = out
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = {"file": file}
    return out


@click.group("secrets")
def secrets_group() -> None:
    """Credentials of the model."""


@secrets_group.command("init")
@model_inputs
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("secrets"),
    show_default=True,
    help="Where the credential files go (one per credential, 0600).",
)
@click.option(
    "--overlay",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("openim.secrets.yaml"),
    show_default=True,
    help="The model overlay that references them (add it with -f).",
)
def init(files: Sequence[Path], sets: Sequence[str], directory: Path, overlay: Path) -> None:
    """Write a random value for every credential the model needs, and an overlay using them."""
    plan = build.plan_for(Source(files, sets))
    if overlay.exists():
        raise UserError(f"{overlay}: already exists; remove it or choose another --overlay")
    _private_dir(directory)
    refs: dict[str, str] = {}
    created = 0
    for sid, secret in sorted(plan.secrets.items()):
        if sid in DERIVED:
            continue
        path = directory / sid
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(new_value() + "\n")
            created += 1
        refs[secret.path] = str(path)
    overlay.write_text(
        "# Credentials of the model, by reference (openim-gen secrets init): the values are in\n"
        f"# {directory}/, never in this file. Build with -f openim.yaml -f {overlay}.\n" + yamlio.dump(_overlay(refs))
    )
    kept = len(refs) - created
    click.echo(f"wrote {created} new credential(s) to {directory}/ (0600){f', kept {kept} existing' if kept else ''}; overlay: {overlay}")
    click.echo(f"build with: openim-gen build {' '.join(f'-f {f}' for f in files) or '-f openim.yaml'} -f {overlay}".replace("  ", " "))
