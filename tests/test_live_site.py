"""`build` over a live site: data, hand-made files and edits survive every rebuild; only what
openim-gen wrote is replaced or removed, each file atomically; one build at a time; nothing
is written outside the output directory or through a link; credentials never reach git."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openim_config.artifacts import Artifact, text
from openim_config.errors import UserError
from openim_config.writer import MANIFEST, write
from tests.test_cli import run


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """A deployed compose directory as an operator has it: the default `./data` with a
    database in it, a `.env`, an override file and a certificate beside the generated files."""
    assert run("build", "-t", "compose", "-o", "deploy", cwd=tmp_path).returncode == 0
    compose = tmp_path / "deploy/compose"
    (compose / "data/mongodb-data").mkdir(parents=True)
    (compose / "data/mongodb-data/collection-0.wt").write_bytes(b"\x00precious\x00")
    (compose / ".env").write_text("COMPOSE_PROFILES=monitoring\n")
    (compose / "docker-compose.override.yml").write_text("services: {}\n")
    (compose / "config/openim-api/tls.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    return tmp_path


USER_FILES = ("data/mongodb-data/collection-0.wt", ".env", "docker-compose.override.yml", "config/openim-api/tls.crt")


def test_a_rebuild_keeps_data_and_every_file_it_did_not_write(live: Path) -> None:
    compose = live / "deploy/compose"
    before = {p: (compose / p).read_bytes() for p in USER_FILES}
    proc = run("build", "-t", "compose", "--set", "services.openim-api.ports.http={10012}", "-o", "deploy", cwd=live)
    assert proc.returncode == 0, proc.stderr
    assert {p: (compose / p).read_bytes() for p in USER_FILES} == before
    assert "10012:10012" in (compose / "compose.yaml").read_text()


def test_an_unchanged_rebuild_touches_nothing(live: Path) -> None:
    """Tools that watch the tree (compose watch, rsync, a config reloader) see no change."""
    compose = live / "deploy/compose"

    def stamps() -> dict[str, int]:
        return {p.relative_to(compose).as_posix(): p.stat().st_mtime_ns for p in compose.rglob("*") if not p.is_symlink()}

    before = stamps()
    time.sleep(0.01)
    assert run("build", "-t", "compose", "-o", "deploy", cwd=live).returncode == 0
    assert stamps() == before
    assert run("build", "-t", "compose", "--set", "services.openim-api.ports.http={10012}", "-o", "deploy", cwd=live).returncode == 0
    changed = {p for p, t in stamps().items() if before.get(p) != t}
    assert "compose.yaml" in changed and "data/mongodb-data/collection-0.wt" not in changed
    assert not {p for p in changed if p.startswith("config/openim-push/")}, "files whose bytes did not change keep their time"


def test_a_hand_edit_stops_the_build_then_force_keeps_it_beside(live: Path) -> None:
    compose = live / "deploy/compose"
    edited = compose / "compose.yaml"
    edited.write_text(edited.read_text() + "# my tweak\n")
    before = _tree(compose)
    proc = run("build", "-t", "compose", "--set", "services.openim-api.ports.http={10012}", "-o", "deploy", cwd=live)
    assert proc.returncode == 2
    assert "error: deploy/compose/compose.yaml: edited since openim-gen wrote it" in proc.stderr
    assert "nothing written" in proc.stderr and "Traceback" not in proc.stderr
    assert _tree(compose) == before, "a refused build changes nothing"
    forced = run("build", "-t", "compose", "--force", "--set", "services.openim-api.ports.http={10012}", "-o", "deploy", cwd=live)
    assert forced.returncode == 0, forced.stderr
    (backup,) = compose.glob("compose.yaml.edited-*")
    assert backup.read_text().endswith("# my tweak\n") and f"kept the edited copy as deploy/compose/{backup.name}" in forced.stderr
    assert "10012:10012" in edited.read_text()
    assert all((compose / p).exists() for p in USER_FILES)


def test_a_file_it_did_not_write_in_its_way_is_never_overwritten(tmp_path: Path) -> None:
    compose = tmp_path / "deploy/compose"
    compose.mkdir(parents=True)
    (compose / "compose.yaml").write_text("services: {mine: {image: nginx}}\n")
    proc = run("build", "-t", "compose", "-o", "deploy", cwd=tmp_path)
    assert proc.returncode == 2 and "deploy/compose/compose.yaml: not written by openim-gen" in proc.stderr
    assert (compose / "compose.yaml").read_text() == "services: {mine: {image: nginx}}\n"
    assert not (compose / "config").exists()


def test_files_no_longer_generated_go_unless_edited(live: Path) -> None:
    compose = live / "deploy/compose"
    assert run("build", "-t", "compose", "--set", "chat.enabled=true", "-o", "deploy", cwd=live).returncode == 0
    share = compose / "config/chat-api/share.yml"
    share.write_text(share.read_text() + "# keep me\n")
    proc = run("build", "-t", "compose", "-o", "deploy", cwd=live)
    assert proc.returncode == 0, proc.stderr
    assert share.exists() and "deploy/compose/config/chat-api/share.yml is no longer generated but was edited since" in proc.stderr
    assert not (compose / "config/chat-rpc").exists(), "unchanged files it wrote are removed, and their empty directory"
    assert all((compose / p).exists() for p in USER_FILES)


# The writer, killed (SIGKILL) after its n-th rename, or, writing durably (--fsync), while the
# generated files are being staged and flushed ("flush": at the 10th fsync, before any of them
# is renamed): every file is whole, old or new.
KILLER = """
import os, signal, sys
from pathlib import Path
from openim_config import build
from openim_config.loader import Source
from openim_config.writer import write
count = [0]
real = os.replace
def replace(a, b):
    real(a, b)
    count[0] += 1
    if str(count[0]) == sys.argv[2]:
        os.kill(os.getpid(), signal.SIGKILL)
