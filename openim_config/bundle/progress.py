"""A one-line progress bar for long copies, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]

MIN_SIZE = 64 << 20
"""Files smaller than this copy too fast to need a bar."""


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.done = 0
        self._drawn = 0.0

    @classmethod
    def start(cls, label: str, total: int, stream: TextIO | None = None) -> Progress | None:
        """A bar, or ``None`` when there is no terminal to draw it on or the copy is short."""
        stream = stream if stream is not None else sys.stderr
        if total < MIN_SIZE or not stream.isatty():
            return None
        return cls(label, total, stream)

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._drawn >= 0.2 or self.done >= self.total:
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        width = 30
        frac = min(1.0, self.done / self.total) if self.total else 1.0
        bar = "#" * int(frac * width)
        label = self.label if len(self.label) <= 48 else "..." + self.label[-45:]
        self.stream.write(f"\r{label} [{bar:<{width}}] {frac:4.0%} {_human(self.done)}/{_human(self.total)}")
        self.stream.flush()

    def close(self) -> None:
        self._draw()
        self.stream.write("\n")
        self.stream.flush()
