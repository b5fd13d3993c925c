"""Writing targets over a live site: openim-gen touches only what it wrote.

A target directory (``deploy/compose``, ...) may also hold a running deployment's data, a
``.env``, override files, certificates, anything an operator put there. So ``write`` never
replaces a tree: it keeps a manifest of the files it wrote (``.openim-gen/manifest.json``,
with their SHA-256; credential files' digests go to ``.openim-gen/secrets.sha256``, 0600, never
committed) and on every build

- writes a generated file where nothing is, or over a file it wrote that is unchanged since;
- removes a file it wrote that is no longer generated, if unchanged since;
- stops (exit 2, nothing written) at a generated path holding a file edited since it was
  written, or one it did not write, naming each; ``force`` replaces them and keeps each
  current copy beside it (``<file>.edited-<digest>``);
- never reads, moves or deletes any other file, never follows a symbolic link inside a target,
  and refuses a path that would leave the target directory.

Each file is replaced atomically (written beside, renamed over), so a build killed at any point
leaves every file entirely old or entirely new; with ``durable`` (``build --fsync``) each is
flushed to the disk before the rename, so a power loss mid-build does too. The new manifest is recorded as
``pending.json`` before the first file is touched, so the next build recognises either version
as its own. One build at a time per output directory (``.openim-gen.lock``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import FrameType

from openim_config.artifacts import Artifact
from openim_config.errors import Location, Problem, UserError

__all__ = ["CONTROL_DIR", "MANIFEST", "owned_files", "write", "write_many"]

CONTROL_DIR = ".openim-gen"
MANIFEST = f"{CONTROL_DIR}/manifest.json"
SECRET_DIGESTS = f"{CONTROL_DIR}/secrets.sha256"
PENDING = f"{CONTROL_DIR}/pending.json"
PENDING_SECRETS = f"{CONTROL_DIR}/pending.sha256"
LOCK = ".openim-gen.lock"
TMP_MARK = ".openim-gen-tmp-"
FORCE_HINT = "move them away, or rebuild with --force to replace the files (each current copy is kept beside it as <file>.edited-<digest>)"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class _Plan:
    """What one target's write will do."""

    root: Path
    files: dict[str, tuple[bytes, int, bool]]
    """path -> (content, mode, secret)."""
    write: list[str] = field(default_factory=list)
    chmod: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    """(path, why): a regular file in the way, which ``force`` replaces (keeping a copy)."""
    blocked: list[tuple[str, str]] = field(default_factory=list)
    """(path, why): a link or a non-file in the way, never written through, even forced."""
    kept: list[str] = field(default_factory=list)
    """Files it wrote once, no longer generated, left because they were edited since."""


def safe_relative(path: str) -> list[str]:
    """The parts of an artifact path that stays inside its target directory, or a user error."""
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts) or "\0" in path:
        raise UserError(f"refusing to write {path!r}: it would leave the output directory")
    return parts


def _folders(parts: Sequence[str]) -> list[str]:
    """The directories on the way to a file (``a``, ``a/b`` for ``a/b/c``), outermost first."""
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def _inside(root: Path, path: str, checked: dict[str, bool]) -> tuple[str, str | None]:
    """The destination, or why it cannot be used: a symbolic link on the way (never followed).
    ``checked``: directories already looked at (relative), whether each is a link: files
    share their directories, so each is looked at once per build."""
    top = str(root)
    for folder in _folders(safe_relative(path)):
        link = checked.get(folder)
        if link is None:
            link = checked[folder] = os.path.islink(f"{top}/{folder}")
        if link:
            return f"{top}/{folder}", "is a symbolic link (openim-gen never follows one)"
    dest = f"{top}/{path}"
    if os.path.islink(dest):
        return dest, "is a symbolic link (openim-gen never follows one)"
    return dest, None


def _read_json(path: Path) -> dict[str, object]:
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(
            f"{path}: unreadable openim-gen manifest; move it away to rebuild (files then count as not written by it)"
        ) from None
    return data if isinstance(data, dict) else {}


