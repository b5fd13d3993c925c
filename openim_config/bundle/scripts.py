"""The operator's side of a bundle: README and POSIX sh scripts, rendered from
``templates/bundle`` (text formats, so Jinja, as the house style says)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openim_config import templating

__all__ = ["SCRIPTS", "render_all"]

SCRIPTS = ("save-images.sh", "load-images.sh", "install.sh")


def _images_table(context: Mapping[str, Any]) -> str:
    """What the scripts read, one image a line: ``reference tagged pull archive``."""
    lines = [
        "# Images of this bundle, one a line (read by save-images.sh and load-images.sh):\n",
        "# <reference the deployment uses> <name saved, loaded and pushed under> <pulled from> <archive>\n",
    ]
    lines += [f"{i.reference} {i.tagged} {i.pull} {i.archive}\n" for i in sorted(context["images"], key=lambda i: i.archive)]
    return "".join(lines)


def render_all(context: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """``(path in the bundle, mode, text)`` for the README, the scripts and their image table."""
    out = [("README.md", 0o644, templating.render("bundle", "README.md.j2", **context))]
    out += [(f"scripts/{name}", 0o755, templating.render("bundle", f"{name}.j2", **context)) for name in SCRIPTS]
    out.append(("scripts/images.list", 0o644, _images_table(context)))
    return out
