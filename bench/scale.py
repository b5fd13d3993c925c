"""How cost grows with the deployment: process instances, binary hosts, environments built in
one run. Each size is a cold ``openim-gen build -t all`` into an empty directory."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from bench.measure import Command, empty_dir, median_ratio, run_rounds
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


def _build(name: str, work: Path, model: dict[str, object] | None, envs: int = 0) -> Command:
    folder = work / name.replace(" ", "-").replace(",", "")
    folder.mkdir(parents=True)
    args = ["build", "-o", str(folder / "out")]
    if model is not None:
        (folder / "openim.yaml").write_text(yamlio.dump(model))
        args += ["-f", str(folder / "openim.yaml")]
    for i in range(envs):
        env = folder / "envs" / f"e{i:03d}.yaml"
        env.parent.mkdir(exist_ok=True)
        env.write_text(f"publicHost: e{i}.example.com\n")
        args += ["-e", str(env)]

    def empty(_: int) -> None:
        empty_dir(folder / "out")

    return Command(name, [GEN, *args], folder, {}, empty)


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


def scale_tables(work: Path, measured: Sequence[Command], rounds: int) -> tuple[str, bool]:
    from bench.report import budget_row, table

    instances = [_build(f"{n} instances", work, synthetic(n)) for n in INSTANCES]
    hosts = [_build(f"{h} hosts", work, synthetic(100, h)) for h in HOSTS]
    envs = [_build(f"{e} environments", work, None, e) for e in ENVIRONMENTS]
    big = _build("1000 instances on 100 hosts", work, synthetic(*BIG))
    default = next(c for c in measured if c.name == "default: build -t all")
    reference = _build("default", work, None)
    run_rounds([*instances, *hosts, *envs, big, reference], rounds, lambda s: print(f"scale: {s}", file=sys.stderr))
    out = ["## Scale (cold `build -t all`, medians)", ""]
    ok = True
    for title, cmds, sizes in (
        ("process instances (spread over every service)", instances, INSTANCES),
        ("binary hosts (100 instances)", hosts, HOSTS),
        ("environments in one run (`build -e`)", envs, ENVIRONMENTS),
    ):
        rows, linear = _rows(cmds, sizes)
        ok &= linear
        out += [f"### {title}", "", table(rows, ("size", "wall ms", "peak MiB", "growth from the size before")), ""]
    big_ratio = median_ratio(big, reference)
    env_ratio = median_ratio(envs[-1], envs[0])
    budget_rows = [
        budget_row("1000 instances on 100 hosts / default build", big_ratio, BIG_BUDGET),
        budget_row("100 environments / 1 environment", env_ratio, ENV_BUDGET),
    ]
    ok &= big_ratio <= BIG_BUDGET and env_ratio <= ENV_BUDGET
    out += ["### Scale budgets", "", table(budget_rows, ("ratio", "measured", "budget", "")), ""]
    out.append(
        f"(default build in the scale rounds: {reference.median('wall') * 1000:.0f} ms; in the command rounds: "
        f"{default.median('wall') * 1000:.0f} ms)"
    )
    return "\n".join(out), ok
