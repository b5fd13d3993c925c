"""`build` over a chart it wrote before stops, with nothing written, at a change `helm upgrade`
cannot apply in place (a smaller or re-classed claim, a changed StatefulSet or selector, a
Service turned ExternalName), says what to do, and writes it anyway with --accept-upgrade-breaks;
a compatible change (a port, replicas) passes; a previous chart it cannot read is said, not a crash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from openim_config.cli import main
from openim_config.targets.helm.upgrade import compare, quantity

pytestmark = pytest.mark.usefixtures("quiet_credentials")


@pytest.fixture()
def quiet_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", "a-long-enough-redis-password-123")


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its digest and mode: what 'nothing written' compares."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def build(tmp_path: Path, model: Mapping[str, Any], *flags: str) -> int:
    path = tmp_path / "openim.yaml"
    path.write_text(yamlio.dump(dict(model)))
    return main(["build", "-t", "helm", "-f", str(path), "-o", str(tmp_path / "out"), *flags])


@pytest.fixture()
def previous(tmp_path: Path) -> Path:
    assert build(tmp_path, {}) == 0
    return tmp_path


P = r"(?:[a-z0-9-]+-)?"
"""An object's name, with the release prefix the chart may give it."""
REFUSED: dict[str, tuple[dict[str, Any], list[str]]] = {
    "claim shrinks": (
        {"storage": {"mongodb-data": {"size": "5Gi"}}},
        [
            rf"StatefulSet {P}mongodb: volumeClaimTemplates\[data\] storage \(values infra\.mongodb\.persistence\.size, "
            r"openim\.yaml storage\.mongodb-data\.size\): 10Gi -> 5Gi",
            r"a claim never shrinks\): migrate the data to a new claim",
        ],
    ),
    "claim grows": (
        {"storage": {"minio-data": {"size": "20Gi"}}},
        [
            rf"StatefulSet {P}minio: volumeClaimTemplates\[data\] storage .*: 10Gi -> 20Gi",
            rf"allowVolumeExpansion: true: kubectl delete statefulset {P}minio -n openim --cascade=orphan",
            r"kubectl patch pvc -n openim <claim>",
            rf"for each of data-{P}minio-0",
        ],
    ),
    "storage class": (
        {"storage": {"redis-data": {"storageClass": "fast-ssd"}}},
        [
            rf"StatefulSet {P}redis: volumeClaimTemplates\[data\] storageClassName \(values infra\.redis\.persistence\.storageClass, "
            r"openim\.yaml storage\.redis-data\.storageClass\): \(unset\) -> fast-ssd",
            r"migrate the data to a new claim",
        ],
    ),
    "access modes": (
        {"storage": {"kafka-data": {"accessModes": ["ReadWriteMany"]}}},
        [rf"StatefulSet {P}kafka: volumeClaimTemplates\[data\] accessModes .*: ReadWriteOnce -> ReadWriteMany"],
    ),
    "existing claim": (
        {"storage": {"minio-data": {"existingClaim": "my-minio"}}},
        [rf"StatefulSet {P}minio: volumeClaimTemplates \(values infra\.minio\.persistence\.existingClaim.*: data -> \(unset\)"],
    ),
    "selector": (
        {"targets": {"helm": {"chartName": "im-chart"}}},
        [
            rf"Deployment {P}openim-api: selector: .*\"app\.kubernetes\.io/name\": \"openim\".* -> "
            r".*\"app\.kubernetes\.io/name\": \"im-chart\"",
            rf"StatefulSet {P}mongodb: selector",
        ],
    ),
    "another namespace": (
        {"targets": {"helm": {"namespace": "im"}}},
        [
            r"the chart's namespace \(values namespace, openim\.yaml targets\.helm\.namespace\): openim -> im: helm installs it "
            r"anew, with new, empty claims, beside the old release, which keeps the data: set targets\.helm\.namespace: openim",
        ],
    ),
    "another release name": (
        {"targets": {"helm": {"release": "im2"}}},
        [
            r"StatefulSet openim-mongodb: name \(values infra\.mongodb\.persistence\.existingClaim, openim\.yaml "
            r"storage\.mongodb-data\.existingClaim\): openim-mongodb -> im2-mongodb: its claims are named after it: im2-mongodb "
            r"would start on new, empty claims while the data stays in data-openim-mongodb-0; set openim\.yaml "
            r"storage\.mongodb-data\.existingClaim: data-openim-mongodb-0 to keep using it",
        ],
    ),
    "to ExternalName": (
        {"infra": {"redis": {"mode": "external", "address": ["redis.cache.example.net:6379"], "password": {"env": "REDIS_PASSWORD"}}}},
        [
            rf"Service {P}redis: type \(values infra\.redis\.enabled\): ClusterIP -> ExternalName",
            rf"kubectl delete service {P}redis -n openim",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_change_upgrade_cannot_apply_stops_the_build(previous: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    model, expected = REFUSED[case]
    before = snapshot(previous / "out")
    capsys.readouterr()
    assert build(previous, model) == 2
    err = capsys.readouterr().err
    for text in expected:
        assert re.search(text, err), (text, err)
    assert "helm upgrade would fail" in err
    assert "nothing written: do what each line says, or rebuild with --accept-upgrade-breaks" in err
    assert snapshot(previous / "out") == before, "nothing may be written when refused"


def test_accept_upgrade_breaks_writes_with_warnings(previous: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = {"storage": {"mongodb-data": {"size": "5Gi"}}}
    capsys.readouterr()
    assert build(previous, model, "--accept-upgrade-breaks") == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "10Gi -> 5Gi" in err and "(accepted: --accept-upgrade-breaks)" in err
    values = yamlio.load_plain((previous / "out/helm/values.yaml").read_text())
    assert values["infra"]["mongodb"]["persistence"]["size"] == "5Gi"
    # The next build compares with what was written: the accepted change is not reported again.
    capsys.readouterr()
    assert build(previous, model) == 0
    assert "helm upgrade would fail" not in capsys.readouterr().err


def test_compatible_changes_pass(previous: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = {
        "services": {"openim-api": {"instances": 2, "ports": {"http": [10102, 10103]}}, "openim-rpc-user": {"ports": {"grpc": [10999]}}}
    }
    capsys.readouterr()
    assert build(previous, model) == 0
    err = capsys.readouterr().err
    assert "helm upgrade would fail" not in err and "not compared" not in err
    values = yamlio.load_plain((previous / "out/helm/values.yaml").read_text())
    assert values["openimApi"]["replicas"] == 2 and values["openimRpcUser"]["ports"]["grpc"] == 10999


def test_first_build_and_other_targets_compare_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build(tmp_path, {"storage": {"mongodb-data": {"size": "5Gi"}}}) == 0
    assert "not compared" not in capsys.readouterr().err
    (tmp_path / "m.yaml").write_text(yamlio.dump({"storage": {"mongodb-data": {"size": "1Gi"}}}))
    assert main(["build", "-t", "compose", "-f", str(tmp_path / "m.yaml"), "-o", str(tmp_path / "out")]) == 0


def test_an_unchanged_chart_is_not_rendered_again(
    previous: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rebuild that writes the chart written before, byte for byte, has nothing for `helm
    upgrade` to refuse: Helm's engine is not loaded (the slowest part of a rebuild); any change
    to the chart is compared again."""
    from openim_config.verify import helm_render

    rendered: list[Path] = []
    real = helm_render.render

    def counting(chart: Path, *args: Any, **kwargs: Any) -> Any:
        rendered.append(chart)
        return real(chart, *args, **kwargs)

    monkeypatch.setattr(helm_render, "render", counting)
    capsys.readouterr()
    assert build(previous, {}) == 0
    assert rendered == [] and "not compared" not in capsys.readouterr().err
    assert build(previous, {"services": {"openim-api": {"instances": 2}}}) == 0
    assert len(rendered) == 2, "a changed chart: the one written before and the new one"


def test_an_unreadable_previous_chart_is_said_not_a_crash(previous: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = previous / "out/helm/values.yaml"
    values.write_text("namespace: [unclosed\n")
    capsys.readouterr()
    # The writer then refuses the edited file, as it always does; the upgrade check says why it compared nothing.
    assert build(previous, {"storage": {"mongodb-data": {"size": "5Gi"}}}) == 2
    err = capsys.readouterr().err
    assert "not compared with the chart written before" in err and "values.yaml cannot be read" in err
    assert "edited since openim-gen wrote it" in err and "Traceback" not in err
    template = previous / "out/helm/templates/infra-mongodb.yaml"
    values.write_text(values.read_text().replace("namespace: [unclosed\n", "namespace: default\n"))
    template.write_text("{{ if }}\n")
    capsys.readouterr()
    assert build(previous, {}, "--force") == 0
    err = capsys.readouterr().err
    assert "not compared with the chart written before" in err and "Helm" in err


# --------------------------------------------------------------------------- the comparison itself
def sts(name: str, **spec: Any) -> dict[str, Any]:
    return {"kind": "StatefulSet", "metadata": {"name": name, "labels": {"app.kubernetes.io/component": name}}, "spec": spec}


def claim(size: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}, **spec}}


def test_quantities_compare_as_numbers() -> None:
    assert quantity("1Gi") == quantity("1024Mi") == quantity("1073741824")
    assert quantity("1G") < quantity("1Gi")  # type: ignore[operator]
    assert quantity("1.5Gi") > quantity("1Gi")  # type: ignore[operator]
    assert quantity("ten") is None
    same = compare([sts("db", volumeClaimTemplates=[claim("1Gi")])], [sts("db", volumeClaimTemplates=[claim("1024Mi")])], "ns")
    assert not same.breaks and not same.warnings


def test_statefulset_fields_and_service_cluster_ip() -> None:
    old = [sts("db", serviceName="db", replicas=3), {"kind": "Service", "metadata": {"name": "db"}, "spec": {"clusterIP": "None"}}]
    new = [
        sts("db", serviceName="db-headless", podManagementPolicy="Parallel", replicas=3),
        {"kind": "Service", "metadata": {"name": "db"}, "spec": {"type": "NodePort"}},
    ]
    found = [str(f) for f in compare(old, new, "ns").breaks]
    assert any(
        f.startswith("StatefulSet db: serviceName: db -> db-headless: immutable: kubectl delete statefulset db -n ns") for f in found
    )
    assert any(f.startswith("StatefulSet db: podManagementPolicy: OrderedReady -> Parallel") for f in found)
    assert any(f.startswith("Service db: clusterIP: None -> (unset)") for f in found)
    assert len(found) == 3
    grown = compare(
        [sts("db", volumeClaimTemplates=[claim("1Gi")], replicas=2)], [sts("db", volumeClaimTemplates=[claim("2Gi")], replicas=2)], "ns"
    )
    assert "data-db-0 data-db-1" in str(grown.breaks[0])


def test_a_standalone_claim_may_grow_with_a_warning_but_not_shrink() -> None:
    def pvc(size: str) -> dict[str, Any]:
        return {"kind": "PersistentVolumeClaim", "metadata": {"name": "logs"}, "spec": claim(size)["spec"]}

    grown = compare([pvc("1Gi")], [pvc("2Gi")], "ns")
    assert not grown.breaks and grown.warnings == [
        "PersistentVolumeClaim logs: storage: 1Gi -> 2Gi: applied only where its storage class has allowVolumeExpansion: true"
    ]
    shrunk = compare([pvc("2Gi")], [pvc("1Gi")], "ns")
    assert len(shrunk.breaks) == 1 and "a claim never shrinks" in str(shrunk.breaks[0])


def test_a_chart_from_before_release_prefixed_names_keeps_its_data(tmp_path: Path) -> None:
    """Charts before release-prefixed names called the bundled StatefulSets `mongodb`, ...: the
    renamed ones would start on new claims, so the build stops and names the claims to keep."""
    from openim_config.model import OpenIM
    from openim_config.plan import build_plan
    from tests.helm_support import chart, template

    plan = build_plan(OpenIM.model_validate({}))
    new = template(plan, chart(plan, tmp_path))
    old = [
        {**d, "metadata": {**d["metadata"], "name": d["metadata"]["name"].removeprefix("openim-")}} if d["kind"] == "StatefulSet" else d
        for d in new
    ]
    found = {f.what: f for f in compare(old, new, "default", yamlio.load_plain((tmp_path / "helm/values.yaml").read_text())).breaks}
    assert set(found) == {f"StatefulSet {name}: name" for name in ("mongodb", "redis", "kafka", "minio", "etcd")}
    assert found["StatefulSet kafka: name"].todo.endswith(
        "while the data stays in data-kafka-0; set openim.yaml storage.kafka-data.existingClaim: data-kafka-0 to keep using it"
    )
    # Kept through existingClaim, the new StatefulSet has no claim template of its own: nothing to say.
    kept = [d for d in new if not (d["kind"] == "StatefulSet" and d["metadata"]["name"] == "openim-redis")]
    kept += [d for d in template(*_existing_claim(tmp_path)) if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "openim-redis"]
    assert "StatefulSet redis: name" not in {f.what for f in compare(old, kept, "default").breaks}


def _existing_claim(tmp_path: Path) -> tuple[Any, Path]:
    from openim_config.model import OpenIM
    from openim_config.plan import build_plan
    from tests.helm_support import chart

    plan = build_plan(OpenIM.model_validate({"storage": {"redis-data": {"existingClaim": "data-redis-0"}}}))
    return plan, chart(plan, tmp_path / "kept")
