"""`openim-gen verify` and `openim-gen diff` (issue 6): not implemented yet."""

from __future__ import annotations

import click

from openim_config.errors import UserError


@click.command("verify")
def verify() -> None:
    """Read the built targets back and check they state the same facts (not implemented yet)."""
    raise UserError("verify is not implemented yet")


@click.command("diff")
def diff() -> None:
    """Show what a change of the model changes in each target (not implemented yet)."""
    raise UserError("diff is not implemented yet")
