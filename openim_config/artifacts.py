"""Artifacts (path, bytes, mode), and the only code that writes them or compares them to disk."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openim_config import yamlio

__all__ = ["Artifact", "Drift", "compare", "text", "write", "yaml_artifact"]


@dataclass(frozen=True)
class Artifact:
    """One output file, relative to its target's directory.

    A ``secret`` artifact holds credentials: its bytes are produced only when it is written
    (``produce`` resolves the references then), it is never compared or printed by
    ``check``, and its mode is 0600.
    """

    path: str
    content: bytes = b""
    mode: int = 0o644
    secret: bool = False
    produce: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)

    def data(self) -> bytes:
        return self.produce() if self.produce is not None else self.content


def text(path: str, body: str, mode: int = 0o644) -> Artifact:
    return Artifact(path, body.encode("utf-8"), mode)


def yaml_artifact(path: str, data: object, mode: int = 0o644, header: str = "") -> Artifact:
    return text(path, header + yamlio.dump(data), mode)


def secret(path: str, produce: Callable[[], bytes]) -> Artifact:
    return Artifact(path, b"", 0o600, True, produce)


Rendered = Mapping[str, Sequence[Artifact]]
"""target name -> its artifacts."""


def write(out_dir: Path, rendered: Rendered) -> None:
    """Write every target under ``out_dir/<target>``, all or nothing.

    Every byte (secrets included) is produced before the disk is touched, the trees are
    staged in a temporary directory inside ``out_dir`` and only then swapped in, so a failed
    build leaves the previous output as it was.
    """
    materialized = {t: [(a, a.data()) for a in arts] for t, arts in rendered.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".openim-gen-stage-", dir=out_dir))
    try:
        for target, items in materialized.items():
            root = stage / target
            root.mkdir(mode=0o755)
            for artifact, data in sorted(items, key=lambda x: x[0].path):
                dest = root / artifact.path
                dest.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, artifact.mode)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.chmod(dest, artifact.mode)
        for target in materialized:
            final = out_dir / target
            old = stage / f".old-{target}"
            if final.exists():
                os.replace(final, old)
            os.replace(stage / target, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@dataclass(frozen=True)
class Drift:
    path: str
    """``<target>/<relative path>``."""
    kind: str
    """``missing`` (would be created), ``extra`` (not generated), ``changed``, ``mode``."""
    old: bytes = b""
    new: bytes = b""

    def diff(self) -> str:
        if self.kind == "mode":
            return f"mode of {self.path} differs: {self.old.decode()} on disk, {self.new.decode()} generated\n"
        a = self.old.decode("utf-8", "replace").splitlines(keepends=True)
        b = self.new.decode("utf-8", "replace").splitlines(keepends=True)
        return "".join(difflib.unified_diff(a, b, f"on disk: {self.path}", f"generated: {self.path}"))


def compare(out_dir: Path, rendered: Rendered) -> list[Drift]:
    """What differs between ``out_dir`` and a fresh render; secret files are skipped."""
    drifts: list[Drift] = []
    for target, artifacts in sorted(rendered.items()):
        root = out_dir / target
        expected = {a.path: a for a in artifacts}
        on_disk = set()
        if root.is_dir():
            on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()}
        for rel in sorted(on_disk | set(expected)):
            name = f"{target}/{rel}"
            artifact = expected.get(rel)
            if artifact is None:
                drifts.append(Drift(name, "extra", (root / rel).read_bytes()))
                continue
            if artifact.secret:
                continue
            if rel not in on_disk:
                drifts.append(Drift(name, "missing", b"", artifact.content))
                continue
            current = (root / rel).read_bytes()
            if current != artifact.content:
                drifts.append(Drift(name, "changed", current, artifact.content))
            mode = (root / rel).stat().st_mode & 0o777
            if mode != artifact.mode:
                drifts.append(Drift(name, "mode", oct(mode).encode(), oct(artifact.mode).encode()))
    return drifts
