"""`openim-gen bundle`: reproducible bytes, offline verification, the packaged chart through
Helm, credentials kept out, large inputs streamed, and the CLI."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from openim_config.bundle import SECRETS_FILE, BundleOptions, assemble, verify_bundle, write_bundle
from openim_config.bundle.progress import MIN_SIZE, Progress
from openim_config.cli import main
from openim_config.model import OpenIM
from openim_config.plan import Plan, build_plan
from tests import consumers as c
from tests.scenarios import TARGET_NAMES, model_file, plan_case

MIRROR = "mirror.local:5000/openim"
LOUD: dict[str, Any] = {
    "secret": "LEAK-openim-secret",
    "chat": {"enabled": True, "tokenSecret": "LEAK-chat-token"},
    "monitoring": {"enabled": True, "grafanaAdminPassword": "LEAK-grafana"},
    "infra": {
        "mongodb": {"password": "LEAK-mongo-app", "rootPassword": "LEAK-mongo-root"},
        "redis": {"password": "LEAK-redis"},
        "minio": {"accessKeyId": "LEAK-minio-id", "secretAccessKey": "LEAK-minio-key"},
    },
}


def make(plan: Plan, dest: Path, targets: tuple[str, ...] = TARGET_NAMES, **options: Any) -> Path:
    write_bundle(assemble(plan, BundleOptions(targets=targets, **options)), dest)
    return dest


def members(archive: Path) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    out = {}
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar.getmembers():
            fh = tar.extractfile(m) if m.isreg() else None
            out[m.name] = (m, fh.read() if fh else b"")
    return out


def files(archive: Path) -> dict[str, bytes]:
    """Path below the bundle's root -> bytes, regular files only."""
    return {name.split("/", 1)[1]: data for name, (m, data) in members(archive).items() if m.isreg()}


