"""Credentials: strong ones made for you, weak ones refused on request, empty ones never
taken, and the root passwords a component keeps from its first start called out when changed."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import run


def test_secrets_init_writes_strong_private_values_and_an_overlay_referencing_them(tmp_path: Path) -> None:
    (tmp_path / "openim.yaml").write_text("chat: {enabled: true}\n")
    proc = run("secrets", "init", "-f", "openim.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "secrets"
    assert folder.stat().st_mode & 0o777 == 0o700
    values = {p.name: p.read_text().strip() for p in folder.iterdir()}
    assert {"openimSecret", "mongodbRootPassword", "redisPassword", "chatSuperCode"} <= set(values)
    assert all(len(v) >= 32 for v in values.values()) and len(set(values.values())) == len(values)
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())
    overlay = (tmp_path / "openim.secrets.yaml").read_text()
    assert "file: secrets/redisPassword" in overlay and not any(v in overlay for v in values.values())
    strict = run("build", "--strict", "-f", "openim.yaml", "-f", "openim.secrets.yaml", "-o", "deploy", cwd=tmp_path)
    assert strict.returncode == 0, strict.stderr
    assert "published defaults" not in strict.stderr
    again = run("secrets", "init", "-f", "openim.yaml", "--overlay", "other.yaml", cwd=tmp_path)
    assert again.returncode == 0 and "wrote 0 new credential(s)" in again.stdout, "existing values are kept"
    assert {p.name: p.read_text().strip() for p in folder.iterdir()} == values


def test_strict_refuses_defaults_and_short_passwords_without_showing_them(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("infra:\n  redis:\n    password: shortpass\n")
    proc = run("build", "--strict", "-f", "m.yaml", "-o", "deploy", cwd=tmp_path)
    assert proc.returncode == 2
    assert "error: --strict: infra.redis.password: shorter than 16 characters" in proc.stderr
    assert "error: --strict: secret: still upstream's published default" in proc.stderr
    assert "shortpass" not in proc.stderr and "openIM123" not in proc.stderr
    assert not (tmp_path / "deploy").exists()
    assert run("build", "-f", "m.yaml", "-o", "deploy", cwd=tmp_path).returncode == 0, "without --strict it only warns"


def test_empty_and_unreadable_credentials_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")
    (tmp_path / "m.yaml").write_text("secret: {file: empty}\ninfra:\n  redis:\n    password: {env: REDIS_PW}\n")
    proc = run("build", "-f", "m.yaml", "-o", "deploy", cwd=tmp_path, env={"REDIS_PW": ""})
    assert proc.returncode == 2
    assert "empty credential" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "m.yaml").write_text("secret: {file: .}\n")
    proc = run("build", "-f", "m.yaml", "-o", "deploy", cwd=tmp_path)
    assert proc.returncode == 2 and "error: .: secret: not a regular file" in proc.stderr
    (tmp_path / "big").write_bytes(b"x" * (65 * 1024))
    (tmp_path / "m.yaml").write_text("secret: {file: big}\n")
    proc = run("build", "-f", "m.yaml", "-o", "deploy", cwd=tmp_path)
    assert proc.returncode == 2 and "larger than 64 KiB" in proc.stderr


def test_a_changed_root_password_comes_with_the_step_to_apply_it(tmp_path: Path) -> None:
    (tmp_path / "root").write_text("first-root-password-0000\n")
    (tmp_path / "m.yaml").write_text("infra:\n  mongodb:\n    rootPassword: {file: root}\n")
    assert run("build", "-f", "m.yaml", "-o", "deploy", cwd=tmp_path).returncode == 0
    (tmp_path / "root").write_text("second-root-password-000\n")
    proc = run("build", "-f", "m.yaml", "-o", "deploy", cwd=tmp_path)
    assert proc.returncode == 0
    assert "note: compose: infra.mongodb.rootPassword changed. MongoDB keeps the root password it was created with" in proc.stderr
    assert "docker compose -f deploy/compose/compose.yaml exec mongodb mongosh -u root -p" in proc.stderr
    assert "second-root-password" not in proc.stderr
    quiet = run("build", "-f", "m.yaml", "-o", "deploy", cwd=tmp_path)
    assert "rootPassword changed" not in quiet.stderr, "said once, for the change"
