"""Artifacts (path, bytes, mode), and the only code that writes them or compares them to disk."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from openim_config import yamlio

__all__ = ["Artifact", "Drift", "compare", "data_changes", "semantic_diff", "text", "write", "yaml_artifact"]


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

    def semantic(self) -> list[str] | None:
        """What changed as data (on disk -> generated); None when the file is not YAML/JSON."""
        return semantic_diff(self.path, self.old, self.new) if self.kind == "changed" else None


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


# --------------------------------------------------------------------------- semantic view
_STRUCTURED = (".yaml", ".yml", ".json")


def _parse(path: str, data: bytes) -> list[Any] | None:
    """Every document of a YAML (or JSON) file as plain data; None when it does not parse
    (e.g. a Helm template with ``{{ }}``)."""
    try:
        text = data.decode("utf-8")
        if path.endswith(".json"):
            return [json.loads(text)]
        return list(YAML(typ="safe", pure=True).load_all(text))
    except (UnicodeDecodeError, ValueError, YAMLError):
        return None


def _dotted(path: list[Any]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            out += (("." if out else "") + text) if text and "." not in text else f"[{text!r}]"
    return out or "<document>"


def _short(value: Any, width: int = 70) -> str:
    text = json.dumps(value, default=str, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def data_changes(old: Any, new: Any) -> list[str]:
    """Paths added, removed and changed between two values (``changed a.b[1]: 2 -> 3``), by path."""
    changes: list[tuple[str, str]] = []
    tree = DeepDiff(old, new, view="tree", verbose_level=2)
    for kind, levels in tree.items():
        for level in levels:
            path = _dotted(level.path(output_format="list"))
            if "added" in kind:
                changes.append((path, f"added {path}: {_short(level.t2)}"))
            elif "removed" in kind:
                changes.append((path, f"removed {path}: {_short(level.t1)}"))
            else:
                changes.append((path, f"changed {path}: {_short(level.t1)} -> {_short(level.t2)}"))
    return [line for _, line in sorted(changes)]


def semantic_diff(path: str, old: bytes, new: bytes) -> list[str] | None:
    """For a YAML/JSON artifact: the data changes, ``["formatting only ..."]`` when the data is
    equal, None when either side is not parseable data."""
    if not path.endswith(_STRUCTURED):
        return None
    a, b = _parse(path, old), _parse(path, new)
    if a is None or b is None:
        return None
    if a == b:
        return ["formatting only: the data is equal"]
    if len(a) == 1 and len(b) == 1:
        return data_changes(a[0], b[0])
    return data_changes(a, b)
