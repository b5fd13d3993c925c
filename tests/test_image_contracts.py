"""Every container a target runs honours its image's contract (the release line's
``contracts``): the directories the program must write are writable by the user it runs as.

Read from the artifacts through the real tools (``docker-compose config``, Helm's engine). The
rules are Docker's and Kubernetes': a bind-mount source Docker creates is root's, 0755 (moby
volume/mounts); a new named volume starts as the image's own directory; an emptyDir is
world-writable; a claim is writable by a non-root pod through its fsGroup; configMap and
secret volumes are read-only; without a mount the image's own layer is used, unless the root
filesystem is read-only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from openim_config import artifacts
from openim_config.catalog import Contract
from openim_config.plan import Plan
from tests import consumers as c
from tests.scenarios import CASES, plan_case, render_case, secret_env
from tests.startup.processes import binary_for_image, contract_for_image, render_chart

pytestmark = pytest.mark.slow


def contract_of(plan: Plan, image: str) -> Contract:
    binary = binary_for_image(plan.catalog, image)
    contract = plan.catalog.binary_contract(binary) if binary else contract_for_image(plan.catalog, image)
    assert contract is not None, f"no contract for image {image}: add it to the release line's contracts"
    return contract


def _covering(mounts: Mapping[str, Any], path: str) -> tuple[str, Any] | None:
    """The mount a path lies in (the deepest mount point above it)."""
    best = None
    for target, mount in mounts.items():
        if (path == target or path.startswith(target.rstrip("/") + "/")) and (best is None or len(target) > len(best[0])):
            best = (target, mount)
    return best


def _uid(user: str | None) -> str:
    return (user or "0").split(":")[0]


def compose_problems(plan: Plan, data: Mapping[str, Any], where: str) -> Iterator[str]:
    services = data["services"]
    for name, svc in services.items():
        contract = contract_of(plan, svc["image"])
        user = svc.get("user") or contract.user
        mounts = {v["target"]: v for v in svc.get("volumes", [])}
        for path in contract.writes:
            found = _covering(mounts, path)
            if found is None:
                if svc.get("read_only"):
                    yield f"{where} {name}: writes {path} on a read-only root filesystem"
                continue
            mount = found[1]
            if mount.get("read_only"):
                yield f"{where} {name}: writes {path}, mounted read-only"
            elif mount["type"] == "bind" and _uid(user) != "0" and not _handed_over(services, name, mount, contract.user):
                yield f"{where} {name}: runs as {user} and writes {path}, a bind mount Docker creates as root"


def _handed_over(services: Mapping[str, Any], name: str, mount: Mapping[str, Any], owner: str) -> bool:
    """A one-shot service, as root, chowns the same host directory to ``owner`` before ``name`` starts."""
    for other, svc in services.items():
        entry = svc.get("entrypoint") or []
        same = any(v["type"] == "bind" and v["source"] == mount["source"] for v in svc.get("volumes", []))
        if same and _uid(svc.get("user")) == "0" and entry[:3] == ["chown", "-R", owner]:
            depends = services[name].get("depends_on", {}).get(other, {})
            return bool(depends.get("condition") == "service_completed_successfully")
    return False


def helm_problems(plan: Plan, docs: list[dict[str, Any]]) -> Iterator[str]:
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        pod = doc["spec"]["template"]["spec"]
        claims = {t["metadata"]["name"] for t in doc["spec"].get("volumeClaimTemplates", [])}
        volumes = {v["name"]: v for v in pod.get("volumes", [])} | {name: {"persistentVolumeClaim": {}} for name in claims}
        pod_ctx = pod.get("securityContext") or {}
        for container in pod["containers"]:
            contract = contract_of(plan, container["image"])
            ctx = {**pod_ctx, **(container.get("securityContext") or {})}
            uid = str(ctx.get("runAsUser", _uid(contract.user)))
            mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
            where = f"helm {doc['kind']}/{doc['metadata']['name']}"
            for path in contract.writes:
                found = _covering(mounts, path)
                if found is None:
                    if ctx.get("readOnlyRootFilesystem"):
                        yield f"{where}: writes {path} on a read-only root filesystem"
                    continue
                mount = found[1]
                volume = volumes[mount["name"]]
                if mount.get("readOnly") or "configMap" in volume or "secret" in volume:
                    yield f"{where}: writes {path}, mounted read-only"
                elif "persistentVolumeClaim" in volume and uid != "0" and "fsGroup" not in pod_ctx:
                    yield f"{where}: runs as {uid} and writes {path} on a claim with no fsGroup"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Plan, Path]]:
    out = {}
    with secret_env():
        for case in CASES:
            root = tmp_path_factory.mktemp(f"contracts-{case}")
            artifacts.write(root, render_case(case))
            out[case] = (plan_case(case), root)
    return out


@pytest.mark.parametrize("case", CASES)
def test_every_container_can_write_what_its_image_writes(case: str, built: dict[str, tuple[Plan, Path]]) -> None:
    plan, root = built[case]
    problems = list(compose_problems(plan, c.compose_config(root / "compose/compose.yaml"), "compose"))
    infra = root / "binary" / plan.model.targets.binary.hosts[0].name / plan.model.targets.binary.install_dir.strip("/") / "infra"
    if (infra / "compose.yaml").exists():
        problems += compose_problems(plan, c.compose_config(infra / "compose.yaml"), "binary infra")
    with secret_env():
        problems += helm_problems(plan, render_chart(plan, root))
    assert not problems, "\n".join(problems)


def test_the_rules_catch_a_non_root_image_over_a_root_bind_mount(built: dict[str, tuple[Plan, Path]]) -> None:
    """The test can fail: Grafana (472) over a bind mount with no hand-over, as before this rule."""
    plan, root = built["production"]
    data = c.compose_config(root / "compose/compose.yaml")
    del data["services"]["grafana"]["depends_on"]["grafana-data-owner"]
    problems = list(compose_problems(plan, data, "compose"))
    assert problems == ["compose grafana: runs as 472:0 and writes /var/lib/grafana, a bind mount Docker creates as root"]
    with secret_env():
        docs = render_chart(plan, root)
    kafka = next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "im-kafka")
    del kafka["spec"]["template"]["spec"]["securityContext"]["fsGroup"]
    assert list(helm_problems(plan, docs)) == [
        "helm StatefulSet/im-kafka: runs as 1001 and writes /bitnami/kafka on a claim with no fsGroup"
    ]
