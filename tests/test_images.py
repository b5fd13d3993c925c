"""The images of a plan, and the rewrite that moves them to a private mirror or pins them:
checked on what a user sees, the image references in every target's artifacts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openim_config import build, yamlio
from openim_config.artifacts import Artifact
from openim_config.errors import UserError
from openim_config.model import OpenIM
from openim_config.plan import Plan, build_plan
from openim_config.plan.images import Reference, load_lock, plan_images, rewrite
from tests.scenarios import CASES, TARGET_NAMES, plan_case

MIRROR = "mirror.local:5000/openim"
PUBLIC = re.compile(r"docker\.io|ghcr\.io|quay\.io|registry\.cn-hangzhou|registry\.example\.com")
IMAGE_LINE = re.compile(r"^\s*-?\s*image:\s*['\"]?(?P<ref>\S+?)['\"]?\s*$", re.MULTILINE)


def _image_values(data: Any) -> Iterator[str]:
    """Every value under an ``image`` key, at any depth (compose services, Helm values)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "image" and isinstance(value, str):
                yield value
            else:
                yield from _image_values(value)
    elif isinstance(data, list):
        for value in data:
            yield from _image_values(value)


def _artifact_images(rendered: dict[str, list[Artifact]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for target, arts in rendered.items():
        for art in arts:
            # Helm's own templates are not YAML until Helm renders them (test_bundle does that).
            yaml = art.path.endswith((".yaml", ".yml")) and not art.path.startswith("templates/")
            if yaml and not art.secret and b"image" in art.content:
                out.setdefault(target, set()).update(_image_values(yamlio.load_plain(art.content.decode())))
    return out


def _mentions(text: str, reference: str) -> bool:
    return re.search(rf"(?<![\w.:/@-]){re.escape(reference)}(?![\w.:/@-])", text) is not None


# --------------------------------------------------------------------------- references
@pytest.mark.parametrize(
    ("source", "moved"),
    [
        ("openim/openim-api:v3.8.3-patch.16", f"{MIRROR}/openim-api:v3.8.3-patch.16"),
        ("mongo:7.0.28", f"{MIRROR}/mongo:7.0.28"),
        ("bitnamilegacy/kafka:3.5.1", f"{MIRROR}/kafka:3.5.1"),
        ("ghcr.io/openimsdk/openim-push:v1", f"{MIRROR}/openim-push:v1"),
        ("localhost:5000/a/b:1", f"{MIRROR}/b:1"),
    ],
)
def test_registry_rule_keeps_the_last_component_and_the_tag(source: str, moved: str) -> None:
    plan = build_plan(OpenIM.model_validate({"services": {"openim-api": {"image": source}}}))
    assert rewrite(plan, MIRROR + "/").services["openim-api"].image == moved


def test_reference_forms() -> None:
    ref = Reference.parse("mongo:7.0.28")
    assert (ref.registry, ref.repository, ref.tag, ref.name) == (None, "mongo", "7.0.28", "mongo")
    assert ref.normalized() == "docker.io/library/mongo:7.0.28"
    ported = Reference.parse("reg.local:5000/team/x@sha256:" + "a" * 64)
    assert (ported.registry, ported.repository, ported.tag) == ("reg.local:5000", "team/x", None)
    with pytest.raises(ValueError, match="not an image reference"):
        Reference.parse("has space:1")


def test_two_images_on_one_mirror_name_is_an_error() -> None:
    data = {"services": {"openim-api": {"image": "a.io/x/openim-api:1"}, "openim-push": {"image": "b.io/y/openim-api:1"}}}
    plan = build_plan(OpenIM.model_validate(data))
    with pytest.raises(UserError, match="would both become"):
        rewrite(plan, MIRROR)


@pytest.mark.parametrize("registry", ["https://mirror.local/x", "mirror.local/x:tag", "mirror.local/UPPER"])
def test_bad_registry_is_a_user_error(registry: str) -> None:
    with pytest.raises(UserError, match="HOST"):
        rewrite(build_plan(OpenIM()), registry)


# --------------------------------------------------------------------------- the complete list
def test_list_names_every_part_the_model_enables() -> None:
    plan = plan_case("production")
    kinds = {u.name: u.kind for u in plan_images(plan)}
    assert {"openim-api", "chat-api", "admin-rpc"} <= {n for n, k in kinds.items() if k == "service"}
    assert {n for n, k in kinds.items() if k == "infra"} == {i.name for i in plan.bundled()}
    assert {n for n, k in kinds.items() if k == "monitoring"} == {"prometheus", "alertmanager", "grafana", "node-exporter"}
    assert {n for n, k in kinds.items() if k == "front"} == {"web-front", "admin-front"}
    assert {n for n, k in kinds.items() if k == "test"} == {"helm-test"}
    default = {u.kind for u in plan_images(plan_case("default"))}
    assert default == {"service", "infra", "test"}, "monitoring and fronts are off by default (the chart's test image is always listed)"


def test_extra_images_default_to_the_catalog_and_follow_the_rewrite() -> None:
    plan = build_plan(OpenIM.model_validate({"fronts": {"web": {"enabled": True, "image": "me/web:1"}}}))
    assert plan.extra_image("grafana") == plan.catalog.images["grafana"]
    assert plan.extra_image("web-front") == "me/web:1"
    moved = rewrite(plan, MIRROR)
    assert moved.extra_image("grafana") == f"{MIRROR}/grafana:{plan.catalog.images['grafana'].rsplit(':', 1)[1]}"
    assert moved.extra_image("web-front") == f"{MIRROR}/web:1"


# --------------------------------------------------------------------------- every target
@pytest.mark.parametrize("case", CASES)
def test_rewrite_reaches_every_image_in_every_target(case: str) -> None:
    """No artifact keeps an image on a public registry or as the model and catalog wrote it."""
    plan = plan_case(case)
    moved = rewrite(plan, MIRROR)
    rendered = build.render(moved, TARGET_NAMES)
    after = _artifact_images(rendered)
    assert {"compose", "helm"} <= set(after) <= set(TARGET_NAMES), "binary has images only beside bundled infra"
    for target, images in after.items():
        assert {i for i in images if not i.startswith(MIRROR + "/")} == set(), target
    listed = {u.reference for u in plan_images(moved)}
    assert set().union(*after.values()) <= listed, "an artifact names an image the list misses"
    originals = {s.image for s in plan.services.values()} | {i.image for i in plan.infra.values()}
    originals |= {plan.extra_image(n) for n in plan.catalog.images}
    for target, arts in rendered.items():
        for art in arts:
            if art.secret:
                continue
            text = art.content.decode("utf-8", "replace")
            assert not PUBLIC.search(text), f"{target}/{art.path}: {PUBLIC.search(text)}"
            assert not [o for o in originals if _mentions(text, o)], f"{target}/{art.path}"
            for m in IMAGE_LINE.finditer(text):
                assert m["ref"].startswith((MIRROR + "/", "{{")), f"{target}/{art.path}: {m[0]}"


def _lock_for(plan: Plan) -> dict[str, str]:
    return {u.reference: "sha256:" + f"{i:02x}" * 32 for i, u in enumerate(plan_images(plan))}


def test_lock_pins_every_reference_everywhere(tmp_path: Path) -> None:
    plan = plan_case("production")
    lock_file = tmp_path / "images.lock.yaml"
    lock_file.write_text(yamlio.dump(_lock_for(plan)))
    moved = rewrite(plan, MIRROR, load_lock(lock_file))
    for target, images in _artifact_images(build.render(moved, TARGET_NAMES)).items():
        for image in images:
            assert re.fullmatch(rf"{re.escape(MIRROR)}/[a-z0-9.-]+@sha256:[0-9a-f]{{64}}", image), (target, image)


def test_lock_keys_may_be_fully_qualified_and_json(tmp_path: Path) -> None:
    plan = build_plan(OpenIM())
    digest = "sha256:" + "b" * 64
    lock_file = tmp_path / "lock.json"
    lock_file.write_text(json.dumps({"images": {"docker.io/library/mongo:7.0.28": digest}}))
    moved = rewrite(plan, None, load_lock(lock_file))
    assert moved.infra["mongodb"].image == f"mongo@{digest}"
    assert moved.infra["redis"].image == plan.infra["redis"].image


def test_bad_lock_names_the_file_and_the_image(tmp_path: Path) -> None:
    lock_file = tmp_path / "lock.yaml"
    lock_file.write_text("mongo:7.0.28: sha256:short\nredis:7.0.0: sha256:" + "c" * 64 + "\n")
    with pytest.raises(UserError) as err:
        load_lock(lock_file)
    assert [str(p) for p in err.value.problems] == [f"{lock_file}: mongo:7.0.28: expected sha256:<64 hex digits>, got 'sha256:short'"]
    lock_file.write_text("[not, a, map]\n")
    with pytest.raises(UserError, match="expected a map"):
        load_lock(lock_file)
