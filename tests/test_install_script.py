"""The binary target's install.sh run for real (POSIX sh) under a scratch root
(``OPENIM_ROOT``), with stand-ins for the system commands it calls (systemctl, docker,
useradd, ...) that record every call: what an operator's host would see."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import run

FAKES = {
    # Records every call; keeps enabled instances as openim.target.wants links (their WantedBy),
    # and answers is-active from $STATE/<unit> (default: active).
    "systemctl": """#!/bin/sh
echo "systemctl $*" >> "$LOG"
wants="$OPENIM_ROOT/etc/systemd/system/openim.target.wants"
case "$1" in
  enable) mkdir -p "$wants"
    for u in "$@"; do [ "$u" = enable ] || [ "$u" = openim.target ] || touch "$wants/$u"; done ;;
  disable) shift; for u in "$@"; do rm -f "$wants/$u"; done ;;
  is-active) if [ -f "$STATE/$2" ]; then cat "$STATE/$2"; else echo active; fi ;;
esac
exit 0
""",
    "docker": '#!/bin/sh\necho "docker $*" >> "$LOG"\n',
    "id": "#!/bin/sh\necho 0\n",
    "getent": "#!/bin/sh\nexit 0\n",
    "groupadd": '#!/bin/sh\necho "groupadd $*" >> "$LOG"\n',
    "useradd": '#!/bin/sh\necho "useradd $*" >> "$LOG"\n',
    "sleep": "#!/bin/sh\nexit 0\n",
    # install(1) without -o/-g: the scratch root has no such users.
    "install": """#!/bin/sh
args=''
while [ "$#" -gt 0 ]; do
  case "$1" in -o|-g) shift 2; continue ;; esac
  args="$args '$1'"; shift
done
eval "exec /usr/bin/install $args"
""",
}


@pytest.fixture
def host(tmp_path: Path) -> dict[str, Path]:
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    for name, body in FAKES.items():
        (fakes / name).write_text(body)
        (fakes / name).chmod(0o755)
    root, state = tmp_path / "root", tmp_path / "state"
    root.mkdir()
    state.mkdir()
    for binary in ("openim-api", "openim-push", "openim-msggateway", "openim-msgtransfer", "openim-crontask"):
        exe = root / "opt/openim/bin" / binary
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    for rpc in ("auth", "conversation", "friend", "group", "msg", "third", "user"):
        exe = root / f"opt/openim/bin/openim-rpc-{rpc}"
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return {"tmp": tmp_path, "fakes": fakes, "root": root, "state": state, "log": tmp_path / "calls.log"}


def _build(host: dict[str, Path], *sets: str) -> Path:
    args = [a for s in sets for a in ("--set", s)]
    proc = run("build", "-t", "binary", "-o", "deploy", *args, cwd=host["tmp"])
    assert proc.returncode == 0, proc.stderr
    return host["tmp"] / "deploy/binary/local/install.sh"


def _run(host: dict[str, Path], script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    host["log"].write_text("")
    env = {
        "PATH": f"{host['fakes']}:/usr/bin:/bin",
        "OPENIM_ROOT": str(host["root"]),
        "LOG": str(host["log"]),
        "STATE": str(host["state"]),
        "OPENIM_SETTLE_SECONDS": "2",
    }
    return subprocess.run(["/bin/sh", str(script), *args], env=env, capture_output=True, text=True, check=False, timeout=120)


def _calls(host: dict[str, Path]) -> list[str]:
    return host["log"].read_text().splitlines()


def _wants(host: dict[str, Path]) -> set[str]:
    folder = host["root"] / "etc/systemd/system/openim.target.wants"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_install_copies_everything_and_starts_every_instance(host: dict[str, Path]) -> None:
    script = _build(host)
    proc = _run(host, script, "install")
    assert proc.returncode == 0, proc.stderr
    root = host["root"]
    assert (root / "etc/openim/server/share.yml").is_file()
    assert (root / "etc/openim/secrets/openim-push.env").stat().st_mode & 0o777 == 0o600
    assert "docker compose -f " + str(root / "opt/openim/infra/compose.yaml") + " up -d --wait" in _calls(host)
    assert {f"openim-push@{i}.service" for i in range(8)} <= _wants(host)
    assert "systemctl start openim-push@7.service" in _calls(host)


def test_uninstall_stops_and_disables_every_unit_and_keeps_data(host: dict[str, Path]) -> None:
    script = _build(host)
    assert _run(host, script, "install").returncode == 0
    (host["root"] / "var/lib/openim/keep.me").write_text("data")
    proc = _run(host, script, "uninstall")
    assert proc.returncode == 0, proc.stderr
    calls = _calls(host)
    assert "systemctl stop openim-push@3.service" in calls and "systemctl disable openim-push@3.service" in calls
    assert not [c for c in calls if "--now" in c], "no option is ever passed as a unit name"
    assert _wants(host) == set()
    assert not (host["root"] / "etc/openim/server/share.yml").exists()
    assert (host["root"] / "var/lib/openim/keep.me").read_text() == "data"
    assert (host["root"] / "opt/openim/infra/compose.yaml").is_file(), "the infrastructure (and its data) stays"


def test_scaling_down_stops_and_disables_the_instances_removed(host: dict[str, Path]) -> None:
    assert _run(host, _build(host), "install").returncode == 0
    script = _build(host, "services.openim-push.instances=2")
    proc = _run(host, script, "upgrade")
    assert proc.returncode == 0, proc.stderr
    calls = _calls(host)
    for index in range(2, 8):
        assert f"systemctl stop openim-push@{index}.service" in calls
        assert f"systemctl disable openim-push@{index}.service" in calls
    assert {u for u in _wants(host) if u.startswith("openim-push@")} == {"openim-push@0.service", "openim-push@1.service"}


def test_upgrade_restarts_one_service_at_a_time_and_stops_at_a_failure(host: dict[str, Path]) -> None:
    script = _build(host)
    assert _run(host, script, "install").returncode == 0
    script = _build(host, "log.level=3")
    (host["state"] / "openim-rpc-auth@0.service").write_text("failed\n")
    proc = _run(host, script, "upgrade")
    assert proc.returncode == 1
    assert "openim-rpc-auth@0.service did not stay active after the restart" in proc.stderr
    restarts = [c.split()[-1] for c in _calls(host) if c.startswith("systemctl restart ")]
    assert restarts[-1] == "openim-rpc-auth@0.service", "nothing after the failing service is restarted"
    assert restarts.index("openim-api@0.service") < restarts.index("openim-push@0.service")
    log = host["root"] / "etc/openim/server/log.yml"
    assert "remainLogLevel: 3" in log.read_text()
    os.remove(host["state"] / "openim-rpc-auth@0.service")
    rollback = _run(host, script, "rollback")
    assert rollback.returncode == 0, rollback.stderr
    assert "remainLogLevel: 6" in log.read_text(), "the previous config is back"
