"""One error hierarchy: what the user got wrong (exit 2) versus what we got wrong (exit 3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Location", "OpenIMGenError", "Problem", "UserError"]

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """``("services", "openim-api", "ports", "http", 0)`` -> ``services.openim-api.ports.http[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "<root>"


@dataclass(frozen=True)
class Location:
    """Where a value came from: a file position, a ``--set`` flag, an environment variable."""

    source: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.source
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    location: Location
    path: Path
    message: str

    def __str__(self) -> str:
        if not self.path:
            return f"{self.location}: {self.message}"  # not about one key (syntax, a usage or I/O problem)
        return f"{self.location}: {dotted(self.path)}: {self.message}"


class OpenIMGenError(Exception):
    """Base of every error openim-gen raises on purpose."""

    exit_code = 3


class UserError(OpenIMGenError):
    """Bad input: every problem of one run, reported together."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(Location("openim-gen"), (), problems)]
        self.problems: Sequence[Problem] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
