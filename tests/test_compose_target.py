"""Compose output through the real `docker-compose config`, and what each container gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from openim_config.plan.appconfig import compose_name
from openim_config.plan.surface import FCM_FILE
from tests import consumers
from tests.scenarios import CASES, DEFAULT_CREDENTIALS, SECRET_ENV, plan_case


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
        assert sorted(p.name for p in source.iterdir()) == sorted([*svc.files, *(f.path for f in svc.secret_files)])


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
    if "minio" in plan.infra and plan.infra["minio"].bundled:
        expected += [plan.model.infra.minio.port, plan.model.infra.minio.console_port]
    expected += [f.port for f in (plan.model.fronts.web, plan.model.fronts.admin) if f.enabled]
    mon = plan.model.monitoring
    if mon.enabled:
        # node-exporter listens on the host's network itself (nothing to publish).
        expected += [mon.prometheus_port, mon.alertmanager_port, mon.grafana_port]
        exporter = normalized[case]["services"]["node-exporter"]
        assert exporter["network_mode"] == "host" and exporter["pid"] == "host"
        assert f"--web.listen-address=:{mon.node_exporter_port}" in exporter["command"]
    assert published == sorted(expected)


@pytest.mark.parametrize("case", CASES)
def test_processes_wait_for_healthy_infrastructure(case: str, normalized: dict[str, dict[str, Any]]) -> None:
    plan = plan_case(case)
    services = normalized[case]["services"]
    for infra in plan.bundled():
        assert "healthcheck" in services[infra.name]
    for name, svc in plan.services.items():
        # Exactly the bundled components its own files name (openim-api at 3.8 loads no database file).
        wanted = {i.name for i in plan.bundled() if i.name in svc.infra}
        for inst in svc.instances:
            depends = services[compose_name(name, inst.index, len(svc.instances))].get("depends_on", {})
            assert {k for k, v in depends.items() if v["condition"] == "service_healthy"} == wanted, name


@pytest.mark.parametrize("case", CASES)
def test_no_secret_value_in_compose_or_config_files(case: str, built: dict[str, Path]) -> None:
    root = built[case] / "compose"
    values = set(SECRET_ENV.values()) | DEFAULT_CREDENTIALS
    for path in root.rglob("*"):
        if path.is_file() and path.name == FCM_FILE:  # a credential file where OpenIM reads it
            assert path.stat().st_mode & 0o777 == 0o600, path
        elif path.is_file() and "secrets" not in path.relative_to(root).parts:
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


@pytest.mark.parametrize("case", CASES)
def test_volumes_are_the_models_never_anonymous(case: str, normalized: dict[str, dict[str, Any]]) -> None:
    plan = plan_case(case)
    compose = normalized[case]
    named = plan.model.targets.compose.volumes == "named"
    for name, svc in compose["services"].items():
        for mount in svc.get("volumes", []):
            assert mount["type"] in ("bind", "volume"), (name, mount)
            assert mount.get("source"), f"{name} has an anonymous volume at {mount['target']}"
            if mount["type"] == "volume":
                assert named and mount["source"] in plan.volumes
    if named:
        assert set(compose["volumes"]) == set(plan.volumes)


def test_minio_bucket_is_created_before_openim_uses_it(normalized: dict[str, dict[str, Any]]) -> None:
    services = normalized["default"]["services"]
    init = services["minio-init"]
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    assert "mc mb --ignore-existing" in " ".join(init["entrypoint"])
    assert services["openim-rpc-third"]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"


def test_monitoring_is_behind_its_profile_and_grafana_has_no_anonymous_admin(built: dict[str, Path]) -> None:
    path = built["production"] / "compose" / "compose.yaml"
    assert "prometheus" not in consumers.compose_config(path, profiles=())["services"]
    services = consumers.compose_config(path, profiles=("monitoring",))["services"]
    assert services["grafana"]["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == SECRET_ENV["GRAFANA_ADMIN_PASSWORD"]
    prom = yamlio.load_plain((built["production"] / "compose/monitoring/prometheus.yml").read_text())
    targets = {t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    plan = plan_case("production")
    for svc in plan.services.values():
        for inst in svc.instances:
            if "metrics" in inst.ports:
                name = svc.name if len(svc.instances) == 1 else f"{svc.name}-{inst.index}"
                assert f"{name}:{inst.ports['metrics']}" in targets


def test_web_fronts_are_optional(normalized: dict[str, dict[str, Any]]) -> None:
    assert "openim-web-front" not in normalized["default"]["services"]
    fronts = normalized["production"]["services"]
    assert fronts["openim-admin-front"]["ports"][0]["published"] == "11002"


def test_gateway_gets_a_large_file_limit(normalized: dict[str, dict[str, Any]]) -> None:
    assert normalized["default"]["services"]["openim-msggateway"]["ulimits"]["nofile"]["soft"] >= 100000


def _input_labels(sets: list[str]) -> dict[str, str | None]:
    from openim_config import build
    from openim_config.loader import Source

    plan = build.plan_for(Source([], ["chat.enabled=true", *sets], environ={}))
    compose_file = next(a for a in build.render(plan, ("compose",))["compose"] if a.path == "compose.yaml")
    services = yamlio.load_plain(compose_file.content.decode())["services"]
    return {name: (svc.get("labels") or {}).get("openim-gen.inputs") for name, svc in services.items()}


def test_a_changed_mounted_file_changes_the_definition_of_exactly_the_containers_that_read_it() -> None:
    """Compose recreates a container when its definition changes, not when a file it mounts
    does: a port of openim-api changes share.yml, which the chat containers mount too."""
    before = _input_labels([])
    after = _input_labels(["services.openim-api.ports.http={10012}"])
    changed = {name for name in before if before[name] != after[name]}
    # openim-api's own file holds the port; chat's share.yml holds the API's address
    assert changed == {"openim-api", "chat-api", "chat-rpc", "admin-api", "admin-rpc"}
    assert all(before[name] for name in changed), "every changed container carries the digest of its files"
