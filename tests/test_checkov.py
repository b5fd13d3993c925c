"""Checkov's Kubernetes checks over the rendered chart of every golden.

The standard is that every failed check is fixed in the chart or waived there with a
``checkov.io/skip`` annotation that says why (the chart waives CKV_K8S_15, _35 on OpenIM's own
workloads, _38, _40, and _8 and _9 for a process that listens on no port, so). The chart does not meet it yet: the checks below
still fail, each with what stands in the way. This test is a ratchet: a check that is not in
the list fails it (a new kind of weakness), and so does a listed one that no longer fails
anywhere (take it off the list). Shrinking the list is open work (see the closing notes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import consumers as c
from tests.helm_support import chart, template
from tests.scenarios import CASES, plan_case, secret_env

STILL_FAILING = {
    "CKV_K8S_21": "objects in the default namespace: OpenIM 3.8's Kubernetes discovery reads namespace `default`, "
    "so the models install there; waive per object, or move once a release line reads its namespace (issue 13)",
    "CKV_K8S_43": "images by tag, not digest: the model takes tags; accept `@sha256:` references (and pin them in `bundle`)",
    "CKV_K8S_10": "no CPU requests unless the model sets resources: per-service defaults to choose from measurements",
    "CKV_K8S_11": "no CPU limits unless the model sets them (CPU limits throttle Go programs): likely a reasoned waiver",
    "CKV_K8S_12": "no memory requests unless the model sets resources: per-service defaults to choose",
    "CKV_K8S_13": "no memory limits unless the model sets resources: per-service defaults to choose",
    "CKV2_K8S_6": "pods without a NetworkPolicy while `targets.helm.networkPolicy` is off",
    "CKV_K8S_35": "credentials as environment variables in the bundled infrastructure (mongodb, redis, minio, etcd); OpenIM's "
    "own workloads waive it (they read IMENV_/CHATENV_ variables only); the images' own ways of reading a secret file to check",
    "CKV_K8S_22": "bitnami Kafka and etcd run without a read-only root filesystem",
}


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
def test_no_new_kind_of_checkov_failure(failures: dict[str, dict[str, set[str]]]) -> None:
    new = {
        f"{case}: {check} on {sorted(resources)[0]}"
        for case, found in failures.items()
        for check, resources in found.items()
        if check not in STILL_FAILING
    }
    assert not new, "fix these in the chart, or waive them there with a checkov.io/skip annotation that says why"


@pytest.mark.slow
def test_every_listed_failure_still_fails_somewhere(failures: dict[str, dict[str, set[str]]]) -> None:
    seen = {check for found in failures.values() for check in found}
    assert not set(STILL_FAILING) - seen, "fixed: take them off STILL_FAILING"


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
