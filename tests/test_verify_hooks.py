"""The pull-request check as documented: the pre-commit hooks and the README's CI snippet run
`check` and `verify` on a repository that commits openim.yaml and deploy/."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from tests.test_cli import run

REPO = Path(__file__).resolve().parent.parent
# pre-commit's manifest schema (pre_commit/clientlib.py MANIFEST_HOOK_DICT).
MANIFEST_REQUIRED = {"id", "name", "entry", "language"}
MANIFEST_KEYS = MANIFEST_REQUIRED | {
    "alias", "files", "exclude", "types", "types_or", "exclude_types", "additional_dependencies", "args", "always_run",
    "fail_fast", "pass_filenames", "description", "language_version", "log_file", "minimum_pre_commit_version",
    "require_serial", "stages", "verbose",
}  # fmt: skip


def _hooks() -> list[dict[str, Any]]:
    hooks = yamlio.load_plain((REPO / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list)
    return hooks


def test_the_manifest_is_one_pre_commit_accepts() -> None:
    hooks = _hooks()
    assert [h["id"] for h in hooks] == ["openim-gen-check", "openim-gen-verify"]
    for hook in hooks:
        assert MANIFEST_REQUIRED <= set(hook) <= MANIFEST_KEYS, hook["id"]
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        re.compile(hook["files"])
        assert shlex.split(hook["entry"])[0] == "openim-gen"


def _hook_command(hook: dict[str, Any]) -> list[str]:
    """The command pre-commit runs: entry + args (openim-gen is `python -m openim_config`)."""
    return [*shlex.split(hook["entry"])[1:], *hook.get("args", [])]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A user's repository: openim.yaml and the deploy/ tree built from it, credentials deleted."""
    (tmp_path / "openim.yaml").write_text("services:\n  openim-push: {instances: 2}\nchat: {enabled: true}\n")
    assert run("build", "-f", "openim.yaml", "-o", "deploy", cwd=tmp_path).returncode == 0
    for secret in [*(tmp_path / "deploy").rglob("*.env"), tmp_path / "deploy/helm/secrets.values.yaml"]:
        secret.unlink()
    return tmp_path


def test_both_hooks_pass_on_a_clean_repository_and_fail_on_drift(repo: Path) -> None:
    check, verify = _hooks()
    for hook in (check, verify):
        proc = run(*_hook_command(hook), cwd=repo)
        assert proc.returncode == 0, f"{hook['id']}: {proc.stdout}{proc.stderr}"
        assert "\x1b[" not in proc.stdout + proc.stderr, "no colour in CI logs"
    gateway = repo / "deploy/compose/config/openim-push/openim-push.yml"
    gateway.write_text(gateway.read_text().replace("10171", "10199"))
    proc = run(*_hook_command(check), cwd=repo)
    assert proc.returncode == 1 and "changed rpc.ports[1]: 10199 -> 10171" in proc.stdout
    proc = run(*_hook_command(verify), cwd=repo)
    assert proc.returncode == 1
    assert "openim-push port.grpc: binary 10170,10171, compose 10170,10199, helm 10170" in proc.stdout


def test_the_readme_documents_the_hooks_and_the_ci_snippet(repo: Path) -> None:
    readme = (REPO / "README.md").read_text()
    for hook in _hooks():
        assert f"id: {hook['id']}" in readme
    snippet = readme.split("<!-- ci-snippet -->")[1]
    commands = [line.strip() for line in snippet.splitlines() if line.strip().startswith("openim-gen ")]
    assert commands == ["openim-gen check -f openim.yaml -o deploy", "openim-gen verify -q -o deploy"]
    for command in commands:
        proc = run(*shlex.split(command)[1:], cwd=repo)
        assert proc.returncode == 0, command + proc.stdout + proc.stderr
