"""Compose output through the real `docker-compose config`, and what each container gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from tests import consumers
from tests.scenarios import CASES, SECRET_ENV, plan_case


@pytest.fixture(scope="module")
def normalized(built: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {case: consumers.compose_config(root / "compose" / "compose.yaml") for case, root in built.items()}


@pytest.mark.parametrize("case", CASES)
def test_docker_compose_accepts_it(case: str, built: dict[str, Path]) -> None:
    consumers.compose_config_quiet(built[case] / "compose" / "compose.yaml")


@pytest.mark.parametrize("case", CASES)
def test_one_container_per_process_with_its_own_command(case: str, normalized: dict[str, dict[str, Any]]) -> None:
    plan = plan_case(case)
    services = normalized[case]["services"]
    for svc in plan.services.values():
        config_dir = plan.catalog.products[svc.product].containerConfigDir
        for inst in svc.instances:
            name = svc.name if len(svc.instances) == 1 else f"{svc.name}-{inst.index}"
            assert services[name]["image"] == svc.image
            assert services[name]["command"] == ["-i", str(inst.index), "-c", config_dir]


@pytest.mark.parametrize("case", CASES)
def test_each_process_mounts_exactly_its_binarys_files_read_only(
    case: str, built: dict[str, Path], normalized: dict[str, dict[str, Any]]
) -> None:
    plan = plan_case(case)
    root = built[case] / "compose"
    for svc in plan.services.values():
        name = svc.name if len(svc.instances) == 1 else f"{svc.name}-0"
        config_dir = plan.catalog.products[svc.product].containerConfigDir
        mounts = [v for v in normalized[case]["services"][name]["volumes"] if v["target"] == config_dir]
        assert len(mounts) == 1 and mounts[0]["read_only"] is True
        source = Path(mounts[0]["source"])
        assert source == (root / "config" / svc.name).resolve()
        assert sorted(p.name for p in source.iterdir()) == sorted(svc.files)


@pytest.mark.parametrize("case", CASES)
def test_published_ports_are_the_client_facing_ones(case: str, normalized: dict[str, dict[str, Any]]) -> None:
    plan = plan_case(case)
    published = sorted(int(p["published"]) for s in normalized[case]["services"].values() for p in s.get("ports", []))
    expected = [
        plan.services[n].ports[k][i.index]
        for n in plan.services
        for k in plan.services[n].client_facing
        for i in plan.services[n].instances
    ]
    if plan.infra["minio"].bundled:
        expected += [plan.model.infra.minio.port, plan.model.infra.minio.console_port]
    assert published == sorted(expected)


@pytest.mark.parametrize("case", CASES)
def test_processes_wait_for_healthy_infrastructure(case: str, normalized: dict[str, dict[str, Any]]) -> None:
    plan = plan_case(case)
    services = normalized[case]["services"]
    for infra in plan.bundled():
        assert "healthcheck" in services[infra.name]
    api = services["openim-api"]
    bundled = {i.name for i in plan.bundled()}
    assert {k for k, v in api["depends_on"].items() if v["condition"] == "service_healthy"} == bundled


@pytest.mark.parametrize("case", CASES)
def test_no_secret_value_in_compose_or_config_files(case: str, built: dict[str, Path]) -> None:
    root = built[case] / "compose"
    values = set(SECRET_ENV.values()) | {"openIM123", "chat123"}
    for path in root.rglob("*"):
        if path.is_file() and "secrets" not in path.relative_to(root).parts:
            text = path.read_text()
            leaked = [v for v in values if v in text]
            assert not leaked, f"{path} holds {len(leaked)} secret value(s)"


def test_secret_env_files_carry_the_credentials(built: dict[str, Path]) -> None:
    env = (built["production"] / "compose" / "secrets" / "openim-rpc-user.env").read_text()
    assert f"IMENV_SHARE_SECRET='{SECRET_ENV['OPENIM_SECRET']}'" in env
    uri = next(line for line in env.splitlines() if line.startswith("IMENV_MONGODB_URI="))
    assert "replicaSet=rs0" in uri and "mongo-0.db.example.com:27017,mongo-1" in uri
    assert (built["production"] / "compose" / "secrets" / "openim-rpc-user.env").stat().st_mode & 0o777 == 0o600


def test_chat_reaches_the_api_by_its_compose_name(built: dict[str, Path]) -> None:
    share = yamlio.load_plain((built["production"] / "compose/config/chat-api/share.yml").read_text())
    assert share["openIM"]["apiURL"] == "http://openim-api:20002"
