"""Where the ``openim-gen`` script starts. ``--version`` and ``--help`` are answered from what
is already known, without importing click or anything else (a pull-request job calls them as
often as anything); every other command line goes to ``cli``.

The help text is click's own rendering at 80 columns, kept in ``help.txt``; a narrower terminal
gets click's live rendering. ``tests/test_launcher.py`` fails when the file is stale:
``python -m openim_config.launcher`` rewrites it.
"""

from __future__ import annotations

import os
import sys

from openim_config import __version__

# Only what the interpreter has loaded already (os, sys): pathlib alone would cost a third of
# the interpreter's start-up.
HELP = os.path.join(os.path.dirname(__file__), "help.txt")
HELP_WIDTH = 80
"""Click wraps help at min(terminal columns, 80): at 80 columns or more, the text is the same."""


def _columns() -> int:
    """The terminal's width as click finds it (``shutil.get_terminal_size``'s rules)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or HELP_WIDTH


def quick_answer(argv: list[str]) -> str | None:
    """What ``openim-gen ARGV`` prints when it needs no command, else None."""
    if argv == ["--version"]:
        return f"openim-gen, version {__version__}\n"
    if argv in (["--help"], ["-h"]) and _columns() >= HELP_WIDTH:
        with open(HELP, encoding="utf-8") as fh:
            return fh.read()
    return None


def entry() -> None:
    answer = quick_answer(sys.argv[1:])
    if answer is not None:
        sys.stdout.write(answer)
        sys.exit(0)
    import gc

    # Importing the command builds its classes and tables: objects that live as long as the
    # process, which the collector would walk again and again for no garbage (3% of a build).
    # ``cli`` freezes them and turns it back on once the command is imported.
    gc.disable()
    from openim_config.cli import entry as run

    run()


def render_help() -> str:
    """Click's rendering of ``openim-gen --help`` on a terminal of 80 columns."""
    import click

    from openim_config.cli import cli

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH)
    try:
        with click.Context(cli, info_name="openim-gen", **cli.context_settings) as ctx:
            return cli.get_help(ctx) + "\n"
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


if __name__ == "__main__":
    with open(HELP, "w", encoding="utf-8") as out:
        out.write(render_help())
    print(f"wrote {HELP}")
