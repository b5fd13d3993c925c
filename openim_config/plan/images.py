"""Every image a plan deploys, and the same plan with its images moved or pinned.

The targets read images only from the plan (``ServicePlan.image``, ``InfraPlan.image`` and
``Plan.extra_image`` for monitoring and the fronts), so rewriting the plan once rewrites every
target consistently: a private mirror (``--registry``) and digests from a lock file
(``--images-lock``) reach the compose file, the Helm values and the binary target's infra
compose file alike, and no artifact keeps pointing at a public registry.

The registry rule: the last path component of the repository is kept, with its tag and digest,
under ``HOST/PREFIX``::

    openim/openim-api:v3.8.3-patch.16   -> HOST/PREFIX/openim-api:v3.8.3-patch.16
    mongo:7.0.28                        -> HOST/PREFIX/mongo:7.0.28
    bitnamilegacy/kafka:3.5.1           -> HOST/PREFIX/kafka:3.5.1

Two different images that would land on the same reference are an error, never a silent merge.
A pinned image is ``repository@sha256:...`` (no tag: ``skopeo`` and some registries refuse a
reference with both); its tag stays in the bundle's manifest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ruamel.yaml.error import YAMLError

from openim_config import yamlio
from openim_config.errors import Location, Problem, UserError
from openim_config.plan.types import INFRA, Plan

__all__ = ["HELM_TEST", "ImageUse", "Reference", "load_lock", "plan_images", "rewrite"]

Kind = Literal["service", "infra", "monitoring", "front", "test"]
MONITORING = ("prometheus", "alertmanager", "grafana", "node-exporter")
FRONTS = ("web-front", "admin-front")
HELM_TEST = "helm-test"
"""The image of the chart's `helm test` pods: listed always; a bundle keeps it for the helm target only
(``bundle.imagelist`` keeps the images a target's artifacts name)."""
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_REGISTRY = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?)(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")
_REFERENCE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._:/@-]*")


@dataclass(frozen=True)
class Reference:
    """``[registry/]repository[:tag][@digest]``, as Docker reads one."""

    registry: str | None
    """``host[:port]``, or ``None`` for Docker Hub."""
    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, text: str) -> Reference:
        if not _REFERENCE.fullmatch(text):
            raise ValueError(f"not an image reference: {text!r}")
        name, _, digest = text.partition("@")
        head, _, last = name.rpartition("/")
        repo_last, _, tag = last.partition(":")
        path = f"{head}/{repo_last}" if head else repo_last
        first, sep, rest = path.partition("/")
        if sep and ("." in first or ":" in first or first == "localhost"):
            return cls(first, rest, tag or None, digest or None)
        return cls(None, path, tag or None, digest or None)

    @property
    def name(self) -> str:
        """The last path component: ``kafka`` of ``bitnamilegacy/kafka``."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def location(self) -> str:
        """Registry and repository, without tag or digest."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def normalized(self) -> str:
        """The fully qualified form (``docker.io/library/mongo:7.0.28``), as lock files often write it."""
        registry = self.registry or "docker.io"
        repository = self.repository if self.registry or "/" in self.repository else f"library/{self.repository}"
        return _join(f"{registry}/{repository}", self.tag, self.digest)

    def tagged(self) -> str:
        """``location:tag``: the name an image is saved, loaded and pushed under."""
        return _join(self.location, self.tag or "latest", None)

    def __str__(self) -> str:
        return _join(self.location, self.tag, self.digest)


def _join(location: str, tag: str | None, digest: str | None) -> str:
    return location + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


@dataclass(frozen=True)
class ImageUse:
    """One image the deployment runs, and what runs it."""

    name: str
    """The service, infra component or extra (``openim-api``, ``mongodb``, ``grafana``)."""
    kind: Kind
    reference: str


