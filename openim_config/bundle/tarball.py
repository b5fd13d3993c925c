"""Reproducible ``.tar.gz``: the same entries give the same bytes on any machine, any day.

Entries are sorted by path, every header carries the same mtime (``SOURCE_DATE_EPOCH`` or 0),
uid/gid 0 and empty owner names, modes are the ones the generator decided (never the disk's), and the gzip header has neither a
timestamp nor a file name. Files from disk (image archives of several GB) are streamed in
chunks, hashed and copied without being held in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from openim_config.bundle.progress import Progress

__all__ = ["CHUNK", "Entry", "epoch", "sha256_file", "write_tar", "write_tar_gz"]

CHUNK = 1 << 20
GZIP_LEVEL = 6


@dataclass(frozen=True)
class Entry:
    """One file of an archive: bytes in memory, or a file on disk streamed when written."""

    path: str
    mode: int = 0o644
    data: bytes | None = None
    source: Path | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self._source().stat().st_size

    def _source(self) -> Path:
        assert self.source is not None, self.path
        return self.source

    def open(self) -> IO[bytes]:
        return io.BytesIO(self.data) if self.data is not None else self._source().open("rb")


def epoch() -> int:
    """``SOURCE_DATE_EPOCH`` when set (the reproducible-builds convention), else 0."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else 0


def sha256_file(entry: Entry, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    with entry.open() as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress.advance(len(chunk))
    return digest.hexdigest()


def _info(name: str, mtime: int, mode: int, size: int = 0, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else mode & 0o777
    info.size = size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _Reader(io.RawIOBase):
    """A file object that reports how far tarfile has read it."""

    def __init__(self, inner: IO[bytes], progress: Progress | None) -> None:
        self.inner, self.progress = inner, progress

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.inner.read(size)
        if self.progress is not None:
            self.progress.advance(len(chunk))
        return chunk


def _directories(paths: Iterable[str]) -> set[str]:
    dirs: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        dirs.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return dirs


def write_tar(out: IO[bytes], entries: Sequence[Entry], *, mtime: int, directories: bool = True, progress: bool = False) -> None:
    """A POSIX tar stream of ``entries`` (sorted by path; parent directories added unless
    ``directories`` is false, as ``helm package`` leaves them out)."""
    paths = [e.path for e in entries]
    if len(set(paths)) != len(paths):
        raise ValueError(f"duplicate archive paths: {sorted({p for p in paths if paths.count(p) > 1})}")
    items: list[tuple[str, Entry | None]] = [(e.path, e) for e in entries]
    if directories:
        items += [(d, None) for d in _directories(paths) if d not in paths]
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK) as tar:
        for name, entry in sorted(items, key=lambda item: item[0]):
            if entry is None:
                tar.addfile(_info(name + "/", mtime, 0o755, directory=True))
                continue
            size = entry.size
            bar = Progress.start(f"adding {name}", size) if progress and entry.source is not None else None
            with entry.open() as fh:
                tar.addfile(_info(name, mtime, entry.mode, size), _Reader(fh, bar))
            if bar is not None:
                bar.close()


def write_tar_gz(
    dest: Path, entries: Sequence[Entry], *, mtime: int, directories: bool = True, progress: bool = False, private: bool = False
) -> None:
    """Write atomically: a temporary file beside ``dest``, renamed once complete; ``private``
    (it holds credentials): 0600 whatever the umask, else 0644."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            write_tar(gz, entries, mtime=mtime, directories=directories, progress=progress)  # type: ignore[arg-type]
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def tar_gz_bytes(entries: Sequence[Entry], *, mtime: int, directories: bool = True) -> bytes:
    """A small archive in memory (the packaged Helm chart)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        write_tar(gz, entries, mtime=mtime, directories=directories)  # type: ignore[arg-type]
    return buf.getvalue()
