"""Commands beyond the core four, one module each; cli.py registers everything in ALL."""

from __future__ import annotations

import click

from openim_config.commands.bundle import bundle
from openim_config.commands.secrets import secrets_group
from openim_config.commands.verify import diff, verify

ALL: tuple[click.Command, ...] = (verify, diff, bundle, secrets_group)
