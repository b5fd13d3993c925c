"""Package data lookup and the Jinja environment for text artifacts (units, scripts)."""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

# jinja2 itself is imported where a template is rendered or compiled: only the binary target
# and bundles render any (the chart's templates are Helm's), and importing it is a tenth of
# `build -t helm`.


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


COMPILED = Path(__file__).resolve().parent / "templates_compiled"
"""Text templates compiled to Python by Jinja once, beside a stamp of what they were compiled
from (``python -m openim_config.templating`` rewrites them; ``tests/test_templating.py``
fails while they are stale). Compiling them at every run was a twentieth of a build."""
STAMP = "stamp.json"
TEXT_TEMPLATES = ("binary", "bundle")
"""The folders of ``templates/`` that hold Jinja templates (``helm`` holds Helm's own)."""


def _environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """The one Jinja configuration, for the compiled templates and their sources alike."""
    import jinja2

    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["sh"] = shell_word
    return env


def source_stamp(target: str) -> dict[str, Any]:
    """What compiled templates must have been compiled from: this Jinja and these sources."""
    import jinja2

    root = templates_root() / target
    sources = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir()) if p.suffix == ".j2"}
    return {"jinja2": jinja2.__version__, "templates": sources}


def _compiled_loader(target: str) -> jinja2.BaseLoader | None:
    """The compiled templates of ``target`` when they were compiled from these very sources
    by this Jinja; else ``None`` (they are compiled at run time, as they would be anyway)."""
    import jinja2

    folder = COMPILED / target
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return jinja2.ModuleLoader(str(folder)) if stamp == source_stamp(target) else None


@cache
def _env(target: str) -> jinja2.Environment:
    import jinja2

    return _environment(_compiled_loader(target) or jinja2.FileSystemLoader(str(templates_root() / target)))


def compile_templates(target: str) -> None:
    """Rewrite ``COMPILED/<target>`` from ``templates/<target>``."""
    import jinja2

    folder = COMPILED / target
    shutil.rmtree(folder, ignore_errors=True)
    env = _environment(jinja2.FileSystemLoader(str(templates_root() / target)))
    env.compile_templates(str(folder), zip=None, ignore_errors=False)
    (folder / STAMP).write_text(json.dumps(source_stamp(target), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def render(folder: str, template: str, **context: Any) -> str:
    return _env(folder).get_template(template).render(**context)


def static_files(target: str, sub: str) -> list[tuple[str, bytes]]:
    """Files shipped as they are (e.g. Helm's own templates), relative to ``templates/<target>/<sub>``."""
    root = templates_root() / target / sub
    return sorted((p.relative_to(root).as_posix(), p.read_bytes()) for p in root.rglob("*") if p.is_file())


if __name__ == "__main__":
    for folder in TEXT_TEMPLATES:
        compile_templates(folder)
        print(f"wrote {COMPILED / folder}")
