"""The bundle's scripts run as an operator runs them, with stand-ins for docker and helm that
record their arguments and exit as told: the right commands, credentials checked, and every
failure reported with its exit code."""

from __future__ import annotations

import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from openim_config.bundle import BundleOptions, assemble, write_bundle
from openim_config.model import OpenIM
from openim_config.plan import build_plan
from tests.scenarios import plan_case

MIRROR = "mirror.local:5000/openim"

# Records its arguments; `save -o FILE` writes FILE; exits with $STUB_EXIT, or 9 when the
# arguments contain $STUB_FAIL_ON.
STUB = """#!/bin/sh
printf '%s\\n' "$(basename "$0") $*" >>"$STUB_LOG"
if [ -n "${STUB_FAIL_ON:-}" ]; then
  case "$*" in *"$STUB_FAIL_ON"*) exit 9 ;; esac
fi
if [ "$1" = save ] && [ "$2" = -o ]; then printf 'image archive' >"$3"; fi
exit "${STUB_EXIT:-0}"
"""


def extracted(tmp: Path, **options: object) -> Path:
    archive = tmp / "bundle.tar.gz"
    write_bundle(assemble(plan_case("default"), BundleOptions(**options)), archive)  # type: ignore[arg-type]
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(tmp / "x", filter="tar")
    return next((tmp / "x").iterdir())