def repack(archive: Path, dest: Path, change: dict[str, bytes | None]) -> Path:
    """The same bundle with some files replaced (bytes) or dropped (None)."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(dest, "w:gz") as out:
        for m in src.getmembers():
            rel = m.name.split("/", 1)[-1]
            data = src.extractfile(m).read() if m.isreg() else None  # type: ignore[union-attr]
            if rel in change and m.isreg():
                data = change[rel]
                if data is None:
                    continue
                m.size = len(data)
            out.addfile(m, io.BytesIO(data) if data is not None else None)
    return dest


@pytest.fixture(scope="module")
def default_all(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make(plan_case("default"), tmp_path_factory.mktemp("default") / "b.tar.gz")


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make(plan_case("production"), tmp_path_factory.mktemp("mirrored") / "b.tar.gz", registry=MIRROR)


# --------------------------------------------------------------------------- reproducible
def test_same_inputs_give_identical_bytes(default_all: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    again = make(plan_case("default"), tmp_path / "again" / "other-name.tar.gz")
    assert again.read_bytes() == default_all.read_bytes()
    raw = again.read_bytes()
    assert raw[:3] == b"\x1f\x8b\x08" and raw[3] & 0x08 == 0, "gzip header names no file"
    assert raw[4:8] == b"\0\0\0\0", "gzip header has no timestamp"


def test_headers_are_normalised(default_all: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    infos = [m for m, _ in members(default_all).values()]
    names = [m.name for m in infos]
    assert names == sorted(names)
    assert len({n.split("/")[0] for n in names}) == 1, "one top-level directory"
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in infos} == {(0, 0, "", "", 0)}
    assert all(m.isdir() or m.isreg() for m in infos)
    modes = {m.name.split("/", 1)[1]: m.mode for m in infos if m.isreg()}
    assert modes["scripts/install.sh"] == modes["deploy/binary/local/install.sh"] == 0o755
    assert modes["README.md"] == 0o644
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = make(plan_case("default"), tmp_path / "dated.tar.gz", targets=("compose",))
    assert {m.mtime for m, _ in members(dated).values()} == {1700000000}


# --------------------------------------------------------------------------- verify
def test_verify_accepts_the_bundle_it_made(default_all: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bundle", "--verify", str(default_all)]) == 0
    assert "ok:" in capsys.readouterr().out
    manifest = json.loads(files(default_all)["manifest.json"])
    assert manifest["targets"] == list(TARGET_NAMES) and len(manifest["model"]["sha256"]) == 64
    assert manifest["generator"]["name"] == "openim-gen" and manifest["images"]


def test_verify_checks_the_model_when_given_one(default_all: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bundle", "--verify", str(default_all), "-f", str(model_file("default"))]) == 0
    assert main(["bundle", "--verify", str(default_all), "--set", "log.level=3"]) == 1
    assert "made from another model" in capsys.readouterr().err


def test_verify_catches_a_changed_file(default_all: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = files(default_all)["deploy/compose/compose.yaml"]
    flipped = body[:100] + bytes([body[100] ^ 0x01]) + body[101:]
    bad = repack(default_all, tmp_path / "bad.tar.gz", {"deploy/compose/compose.yaml": flipped})
    assert verify_bundle(bad).problems == ["changed: deploy/compose/compose.yaml (its SHA-256 is not the one in SHA256SUMS)"]
    assert main(["bundle", "--verify", str(bad)]) == 1
    assert "changed: deploy/compose/compose.yaml" in capsys.readouterr().err


def test_verify_catches_a_flipped_byte_in_the_archive(default_all: Path, tmp_path: Path) -> None:
    raw = bytearray(default_all.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(bytes(raw))
    assert not verify_bundle(bad).ok


def test_verify_catches_a_missing_file(default_all: Path, tmp_path: Path) -> None:
    bad = repack(default_all, tmp_path / "bad.tar.gz", {"scripts/install.sh": None})
    assert set(verify_bundle(bad).problems) == {
        "missing: scripts/install.sh (listed in SHA256SUMS)",
        "missing: scripts/install.sh (listed in manifest.json)",
    }


def test_verify_catches_an_added_file(default_all: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(default_all, "r:gz") as src, tarfile.open(bad, "w:gz") as out:
        root = src.getmembers()[0].name.rstrip("/")
        for m in src.getmembers():
            out.addfile(m, src.extractfile(m) if m.isreg() else None)
        extra = tarfile.TarInfo(f"{root}/deploy/compose/extra.sh")
        out.addfile(extra, io.BytesIO(b""))
    assert "not in SHA256SUMS: deploy/compose/extra.sh" in verify_bundle(bad).problems


# --------------------------------------------------------------------------- images and Helm
def test_images_txt_lists_what_the_targets_use(default_all: Path, mirrored: Path) -> None:
    plain = files(default_all)["images.txt"].decode().split()
    assert "mongo:7.0.28" in plain and any(i.startswith("openim/openim-api:") for i in plain)
    mirror = files(mirrored)["images.txt"].decode().split()
    assert mirror and all(i.startswith(MIRROR + "/") for i in mirror)
    names = {i.rsplit("/", 1)[1].split(":")[0] for i in mirror}
    assert names >= {"grafana", "openim-web-front", "openim-admin-front", "openim-chat-api", "kafka"}
    binary_only = make(plan_case("default"), default_all.parent / "binary.tar.gz", targets=("binary",))
    assert not [i for i in files(binary_only)["images.txt"].decode().split() if "openim-api" in i], "binaries run on the host"


def test_packaged_chart_loads_in_helm_with_every_image_mirrored(mirrored: Path, tmp_path: Path) -> None:
    plan = plan_case("production")
    manifest = json.loads(files(mirrored)["manifest.json"])
    tgz = tmp_path / Path(manifest["charts"]["helm"]).name
    tgz.write_bytes(files(mirrored)[manifest["charts"]["helm"]])
    assert c.helm_load_package(tgz) == plan.model.targets.helm.chart_name
    with tarfile.open(tgz) as tar:
        names = tar.getnames()
    assert all(n.startswith(f"{plan.model.targets.helm.chart_name}/") for n in names)
    assert not [n for n in names if n.endswith(("secrets.values.yaml", ".gitignore"))]
    target = plan.model.targets.helm
    docs = c.helm_template(tgz, target.release, target.namespace, set_values={"existingSecret": "im-credentials"})
    images = [
        ctr["image"]
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet")
        for ctr in d["spec"]["template"]["spec"].get("containers", []) + d["spec"]["template"]["spec"].get("initContainers", [])
    ]
    assert images and all(i.startswith(MIRROR + "/") for i in images), images


def test_scripts_pass_sh_n_and_shellcheck(default_all: Path, mirrored: Path, tmp_path: Path) -> None:
    compose_only = make(plan_case("default"), tmp_path / "compose.tar.gz", targets=("compose",), include_secrets=True)
    for archive in (default_all, mirrored, compose_only):
        out = tmp_path / archive.stem
        for rel, data in files(archive).items():
            if rel.startswith("scripts/") and rel.endswith(".sh"):
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_bytes(data)
        scripts = sorted((out / "scripts").glob("*.sh"))
        assert [s.name for s in scripts] == ["install.sh", "load-images.sh", "save-images.sh"]
        for script in scripts:
            proc = c._run(["sh", "-n", script])
            assert proc.returncode == 0, proc.stderr
        c.shellcheck(scripts)


# --------------------------------------------------------------------------- credentials
def _all_bytes(archive: Path) -> dict[str, bytes]:
    """Every file, the packaged chart's files included."""
    out = dict(files(archive))
    for rel, data in list(out.items()):
        if rel.endswith(".tgz"):
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                out.update({f"{rel}!{m.name}": tar.extractfile(m).read() for m in tar.getmembers() if m.isreg()})  # type: ignore[union-attr]
    return out