flushed = [0]
real_fsync = os.fsync
def fsync(fd):
    real_fsync(fd)
    flushed[0] += 1
    if sys.argv[2] == "flush" and flushed[0] == 10:
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
os.fsync = fsync
plan = build.plan_for(Source([], sys.argv[3:]))
write(Path(sys.argv[1]), build.render(plan, ["compose"]), durable=sys.argv[2] == "flush")
"""


@pytest.mark.parametrize("after", ["1", "3", "flush", "10", "25"])
def test_a_build_killed_at_any_point_leaves_whole_files_and_the_next_build_goes_on(tmp_path: Path, after: str) -> None:
    out = tmp_path / "deploy"
    assert run("build", "-t", "compose", "-o", "deploy", cwd=tmp_path).returncode == 0
    old = _tree(out / "compose")
    new_model = ["services.openim-api.ports.http={10012}", "chat.enabled=true"]
    proc = subprocess.run([sys.executable, "-c", KILLER, str(out), after, *new_model], capture_output=True, check=False)
    assert proc.returncode == -9, proc.stderr.decode()
    if after == "flush":
        staged = [p for p in _tree(out / "compose") if "openim-gen-tmp" in p]
        assert len(staged) > 10, "killed with every changed file staged beside its old copy"
    reference = tmp_path / "reference"
    assert run("build", "-t", "compose", "-o", "reference", *(a for s in new_model for a in ("--set", s)), cwd=tmp_path).returncode == 0
    new = _tree(reference / "compose")
    for path, data in _tree(out / "compose").items():
        if "openim-gen-tmp" in path or path.startswith(".openim-gen/"):
            continue
        assert data in (old.get(path), new.get(path)), f"{path} is neither the old nor the new file"
    again = run("build", "-t", "compose", "-o", "deploy", *(a for s in new_model for a in ("--set", s)), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    after_tree = _tree(out / "compose")
    assert {p: d for p, d in after_tree.items() if not p.startswith(".openim-gen/")} == {
        p: d for p, d in new.items() if not p.startswith(".openim-gen/")
    }
    assert not [p for p in after_tree if "openim-gen-tmp" in p or "pending" in p], "no half-written copy (credentials) remains"


def test_a_second_build_waits_for_the_first(tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    out.mkdir()
    fd = os.open(out / ".openim-gen.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    proc = subprocess.Popen(
        [sys.executable, "-m", "openim_config", "build", "-t", "compose", "-o", "deploy"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    assert proc.poll() is None and not (out / "compose").exists(), "it waits while another build holds the directory"
    os.close(fd)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "waiting for another build" in err
    assert (out / "compose/compose.yaml").is_file()


def test_nothing_is_written_outside_the_output_directory(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="it would leave the output directory"):
        write(tmp_path / "out", {"compose": [text("../../escaped", "x")]})
    with pytest.raises(UserError, match="it would leave the output directory"):
        write(tmp_path / "out", {"compose": [text("/etc/escaped", "x")]})
    assert not (tmp_path / "escaped").exists()


def test_a_link_inside_a_target_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    write(out, {"compose": [text("config/a.yml", "a: 1\n")]})
    (out / "compose/config/a.yml").unlink()
    (out / "compose/config").rmdir()
    (out / "compose/config").symlink_to(outside)
    with pytest.raises(UserError) as err:
        write(out, {"compose": [text("config/a.yml", "a: 2\n")]}, force=True)
    assert "is a symbolic link (openim-gen never follows one)" in str(err.value)
    assert list(outside.iterdir()) == []


def test_files_and_their_directories_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write(tmp_path / "out", {"compose": [Artifact("secrets/x.env", b"", 0o600, True, lambda: b"A='b'\n"), text("a.yml", "a: 1\n")]})
    finally:
        os.umask(old)
    root = tmp_path / "out/compose"
    assert (root / "secrets").stat().st_mode & 0o777 == 0o700
    assert (root / "secrets/x.env").stat().st_mode & 0o777 == 0o600
    assert (root / "a.yml").stat().st_mode & 0o777 == 0o644
    assert "secret" in (root / MANIFEST).read_text() and "A='b'" not in (root / MANIFEST).read_text()


def test_following_the_readme_commits_no_credential(tmp_path: Path) -> None:
    """`git add deploy` after a build: every credential file of every target is ignored, and
    `check` fails, naming it, once one is tracked anyway."""
    assert subprocess.run(["git", "init", "-q", str(tmp_path)], check=False).returncode == 0
    model = tmp_path / "openim.yaml"
    model.write_text("chat: {enabled: true}\nmonitoring: {enabled: true}\n")
    assert run("build", "-f", str(model), "-o", "deploy", cwd=tmp_path).returncode == 0
    subprocess.run(["git", "-C", str(tmp_path), "add", "deploy"], check=True)
    staged = subprocess.run(["git", "-C", str(tmp_path), "diff", "--cached", "--name-only"], capture_output=True, text=True, check=True)
    credentials = {
        p.relative_to(tmp_path).as_posix() for p in (tmp_path / "deploy").rglob("*") if p.is_file() and p.stat().st_mode & 0o077 == 0
    }
    credentials -= {c for c in credentials if c.endswith(".openim-gen.lock")}
    assert credentials, "the build wrote credential files"
    assert not credentials & set(staged.stdout.split()), "a credential file was staged"
    assert run("check", "-f", str(model), "-o", "deploy", cwd=tmp_path).returncode == 0
    leaked = next(c for c in sorted(credentials) if c.endswith(".env"))
    subprocess.run(["git", "-C", str(tmp_path), "add", "-f", leaked], check=True)
    proc = run("check", "-f", str(model), "-o", "deploy", cwd=tmp_path)
    assert proc.returncode == 1 and f"credential file tracked by git: {leaked}" in proc.stdout


def test_check_never_follows_a_committed_link(tmp_path: Path) -> None:
    """A pull request replacing a generated file by a link to the job's environment: named as
    drift, never read or printed."""
    assert run("build", "-t", "compose", "-o", "deploy", cwd=tmp_path).returncode == 0
    target = tmp_path / "deploy/compose/compose.yaml"
    target.unlink()
    target.symlink_to("/proc/self/environ")
    proc = run("check", "-t", "compose", "-o", "deploy", cwd=tmp_path, env={"CI_TOKEN": "do-not-print-me"})
    assert proc.returncode == 1
    assert "unread: compose/compose.yaml" in proc.stdout and "a symbolic link; not read" in proc.stdout
    assert "do-not-print-me" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("durable", [False, True])
def test_fsync_flushes_every_file_it_writes_and_only_then(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool) -> None:
    """`build --fsync`: each staged file (and each manifest) reaches the disk before its
    rename; without it nothing is flushed (a killed build is whole either way, tested above)."""
    flushed: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        flushed.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "sync", lambda: pytest.fail("never the whole system"))
    files = [text(f"config/f{i}.yml", f"n: {i}\n") for i in range(20)]
    write(tmp_path / "out", {"compose": files}, durable=durable)
    assert len(flushed) == (20 + 4 if durable else 0), "the 20 files and the 4 manifests (pending and final)"
