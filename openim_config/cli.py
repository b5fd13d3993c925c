"""``openim-gen``: each command parses flags, calls one function, maps errors to exit codes.

Exit codes: 0 ok, 1 drift (``check``), 2 input or usage error, 3 internal error.

Commands are loaded lazily (``COMMANDS``): a command imports only what it needs, so ``--help``
or ``validate`` never pay for the serializers, the chart engine or the verifier. The
``openim-gen`` script starts in ``launcher``, which answers ``--version`` and ``--help`` without
importing even this module.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Sequence

import click

from openim_config import __version__
from openim_config.errors import OpenIMGenError, UserError

EXIT_OK, EXIT_DRIFT, EXIT_USER, EXIT_INTERNAL = 0, 1, 2, 3

COMMANDS = {
    "build": "openim_config.commands.core:build_cmd",
    "bundle": "openim_config.commands.bundle:bundle",
    "check": "openim_config.commands.core:check_cmd",
    "diff": "openim_config.commands.verify:diff",
    "explain": "openim_config.commands.tools:explain_cmd",
    "graph": "openim_config.commands.tools:graph_cmd",
    "import": "openim_config.commands.importing:import_cmd",
    "init": "openim_config.commands.tools:init_cmd",
    "schema": "openim_config.commands.core:schema_cmd",
    "secrets": "openim_config.commands.secrets:secrets_group",
    "validate": "openim_config.commands.core:validate_cmd",
    "verify": "openim_config.commands.verify:verify",
}
"""Command name -> ``module:attribute`` of its click command, imported when it is used."""


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, _, attr = COMMANDS[cmd_name].partition(":")
        command = getattr(importlib.import_module(module), attr)
        if not gc.isenabled():  # turned off by ``launcher`` for the imports
            gc.freeze()  # what they made lives as long as the process: never walked again
            gc.enable()
        assert isinstance(command, click.Command), COMMANDS[cmd_name]
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openim-gen")
def cli() -> None:
    """Compile one openim.yaml into OpenIM deployments: systemd units (binary),
    a Compose file (compose) and a Helm chart (helm), all stating the same facts.

    With no -f, the built-in default model is used: a complete single-host OpenIM."""


PLUGINS_OFF = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}
"""pydantic looks for plugins (``importlib.metadata`` over every installed distribution) the
first time a model class is built: some 30 ms of every run, for plugins (tracing, logging)
a command-line compiler has no use for. Off unless the user sets the variable."""


def main(argv: Sequence[str] | None = None) -> int:
    for name, value in PLUGINS_OFF.items():
        os.environ.setdefault(name, value)
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="openim-gen", standalone_mode=False)
    except UserError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        return EXIT_USER
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USER
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USER
    except OpenIMGenError as exc:
        click.echo(f"internal error: {exc}\nThis is a bug in openim-gen; please report it with the command you ran.", err=True)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in openim-gen; please report it with the command you ran.",
            err=True,
        )
        return EXIT_INTERNAL
    return EXIT_OK


def entry() -> None:
    sys.exit(main())
