"""Golden trees: every target of every case, compared as a set of paths, then byte for byte.

Refresh after an intended change with `pytest tests/test_golden.py --update-goldens` and review
the diff like code. Secret files are not part of the goldens (they hold credentials)."""

from __future__ import annotations

import difflib
import shutil

import pytest

from openim_config.artifacts import Artifact
from tests.scenarios import CASES, GOLDEN, REFRESH, TARGET_NAMES, render_case


def _expected_tree(case: str, target: str) -> dict[str, bytes]:
    root = GOLDEN / case / "expected" / target
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _write(case: str, target: str, arts: list[Artifact]) -> None:
    root = GOLDEN / case / "expected" / target
    shutil.rmtree(root, ignore_errors=True)
    for art in arts:
        dest = root / art.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(art.content)


@pytest.mark.parametrize("target", TARGET_NAMES)
@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, target: str, update_goldens: bool) -> None:
    arts = [a for a in render_case(case, (target,))[target] if not a.secret]
    if update_goldens:
        _write(case, target, arts)
    expected = _expected_tree(case, target)
    got = {a.path: a.content for a in arts}
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    assert not missing and not extra, f"{case}/{target}: files no longer generated: {missing}; new files: {extra}\nrefresh: {REFRESH}"
    for path, content in got.items():
        if content != expected[path]:
            diff = "".join(
                difflib.unified_diff(
                    expected[path].decode().splitlines(True), content.decode().splitlines(True), f"golden/{path}", f"generated/{path}"
                )
            )
            pytest.fail(f"{case}/{target}/{path} differs from its golden:\n{diff}\nrefresh: {REFRESH}")


def test_secret_files_are_never_in_goldens() -> None:
    for case in CASES:
        for target, arts in render_case(case).items():
            secret_paths = {a.path for a in arts if a.secret}
            assert secret_paths.isdisjoint(_expected_tree(case, target)), f"{case}/{target} golden holds a secret file"
