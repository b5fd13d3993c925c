"""`openim-gen diff OLD NEW`: what a change of the model changes in each target, as data,
without writing anything."""

from __future__ import annotations

from pathlib import Path

from tests.scenarios import model_file
from tests.test_cli import run


def _models(tmp_path: Path, old: str, new: str) -> tuple[Path, Path]:
    a, b = tmp_path / "old.yaml", tmp_path / "new.yaml"
    a.write_text(old)
    b.write_text(new)
    return a, b


def test_a_scaled_service_shows_per_target(tmp_path: Path) -> None:
    old, new = _models(tmp_path, "services:\n  openim-push: {instances: 2}\n", "services:\n  openim-push: {instances: 3}\n")
    proc = run("diff", str(old), str(new), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    binary, rest = out.split("compose: ", 1)
    compose, helm = rest.split("helm: ", 1)
    assert "      added services.openim-push-2: " in compose
    assert "      added rpc.ports[2]: 10172" in compose
    assert "      changed openimPush.replicas: 2 -> 3" in helm
    assert "openim.target\n" in binary and "+Wants=" in binary, "a text file shows its unified diff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.yaml", "old.yaml"], "diff writes nothing"


def test_one_target_and_exit_code(tmp_path: Path) -> None:
    old, new = _models(tmp_path, "log: {level: 6}\n", "log: {level: 3}\n")
    proc = run("diff", str(old), str(new), "-t", "compose", "--exit-code", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith("compose: ")
    assert "changed remainLogLevel: 6 -> 3" in proc.stdout
    assert "binary" not in proc.stdout and "helm" not in proc.stdout


def test_the_same_model_changes_nothing(tmp_path: Path) -> None:
    old, new = _models(tmp_path, "{}\n", "chat: {enabled: false}\n")
    proc = run("diff", str(old), str(new), "--exit-code", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "binary: no change",
        "compose: no change",
        "helm: no change",
        "the two models give the same artifacts",
    ]


def test_set_applies_to_both_and_text_adds_the_unified_diff(tmp_path: Path) -> None:
    old, new = _models(tmp_path, "{}\n", "services:\n  openim-api: {ports: {http: [10012]}}\n")
    proc = run("diff", str(old), str(new), "--set", "chat.enabled=true", "-t", "compose", "--text", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "changed openIM.apiURL: 'http://openim-api:10002' -> 'http://openim-api:10012'" in proc.stdout
    assert "--- old: compose/compose.yaml" in proc.stdout and "+++ new: compose/compose.yaml" in proc.stdout


def test_credentials_are_neither_resolved_nor_shown(tmp_path: Path) -> None:
    old, new = _models(tmp_path, "secret: {env: UNSET_IN_THIS_TEST}\n", "secret: {env: ALSO_UNSET}\n")
    proc = run("diff", str(old), str(new), "--exit-code", cwd=tmp_path, unset="UNSET_IN_THIS_TEST")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_golden_models_diff_and_bad_input_is_exit_2(tmp_path: Path) -> None:
    proc = run("diff", str(model_file("default")), str(model_file("production")), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "added config/chat-api/share.yml" in proc.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("log:\n  level: 0\n")
    proc = run("diff", str(model_file("default")), str(bad), cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{bad}:2:3: log.level" in proc.stderr