def owned_files(root: Path) -> dict[str, set[str]]:
    """Files openim-gen wrote under ``root`` -> digests that count as 'unchanged since'
    (the recorded one and, after an interrupted build, the pending one). Empty: none known."""
    owned: dict[str, set[str]] = {}
    secret_digests = _read_json(root / SECRET_DIGESTS)
    for name in (MANIFEST, PENDING):
        files = _read_json(root / name).get("files")
        for path, entry in (files if isinstance(files, dict) else {}).items():
            digest = entry.get("sha256") if isinstance(entry, dict) else None
            digest = digest or secret_digests.get(path)
            owned.setdefault(str(path), set()).update({str(digest)} if digest else set())
    pending_secrets = _read_json(root / PENDING_SECRETS)
    for path, digest in pending_secrets.items():
        owned.setdefault(path, set()).add(str(digest))
    return owned


def _file_digest(path: str | Path) -> str | None:
    """Digest of a regular file (``None``: not a regular file)."""
    if os.path.islink(path) or not os.path.isfile(path):
        return None
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _plan(root: Path, artifacts: Sequence[Artifact], data: Mapping[str, bytes]) -> _Plan:
    plan = _Plan(root, {a.path: (data[a.path], a.mode, a.secret) for a in artifacts})
    owned = owned_files(root)
    checked: dict[str, bool] = {}
    for path, (content, mode, _) in sorted(plan.files.items()):
        dest, problem = _inside(root, path, checked)
        if problem:
            plan.blocked.append((path, problem))
            continue
        if not os.path.lexists(dest):
            plan.write.append(path)
            continue
        current = _file_digest(dest)
        if current is None:
            plan.blocked.append((path, "is not a regular file"))
        elif current == sha256(content):
            if os.stat(dest).st_mode & 0o777 != mode:
                plan.chmod.append(path)
        elif current in owned.get(path, set()):
            plan.write.append(path)
        elif path in owned:
            plan.conflicts.append((path, "edited since openim-gen wrote it"))
        else:
            plan.conflicts.append((path, "not written by openim-gen"))
    for path in sorted(set(owned) - set(plan.files)):
        dest, problem = _inside(root, path, checked)
        if problem or not os.path.lexists(dest):
            continue
        if _file_digest(dest) in owned[path]:
            plan.delete.append(path)
        else:
            plan.kept.append(path)
    return plan


