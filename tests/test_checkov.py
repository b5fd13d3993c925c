"""Checkov's Kubernetes checks over the rendered chart of every golden.

The standard: every failed check is fixed in the chart or waived there with a
``checkov.io/skip`` annotation that says why. The chart waives, each only where it applies:
CKV_K8S_15 (pull policy for bundles), _35 (credentials as IMENV_/CHATENV_ variables, and the
infrastructure images' own variables), _38 (Prometheus's API token), _40 (images' own users),
_8/_9 (no port to probe), _10 to _13 (each request or limit the operator has not set), _22
(bitnami's writable root), _43 (an image pinned by tag). Every other check passes on every
golden: a failure of any kind fails this test.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests import consumers as c
from tests.helm_support import chart, template
from tests.scenarios import CASES, plan_case, secret_env


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, set[str]]]:
    out = {}
    for case in CASES:
        root = tmp_path_factory.mktemp(case)
        with secret_env():
            plan = plan_case(case)
            docs = template(plan, chart(plan, root))
        out[case] = c.checkov_failures(docs, root / "manifests")
    return out


@pytest.mark.slow
def test_checkov_finds_no_failure(failures: dict[str, dict[str, set[str]]]) -> None:
    found = {f"{case}: {check} on {sorted(resources)[0]}" for case, found in failures.items() for check, resources in found.items()}
    assert not found, "fix these in the chart, or waive them there with a checkov.io/skip annotation that says why"


def test_the_reader_sees_a_failure(tmp_path: Path) -> None:
    """The measure can fail: a privileged pod is reported."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "x"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1", "securityContext": {"privileged": True}}]},
    }
    assert "CKV_K8S_16" in c.checkov_failures([pod], tmp_path)


def test_every_waiver_in_the_chart_says_why(tmp_path: Path) -> None:
    with secret_env():
        plan = plan_case("default")
        docs = template(plan, chart(plan, tmp_path))
    waivers = [
        (doc["metadata"]["name"], value)
        for doc in docs
        for key, value in (doc["metadata"].get("annotations") or {}).items()
        if key.startswith("checkov.io/skip")
    ]
    assert len(waivers) >= 20
    for name, value in waivers:
        check, _, why = value.partition("=")
        assert check.startswith("CKV") and len(why.split()) >= 6, f"{name}: {value}"


SIZING = {"CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"}


def _sizing_waivers(doc: dict[str, Any]) -> set[str]:
    notes = doc["metadata"].get("annotations") or {}
    return {value.partition("=")[0] for key, value in notes.items() if key.startswith("checkov.io/skip")} & SIZING


@pytest.mark.slow
def test_sizing_waivers_follow_the_resources_set(tmp_path: Path) -> None:
    """CKV_K8S_10 to 13 are waived for exactly the requests and limits left unset, and pass where all are set."""
    with secret_env():
        plan = plan_case("default")
        chart_dir = chart(plan, tmp_path / "chart")
        partial = template(plan, chart_dir, {"openimApi.resources.requests.cpu": "100m", "infra.redis.resources.limits.memory": "1Gi"})
        sized = {
            f"{key}.resources.{part}.{kind}": "1" if kind == "cpu" else "1Gi"
            for key in ("openimApi", "infra.redis")
            for part in ("requests", "limits")
            for kind in ("cpu", "memory")
        }
        full = template(plan, chart_dir, sized)
    component = "app.kubernetes.io/component"
    workloads = {d["metadata"]["labels"][component]: d for d in partial if d["kind"] in ("Deployment", "StatefulSet")}
    assert _sizing_waivers(workloads["openim-api"]) == SIZING - {"CKV_K8S_10"}
    assert _sizing_waivers(workloads["redis"]) == SIZING - {"CKV_K8S_13"}
    assert _sizing_waivers(workloads["openim-push"]) == SIZING
    assert "openim.yaml services.openim-push.resources or the chart's openimPush.resources" in str(workloads["openim-push"]["metadata"])
    assert "the chart's infra.redis.resources" in str(workloads["redis"]["metadata"])

    picked = [
        d for d in full if d["kind"] in ("Deployment", "StatefulSet") and d["metadata"]["labels"][component] in ("openim-api", "redis")
    ]
    assert len(picked) == 2 and not any(_sizing_waivers(d) for d in picked)
    # A control: the partly sized Deployment without its waivers fails the three checks it waived.
    control = copy.deepcopy(workloads["openim-api"])
    control["metadata"]["name"] = "control"
    control["metadata"]["annotations"] = {k: v for k, v in control["metadata"]["annotations"].items() if v.partition("=")[0] not in SIZING}
    found = c.checkov_failures([*picked, control], tmp_path / "manifests")
    assert {check for check in SIZING if check in found} == SIZING - {"CKV_K8S_10"}
    assert all("control" in resource for check in SIZING for resource in found.get(check, ())), found


def _waived(doc: dict[str, Any]) -> set[str]:
    notes = doc["metadata"].get("annotations") or {}
    return {value.partition("=")[0] for key, value in notes.items() if key.startswith("checkov.io/skip")}


@pytest.mark.slow
def test_the_digest_waiver_goes_with_a_pinned_image(tmp_path: Path) -> None:
    """CKV_K8S_43 is waived, naming the tag, only while an image is pinned by tag; a digest passes it."""
    digest = "sha256:" + "a" * 64
    with secret_env():
        plan = plan_case("default")
        chart_dir = chart(plan, tmp_path / "chart")
        docs = template(plan, chart_dir, {"openimApi.image": f"openim/openim-api@{digest}"})
    component = "app.kubernetes.io/component"
    workloads = {d["metadata"]["labels"][component]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")}
    assert "CKV_K8S_43" not in _waived(workloads["openim-api"])
    push = workloads["openim-push"]["metadata"]["annotations"]
    assert any(v.startswith("CKV_K8S_43=pinned by tag (openim/openim-push:") for v in push.values())
    found = c.checkov_failures([workloads["openim-api"]], tmp_path / "manifests")
    assert "CKV_K8S_43" not in found and "CKV_K8S_14" not in found  # a digest is neither a tag nor latest
