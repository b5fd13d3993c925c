"""`openim-gen bundle`: a reproducible offline package, and `--verify` to check one (issue 7)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from openim_config import build
from openim_config.bundle import BundleOptions, assemble, default_name, model_digest, verify_bundle, write_bundle
from openim_config.errors import UserError
from openim_config.loader import Source
from openim_config.options import model_inputs, selected_targets, target_option
from openim_config.plan.images import load_lock

EXIT_FAILED = 1
_dir = click.Path(path_type=Path, file_okay=False, exists=True)


@click.command("bundle")
@model_inputs
@target_option("Which target(s) to package.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Archive to write; default: ./openim-<version>-<target>.tar.gz.",
)
@click.option("--registry", metavar="HOST/PREFIX", help="Rewrite every image to HOST/PREFIX/<name>:<tag> (a private mirror).")
@click.option(
    "--images-lock",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="YAML/JSON map image -> sha256 digest; pinned images are used as name@sha256:... everywhere.",
)
@click.option("--images-dir", type=_dir, help="Saved image archives (scripts/save-images.sh) to put into images/.")
@click.option("--binaries-dir", type=_dir, help="OpenIM binaries for the binary target, put into binaries/.")
@click.option(
    "--include-secrets",
    is_flag=True,
    help="Also package the credentials, in a separate SECRETS.tar inside the archive (resolves every reference).",
)
@click.option(
    "--verify",
    "verify_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    metavar="ARCHIVE",
    help="Check ARCHIVE offline (every checksum, the manifest; with -f/--set, that it was made from that model) "
    "instead of building; exit 1 when it fails.",
)
def bundle(
    files: Sequence[Path],
    sets: Sequence[str],
    target: str,
    output: Path | None,
    registry: str | None,
    images_lock: Path | None,
    images_dir: Path | None,
    binaries_dir: Path | None,
    include_secrets: bool,
    verify_path: Path | None,
) -> None:
    """Make a reproducible offline package: the target(s)' artifacts (the Helm chart packaged),
    images.txt, scripts to save, load and push the images and to install, a README for the
    operator, manifest.json and SHA256SUMS. Credentials stay out unless --include-secrets.

    The same inputs give a byte-identical archive (SOURCE_DATE_EPOCH sets the file times)."""
    if verify_path is not None:
        _verify(verify_path, model_digest(build.plan_for(Source(files, sets))) if files or sets else None)
        return
    plan = build.plan_for(Source(files, sets))
    targets = selected_targets(target)
    options = BundleOptions(
        targets=targets,
        registry=registry,
        lock=load_lock(images_lock) if images_lock is not None else {},
        images_dir=images_dir,
        binaries_dir=binaries_dir,
        include_secrets=include_secrets,
        progress=sys.stderr.isatty(),
    )
    result = assemble(plan, options)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    dest = output or Path(default_name(plan, targets))
    if dest.exists() and dest.is_dir():
        raise UserError(f"{dest}: is a directory; give an archive file name")
    write_bundle(result, dest, progress=options.progress)
    images = result.manifest["images"]
    saved = sum(1 for i in images if i["archive"])
    click.echo(
        f"wrote {dest}: {', '.join(targets)}; {len(images)} image(s), {saved} saved inside; "
        f"credentials {'INCLUDED (SECRETS.tar)' if include_secrets else 'not included'}"
    )


def _verify(path: Path, digest: str | None) -> None:
    report = verify_bundle(path)
    if digest is not None and report.manifest.get("model", {}).get("sha256") != digest:
        report.problems.append("made from another model than the -f/--set given (manifest.json model.sha256 differs)")
    if report.ok:
        click.echo(f"ok: {path}: {len(report.files)} files match SHA256SUMS and the manifest ({report.root}/)")
        return
    for problem in report.problems:
        click.echo(f"{path}: {problem}", err=True)
    click.echo(f"{path}: verification failed ({len(report.problems)} problem(s))", err=True)
    sys.exit(EXIT_FAILED)
