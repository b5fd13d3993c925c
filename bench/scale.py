"""How cost grows with the deployment: process instances, binary hosts, environments built in
one run. Each size is a cold ``openim-gen build -t all`` into an empty directory."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.measure import ROUND, Command, median_ratio, run_rounds
from openim_config import yamlio
from tests.scenarios import synthetic

GEN = str(Path(sys.executable).with_name("openim-gen"))
INSTANCES = (1, 10, 100, 1000)
HOSTS = (1, 10, 100)
ENVIRONMENTS = (1, 10, 100)
BIG = (1000, 100)
"""1,000 instances on 100 hosts: at most BIG_BUDGET times the default model's build."""
BIG_BUDGET = 3.0
ENV_BUDGET = 20.0
"""100 environments in one run: at most this many times one."""
SLACK = 1.25
"""A step of k times the size may cost at most k times (with this slack for noise)."""


def _build(name: str, work: Path, model: dict[str, object] | None, envs: int = 0, out_root: Path | None = None) -> Command:
    """``openim-gen build`` of ``model`` (the built-in default when None) with ``envs``
    environments, its inputs under ``work``, its output under ``out_root`` (default ``work``)."""
    folder = work / name.replace(" ", "-").replace(",", "")
    folder.mkdir(parents=True, exist_ok=True)
    out = (out_root or work) / folder.name / "out" / ROUND  # a new, empty directory every round
    args = ["build", "-o", str(out)]
    if model is not None:
        (folder / "openim.yaml").write_text(yamlio.dump(model))
        args += ["-f", str(folder / "openim.yaml")]
    for i in range(envs):
        env = folder / "envs" / f"e{i:03d}.yaml"
        env.parent.mkdir(exist_ok=True)
        env.write_text(f"publicHost: e{i}.example.com\n")
        args += ["-e", str(env)]

    return Command(name, [GEN, *args], folder, {})


WRITE = (
    "import os, sys\n"
    "data = b'x' * 2800\n"
    "for d in range(300):\n"
    "    os.makedirs(f'{sys.argv[1]}/{d}')\n"
    "    for f in range(70):\n"
    "        fd = os.open(f'{sys.argv[1]}/{d}/{f}', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)\n"
    "        os.write(fd, data)\n"
    "        os.close(fd)\n"
)
"""The filesystem's own share: what 100 environments write (about 21,000 files of 2.8 KiB on
average in 300 target directories), written by the plainest loop."""


def _write_files(work: Path, out_root: Path) -> Command:
    out = out_root / "write-files" / ROUND
    return Command("write 21,000 files", [sys.executable, "-S", "-c", WRITE, str(out)], work, {})


def _rows(commands: Sequence[Command], sizes: Sequence[int]) -> tuple[list[tuple[str, ...]], bool]:
    rows: list[tuple[str, ...]] = []
    linear = True
    for i, (command, size) in enumerate(zip(commands, sizes, strict=True)):
        growth = ""
        if i:
            ratio = median_ratio(command, commands[i - 1])
            step = size / sizes[i - 1]
            ok = ratio <= step * SLACK
            linear &= ok
            growth = f"x{ratio:.2f} for x{step:g} ({'ok' if ok else 'OVER'})"
        rows.append((str(size), f"{command.median('wall') * 1000:.0f}", f"{command.median('rss_mib'):.0f}", growth))
    return rows, linear


def _places(work: Path) -> list[tuple[str, Path]]:
    """Where outputs are written: the work directory's disk, and a RAM disk when there is one,
    which takes the filesystem's cost of creating files out of openim-gen's."""
    places = [("disk", work / "out")]
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        places.append(("tmpfs", Path(tempfile.mkdtemp(prefix="openim-gen-bench-", dir=shm))))
    return places


def scale_tables(work: Path, measured: Sequence[Command], rounds: int) -> tuple[str, bool]:
    from bench.report import budget_row, table

    default = next((c for c in measured if c.name == "default: build -t all"), None)
    out = ["## Scale (cold `build -t all` into an empty directory, medians)", ""]
    verdicts: dict[str, bool] = {}
    for place, root in _places(work):
        try:
            instances = [_build(f"{n} instances", work, synthetic(n), out_root=root) for n in INSTANCES]
            hosts = [_build(f"{h} hosts", work, synthetic(100, h), out_root=root) for h in HOSTS]
            envs = [_build(f"{e} environments", work, None, e, out_root=root) for e in ENVIRONMENTS]
            big = _build("1000 instances on 100 hosts", work, synthetic(*BIG), out_root=root)
            reference = _build("default", work, None, out_root=root)
            create = _write_files(work, root)

            def say(line: str, place: str = place) -> None:
                print(f"scale ({place}): {line}", file=sys.stderr)

            run_rounds([*instances, *hosts, *envs, big, reference, create], rounds, say)
        finally:
            if place == "tmpfs":
                shutil.rmtree(root, ignore_errors=True)
        out += [f"### Written to {place}", ""]
        ok = True
        for title, cmds, sizes in (
            ("process instances (spread over every service)", instances, INSTANCES),
            ("binary hosts (100 instances)", hosts, HOSTS),
            ("environments in one run (`build -e`)", envs, ENVIRONMENTS),
        ):
            rows, linear = _rows(cmds, sizes)
            ok &= linear
            out += [f"{title}:", "", table(rows, ("size", "wall ms", "peak MiB", "growth from the size before")), ""]
        big_ratio = median_ratio(big, reference)
        env_ratio = median_ratio(envs[-1], envs[0])
        ok &= big_ratio <= BIG_BUDGET and env_ratio <= ENV_BUDGET
        verdicts[place] = ok
        budget_rows = [
            budget_row("1000 instances on 100 hosts / default build", big_ratio, BIG_BUDGET),
            budget_row("100 environments / 1 environment", env_ratio, ENV_BUDGET),
        ]
        out += [f"budgets ({place}):", "", table(budget_rows, ("ratio", "measured", "budget", "")), ""]
        out.append(
            f"(on {place}: writing what 100 environments write, 21,000 files of 2.8 KiB, takes "
            f"{create.median('wall') * 1000:.0f} ms with a plain loop; the default build "
            f"{reference.median('wall') * 1000:.0f} ms here"
            + (f", {default.median('wall') * 1000:.0f} ms in the command rounds)" if default else ")")
        )
        out.append("")
    # openim-gen's own cost is judged where the filesystem does not dominate it (see README)
    judged = "tmpfs" if "tmpfs" in verdicts else "disk"
    out.append(f"Scale budgets judged on {judged}.")
    return "\n".join(out), verdicts[judged]
