"""The CLI as a user runs it: exit codes, output, atomic builds, drift detection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from openim_config.cli import main

REPO = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, unset: str = "") -> subprocess.CompletedProcess[str]:
    """openim-gen in a subprocess, as a user's shell runs it (``unset``: a variable to remove)."""
    environ = {k: v for k, v in os.environ.items() if k != unset}
    return subprocess.run(
        [sys.executable, "-m", "openim_config", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        timeout=120,
    )


def test_build_with_no_input_writes_every_target(tmp_path: Path) -> None:
    proc = run("build", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for target in ("binary", "compose", "helm"):
        assert (tmp_path / "deploy" / target).is_dir()
    assert (tmp_path / "deploy/compose/compose.yaml").is_file()
    assert (tmp_path / "deploy/binary/local/etc/systemd/system/openim.target").is_file()
    assert (tmp_path / "deploy/helm/Chart.yaml").is_file()


def test_check_is_clean_then_names_an_edited_file(tmp_path: Path) -> None:
    assert run("build", "-o", "out", cwd=tmp_path).returncode == 0
    clean = run("check", "-o", "out", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    edited = tmp_path / "out/compose/config/openim-rpc-user/redis.yml"
    edited.write_text(edited.read_text().replace("redis:6379", "redis:6380"))
    drift = run("check", "-o", "out", cwd=tmp_path)
    assert drift.returncode == 1
    assert "changed: compose/config/openim-rpc-user/redis.yml" in drift.stdout
    assert "-  - redis:6380" in drift.stdout and "+  - redis:6379" in drift.stdout


def test_check_reports_missing_and_extra_files(tmp_path: Path) -> None:
    """Extra: a file openim-gen wrote that the model no longer generates. A file it never
    wrote (data, an override) is not its business."""
    assert run("build", "-t", "compose", "--set", "chat.enabled=true", "-o", "out", cwd=tmp_path).returncode == 0
    (tmp_path / "out/compose/compose.yaml").unlink()
    (tmp_path / "out/compose/stray.txt").write_text("x")
    drift = run("check", "-t", "compose", "-o", "out", cwd=tmp_path)
    assert drift.returncode == 1
    assert "missing: compose/compose.yaml" in drift.stdout
    assert "extra: compose/config/chat-api/share.yml" in drift.stdout
    assert "stray.txt" not in drift.stdout


def test_check_needs_no_secret_values_and_prints_none(tmp_path: Path) -> None:
    model = tmp_path / "openim.yaml"
    model.write_text("infra:\n  redis:\n    password: {env: REDIS_PW}\n")
    assert run("build", "-f", str(model), "-o", "out", cwd=tmp_path, env={"REDIS_PW": "s3cr3t-value"}).returncode == 0
    proc = run("check", "-f", str(model), "-o", "out", cwd=tmp_path, unset="REDIS_PW")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "s3cr3t-value" not in proc.stdout + proc.stderr


def test_bad_input_exits_2_with_located_errors_and_writes_nothing(tmp_path: Path) -> None:
    model = tmp_path / "openim.yaml"
    model.write_text("infra:\n  mongodb:\n    mode: external\nlog:\n  level: 0\n")
    # (the missing external address is a domain check, reported once the types are right)
    proc = run("build", "-f", str(model), "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert f"error: {model}:5:3: log.level: Input should be 1, 2, 3, 4, 5 or 6" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_failed_build_leaves_previous_output_untouched(tmp_path: Path) -> None:
    assert run("build", "-o", "out", cwd=tmp_path).returncode == 0
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    model = tmp_path / "openim.yaml"
    model.write_text("secret: {env: UNSET_SECRET_FOR_TEST}\n")  # valid model, secret missing at write time
    proc = run("build", "-f", str(model), "-o", "out", cwd=tmp_path, unset="UNSET_SECRET_FOR_TEST")
    assert proc.returncode == 2
    assert "environment UNSET_SECRET_FOR_TEST: secret: secret variable is not set" in proc.stderr
    after = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == [".openim-gen.lock"]
    assert not [p for p in (tmp_path / "out").rglob("*") if "openim-gen-tmp" in p.name or "pending" in p.name]


def test_rebuild_replaces_removed_files(tmp_path: Path) -> None:
    assert run("build", "--set", "chat.enabled=true", "-o", "out", cwd=tmp_path).returncode == 0
    assert (tmp_path / "out/compose/config/chat-api").is_dir()
    assert run("build", "-o", "out", cwd=tmp_path).returncode == 0
    assert not (tmp_path / "out/compose/config/chat-api").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    proc = run("build", "--target", "nope", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Invalid value for '-t' / '--target'" in proc.stderr


@pytest.mark.parametrize("command", ["build", "check", "validate", "schema"])
def test_help_everywhere(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert "Usage: openim-gen " + command in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("openim-gen, version ")


def test_validate_summarises(tmp_path: Path) -> None:
    proc = run("validate", "--set", "chat.enabled=true", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "ok: 16 services, 30 processes, release line 3.8"


def test_secret_files_are_private(tmp_path: Path) -> None:
    assert run("build", "-o", "out", cwd=tmp_path).returncode == 0
    secrets = list((tmp_path / "out").rglob("*.env")) + list((tmp_path / "out").rglob("secrets.values.yaml"))
    assert secrets
    for path in secrets:
        assert path.stat().st_mode & 0o077 == 0, path


def test_build_warns_about_settings_that_only_work_locally(tmp_path: Path) -> None:
    proc = run("build", "-t", "compose", "--set", "targets.helm.namespace=openim", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0
    assert "warning: publicHost is 127.0.0.1: MinIO links" in proc.stderr
    assert "namespace" not in proc.stderr  # any namespace works: discovery is etcd's in Kubernetes too
    assert "warning: credentials still at upstream's published defaults: secret, infra.mongodb.password," in proc.stderr
    assert "openIM123" not in proc.stderr  # named, never shown
    quiet = run(
        "build", "-t", "compose", "--set", "publicHost=im.example.com", "--set", "secret.env=S", "-o", "out", cwd=tmp_path, env={"S": "x"}
    )
    assert "warning: publicHost" not in quiet.stderr and "secret," not in quiet.stderr


def test_without_f_the_working_directory_model_is_used_and_said(tmp_path: Path) -> None:
    (tmp_path / "openim.yaml").write_text("publicHost: im.example.com\n")
    proc = run("build", "-t", "compose", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0 and "using ./openim.yaml (no -f given)" in proc.stderr
    assert "im.example.com" in (tmp_path / "out/compose/config/openim-rpc-third/minio.yml").read_text()
