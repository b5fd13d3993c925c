"""Cold processes measured as a user's shell runs them: wall time, CPU time and peak memory
of one child process (``os.wait4``'s resource usage: nothing of the parent's), in rounds that
interleave every command so that the machine's noise falls on all of them alike."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ROUND", "Command", "Sample", "median_ratio", "run_rounds"]

ROUND = "{round}"
"""In a command's argv, the round's number: ``-o OUT/{round}`` builds into a new, empty
directory every round. (Emptying one directory between rounds charged the measured build with
the filesystem's freeing of the tree just deleted: on this disk a quarter of the
interpreter-and-imports anchor, for work no user's build does. Every output is removed with
the benchmark's temporary directory at the end.)"""


@dataclass(frozen=True)
class Sample:
    wall: float
    """Seconds from start to exit."""
    cpu: float
    """User plus system seconds of the process."""
    rss_mib: float
    """Peak resident memory (MiB)."""


@dataclass
class Command:
    name: str
    argv: Sequence[str]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    prepare: Callable[[int], None] | None = None
    """Called before each round's run with the round number (e.g. an empty output directory)."""
    samples: list[Sample] = field(default_factory=list)

    def median(self, what: str) -> float:
        return float(statistics.median(getattr(s, what) for s in self.samples))


# A small process (no site, nothing imported) starts each command and reads its resource
# usage: a child forked from this big one would count this process's memory as its own peak.
SPAWN = """
import json, os, sys, time
argv = json.loads(sys.argv[1])
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the command's output is not ours to read
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(json.dumps([os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss]))
"""


def measure(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Sample:
    proc = subprocess.run(
        [sys.executable, "-S", "-c", SPAWN, json.dumps(list(argv))],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(argv)}: {proc.stderr[-2000:]}")
    code, wall, cpu, rss_kib = json.loads(lines[-1])
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {proc.stderr[-2000:]}")
    return Sample(wall, cpu, rss_kib / 1024)


def run_rounds(commands: Sequence[Command], rounds: int, progress: Callable[[str], None] = lambda _: None) -> None:
    """Each round runs every command once, in order; a first, unrecorded round warms the caches."""
    for n in range(rounds + 1):
        for command in commands:
            if command.prepare is not None:
                command.prepare(n)
            sample = measure([a.replace(ROUND, str(n)) for a in command.argv], command.cwd, command.env)
            if n > 0:
                command.samples.append(sample)
        progress(f"round {n}/{rounds}" if n else "warm-up round")


def median_ratio(a: Command, b: Command, what: str = "wall") -> float:
    """The median over rounds of a/b taken in the same round (pair by pair, as the noise moves)."""
    return float(statistics.median(getattr(x, what) / getattr(y, what) for x, y in zip(a.samples, b.samples, strict=True)))