def run(root: Path, tmp: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    stubs = tmp / "stubs"
    stubs.mkdir(exist_ok=True)
    for tool in ("docker", "helm", "ctr"):
        (stubs / tool).write_text(STUB)
        (stubs / tool).chmod(0o755)
    log = tmp / "calls.log"
    log.write_text("")
    environ = {"PATH": f"{stubs}:/usr/bin:/bin", "HOME": str(tmp), "STUB_LOG": str(log), "OPENIM_IMAGE_TOOL": "docker", **env}
    proc = subprocess.run(["sh", *args], cwd=root, capture_output=True, text=True, env=environ, timeout=60)
    return proc, log.read_text().splitlines()


@pytest.fixture
def compose_with_secrets(tmp_path: Path) -> Path:
    return extracted(tmp_path, targets=("compose",), include_secrets=True, registry=MIRROR)


def test_compose_install_runs_compose_offline_and_extracts_credentials(compose_with_secrets: Path, tmp_path: Path) -> None:
    root = compose_with_secrets
    proc, calls = run(root, tmp_path, "scripts/install.sh", "compose")
    assert proc.returncode == 0, proc.stderr
    assert calls == [f"docker compose -f {root}/deploy/compose/compose.yaml up -d --pull never"]
    env = root / "deploy/compose/secrets/mongodb.env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600 and b"MONGO_OPENIM_PASSWORD=" in env.read_bytes()
    assert "compose: installed" in proc.stdout


def test_compose_install_starts_the_monitoring_profile_when_enabled(tmp_path: Path) -> None:
    plan = build_plan(OpenIM.model_validate({"monitoring": {"enabled": True}}))
    archive = tmp_path / "m.tar.gz"
    write_bundle(assemble(plan, BundleOptions(targets=("compose",), include_secrets=True)), archive)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(tmp_path / "m", filter="tar")
    root = next((tmp_path / "m").iterdir())
    proc, calls = run(root, tmp_path, "scripts/install.sh", "compose")
    assert proc.returncode == 0, proc.stderr
    assert calls == [f"docker compose -f {root}/deploy/compose/compose.yaml --profile monitoring up -d --pull never"]


def test_a_failing_step_is_reported_with_its_exit_code(compose_with_secrets: Path, tmp_path: Path) -> None:
    proc, _ = run(compose_with_secrets, tmp_path, "scripts/install.sh", "compose", STUB_EXIT="7")
    assert proc.returncode == 7
    assert "FAILED (exit code 7): docker compose -f" in proc.stderr


def test_install_stops_without_credentials(tmp_path: Path) -> None:
    root = extracted(tmp_path, targets=("compose",))
    proc, calls = run(root, tmp_path, "scripts/install.sh", "compose")
    assert proc.returncode == 1 and calls == []
    assert "credential files missing" in proc.stderr and "deploy/compose/secrets/mongodb.env" in proc.stderr


def test_install_refuses_a_damaged_bundle(compose_with_secrets: Path, tmp_path: Path) -> None:
    compose = compose_with_secrets / "deploy/compose/compose.yaml"
    compose.write_text(compose.read_text().replace("unless-stopped", "always"))
    proc, calls = run(compose_with_secrets, tmp_path, "scripts/install.sh", "compose")
    assert proc.returncode == 1 and calls == []
    assert "damaged" in proc.stderr


def test_helm_install_uses_the_packaged_chart_and_the_credentials(tmp_path: Path) -> None:
    root = extracted(tmp_path, targets=("helm",), include_secrets=True)
    proc, calls = run(root, tmp_path, "scripts/install.sh", "helm", "--wait")
    assert proc.returncode == 0, proc.stderr
    chart = next((root / "deploy/helm").glob("*.tgz"))
    assert calls == [f"helm upgrade --install openim {chart} -n openim --create-namespace -f {root}/deploy/helm/secrets.values.yaml --wait"]
    proc, calls = run(root, tmp_path, "scripts/install.sh", "helm", OPENIM_HELM_EXISTING_SECRET="mine", STUB_EXIT="3")
    assert proc.returncode == 3 and "FAILED (exit code 3): helm upgrade" in proc.stderr
    assert calls == [f"helm upgrade --install openim {chart} -n openim --create-namespace --set-string existingSecret=mine"]


def test_unknown_target_or_host_is_refused(compose_with_secrets: Path, tmp_path: Path) -> None:
    proc, _ = run(compose_with_secrets, tmp_path, "scripts/install.sh", "helm")
    assert proc.returncode == 1 and "this bundle has: compose" in proc.stderr
    root = extracted(tmp_path / "b", targets=("binary",))
    proc, _ = run(root, tmp_path, "scripts/install.sh", "binary", "nowhere")
    assert proc.returncode == 1 and "no host 'nowhere'" in proc.stderr


def test_images_round_trip_save_load_push(compose_with_secrets: Path, tmp_path: Path) -> None:
    root = compose_with_secrets
    table = [ln.split() for ln in (root / "scripts/images.list").read_text().splitlines() if not ln.startswith("#")]
    assert table and all(ref.startswith(MIRROR) for ref, *_ in table)
    proc, calls = run(root, tmp_path, "scripts/save-images.sh")
    assert proc.returncode == 0, proc.stderr
    for _, tagged, pull, archive in table:
        assert f"docker pull --platform linux/amd64 {pull}" in calls and f"docker tag {pull} {tagged}" in calls
        assert f"docker save -o {root}/{archive}.part {tagged}" in calls
        assert (root / archive).is_file()
    assert (root / "images/SHA256SUMS").is_file()

    proc, calls = run(root, tmp_path, "scripts/load-images.sh", "docker")
    assert proc.returncode == 0, proc.stderr
    assert calls == [f"docker load -i {root}/{archive}" for *_, archive in table]
    proc, calls = run(root, tmp_path, "scripts/load-images.sh", "containerd")
    assert calls == [f"ctr -n k8s.io images import {root}/{archive}" for *_, archive in table]
    proc, calls = run(root, tmp_path, "scripts/load-images.sh", "push")
    assert proc.returncode == 0, proc.stderr
    assert [c for c in calls if c.startswith("docker push")] == [f"docker push {tagged}" for _, tagged, *_ in table]

    failing = table[0][0]
    proc, _ = run(root, tmp_path, "scripts/load-images.sh", "docker", STUB_FAIL_ON=table[0][3])
    assert proc.returncode == 1
    assert f"docker {failing} failed with exit code 9" in proc.stderr and f"failed: {failing}" in proc.stderr


def test_push_needs_a_bundle_made_for_a_registry(tmp_path: Path) -> None:
    root = extracted(tmp_path, targets=("compose",))
    (root / "images").mkdir()
    proc, calls = run(root, tmp_path, "scripts/load-images.sh", "push")
    assert proc.returncode == 1 and calls == []
    assert "without --registry" in proc.stderr


def test_save_reports_images_it_could_not_pull(compose_with_secrets: Path, tmp_path: Path) -> None:
    proc, _ = run(compose_with_secrets, tmp_path, "scripts/save-images.sh", STUB_FAIL_ON="pull")
    assert proc.returncode == 1 and "failed with exit code 9" in proc.stderr and "not saved:" in proc.stderr
    assert not list((compose_with_secrets / "images").glob("*.part"))
