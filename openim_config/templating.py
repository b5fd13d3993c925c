"""Package data lookup and the Jinja environment for text artifacts (units, scripts)."""

from __future__ import annotations

import shlex
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2


def templates_root() -> Path:
    """``templates/``: inside the installed package (wheel), or beside it in a checkout."""
    packaged = Path(str(resources.files("openim_config"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


def shell_word(value: object) -> str:
    """One POSIX shell word holding ``value`` exactly (single quotes; a quote inside is
    closed, escaped and reopened): what every value pasted into a script goes through."""
    return shlex.quote(str(value))


@cache
def _env(target: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_root() / target)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["sh"] = shell_word
    return env


def render(folder: str, template: str, **context: Any) -> str:
    return _env(folder).get_template(template).render(**context)


def static_files(target: str, sub: str) -> list[tuple[str, bytes]]:
    """Files shipped as they are (e.g. Helm's own templates), relative to ``templates/<target>/<sub>``."""
    root = templates_root() / target / sub
    return sorted((p.relative_to(root).as_posix(), p.read_bytes()) for p in root.rglob("*") if p.is_file())