def test_no_credential_in_the_bundle_unless_asked(tmp_path: Path) -> None:
    plan = build_plan(OpenIM.model_validate(LOUD))
    plain = _all_bytes(make(plan, tmp_path / "plain.tar.gz"))
    assert not [rel for rel, data in plain.items() if b"LEAK-" in data]
    assert SECRETS_FILE not in plain
    manifest = json.loads(plain["manifest.json"])
    assert manifest["secrets"]["included"] is False
    assert "deploy/compose/secrets/redis.env" in manifest["secrets"]["required"]
    assert "deploy/helm/secrets.values.yaml" in manifest["secrets"]["required"]

    old = os.umask(0o022)
    try:
        asked = make(plan, tmp_path / "asked.tar.gz", include_secrets=True)
    finally:
        os.umask(old)
    assert asked.stat().st_mode & 0o777 == 0o600, "an archive holding credentials is born private"
    everything = _all_bytes(asked)
    assert [rel for rel, data in everything.items() if b"LEAK-" in data] == [SECRETS_FILE]
    info = {m.name.split("/", 1)[-1]: m for m, _ in members(asked).values()}
    assert info[SECRETS_FILE].mode == 0o600
    with tarfile.open(fileobj=io.BytesIO(everything[SECRETS_FILE])) as tar:
        inner = {m.name: m for m in tar.getmembers()}
        assert set(inner) == set(manifest["secrets"]["required"])
        assert {m.mode for m in inner.values()} == {0o600}
        redis = tar.extractfile(inner["deploy/compose/secrets/redis.env"]).read()  # type: ignore[union-attr]
    assert b"LEAK-redis" in redis
    assert verify_bundle(asked).ok


# --------------------------------------------------------------------------- large inputs
def test_large_inputs_are_streamed_into_the_archive(tmp_path: Path) -> None:
    plan = plan_case("default")
    images, binaries = tmp_path / "images", tmp_path / "bin"
    images.mkdir()
    binaries.mkdir()
    size = 48 << 20
    with (images / "mongo_7.0.28.tar").open("wb") as fh:
        fh.truncate(size)
    (binaries / "openim-api").write_bytes(b"\x7fELF stand-in")
    bundle = assemble(plan, BundleOptions(targets=("binary", "compose"), images_dir=images, binaries_dir=binaries))
    assert any("no openim-rpc-user" in w for w in bundle.warnings)
    tracemalloc.start()
    try:
        write_bundle(bundle, tmp_path / "big.tar.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size // 4, f"peak {peak >> 20} MiB: the image was loaded into memory"
    report = verify_bundle(tmp_path / "big.tar.gz")
    assert report.ok, report.problems
    manifest = report.manifest
    assert {i["reference"]: i["archive"] for i in manifest["images"]}["mongo:7.0.28"] == "images/mongo_7.0.28.tar"
    assert manifest["binaries"] == ["binaries/openim-api"]
    with tarfile.open(tmp_path / "big.tar.gz", "r:gz") as tar:
        by_name = {m.name.split("/", 1)[-1]: m for m in tar.getmembers()}
    assert by_name["images/mongo_7.0.28.tar"].size == size and by_name["binaries/openim-api"].mode == 0o755


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    assert Progress.start("x", MIN_SIZE * 2, io.StringIO()) is None
    assert Progress.start("x", 10, _Terminal()) is None, "short copies need no bar"
    term = _Terminal()
    bar = Progress.start("adding images/mongo.tar", MIN_SIZE * 2, term)
    assert bar is not None
    bar.advance(MIN_SIZE * 2)
    bar.close()
    assert "\radding images/mongo.tar [" in term.getvalue() and "100%" in term.getvalue()


# --------------------------------------------------------------------------- CLI
def test_cli_writes_the_default_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["bundle", "-t", "compose", "--registry", MIRROR]) == 0
    out = capsys.readouterr().out
    archive = next(tmp_path.glob("openim-*-compose.tar.gz"))
    assert archive.name in out and "credentials not included" in out
    with gzip.open(archive) as fh:
        assert fh.read(1)


def test_cli_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "openim-api").write_bytes(b"x")
    out = str(tmp_path / "x.tar.gz")
    assert main(["bundle", "-t", "compose", "--binaries-dir", str(tmp_path / "bin"), "-o", out]) == 2
    assert main(["bundle", "-t", "compose", "--registry", "https://mirror", "-o", out]) == 2
    lock = tmp_path / "lock.yaml"
    lock.write_text("mongo:7.0.28: latest\n")
    assert main(["bundle", "-t", "compose", "--images-lock", str(lock), "-o", out]) == 2
    assert f"{lock}: mongo:7.0.28: expected sha256" in capsys.readouterr().err
    assert not Path(out).exists()
