"""``openim-gen bundle --verify ARCHIVE``: check a bundle offline, reading it once as a stream.

Every file must match ``SHA256SUMS``, every file must be listed there, and the manifest must
agree with what the archive holds (its file list, ``images.txt``, the image archives and
binaries it names, the credentials file present exactly when it says so).
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openim_config.bundle.package import FORMAT, IMAGES_TXT, MANIFEST, SECRETS_FILE, SUMS
from openim_config.bundle.tarball import CHUNK

__all__ = ["Report", "verify_bundle"]

SMALL = 64 << 20
"""Files read into memory (the manifest, the sums, images.txt) are never larger than this."""


@dataclass
class Report:
    root: str = ""
    files: dict[str, str] = field(default_factory=dict)
    """Path below the root -> SHA-256."""
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo, keep: bool) -> tuple[str, bytes]:
    digest = hashlib.sha256()
    kept = bytearray()
    fh = tar.extractfile(member)
    assert fh is not None
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
        if keep and len(kept) < SMALL:
            kept += chunk
    return digest.hexdigest(), bytes(kept)


def _scan(path: Path, report: Report) -> dict[str, bytes]:
    small: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                root, _, rel = member.name.rstrip("/").partition("/")
                report.root = report.root or root
                if root != report.root or member.name.startswith("/") or ".." in member.name.split("/"):
                    report.problems.append(f"{member.name}: outside the bundle's directory {report.root}/")
                    continue
                if member.isdir():
                    continue
                if not member.isreg():
                    report.problems.append(f"{member.name}: not a regular file (links and devices are never in a bundle)")
                    continue
                if rel in report.files:
                    report.problems.append(f"{rel}: twice in the archive")
                report.files[rel], data = _read(tar, member, rel in (SUMS, MANIFEST, IMAGES_TXT))
                if rel in (SUMS, MANIFEST, IMAGES_TXT):
                    small[rel] = data
    except (OSError, EOFError, tarfile.TarError, zlib.error) as exc:
        report.problems.append(f"the archive is damaged or not a bundle: {exc}")
    return small


def _check_sums(report: Report, text: str) -> None:
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            report.problems.append(f"{SUMS}:{number}: not '<sha256>  <path>'")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        if name not in report.files:
            report.problems.append(f"missing: {name} (listed in {SUMS})")
        elif report.files[name] != digest:
            report.problems.append(f"changed: {name} (its SHA-256 is not the one in {SUMS})")
    report.problems += [f"not in {SUMS}: {name}" for name in sorted(set(report.files) - set(listed) - {SUMS})]


def _check_manifest(report: Report, manifest: dict[str, Any], images_txt: str) -> None:
    if manifest.get("format") != FORMAT:
        report.problems.append(f"{MANIFEST}: format {manifest.get('format')!r}, expected {FORMAT!r}")
        return
    contents = set(manifest.get("contents", []))
    present = set(report.files) - {SUMS}
    report.problems += [f"missing: {name} (listed in {MANIFEST})" for name in sorted(contents - present)]
    report.problems += [f"not in {MANIFEST}: {name}" for name in sorted(present - contents)]
    images = manifest.get("images", [])
    listed = sorted(ln for ln in images_txt.splitlines() if ln.strip())
    if listed != sorted(i["reference"] for i in images):
        report.problems.append(f"{IMAGES_TXT} and {MANIFEST} list different images")
    for image in images:
        if image.get("archive") and image["archive"] not in report.files:
            report.problems.append(f"missing: {image['archive']} (the archive of {image['reference']})")
    for binary in manifest.get("binaries", []):
        if binary not in report.files:
            report.problems.append(f"missing: {binary}")
    secrets = manifest.get("secrets", {})
    if secrets.get("included") != (SECRETS_FILE in report.files):
        if secrets.get("included"):
            report.problems.append(f"{MANIFEST} says the credentials are included, but there is no {SECRETS_FILE}")
        else:
            report.problems.append(f"{MANIFEST} says the credentials are left out, but {SECRETS_FILE} is there")
    for target in manifest.get("targets", []):
        if not any(name.startswith(f"deploy/{target}/") for name in report.files):
            report.problems.append(f"target {target}: nothing under deploy/{target}/")


def verify_bundle(path: Path) -> Report:
    report = Report()
    small = _scan(path, report)
    if report.problems and not report.files:
        return report
    for required in (SUMS, MANIFEST, IMAGES_TXT):
        if required not in small:
            report.problems.append(f"missing: {required}")
    if SUMS in small:
        _check_sums(report, small[SUMS].decode("utf-8", "replace"))
    if MANIFEST in small:
        try:
            manifest = json.loads(small[MANIFEST])
        except ValueError as exc:
            report.problems.append(f"{MANIFEST}: not JSON: {exc}")
        else:
            report.manifest = manifest if isinstance(manifest, dict) else {}
            _check_manifest(report, report.manifest, small.get(IMAGES_TXT, b"").decode("utf-8", "replace"))
    return report