def _manifest(plan: _Plan) -> tuple[bytes, bytes]:
    """The manifest (committed: no credential digest) and the secret digests (0600)."""
    files = {
        path: {"mode": f"{mode:04o}", **({"secret": True} if secret else {"sha256": sha256(content)})}
        for path, (content, mode, secret) in sorted(plan.files.items())
    }
    manifest = {
        "about": "Files openim-gen wrote here and owns; it never touches any other file. Edit openim.yaml, not these.",
        "files": files,
    }
    secrets = {path: sha256(content) for path, (content, _, secret) in sorted(plan.files.items()) if secret}
    return (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode(), (json.dumps(secrets, indent=1, sort_keys=True) + "\n").encode()


def _unchanged(root: Path, manifest: bytes, digests: bytes) -> bool:
    """Whether the manifest and secret digests on disk are already these bytes."""
    for path, content in ((root / MANIFEST, manifest), (root / SECRET_DIGESTS, digests)):
        try:
            if path.is_symlink() or path.read_bytes() != content:
                return False
        except OSError:
            return False
    return True


def _mkdirs(root: Path, path: str, mode: int, made: set[str]) -> None:
    """Create the missing parents of ``path`` with ``mode`` whatever the umask. ``made``:
    directories known to exist (relative), so each is looked at once per build."""
    for folder in _folders(path.split("/")):
        if folder in made:
            continue
        node = f"{root}/{folder}"
        if not os.path.exists(node):
            os.mkdir(node)
            os.chmod(node, mode)
        made.add(folder)


def _staging_name(dest: str) -> str:
    """Where ``dest``'s new content is written before it is renamed over ``dest``."""
    folder, name = os.path.split(dest)
    return os.path.join(folder, f".{name}{TMP_MARK}{os.getpid()}")


def _stage(tmp: str, content: bytes, mode: int) -> None:
    """``content`` written to ``tmp`` (``_staging_name`` of its destination) with its mode
    (whatever the umask), not yet flushed."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _flush(path: str) -> None:
    """``path``'s content on the disk (``fsync``), not just in the page cache."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic(dest: str | Path, content: bytes, mode: int, durable: bool) -> None:
    """One file replaced on its own: staged, flushed to disk when ``durable``, renamed over."""
    _replace_all([(str(dest), content, mode)], durable)


FLUSHERS = 8
"""Files flushed at once: the disk commits concurrent ``fsync`` calls together."""


def _replace_all(files: Sequence[tuple[str, bytes, int]], durable: bool) -> None:
    """Many files replaced, each atomically: all staged beside their destination, then
    renamed over; a process killed at any point leaves each file whole, old or new, and only
    staged copies, which the next build sweeps. ``durable``: flushed to disk (``fsync``)
    before the renames, several at once, so a power loss mid-build leaves the same; only
    openim-gen's own files are flushed, never the whole system (``sync`` would also write
    back a live site's database and broker buffers)."""
    staging = [_staging_name(dest) for dest, _, _ in files]
    try:
        for tmp, (_, content, mode) in zip(staging, files, strict=True):
            _stage(tmp, content, mode)
        if durable and len(staging) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(FLUSHERS) as pool:
                list(pool.map(_flush, staging))
        elif durable:
            _flush(staging[0])
        for tmp, (dest, _, _) in zip(staging, files, strict=True):
            os.replace(tmp, dest)
    except BaseException:
        for tmp in staging:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def _sweep_temporaries(root: Path, paths: Sequence[str]) -> None:
    """Half-written copies a killed build left (they may hold credentials)."""
    for directory in {os.path.dirname(f"{root}/{p}") for p in paths} | {f"{root}/{CONTROL_DIR}"}:
        if os.path.isdir(directory) and not os.path.islink(directory):
            with os.scandir(directory) as entries:
                for entry in entries:
                    if TMP_MARK in entry.name and entry.is_file(follow_symlinks=False):
                        os.unlink(entry.path)


def _execute(plan: _Plan, force: bool, durable: bool) -> list[str]:
    root = plan.root
    root.mkdir(parents=True, exist_ok=True)
    _sweep_temporaries(root, [*plan.files, *plan.delete])
    control = root / CONTROL_DIR
    if not control.exists():
        control.mkdir()
    manifest, digests = _manifest(plan)
    if not (plan.write or plan.chmod or plan.delete or (force and plan.conflicts)) and _unchanged(root, manifest, digests):
        return []  # nothing to do: not even the manifest is touched (tools watching the tree see no change)
    secret_dirs = {p.rpartition("/")[0] for p, (_, _, s) in plan.files.items() if s}
    public_dirs = {f for p, (_, _, s) in plan.files.items() if not s for f in ["", *_folders(p.split("/"))]}
    # Recorded before anything changes: an interrupted build leaves files this build wrote,
    # which the next one must recognise as its own.
    _atomic(root / PENDING_SECRETS, digests, 0o600, durable)
    _atomic(root / PENDING, manifest, 0o644, durable)
    backups = []
    for path, _why in plan.conflicts if force else []:
        dest = root / path
        current = _file_digest(dest)
        if current is not None:
            backup = dest.with_name(f"{dest.name}.edited-{current[:12]}")
            if not backup.exists():
                _atomic(backup, dest.read_bytes(), dest.stat().st_mode & 0o777, durable)
            backups.append(str(backup.relative_to(root)))
            plan.write.append(path)
    made: set[str] = set()
    for path in plan.write:
        parent = path.rpartition("/")[0]
        _mkdirs(root, path, 0o700 if parent in secret_dirs and parent not in public_dirs else 0o755, made)
    _replace_all([(f"{root}/{path}", *plan.files[path][:2]) for path in plan.write], durable)
    for path in plan.chmod:
        os.chmod(root / path, plan.files[path][1])
    for path in plan.delete:
        (root / path).unlink()
        with contextlib.suppress(OSError):  # only directories left empty go
            for folder in PurePosixPath(path).parents:
                if str(folder) != ".":
                    (root / folder).rmdir()
    _atomic(root / SECRET_DIGESTS, digests, 0o600, durable)
    _atomic(root / MANIFEST, manifest, 0o644, durable)
    (root / PENDING).unlink()
    (root / PENDING_SECRETS).unlink()
    return backups


@contextlib.contextmanager
def _lock(out_dir: Path) -> Iterator[None]:
    fd = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            print(f"openim-gen: waiting for another build writing {out_dir} ...", file=sys.stderr)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so half-written copies are removed."""

    def stop(signum: int, frame: FrameType | None) -> None:
        del frame
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@dataclass(frozen=True)
class Written:
    backups: list[str]
    """Edited copies kept beside the files ``force`` replaced (``<directory>/<target>/<path>``)."""
    kept: list[str]
    """Files it wrote once, no longer generated, left in place because they were edited."""


def write(out_dir: Path, rendered: Mapping[str, Sequence[Artifact]], force: bool = False, durable: bool = False) -> Written:
    """Write every target under ``out_dir/<target>`` (see the module's docstring)."""
    return write_many({out_dir: rendered}, force, durable)


def write_many(outputs: Mapping[Path, Mapping[str, Sequence[Artifact]]], force: bool = False, durable: bool = False) -> Written:
    """Write several output directories (one per environment) as one: every directory is
    checked before any is written, so a hand edit in one stops them all. Paths in the result
    are ``<directory>/<target>/<path>``."""
    # credentials resolved first: a missing one stops everything before a byte is written
    data = {out: {t: {a.path: a.data() for a in arts} for t, arts in rendered.items()} for out, rendered in outputs.items()}
    where: Path | str = next(iter(outputs), ".")
    try:
        with contextlib.ExitStack() as stack:
            for out_dir in sorted(outputs):  # one order, so two builds never wait on each other
                where = out_dir
                out_dir.mkdir(parents=True, exist_ok=True)
                stack.enter_context(_lock(out_dir))
            return _write_locked(outputs, data, force, durable)
    except OSError as exc:  # the disk's answer (read-only, full, not ours): the user's to fix
        raise UserError([Problem(Location(str(exc.filename or where)), (), f"cannot write: {exc.strerror or exc}")]) from None


def _write_locked(
    outputs: Mapping[Path, Mapping[str, Sequence[Artifact]]],
    data: Mapping[Path, Mapping[str, Mapping[str, bytes]]],
    force: bool,
    durable: bool,
) -> Written:
    plans = {(out, t): _plan(out / t, rendered[t], data[out][t]) for out, rendered in outputs.items() for t in rendered}
    blocked = [(out / t, p, why) for (out, t), plan in plans.items() for p, why in plan.blocked]
    conflicts = [(out / t, p, why) for (out, t), plan in plans.items() for p, why in plan.conflicts]
    if blocked or (conflicts and not force):
        hint = "move it away" if force else FORCE_HINT
        raise UserError(
            [Problem(Location(str(root / p)), (), why) for root, p, why in [*blocked, *([] if force else conflicts)]]
            + [Problem(Location("openim-gen"), (), f"nothing written: {hint}")]
        )
    backups: list[str] = []
    kept: list[str] = []
    with _signals_unwind():
        for (out, target), plan in plans.items():
            backups += [str(out / target / b) for b in _execute(plan, force, durable)]
            kept += [str(out / target / k) for k in plan.kept]
    return Written(backups, kept)
