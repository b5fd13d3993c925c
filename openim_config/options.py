"""Click options shared by every command that reads the model or names targets or an output dir."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from openim_config.names import ENV_PREFIX, TARGET_NAMES

F = TypeVar("F", bound=Callable[..., Any])


SET_HELP = "Override one model value (dotted path, typed like Helm's --set); repeatable, highest precedence."


def set_option(help_text: str = SET_HELP) -> Callable[[F], F]:
    return click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=help_text)


DEFAULT_MODEL = Path("openim.yaml")


def model_inputs(func: F) -> F:
    """``-f FILE``... and ``--set K=V``...: the model of one run. With no ``-f``, the
    ``openim.yaml`` of the working directory when there is one (and it is said), else the
    built-in default model."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("files") and DEFAULT_MODEL.is_file():
            click.echo(f"using ./{DEFAULT_MODEL} (no -f given)", err=True)
            kwargs["files"] = (DEFAULT_MODEL,)
        return func(*args, **kwargs)

    decorated = set_option()(cast(F, wrapper))
    return click.option(
        "-f",
        "--file",
        "files",
        multiple=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help=f"Model file (openim.yaml); repeatable, later files win. Environment: {ENV_PREFIX}<KEY>__<KEY>=VALUE.",
    )(decorated)


def target_option(help_text: str) -> Callable[[F], F]:
    return click.option("-t", "--target", type=click.Choice([*TARGET_NAMES, "all"]), default="all", show_default=True, help=help_text)


def output_dir_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("deploy"),
        show_default=True,
        help=help_text,
    )


def model_file_output(help_text: str, force_help: str) -> Callable[[F], F]:
    """``-o FILE`` (default openim.yaml) and ``--force``: a command that writes a model file."""

    def decorate(func: F) -> F:
        func = click.option("--force", is_flag=True, help=force_help)(func)
        output = click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path, dir_okay=False),
            default=Path("openim.yaml"),
            show_default=True,
            help=help_text,
        )
        return output(func)

    return decorate


def selected_targets(target: str) -> list[str]:
    return list(TARGET_NAMES) if target == "all" else [target]
