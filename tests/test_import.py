"""``openim-gen import``: upstream's config directories, env files and an operator's
openim-docker checkout become the smallest openim.yaml, with credentials only in
``openim.secrets/``, data directories kept, and a report of everything not carried over."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from openim_config.catalog import load_catalog
from openim_config.model import OpenIM
from openim_config.plan import build_plan
from tests import consumers

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
SERVER, CHAT, DOCKER = FIXTURES / "server-config", FIXTURES / "chat-config", FIXTURES / "openim-docker"


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openim_config", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def imported(cwd: Path, *paths: str | Path) -> tuple[dict[str, Any], str]:
    proc = run("import", *paths, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    text = (cwd / "openim.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=openim.schema.json\n")
    return yamlio.load_plain(text) or {}, proc.stdout


def checkout(tmp_path: Path, env: dict[str, str], extra_server_env: tuple[str, ...] = ()) -> Path:
    """An operator's openim-docker checkout: upstream's files, with these .env values set."""
    root = tmp_path / "openim-docker"
    root.mkdir()
    compose = (DOCKER / "docker-compose.yaml").read_text()
    if extra_server_env:
        anchor = "      - IMENV_OPENIM_API_PROMETHEUS_GRAFANAURL=${GRAFANA_URL}\n"
        compose = compose.replace(anchor, anchor + "".join(f"      - {e}\n" for e in extra_server_env))
    (root / "docker-compose.yaml").write_text(compose)
    lines = (DOCKER / "env.example").read_text().splitlines()
    for name, value in env.items():
        found = [i for i, line in enumerate(lines) if line.startswith(f"{name}=")]
        assert found, name
        lines[found[0]] = f"{name}={value}"
    (root / ".env").write_text("\n".join(lines) + "\n")
    return root


# --- the round trip of upstream's own defaults ----------------------------------------------

DOCUMENTED = {
    # openim-gen's own choices for the keys it sets (README "Importing an existing deployment"):
    "server:log.yml:storageLocation",  # an absolute log directory per target
    "chat:log.yml:storageLocation",
    "server:minio.yml:externalAddress",  # http://<publicHost>:<port>, not openim-docker's placeholder
    "server:openim-api.yml:prometheus.grafanaURL",  # empty without monitoring
    "chat:share.yml:openIM.apiURL",  # the API openim-gen deploys (localhost vs 127.0.0.1)
    "server:redis.yml:username",  # '' for null: the same empty value
    "server:kafka.yml:tls.clientKeyPwd",
    "server:mongodb.yml:uri",
    # targets.helm.namespace (openim by default); no target reads it at this line (discovery is etcd's)
    "server:discovery.yml:kubernetes.namespace",
    "chat:discovery.yml:kubernetes.namespace",
}
"""Keys whose generated value differs from upstream's default beyond ports, service names and
credentials (those three are checked by rule below)."""


def _diff(a: Any, b: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _diff(a.get(k), b.get(k), (*path, k))]
    return [] if a == b else [(path, a, b)]


def test_upstream_default_config_round_trips(tmp_path: Path) -> None:
    model, report = imported(tmp_path, SERVER, CHAT)
    assert model == {"chat": {"enabled": True}}, model
    assert not (tmp_path / "openim.secrets").exists()
    for name in ("prometheus.yml", "alertmanager.yml", "instance-down-rules.yml", "email.tmpl"):
        assert f"{name}: monitoring configuration: openim-gen writes its own" in report
    plan = build_plan(OpenIM.model_validate(model))
    catalog = load_catalog("3.8")
    for product, directory in (("server", SERVER), ("chat", CHAT)):
        for file, generated in plan.documents["host"][product].items():
            upstream = yamlio.load_plain((directory / file).read_text())
            for path, theirs, ours in _diff(upstream, generated):
                key = ".".join(path)
                binary_ports = {s.key for b in catalog.binaries.values() for s in b.ports.values()} | {
                    k for b in catalog.binaries.values() for k in b.autoSetPorts
                }
                if f"{file}:{key}" in catalog.secretKeys[product]:  # type: ignore[index]
                    assert ours == "", (file, key)  # delivered as IMENV_/CHATENV_ variables instead
                elif path[0] in ("rpcRegisterName", "rpcService"):
                    assert ours.endswith("-service"), (file, key)
                elif key in binary_ports and isinstance(theirs, list):
                    assert theirs[: len(ours)] == ours, (file, key)  # one port per instance
                elif key.endswith("autoSetPorts"):
                    assert (theirs, ours) == (True, False), (file, key)  # fixed ports
                else:
                    assert f"{product}:{file}:{key}" in DOCUMENTED, (file, key, theirs, ours)


def test_changed_upstream_values_go_to_config_or_model_keys(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(SERVER, config)
    share = (config / "share.yml").read_text().replace("policy: 1", "policy: 2")
    (config / "share.yml").write_text(share.replace("imAdminUserID: [ imAdmin ]", "imAdminUserID: [ root1, root2 ]"))
    api = (config / "openim-api.yml").read_text().replace("ports: [ 10002 ]", "ports: [ 20002 ]")
    (config / "openim-api.yml").write_text(api)
    (config / "log.yml").write_text((config / "log.yml").read_text().replace("remainLogLevel: 6", "remainLogLevel: 3"))
    model, _ = imported(tmp_path, config)
    assert model["admins"] == [{"userID": "root1"}, {"userID": "root2"}]
    assert model["services"] == {"openim-api": {"ports": {"http": [20002]}}}
    assert model["log"] == {"level": 3}
    assert model["config"] == {"server": {"share.yml": {"multiLogin": {"policy": 2}}}}
    assert "chat" not in model


def test_changed_upstream_values_reach_the_generated_files(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(SERVER, config)
    (config / "share.yml").write_text((config / "share.yml").read_text().replace("policy: 1", "policy: 2"))
    model, _ = imported(tmp_path, config)
    plan = build_plan(OpenIM.model_validate(model))
    assert plan.documents["host"]["server"]["share.yml"]["multiLogin"]["policy"] == 2


# --- an env file ------------------------------------------------------------------------------


def test_env_file(tmp_path: Path) -> None:
    (tmp_path / "openim.env").write_text(
        "# what an operator exported for the server and chat\n"
        "IMENV_OPENIM_RPC_USER_RPC_PORTS=20320\n"
        "export IMENV_LOG_REMAINLOGLEVEL=3\n"
        'IMENV_MONGODB_ADDRESS="db1.example.net:27017,db2.example.net:27017"\n'
        "IMENV_MONGODB_PASSWORD=env-planted-mongo-7f3a  # the application user\n"
        "CHATENV_SHARE_OPENIM_APIURL=http://api.example.net:10002\n"
        "IMENV_SHARE_MULTILOGIN_POLICY=2\n"
        "IMENV_NO_SUCH_KEY=1\n"
        "HOME_DIR=/root\n"
    )
    model, report = imported(tmp_path, "openim.env")
    assert model["services"] == {"openim-rpc-user": {"ports": {"grpc": [20320]}}}
    assert model["log"] == {"level": 3}
    assert model["infra"]["mongodb"] == {
        "mode": "external",
        "address": ["db1.example.net:27017", "db2.example.net:27017"],
        "password": {"file": "openim.secrets/mongodbPassword"},
    }
    assert model["chat"] == {"enabled": True, "apiURL": "http://api.example.net:10002"}
    assert model["config"]["server"]["share.yml"] == {"multiLogin": {"policy": 2}}
    assert (tmp_path / "openim.secrets/mongodbPassword").read_text() == "env-planted-mongo-7f3a\n"
    assert "openim.env:8: IMENV_NO_SUCH_KEY: reaches no key of the release line's files" in report
    assert "openim.env:9: HOME_DIR: not an IMENV_/CHATENV_ variable" in report


# --- an operator's openim-docker deployment ---------------------------------------------------

PLANTED = {
    "MONGO_PASSWORD": "planted-mongo-9d1c",
    "REDIS_PASSWORD": "planted-redis-41b7",
    "MINIO_SECRET_ACCESS_KEY": "planted-minio-c0de",
    "OPENIM_SECRET": "planted-secret-5e5e",
}
OPERATOR = {
    **PLANTED,
    "OPENIM_API_PORT": "20002",
    "OPENIM_MSG_GATEWAY_PORT": "20001",
    "CHAT_API_PORT": "20008",
    "ADMIN_API_PORT": "20009",
    "OPENIM_WEB_FRONT_PORT": "21001",
    "OPENIM_ADMIN_FRONT_PORT": "21002",
    "GRAFANA_PORT": "23000",
    "MINIO_PORT": "20005",
    "MINIO_EXTERNAL_ADDRESS": '"https://files.example.com"',
    "GRAFANA_URL": '"https://grafana.example.com/"',
}
DATA = {
    "mongodb": "/data/db",
    "redis": "/data",
    "kafka": "/bitnami/kafka",
    "minio": "/data",
    "prometheus": "/prometheus",
    "grafana": "/var/lib/grafana",
}
"""Where each component keeps its data, in both deployments."""


def _bind_sources(compose: dict[str, Any], service: str, target: str) -> list[str]:
    return [v["source"] for v in compose["services"][service].get("volumes", []) if v.get("type") == "bind" and v["target"] == target]


def test_openim_docker_deployment_keeps_its_data_ports_and_credentials(tmp_path: Path) -> None:
    root = checkout(tmp_path, OPERATOR)
    model, report = imported(tmp_path, root)
    assert model["chat"] == {"enabled": True}
    assert model["fronts"] == {"web": {"enabled": True, "port": 21001}, "admin": {"enabled": True, "port": 21002}}
    assert model["monitoring"] == {"enabled": True, "grafanaPort": 23000, "grafanaUrl": "https://grafana.example.com/"}
    assert model["infra"]["minio"]["externalAddress"] == "https://files.example.com"
    assert model["infra"]["minio"]["port"] == 20005
    assert model["services"]["openim-api"] == {"ports": {"http": [20002]}}
    assert model["services"]["chat-api"] == {"ports": {"http": [20008]}}
    assert "openim-api http: 20002:10002 -> 20002:20002" in report
    assert "minio console: 10004:9090 -> 10004:9001" in report
    assert "profile m -> monitoring" in report
    assert "service mongo -> mongodb" in report
    # credentials: only in openim.secrets/, 0600 in a 0700 directory
    text = (tmp_path / "openim.yaml").read_text()
    for value in PLANTED.values():
        assert value not in text
    secrets = tmp_path / "openim.secrets"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    written = {p.name: p for p in secrets.iterdir()}
    names = {"mongodbPassword": "MONGO_PASSWORD", "redisPassword": "REDIS_PASSWORD", "minioSecretAccessKey": "MINIO_SECRET_ACCESS_KEY"}
    names["openimSecret"] = "OPENIM_SECRET"
    assert set(written) == set(names)
    for name, variable in names.items():
        assert written[name].read_text() == PLANTED[variable] + "\n"
        assert stat.S_IMODE(written[name].stat().st_mode) == 0o600
    # rebuilt and verified, on the same data directories
    proc = run("build", "-t", "all", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = run("verify", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    theirs = consumers.compose_config(root / "docker-compose.yaml", allow_warnings=True)
    ours = consumers.compose_config(tmp_path / "deploy/compose/compose.yaml")
    renamed = {"mongodb": "mongo"}
    for component, target in DATA.items():
        expected = _bind_sources(theirs, renamed.get(component, component), target)
        assert expected and _bind_sources(ours, component, target) == expected, component
        assert expected[0].startswith(str(root / "components"))
    assert ours["services"]["openim-api"]["ports"][0]["published"] == "20002"
    assert ours["services"]["minio"]["ports"][0]["published"] == "20005"
    env = (tmp_path / "deploy/compose/secrets/openim-api.env").read_text()
    assert PLANTED["OPENIM_SECRET"] in env


def test_openim_docker_fcm_push_is_imported_by_reference(tmp_path: Path) -> None:
    root = checkout(tmp_path, {}, ("IMENV_OPENIM_PUSH_ENABLE=fcm", "IMENV_OPENIM_PUSH_FCM_AUTHURL=https://fcm.example.com/auth"))
    server_config = root / "openim-server-config"
    shutil.copytree(SERVER, server_config)
    push = (server_config / "openim-push.yml").read_text().replace("  filePath:   #", "  filePath: fcm-account.json #")
    (server_config / "openim-push.yml").write_text(push)
    (server_config / "fcm-account.json").write_text('{"private_key": "planted-fcm-key-77aa"}')
    compose = (root / "docker-compose.yaml").read_text()
    mount = "    container_name: openim-server\n    volumes:\n      - ./openim-server-config:/openim-server/config\n"
    (root / "docker-compose.yaml").write_text(compose.replace("    container_name: openim-server\n", mount))
    model, report = imported(tmp_path, root)
    assert model["push"] == {"provider": "fcm", "fcm": {"serviceAccount": {"file": "openim.secrets/push.fcm.serviceAccount"}}}
    assert "fcm.authURL: unused: OpenIM reads the service-account file first" in report
    assert "config" not in model
    assert "planted-fcm-key-77aa" not in (tmp_path / "openim.yaml").read_text()
    account = tmp_path / "openim.secrets/push.fcm.serviceAccount"
    assert account.read_bytes() == (server_config / "fcm-account.json").read_bytes()
    assert stat.S_IMODE(account.stat().st_mode) == 0o600


def test_object_storage_backend_and_its_keys_are_first_class(tmp_path: Path) -> None:
    extra = (
        "IMENV_OPENIM_RPC_THIRD_OBJECT_ENABLE=cos",
        "IMENV_OPENIM_RPC_THIRD_OBJECT_COS_BUCKETURL=https://im-1250000000.cos.ap-tokyo.myqcloud.com",
        "IMENV_OPENIM_RPC_THIRD_OBJECT_COS_SECRETID=planted-cos-id-31",
        "IMENV_OPENIM_RPC_THIRD_OBJECT_COS_SECRETKEY=planted-cos-key-32",
    )
    model, report = imported(tmp_path, checkout(tmp_path, {}, extra))
    assert model["objectStorage"] == {
        "backend": "cos",
        "cos": {
            "bucketURL": "https://im-1250000000.cos.ap-tokyo.myqcloud.com",
            "secretID": {"file": "openim.secrets/objectStorage.cos.secretID"},
            "secretKey": {"file": "openim.secrets/objectStorage.cos.secretKey"},
        },
    }
    assert "minio-data" not in model.get("storage", {}) and "minio" not in model.get("infra", {})
    assert "MinIO and its data: objectStorage.backend is cos: openim-gen deploys no MinIO" in report
    text = (tmp_path / "openim.yaml").read_text()
    assert "planted-cos" not in text
    assert (tmp_path / "openim.secrets/objectStorage.cos.secretKey").read_text() == "planted-cos-key-32\n"


def test_openim_docker_fcm_deployment_builds_and_verifies(tmp_path: Path) -> None:
    test_openim_docker_fcm_push_is_imported_by_reference(tmp_path)
    assert run("build", "-t", "all", cwd=tmp_path).returncode == 0
    assert run("verify", "-q", cwd=tmp_path).returncode == 0


# --- the report -------------------------------------------------------------------------------


def test_report_lists_what_could_not_be_represented(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(SERVER, config)
    (config / "log.yml").write_text((config / "log.yml").read_text().replace("../../../../logs/", "/srv/logs/"))
    (config / "share.yml").write_text((config / "share.yml").read_text() + "\nnoSuchKey: 1\n")
    (config / "kafka.yml").write_text(re.sub(r"(?m)^password: ''", "password: planted-kafka-1a2b", (config / "kafka.yml").read_text()))
    (config / "notes.txt").write_text("mine")
    model, report = imported(tmp_path, config)
    assert "log.yml storageLocation '/srv/logs/': openim-gen generates '/var/log/openim/server/'" in report
    assert "share.yml:" in report and "noSuchKey: not a key of upstream's share.yml: OpenIM ignores it" in report
    assert re.search(r"openim\.yaml: infra\.kafka\.password: refused by the model \(.*\): left out", report), report
    assert "kafka" not in model.get("infra", {})
    assert not (tmp_path / "openim.secrets").exists() or "planted-kafka" not in "".join(
        p.read_text() for p in (tmp_path / "openim.secrets").iterdir()
    )
    assert "notes.txt: file beside the config files: no imported key names it: not carried over" in report


# --- bad input ----------------------------------------------------------------------------------


def _config_with(tmp_path: Path, file: str, text: str) -> Path:
    config = tmp_path / "config"
    shutil.copytree(SERVER, config)
    (config / file).write_text(text)
    return config


def _env(tmp_path: Path, text: str) -> Path:
    (tmp_path / "bad.env").write_text(text)
    return tmp_path / "bad.env"


def _no_env(tmp_path: Path) -> Path:
    root = checkout(tmp_path, {})
    (root / ".env").unlink()
    return root


def _both(tmp_path: Path) -> Path:
    mixed = tmp_path / "mixed"
    shutil.copytree(SERVER, mixed)
    shutil.copy(CHAT / "chat-rpc-chat.yml", mixed)
    return mixed


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: t / "nowhere", r"nowhere: no such file or directory"),
        (lambda t: _config_with(t, "share.yml", "secret: [unclosed\n"), r"config/share\.yml:\d+:\d+: not valid YAML"),
        (lambda t: _config_with(t, "openim-api.yml", "api:\n  ports: [ten]\n"), r"config/openim-api\.yml:2:1: api\.ports: a list expected"),
        (lambda t: _env(t, "IMENV_LOG_REMAINLOGLEVEL=high\n"), r"bad\.env:1:1: IMENV_LOG_REMAINLOGLEVEL: an integer expected"),
        (lambda t: _env(t, "IMENV_LOG_REMAINLOGLEVEL\n"), r"bad\.env:1:1: not a NAME=VALUE line"),
        (_no_env, r"openim-docker/\.env: missing"),
        (_both, r"holds both server and chat files"),
    ],
)
def test_bad_input_is_a_located_error_and_writes_nothing(tmp_path: Path, make: Any, message: str) -> None:
    path = make(tmp_path)
    proc = run("import", path, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "openim.yaml").exists() and not (tmp_path / "openim.secrets").exists()


def test_an_existing_openim_yaml_is_kept_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "openim.yaml").write_text("publicHost: mine.example.com\n")
    proc = run("import", checkout(tmp_path, PLANTED), cwd=tmp_path)
    assert proc.returncode == 2 and "openim.yaml: already exists" in proc.stderr
    assert (tmp_path / "openim.yaml").read_text() == "publicHost: mine.example.com\n"
    assert not (tmp_path / "openim.secrets").exists()
    proc = run("import", "--force", tmp_path / "openim-docker", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "openimSecret" in (tmp_path / "openim.yaml").read_text()


def test_secret_references_resolve_from_another_output_directory(tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = run("import", "-o", site / "openim.yaml", checkout(tmp_path, PLANTED), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "file: site/openim.secrets/openimSecret" in (site / "openim.yaml").read_text()
    proc = run("build", "-t", "compose", "-f", site / "openim.yaml", "-o", tmp_path / "deploy", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert PLANTED["OPENIM_SECRET"] in (tmp_path / "deploy/compose/secrets/openim-api.env").read_text()
    assert os.stat(site / "openim.secrets").st_mode & 0o077 == 0