def plan_images(plan: Plan) -> list[ImageUse]:
    """The complete list, in a stable order: OpenIM and chat services, bundled infrastructure,
    then monitoring and the web fronts when the model enables them, and the chart's test image."""
    uses = [ImageUse(s.name, "service", s.image) for s in plan.services.values()]
    uses += [ImageUse(i.name, "infra", i.image) for i in plan.infra.values() if i.bundled]
    if plan.model.monitoring.enabled:
        uses += [ImageUse(n, "monitoring", plan.extra_image(n)) for n in MONITORING if n in plan.catalog.images]
    fronts = {"web-front": plan.model.fronts.web.enabled, "admin-front": plan.model.fronts.admin.enabled}
    uses += [ImageUse(n, "front", plan.extra_image(n)) for n in FRONTS if fronts[n]]
    if HELM_TEST in plan.catalog.images:
        uses.append(ImageUse(HELM_TEST, "test", plan.extra_image(HELM_TEST)))
    return uses


def _extras(plan: Plan) -> list[str]:
    return [name for name in plan.catalog.images if name not in INFRA]


def rewrite(plan: Plan, registry: str | None = None, lock: Mapping[str, str] | None = None) -> Plan:
    """The plan with every image moved under ``registry`` and/or pinned to the digest ``lock``
    gives for it (keyed by the reference as the model or catalog writes it, or its fully
    qualified form). Images of disabled parts are rewritten too, so nothing is left behind."""
    if registry is not None:
        registry = registry.rstrip("/")
        if not _REGISTRY.fullmatch(registry):
            raise UserError(f"--registry {registry!r}: expected HOST[:PORT]/PREFIX (no scheme, no tag), e.g. registry.local:5000/openim")
    lock = lock or {}
    originals = {s.image for s in plan.services.values()} | {i.image for i in plan.infra.values()}
    originals |= {plan.extra_image(n) for n in _extras(plan)}
    moved: dict[str, str] = {}
    problems: list[str] = []
    for original in sorted(originals):
        try:
            moved[original] = _move(Reference.parse(original), registry, lock)
        except ValueError as exc:
            problems.append(str(exc))
    seen: dict[str, str] = {}
    for original, new in sorted(moved.items()):
        if new in seen and Reference.parse(new).digest is None:
            problems.append(f"{seen[new]!r} and {original!r} would both become {new!r}; give one of them another tag or image")
        seen.setdefault(new, original)
    if problems:
        raise UserError(problems[0] if len(problems) == 1 else [Problem(Location("openim-gen"), (), p) for p in problems])
    return replace(
        plan,
        services={k: replace(s, image=moved[s.image]) for k, s in plan.services.items()},
        infra={k: replace(i, image=moved[i.image]) for k, i in plan.infra.items()},
        images={n: moved[plan.extra_image(n)] for n in _extras(plan)},
    )


def _move(ref: Reference, registry: str | None, lock: Mapping[str, str]) -> str:
    digest = lock.get(str(ref)) or lock.get(ref.normalized())
    if digest is not None and ref.digest is not None and digest != ref.digest:
        raise ValueError(f"{ref}: the lock file pins {digest}, the model another digest")
    digest = digest or ref.digest
    location = f"{registry}/{ref.name}" if registry is not None else ref.location
    return _join(location, None if digest else ref.tag, digest)


def load_lock(path: Path) -> dict[str, str]:
    """A YAML or JSON map ``image -> sha256:<hex>`` (``{images: {...}}`` is accepted too)."""
    where = Location(str(path))
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yamlio.load_plain(text)
    except OSError as exc:
        raise UserError([Problem(where, (), f"cannot read the images lock: {exc.strerror}")]) from None
    except (ValueError, YAMLError) as exc:
        raise UserError([Problem(where, (), f"not valid YAML/JSON: {exc}")]) from None
    if isinstance(data, dict) and set(data) == {"images"}:
        data = data["images"]
    if not isinstance(data, dict):
        raise UserError([Problem(where, (), "expected a map of image -> sha256:<digest>")])
    problems = []
    lock: dict[str, str] = {}
    for image, digest in data.items():
        if not isinstance(image, str) or not isinstance(digest, str) or not DIGEST.fullmatch(digest):
            problems.append(Problem(where, (str(image),), f"expected sha256:<64 hex digits>, got {digest!r}"))
            continue
        try:
            ref = Reference.parse(image)
        except ValueError as exc:
            problems.append(Problem(where, (image,), str(exc)))
            continue
        lock[str(ref)] = digest
    if problems:
        raise UserError(problems)
    return lock
