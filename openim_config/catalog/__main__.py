"""``python -m openim_config.catalog``: compile every line's YAML sources into its ``catalog.json``."""

from __future__ import annotations

from pathlib import Path

from openim_config.catalog import COMPILED, LINES, compile_catalog


def main() -> None:
    for line in LINES:
        path = Path(__file__).resolve().parent / "lines" / line / COMPILED
        path.write_text(compile_catalog(line), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
