"""``openim-gen init``: every size and target writes a starter that validates and builds as
written, never over an existing file, with no credential in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from openim_config.cli import main
from openim_config.explain.paths import is_secret, schema_at
from openim_config.names import TARGET_NAMES
from openim_config.starter import credentials

SIZES = ("small", "production")


def _secrets_in(data: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every value of the file at a credential key, read by the model's schema."""
    schema = schema_at(path)
    if path and schema is not None and is_secret(schema):
        return [(path, data)]
    if isinstance(data, dict):
        return [x for k, v in data.items() for x in _secrets_in(v, (*path, k))]
    if isinstance(data, list):
        return [x for i, v in enumerate(data) for x in _secrets_in(v, (*path, i))]
    return []


@pytest.mark.parametrize("target", [*TARGET_NAMES, "all"])
@pytest.mark.parametrize("size", SIZES)
def test_init_validates_and_builds(
    size: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for number, variable in enumerate(sorted(credentials(size))):
        monkeypatch.setenv(variable, f"strong-test-credential-{number:04d}-abcdef")
    assert main(["init", "--size", size, "-t", target]) == 0
    text = Path("openim.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=openim.schema.json\n")
    secrets = _secrets_in(yamlio.load_all_plain(text)[0])
    assert secrets and all(isinstance(v, dict) and set(v) == {"env"} for _, v in secrets), secrets
    assert {v["env"] for _, v in secrets} == set(credentials(size))
    for variable in credentials(size):
        assert f"#   {variable} " in text  # each variable is named in the comments
    assert main(["validate", "-f", "openim.yaml"]) == 0
    build = ["build", "-f", "openim.yaml", "--strict", "-o", "deploy"] + ([] if target == "all" else ["-t", target])
    assert main(build) == 0, capsys.readouterr().err
    built = sorted(p.name for p in Path("deploy").iterdir() if p.is_dir())
    assert built == (sorted(TARGET_NAMES) if target == "all" else [target])


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "openim.yaml"
    out.write_text("publicHost: mine.example.com\n")
    assert main(["init", "-o", str(out)]) == 2
    assert "exists: not overwritten" in capsys.readouterr().err
    assert out.read_text() == "publicHost: mine.example.com\n"
    assert main(["init", "-o", str(out), "--force", "--size", "production"]) == 0
    assert "monitoring:" in out.read_text()


def test_sizes_differ_where_production_needs_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--size", "production", "-t", "helm", "-o", "-"]) == 0
    production = yamlio.load_all_plain(capsys.readouterr().out)[0]
    assert production["targets"]["helm"]["ingress"]["tlsSecret"]
    assert production["services"]["openim-msggateway"]["instances"] >= 2
    assert production["log"]["level"] == 3
    assert main(["init", "--size", "small", "-t", "compose", "-o", "-"]) == 0
    small = yamlio.load_all_plain(capsys.readouterr().out)[0]
    assert "helm" not in small["targets"] and "services" not in small
