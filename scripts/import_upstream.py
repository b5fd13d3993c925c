"""Import upstream OpenIM default config documents into the catalog, as data.

Usage: python scripts/import_upstream.py LINE SERVER_CONFIG_DIR CHAT_CONFIG_DIR

Reads every service config file of one release line (e.g. ../shared/reference/
openim-server-v3.8.3-patch.16/config) and writes it, comments stripped, to
openim_config/catalog/lines/<LINE>/{server,chat}/. Those documents are the base that
openim_config.appconfig fills from the model: upstream decides the key set and the value
types, the model decides the values. Adding a release line is running this once and
writing its line.yaml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openim_config import yamlio

MONITORING = {"prometheus.yml", "alertmanager.yml", "instance-down-rules.yml"}


def import_dir(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.yml")):
        if path.name in MONITORING:
            continue
        data = yamlio.load_plain(path.read_text(encoding="utf-8"))
        (dst / path.name).write_text(yamlio.dump(data), encoding="utf-8")


def main(argv: list[str]) -> int:
    line, server, chat = argv
    root = Path(__file__).resolve().parent.parent / "openim_config" / "catalog" / "lines" / line
    import_dir(Path(server), root / "server")
    import_dir(Path(chat), root / "chat")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
