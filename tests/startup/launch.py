"""Start one reconstructed process as far as its configuration goes.

Its filesystem is laid out under a scratch root (the files at their paths, its directories,
and a stand-in executable where the image or unit has the program). The runtime's exec is
then played for real: a ``sh -c SCRIPT`` entrypoint runs in the real ``/bin/sh`` with the
process's environment and working directory, so what the shell does with the arguments is
what the stand-in receives; any other argv[0] must be the program's own path. The program's
arguments and environment then go to the harness, which loads what upstream's command loads.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.startup.harness import Harness, Loaded
from tests.startup.processes import Process

SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash")
STUB = """#!/bin/sh
# Stands in for the OpenIM binary: records the arguments it was started with.
for a in "$@"; do printf '%s\\0' "$a"; done > "$OPENIM_STARTUP_ARGV"
"""


@dataclass(frozen=True)
class Started:
    process: Process
    args: tuple[str, ...] | None
    """The arguments the program received (``None``: it was never executed)."""
    error: str
    """Why it could not start ('' when its configuration loaded)."""
    loaded: Loaded | None


def _inside(root: Path, path: str, cwd: str) -> Path:
    return root / (path if path.startswith("/") else f"{cwd.rstrip('/')}/{path}").lstrip("/")


def layout(process: Process, root: Path) -> None:
    for path, data in process.files.items():
        dest = _inside(root, path, "/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    for directory in {*process.dirs, process.cwd}:
        _inside(root, directory, "/").mkdir(parents=True, exist_ok=True)
    for exe in process.executables:
        dest = _inside(root, exe, "/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(STUB)
        dest.chmod(0o755)


def program_args(process: Process, root: Path) -> tuple[tuple[str, ...] | None, str]:
    """What the program receives when the runtime executes ``process.argv``."""
    argv = process.argv
    if not argv:
        return None, "nothing to execute (no entrypoint, no command)"
    if argv[0] in SHELLS:
        record = root / ".argv"
        env = {**process.env, "OPENIM_STARTUP_ARGV": str(record), "PATH": "/usr/bin:/bin"}
        proc = subprocess.run(
            ["/bin/sh", *argv[1:]], cwd=_inside(root, process.cwd, "/"), env=env, capture_output=True, text=True, check=False, timeout=30
        )
        if not record.exists():
            return None, f"the program never ran: {' '.join(argv)!r} exited {proc.returncode}: {proc.stderr.strip()}"
        return tuple(a for a in record.read_bytes().decode().split("\0")[:-1]), ""
    exe = _inside(root, argv[0], process.cwd)
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        return None, f"exec {argv[0]!r} (working directory {process.cwd}): no such program in the process's filesystem"
    return tuple(argv[1:]), ""


def start(harness: Harness, process: Process, files: tuple[str, ...], product: str) -> Started:
    """``files``: what the binary's upstream command loads."""
    with tempfile.TemporaryDirectory(prefix="openim-startup-") as tmp:
        root = Path(tmp)
        layout(process, root)
        args, error = program_args(process, root)
        if args is None:
            return Started(process, None, error, None)
        loaded = harness.load(product, files, root, process.cwd, args, process.env)
        return Started(process, args, loaded.error, loaded)
