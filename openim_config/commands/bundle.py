"""`openim-gen bundle` (issue 7): not implemented yet."""

from __future__ import annotations

import click

from openim_config.errors import UserError


@click.command("bundle")
def bundle() -> None:
    """Make a reproducible offline package (not implemented yet)."""
    raise UserError("bundle is not implemented yet")
