"""Which images a bundle carries, and under which names each side of the gate handles them.

The plan lists every image of the deployment (``plan.images.plan_images``); a bundle keeps
those its targets' artifacts actually reference, so a binary bundle does not carry the OpenIM
service images (the binaries run on the host) and a Helm bundle not etcd.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openim_config.artifacts import Artifact
from openim_config.errors import OpenIMGenError
from openim_config.plan import Plan
from openim_config.plan.images import Reference, plan_images

__all__ = ["BundledImage", "bundled_images"]


@dataclass(frozen=True)
class BundledImage:
    reference: str
    """As every artifact writes it (after ``--registry`` and ``--images-lock``)."""
    source: str
    """As the model or the release line names it."""
    pull: str
    """What the connected side pulls: the source, pinned to the digest when there is one."""
    tagged: str
    """``repository:tag`` the image is saved, loaded and pushed under (a registry keeps the
    digest, so a pinned ``reference`` resolves once pushed)."""
    tag: str | None
    digest: str | None
    archive: str
    """``images/<file>.tar`` inside the bundle."""
    used_by: tuple[str, ...]
    kinds: tuple[str, ...]
    targets: tuple[str, ...]


def _mentions(text: str, reference: str) -> bool:
    return re.search(rf"(?<![\w.:/@-]){re.escape(reference)}(?![\w.:/@-])", text) is not None


def _archive_name(tagged: str) -> str:
    return "images/" + re.sub(r"[^A-Za-z0-9._-]+", "_", tagged) + ".tar"


def bundled_images(original: Plan, rewritten: Plan, rendered: Mapping[str, Sequence[Artifact]]) -> list[BundledImage]:
    before, after = plan_images(original), plan_images(rewritten)
    if [u.name for u in before] != [u.name for u in after]:
        raise OpenIMGenError("rewriting the images changed which images the plan lists")
    texts = {t: "\n".join(a.content.decode("utf-8", "replace") for a in arts if not a.secret) for t, arts in rendered.items()}
    grouped: dict[str, list[tuple[str, str, str]]] = {}
    for old, new in zip(before, after, strict=True):
        grouped.setdefault(new.reference, []).append((old.reference, new.name, new.kind))
    images: list[BundledImage] = []
    for reference, uses in grouped.items():
        targets = tuple(t for t in rendered if _mentions(texts[t], reference))
        if not targets:
            continue
        source = Reference.parse(uses[0][0])
        deployed = Reference.parse(reference)
        digest = deployed.digest
        tag = source.tag or (f"sha256-{digest[7:23]}" if digest else "latest")
        tagged = f"{deployed.location}:{tag}"
        images.append(
            BundledImage(
                reference=reference,
                source=str(source),
                pull=f"{source.location}@{digest}" if digest else str(source),
                tagged=tagged,
                tag=source.tag,
                digest=digest,
                archive=_archive_name(tagged),
                used_by=tuple(u[1] for u in uses),
                kinds=tuple(sorted({u[2] for u in uses})),
                targets=targets,
            )
        )
    archives = [i.archive for i in images]
    if len(set(archives)) != len(archives):
        raise OpenIMGenError(f"two images would be saved to the same file: {archives}")
    return images
