"""Many environments in one run: `build -e envs/*.yaml` writes each environment (the model
plus its overlay) into its own directory, exactly what building it alone writes; every
environment is checked before any is written; `check -e` covers them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import run


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text("publicHost: im.example.com\n")
    envs = tmp_path / "envs"
    envs.mkdir()
    (envs / "staging.yaml").write_text("services:\n  openim-push: {instances: 2}\n")
    (envs / "prod.yaml").write_text("publicHost: im.prod.example.com\nservices:\n  openim-api: {ports: {http: [10012]}}\n")
    return tmp_path


def test_each_environment_is_what_building_it_alone_writes(site: Path) -> None:
    proc = run("build", "-f", "base.yaml", "-e", "envs/staging.yaml", "-e", "envs/prod.yaml", "-t", "compose", "-o", "deploy", cwd=site)
    assert proc.returncode == 0, proc.stderr
    assert "wrote deploy/staging/compose" in proc.stdout and "wrote deploy/prod/compose" in proc.stdout
    for env in ("staging", "prod"):
        alone = run("build", "-f", "base.yaml", "-f", f"envs/{env}.yaml", "-t", "compose", "-o", f"alone-{env}", cwd=site)
        assert alone.returncode == 0, alone.stderr
        assert _tree(site / "deploy" / env) == _tree(site / f"alone-{env}")
    assert "10012:10012" in (site / "deploy/prod/compose/compose.yaml").read_text()
    assert "10012:10012" not in (site / "deploy/staging/compose/compose.yaml").read_text()


def test_check_covers_every_environment_and_names_the_one_that_drifted(site: Path) -> None:
    args = ("-f", "base.yaml", "-e", "envs/staging.yaml", "-e", "envs/prod.yaml", "-t", "compose", "-o", "deploy")
    assert run("build", *args, cwd=site).returncode == 0
    clean = run("check", *args, cwd=site)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "deploy/staging: up to date" in clean.stdout and "deploy/prod: up to date" in clean.stdout
    (site / "envs/prod.yaml").write_text("publicHost: im.prod.example.com\n")
    drift = run("check", *args, cwd=site)
    assert drift.returncode == 1
    assert "deploy/staging: up to date" in drift.stdout
    assert "deploy/prod: 2 file(s) differ from the model" in drift.stderr  # compose.yaml and openim-api.yml
    assert "changed: prod/compose/compose.yaml" in drift.stdout


def test_a_hand_edit_in_one_environment_stops_them_all(site: Path) -> None:
    args = ("-f", "base.yaml", "-e", "envs/staging.yaml", "-e", "envs/prod.yaml", "-t", "compose", "-o", "deploy")
    assert run("build", *args, cwd=site).returncode == 0
    edited = site / "deploy/prod/compose/compose.yaml"
    edited.write_text(edited.read_text() + "# mine\n")
    (site / "base.yaml").write_text("publicHost: im2.example.com\n")
    before = _tree(site / "deploy")
    proc = run("build", *args, cwd=site)
    assert proc.returncode == 2
    assert "deploy/prod/compose/compose.yaml: edited since openim-gen wrote it" in proc.stderr
    assert _tree(site / "deploy") == before, "staging was not written either"


def test_a_bad_environment_is_located_and_nothing_is_written(site: Path) -> None:
    (site / "envs/broken.yaml").write_text("services:\n  openim-push: {instances: many}\n")
    proc = run("build", "-f", "base.yaml", "-e", "envs/staging.yaml", "-e", "envs/broken.yaml", "-o", "deploy", cwd=site)
    assert proc.returncode == 2
    assert "envs/broken.yaml:2:" in proc.stderr and "services.openim-push.instances" in proc.stderr
    assert not (site / "deploy").exists()


def test_two_environments_with_one_name_are_refused(site: Path) -> None:
    (site / "other").mkdir()
    (site / "other/prod.yaml").write_text("{}\n")
    proc = run("build", "-e", "envs/prod.yaml", "-e", "other/prod.yaml", "-o", "deploy", cwd=site)
    assert proc.returncode == 2
    assert "error: other/prod.yaml: has the same name as another environment (prod)" in proc.stderr
