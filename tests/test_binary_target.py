"""Binary target: units through the real `systemd-analyze`, files and modes as installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from openim_config import yamlio
from tests import consumers
from tests.scenarios import CASES, SECRET_ENV, plan_case


def _units(root: Path) -> list[Path]:
    return sorted((root / "binary/etc/systemd/system").iterdir())


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
    text = (built[case] / "binary/etc/systemd/system/openim.target").read_text()
    wants = next(line for line in text.splitlines() if line.startswith("Wants=")).removeprefix("Wants=").split()
    expected = []
    for svc in plan.services.values():
        unit = svc.name if svc.name.startswith("openim-") else f"openim-{svc.name}"
        expected += [f"{unit}@{i.index}.service" for i in svc.instances]
    assert wants == expected


@pytest.mark.parametrize("case", CASES)
def test_units_start_each_instance_with_its_index_and_config(case: str, built: dict[str, Path]) -> None:
    plan = plan_case(case)
    target = plan.model.targets.binary
    for svc in plan.services.values():
        unit = svc.name if svc.name.startswith("openim-") else f"openim-{svc.name}"
        text = (built[case] / f"binary/etc/systemd/system/{unit}@.service").read_text()
        assert f"ExecStart={target.install_dir}/bin/{svc.name} -i %i -c {target.config_dir}/{svc.product}/\n" in text
        assert f"User={target.user}\n" in text


@pytest.mark.parametrize("case", CASES)
def test_config_files_have_absolute_logs_and_every_instance_port(case: str, built: dict[str, Path]) -> None:
    plan = plan_case(case)
    root = built[case] / "binary" / plan.model.targets.binary.config_dir.strip("/")
    log = yamlio.load_plain((root / "server/log.yml").read_text())
    assert log["storageLocation"] == f"{plan.model.targets.binary.log_dir}/server/"
    gateway = yamlio.load_plain((root / "server/openim-msggateway.yml").read_text())
    assert gateway["longConnSvr"]["ports"] == list(plan.services["openim-msggateway"].ports["ws"])
    assert gateway["rpc"]["autoSetPorts"] is False


@pytest.mark.parametrize("case", CASES)
def test_secrets_only_in_root_only_env_files(case: str, built: dict[str, Path]) -> None:
    root = built[case] / "binary"
    values = set(SECRET_ENV.values()) | {"openIM123", "chat123"}
    secret_files = 0
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        if "secrets" in path.relative_to(root).parts:
            assert path.stat().st_mode & 0o777 == 0o600, path
            secret_files += 1
            continue
        text = path.read_text()
        assert not [v for v in values if v in text], f"{path} holds a secret value"
        if path.suffix == ".yml":
            assert path.stat().st_mode & 0o777 == 0o640, path
    assert secret_files > 0


@pytest.mark.parametrize("case", CASES)
def test_every_unit_scores_ok_in_systemd_security(case: str, built: dict[str, Path]) -> None:
    scores = {u.name: consumers.systemd_security_score(u) for u in _units(built[case]) if u.suffix == ".service"}
    assert scores
    assert {name: s for name, s in scores.items() if s > 1.5} == {}
