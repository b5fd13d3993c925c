"""Plan -> the entries of an offline bundle: the targets' artifacts (the Helm chart packaged),
the image list, the scripts and README for the operator, a manifest and ``SHA256SUMS``.

Credentials stay out unless asked for; then they go into one separate file, ``SECRETS.tar``,
laid out so that extracting it in the bundle puts every secret file where its target expects it.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from openim_config import build
from openim_config.artifacts import Artifact
from openim_config.bundle import scripts
from openim_config.bundle.chart import package_chart
from openim_config.bundle.imagelist import BundledImage, bundled_images
from openim_config.bundle.progress import Progress
from openim_config.bundle.tarball import Entry, epoch, sha256_file, write_tar, write_tar_gz
from openim_config.errors import UserError
from openim_config.plan import Plan
from openim_config.plan.images import rewrite

__all__ = ["FORMAT", "SECRETS_FILE", "Bundle", "BundleOptions", "assemble", "default_name", "write_bundle"]

FORMAT = "openim-gen-bundle/1"
SECRETS_FILE = "SECRETS.tar"
MANIFEST, SUMS, IMAGES_TXT = "manifest.json", "SHA256SUMS", "images.txt"


@dataclass(frozen=True)
class BundleOptions:
    targets: Sequence[str]
    registry: str | None = None
    lock: Mapping[str, str] = field(default_factory=dict)
    images_dir: Path | None = None
    binaries_dir: Path | None = None
    include_secrets: bool = False
    progress: bool = False


@dataclass(frozen=True)
class Bundle:
    root: str
    """The one top-level directory of the archive."""
    entries: list[Entry]
    manifest: dict[str, Any]
    warnings: list[str]


def generator_version() -> str:
    try:
        return version("openim-gen")
    except PackageNotFoundError:  # a checkout that is not installed
        return "0+unknown"


def server_tag(plan: Plan) -> str:
    return plan.model.images.tag or plan.catalog.products["server"].tag


def default_name(plan: Plan, targets: Sequence[str]) -> str:
    return f"{_root_name(plan, targets)}.tar.gz"


def _root_name(plan: Plan, targets: Sequence[str]) -> str:
    label = "all" if set(targets) == {"binary", "compose", "helm"} else "-".join(targets)
    return f"openim-{server_tag(plan)}-{label}"


def model_digest(plan: Plan) -> str:
    """SHA-256 of the model as canonical JSON; credentials appear only as their references
    (``<secret>`` for literals), so the digest says nothing about a password."""
    data = plan.model.model_dump(mode="json", by_alias=True)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _dir_files(root: Path, what: str) -> list[tuple[str, Path]]:
    if not root.is_dir():
        raise UserError(f"{what} {root}: not a directory")
    files = sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file())
    if not files:
        raise UserError(f"{what} {root}: no files in it")
    return files


def assemble(plan: Plan, options: BundleOptions) -> Bundle:
    targets = list(options.targets)
    if options.binaries_dir is not None and "binary" not in targets:
        raise UserError("--binaries-dir is for the binary target; add --target binary or all")
    deployed = rewrite(plan, options.registry, options.lock) if options.registry or options.lock else plan
    rendered = build.render(deployed, targets)
    images = bundled_images(plan, deployed, rendered)
    mtime = epoch()
    warnings: list[str] = []
    if options.lock:
        warnings += [f"--images-lock pins no digest for {i.source}" for i in images if i.digest is None]
    entries: list[Entry] = []
    secrets: list[tuple[str, Artifact]] = []
    charts: dict[str, str] = {}
    for target, artifacts in rendered.items():
        secrets += [(f"deploy/{target}/{a.path}", a) for a in artifacts if a.secret]
        if target == "helm":
            name, data = package_chart(artifacts, mtime)
            charts[target] = f"deploy/helm/{name}"
            entries.append(Entry(charts[target], 0o644, data))
            continue
        entries += [Entry(f"deploy/{target}/{a.path}", a.mode, a.content) for a in artifacts if not a.secret]
    if options.include_secrets:
        buf = io.BytesIO()
        write_tar(buf, [Entry(path, 0o600, a.data()) for path, a in secrets], mtime=mtime, directories=False)
        entries.append(Entry(SECRETS_FILE, 0o600, buf.getvalue()))
    archives: dict[str, str] = {}
    if options.images_dir is not None:
        for rel, path in _dir_files(options.images_dir, "--images-dir"):
            entries.append(Entry(f"images/{rel}", 0o644, source=path))
            archives[f"images/{rel}"] = rel
        warnings += [
            f"--images-dir has no {i.archive.removeprefix('images/')} for {i.reference}" for i in images if i.archive not in archives
        ]
    binaries: list[str] = []
    if options.binaries_dir is not None:
        for rel, path in _dir_files(options.binaries_dir, "--binaries-dir"):
            entries.append(Entry(f"binaries/{rel}", 0o755, source=path))
            binaries.append(rel)
        warnings += [f"--binaries-dir has no {name}" for name in deployed.services if name not in binaries]
    manifest = _manifest(plan, options, images, archives, binaries, secrets, charts)
    root = _root_name(plan, targets)
    context = {
        "root": root,
        "plan": deployed,
        "manifest": manifest,
        "images": images,
        "targets": targets,
        "charts": charts,
        "secrets": [path for path, _ in secrets],
        "required": _required(path for path, _ in secrets),
        "secrets_file": SECRETS_FILE if options.include_secrets else None,
    }
    entries += [Entry(path, mode, body.encode("utf-8")) for path, mode, body in scripts.render_all(context)]
    entries.append(Entry(IMAGES_TXT, 0o644, "".join(f"{i.reference}\n" for i in sorted(images, key=lambda i: i.reference)).encode()))
    manifest["contents"] = sorted([e.path for e in entries] + [MANIFEST])
    entries.append(Entry(MANIFEST, 0o644, (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode()))
    entries.append(Entry(SUMS, 0o644, _sums(entries, options.progress).encode()))
    return Bundle(root, [Entry(f"{root}/{e.path}", e.mode, e.data, e.source) for e in entries], manifest, warnings)


def _required(paths: Iterable[str]) -> dict[str, list[str]]:
    """Credential files by what installs them: ``compose``, ``helm``, ``binary/<host>``."""
    out: dict[str, list[str]] = {}
    for path in paths:
        _, target, host, _ = path.split("/", 3) if path.startswith("deploy/binary/") else (*path.split("/", 2), "")
        out.setdefault(f"{target}/{host}" if target == "binary" else target, []).append(path)
    return out


def _sums(entries: Sequence[Entry], progress: bool) -> str:
    lines = []
    for entry in sorted(entries, key=lambda e: e.path):
        bar = Progress.start(f"hashing {entry.path}", entry.size) if progress and entry.source is not None else None
        lines.append(f"{sha256_file(entry, bar)}  {entry.path}\n")
        if bar is not None:
            bar.close()
    return "".join(lines)


def _manifest(
    plan: Plan,
    options: BundleOptions,
    images: Sequence[BundledImage],
    archives: Mapping[str, str],
    binaries: Sequence[str],
    secrets: Sequence[tuple[str, Artifact]],
    charts: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "generator": {"name": "openim-gen", "version": generator_version()},
        "model": {"sha256": model_digest(plan), "release": plan.model.release, "serverTag": server_tag(plan)},
        "targets": list(options.targets),
        "registry": options.registry.rstrip("/") if options.registry else None,
        "charts": dict(charts),
        "images": [
            {
                "reference": i.reference,
                "source": i.source,
                "tag": i.tag,
                "digest": i.digest,
                "usedBy": list(i.used_by),
                "kinds": list(i.kinds),
                "targets": list(i.targets),
                "archive": i.archive if i.archive in archives else None,
            }
            for i in images
        ],
        "binaries": [f"binaries/{b}" for b in binaries],
        "secrets": {
            "included": options.include_secrets,
            "file": SECRETS_FILE if options.include_secrets else None,
            "required": [path for path, _ in secrets],
        },
    }


def write_bundle(bundle: Bundle, dest: Path, progress: bool = False) -> None:
    private = any(e.path.endswith(SECRETS_FILE) for e in bundle.entries)
    write_tar_gz(dest, bundle.entries, mtime=epoch(), progress=progress, private=private)
