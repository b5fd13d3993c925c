"""``openim-gen import``: an existing deployment (upstream config directories, an env file of
``IMENV_``/``CHATENV_`` variables, an openim-docker checkout) -> the smallest openim.yaml."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from openim_config.importer import import_paths
from openim_config.importer.write import write
from openim_config.options import model_file_output


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@model_file_output(
    "The model to write; credentials go to openim.secrets/ beside it.",
    "Replace an existing openim.yaml (and secret files of the same name).",
)
def import_cmd(paths: Sequence[Path], output: Path, force: bool) -> None:
    """Write the smallest openim.yaml that reproduces an existing deployment, and print a
    migration report.

    PATH is an upstream config directory (server or chat: recognised by its files), an env file
    of IMENV_/CHATENV_ variables, or an openim-docker checkout (.env and docker-compose.yaml);
    give several in any combination. Only values that differ from openim-gen's defaults are
    written; credentials go to openim.secrets/<name> (0600) and are referenced {file: ...}."""
    result = import_paths(paths)
    written = write(result, output, force, Path.cwd())
    click.echo(
        f"wrote {output}"
        + (f" and {len(written) - 1} credential file(s) in {output.parent / 'openim.secrets'}/" if len(written) > 1 else "")
    )
    click.echo(result.report.text(), nl=False)
    click.echo(f"next: openim-gen schema -o {output.parent / 'openim.schema.json'} && openim-gen build -f {output}")
