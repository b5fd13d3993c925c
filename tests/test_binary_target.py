"""Binary target: units through the real `systemd-analyze`, files and modes as installed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from openim_config import yamlio
from openim_config.plan.surface import FCM_FILE
from tests import consumers
from tests.scenarios import CASES, DEFAULT_CREDENTIALS, SECRET_ENV, plan_case


def _hosts(case: str) -> list[str]:
    return [h.name for h in plan_case(case).model.targets.binary.hosts]


def _units(root: Path, host: str | None = None) -> list[Path]:
    hosts = [host] if host else sorted(p.name for p in (root / "binary").iterdir() if p.is_dir() and not p.name.startswith("."))
    return sorted(u for h in hosts for u in (root / "binary" / h / "etc/systemd/system").iterdir())


@pytest.mark.parametrize("case", CASES)
def test_systemd_verifies_every_unit_and_instance(case: str, built: dict[str, Path]) -> None:
    plan = plan_case(case)
    target = plan.model.targets.binary
    stubs = [Path(target.install_dir) / "bin" / name for name in plan.services]
    instances = [f"{u.name.replace('@.', f'@{i}.')}" for u in _units(built[case]) if "@." in u.name for i in range(2)]
    consumers.systemd_verify(_units(built[case]), stand_in_exec=stubs, instances=instances)


@pytest.mark.parametrize("case", CASES)
def test_target_wants_every_enabled_instance(case: str, built: dict[str, Path]) -> None:
    plan = plan_case(case)
    for host in _hosts(case):
        text = (built[case] / "binary" / host / "etc/systemd/system/openim.target").read_text()
        wants = next(line for line in text.splitlines() if line.startswith("Wants=")).removeprefix("Wants=").split()
        expected = []
        for svc in plan.services.values():
            unit = svc.name if svc.name.startswith("openim-") else f"openim-{svc.name}"
            expected += [f"{unit}@{i.index}.service" for i in svc.instances if i.host == host]
        assert wants == expected, host


@pytest.mark.parametrize("case", CASES)
def test_units_start_each_instance_with_its_index_and_config(case: str, built: dict[str, Path]) -> None:
    plan = plan_case(case)
    target = plan.model.targets.binary
    for svc in plan.services.values():
        unit = svc.name if svc.name.startswith("openim-") else f"openim-{svc.name}"
        host = svc.instances[0].host
        text = (built[case] / f"binary/{host}/etc/systemd/system/{unit}@.service").read_text()
        assert f"ExecStart={target.install_dir}/bin/{svc.name} -i %i -c {target.config_dir}/{svc.product}/\n" in text
        assert f"User={target.user}\n" in text


@pytest.mark.parametrize("case", CASES)
def test_config_files_have_absolute_logs_and_every_instance_port(case: str, built: dict[str, Path]) -> None:
    plan = plan_case(case)
    host = plan.services["openim-msggateway"].instances[0].host
    root = built[case] / "binary" / host / plan.model.targets.binary.config_dir.strip("/")
    log = yamlio.load_plain((root / "server/log.yml").read_text())
    assert log["storageLocation"] == f"{plan.model.targets.binary.log_dir}/server/"
    gateway = yamlio.load_plain((root / "server/openim-msggateway.yml").read_text())
    assert gateway["longConnSvr"]["ports"] == list(plan.services["openim-msggateway"].ports["ws"])
    assert gateway["rpc"]["autoSetPorts"] is False


@pytest.mark.parametrize("case", CASES)
def test_secrets_only_in_root_only_env_files(case: str, built: dict[str, Path]) -> None:
    root = built[case] / "binary"
    values = set(SECRET_ENV.values()) | DEFAULT_CREDENTIALS
    secret_files = 0
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        if "secrets" in path.relative_to(root).parts:
            assert path.stat().st_mode & 0o777 == 0o600, path
            secret_files += 1
            continue
        if path.name == FCM_FILE:  # read by the service user: its group, nobody else
            assert path.stat().st_mode & 0o777 == 0o640, path
            continue
        text = path.read_text()
        assert not [v for v in values if v in text], f"{path} holds a secret value"
        if path.parent.name in ("server", "chat"):  # OpenIM config: readable by its group only
            assert path.stat().st_mode & 0o777 == 0o640, path
    assert secret_files > 0


@pytest.mark.parametrize("case", CASES)
def test_every_unit_scores_ok_in_systemd_security(case: str, built: dict[str, Path]) -> None:
    scores = {u.name: consumers.systemd_security_score(u) for u in _units(built[case]) if u.suffix == ".service"}
    assert scores
    assert {name: s for name, s in scores.items() if s > 1.5} == {}


@pytest.mark.parametrize("case", CASES)
def test_install_script_is_clean_posix_sh(case: str, built: dict[str, Path]) -> None:
    scripts = sorted((built[case] / "binary").glob("*/install.sh"))
    assert len(scripts) == len(_hosts(case))
    for script in scripts:
        proc = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert script.stat().st_mode & 0o111
    consumers.shellcheck(scripts)


def test_each_host_holds_only_its_own_units_and_files(built: dict[str, Path]) -> None:
    plan = plan_case("two-hosts")
    root = built["two-hosts"] / "binary"
    for host in _hosts("two-hosts"):
        units = {u.name for u in _units(built["two-hosts"], host)} - {"openim.target"}
        expected = {
            (s.name if s.name.startswith("openim-") else f"openim-{s.name}") + "@.service"
            for s in plan.services.values()
            if any(i.host == host for i in s.instances)
        }
        assert units == expected, host
    assert (root / "im-a/opt/openim/infra/compose.yaml").is_file()
    assert not (root / "im-b/opt/openim/infra").exists()
    # openim-api.yml is read by the API alone, which runs on im-a only
    assert (root / "im-a/etc/openim/server/openim-api.yml").is_file()
    assert not (root / "im-b/etc/openim/server/openim-api.yml").exists()


def test_other_hosts_reach_infrastructure_and_register_their_own_address(built: dict[str, Path]) -> None:
    root = built["two-hosts"] / "binary/im-b/etc/openim/server"
    assert yamlio.load_plain((root / "mongodb.yml").read_text())["address"] == ["10.0.0.11:37017"]
    assert yamlio.load_plain((root / "discovery.yml").read_text())["etcd"]["address"] == ["10.0.0.11:12379"]
    assert yamlio.load_plain((root / "openim-push.yml").read_text())["rpc"]["registerIP"] == "10.0.0.12"
    infra = yamlio.load_plain((built["two-hosts"] / "binary/im-a/opt/openim/infra/compose.yaml").read_text())
    assert "EXTERNAL://10.0.0.11:19094" in infra["services"]["kafka"]["environment"]["KAFKA_CFG_ADVERTISED_LISTENERS"]


def test_prometheus_scrapes_every_instance_on_its_host(built: dict[str, Path]) -> None:
    plan = plan_case("two-hosts")
    prom = yamlio.load_plain((built["two-hosts"] / "binary/im-a/etc/openim/monitoring/prometheus.yml").read_text())
    targets = {t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    addresses = {h.name: h.address for h in plan.model.targets.binary.hosts}
    for svc in plan.services.values():
        for inst in svc.instances:
            if "metrics" in inst.ports:
                assert f"{addresses[inst.host]}:{inst.ports['metrics']}" in targets


def test_resource_limits_reach_the_unit(built: dict[str, Path]) -> None:
    unit = (built["two-hosts"] / "binary/im-b/etc/systemd/system/openim-rpc-msg@.service").read_text()
    assert "MemoryMax=2G\n" in unit and "CPUQuota=150%\n" in unit
