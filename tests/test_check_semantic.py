"""`check` shows what changed as data for YAML/JSON artifacts, and says when only the
formatting differs."""

from __future__ import annotations

from pathlib import Path

import pytest

from openim_config.artifacts import data_changes, semantic_diff
from tests.test_cli import run


@pytest.fixture
def out(tmp_path: Path) -> Path:
    assert run("build", "-o", "out", cwd=tmp_path).returncode == 0
    return tmp_path / "out"


def test_a_data_change_is_shown_by_path(out: Path) -> None:
    edited = out / "compose/config/openim-rpc-user/redis.yml"
    edited.write_text(edited.read_text().replace("redis:6379", "redis:6380"))
    proc = run("check", "-o", "out", cwd=out.parent)
    assert proc.returncode == 1
    assert "data of compose/config/openim-rpc-user/redis.yml (on disk -> generated):" in proc.stdout
    assert "    changed address[0]: 'redis:6380' -> 'redis:6379'" in proc.stdout
    assert "-  - redis:6380" in proc.stdout, "the text diff is still there"


def test_a_formatting_only_change_is_said_to_be_one(out: Path) -> None:
    edited = out / "compose/compose.yaml"
    edited.write_text(edited.read_text().replace("restart: unless-stopped", 'restart: "unless-stopped"'))
    proc = run("check", "-o", "out", cwd=out.parent)
    assert proc.returncode == 1, "the bytes differ, so check still fails"
    assert "data of compose/compose.yaml (on disk -> generated):\n    formatting only: the data is equal" in proc.stdout


def test_keys_added_and_removed(out: Path) -> None:
    edited = out / "helm/values.yaml"
    text = edited.read_text()
    edited.write_text(text.replace("imagePullPolicy: IfNotPresent", "pullPolicy: IfNotPresent", 1))
    proc = run("check", "-t", "helm", "-o", "out", cwd=out.parent)
    assert proc.returncode == 1
    assert "    added imagePullPolicy: 'IfNotPresent'" in proc.stdout
    assert "    removed pullPolicy: 'IfNotPresent'" in proc.stdout


def test_files_that_are_not_data_get_the_text_diff_only(out: Path) -> None:
    unit = next(out.glob("binary/**/openim-api@.service"))
    unit.write_text(unit.read_text().replace("RestartSec=5s", "RestartSec=9s"))
    template = out / "helm/templates/_helpers.tpl"
    template.write_text(template.read_text() + "\n")
    proc = run("check", "-o", "out", cwd=out.parent)
    assert proc.returncode == 1
    assert "data of binary/" not in proc.stdout and "data of helm/templates" not in proc.stdout
    assert "+RestartSec=5s" in proc.stdout


def test_semantic_diff_of_json_and_multi_document_yaml() -> None:
    assert semantic_diff("x.json", b'{"a": 1}', b'{ "a" : 1 }') == ["formatting only: the data is equal"]
    assert semantic_diff("x.json", b'{"a": 1}', b'{"a": 2}') == ["changed a: 1 -> 2"]
    assert semantic_diff("m.yaml", b"a: 1\n---\nb: 2\n", b"a: 1\n---\nb: 3\n") == ["changed [1].b: 2 -> 3"]
    assert semantic_diff("t.yaml", b"{{ .x }}: [", b"a: 1") is None
    assert semantic_diff("u.service", b"a", b"b") is None


def test_data_changes_name_every_path_in_order() -> None:
    old = {"services": {"api": {"ports": ["1:1"]}, "gone": {}}, "n": 1}
    new = {"services": {"api": {"ports": ["1:1", "2:2"]}, "new-one": {"x": None}}, "n": "1"}
    assert sorted(data_changes(old, new)) == sorted(
        ["changed n: 1 -> '1'", "removed services.gone: {}", 'added services.new-one: {"x": null}', "added services.api.ports[1]: '2:2'"]
    )
