"""Seeded mutations: edit one artifact of a built deployment as a person might, and `verify`
must name exactly that difference (the service or component, and the fact)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openim_config.cli import main
from openim_config.verify import verify
from tests.scenarios import SECRET_ENV
from tests.verify_support import copy_case, edit_yaml, find_mapping


@pytest.fixture
def default(built: dict[str, Path], tmp_path: Path) -> Path:
    return copy_case(built["default"], tmp_path / "deploy")


@pytest.fixture
def production(built: dict[str, Path], tmp_path: Path) -> Path:
    return copy_case(built["production"], tmp_path / "deploy")


def _keys(out: Path) -> set[tuple[str, str]]:
    return verify(out).keys()


def test_a_port_in_a_compose_config_file(default: Path) -> None:
    edit_yaml(default / "compose/config/openim-api/openim-api.yml", lambda d: d["prometheus"].__setitem__("ports", [12003]))
    assert _keys(default) == {("openim-api", "port.metrics")}


def test_a_client_port_in_a_compose_config_file_is_also_not_published(default: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(default / "compose/config/openim-api/openim-api.yml", lambda d: d["api"].__setitem__("ports", [10003]))
    # Clients now reach nothing: compose publishes 10002, which no listener takes.
    assert _keys(default) == {("openim-api", "port.http"), ("openim-api", "published")}
    assert main(["verify", "-q", "-o", str(default)]) == 1
    out = capsys.readouterr().out
    assert "openim-api port.http: binary 10002, compose 10003, helm 10002" in out
    assert "compose: openim-api listens for http on 10003 but publishes 10002:10002" in out


def test_what_dials_a_moved_port_is_named_too(production: Path) -> None:
    """Moving the API in compose alone leaves chat's apiURL pointing at nothing."""
    edit_yaml(production / "compose/config/openim-api/openim-api.yml", lambda d: d["api"].__setitem__("ports", [20003]))
    keys = _keys(production)
    assert ("openim-api", "port.http") in keys
    assert ("config chat/share.yml", "data") in keys
    assert {s for s, f in keys if f == "infra"} == {"chat-api", "admin-api", "chat-rpc", "admin-rpc"}


def test_a_port_in_the_helm_values(default: Path) -> None:
    def change(values: Any) -> None:
        block = find_mapping(values, lambda m: m.get("name") == "openim-rpc-user" and isinstance(m.get("ports"), dict))
        block["ports"]["grpc"] = 10999

    edit_yaml(default / "helm/values.yaml", change)
    report = verify(default)
    assert report.keys() == {("openim-rpc-user", "port.grpc")}
    assert "helm 10999" in str(report.findings[0])


def test_a_value_in_the_helm_configmap_data(default: Path) -> None:
    def change(values: Any) -> None:
        doc = find_mapping(values, lambda m: "openim-rpc-auth.yml" in m)["openim-rpc-auth.yml"]
        doc["tokenPolicy"]["expire"] = 30

    edit_yaml(default / "helm/values.yaml", change)
    report = verify(default)
    assert report.keys() == {("config server/openim-rpc-auth.yml", "data")}
    assert "changed tokenPolicy.expire: 90 -> 30" in str(report.findings[0])


def test_a_volume_in_compose(default: Path) -> None:
    def change(compose: Any) -> None:
        volumes = compose["services"]["redis"]["volumes"]
        volumes[0] = volumes[0].replace("redis-data:", "redis-cache:")

    edit_yaml(default / "compose/compose.yaml", change)
    assert _keys(default) == {("infra redis", "volumes")}


def test_a_volume_mount_point_in_compose(default: Path) -> None:
    def change(compose: Any) -> None:
        volumes = compose["services"]["mongodb"]["volumes"]
        volumes[0] = volumes[0].replace(":/data/db", ":/data/other")

    edit_yaml(default / "compose/compose.yaml", change)
    assert _keys(default) == {("infra mongodb", "volumes")}


def test_an_image_in_compose(default: Path) -> None:
    def change(compose: Any) -> None:
        svc = compose["services"]["openim-rpc-group"]
        svc["image"] = svc["image"].replace("v3.8.3-patch.16", "v3.8.3-patch.15")

    edit_yaml(default / "compose/compose.yaml", change)
    assert _keys(default) == {("openim-rpc-group", "image")}


def test_an_instance_dropped_from_the_binary_target(default: Path) -> None:
    target = next(default.glob("binary/**/openim.target"))
    target.write_text(target.read_text().replace(" openim-push@7.service", ""))
    assert _keys(default) == {
        ("openim-push", "instances"),
        ("openim-push", "port.grpc"),
        ("openim-push", "port.metrics"),
        ("openim-push", "start"),
    }


def test_a_config_value_in_the_binary_target(default: Path) -> None:
    path = next(default.glob("binary/**/server/openim-rpc-auth.yml"))
    edit_yaml(path, lambda d: d["tokenPolicy"].__setitem__("expire", 7))
    assert _keys(default) == {("config server/openim-rpc-auth.yml", "data")}


def test_one_compose_copy_of_a_shared_file(default: Path) -> None:
    edit_yaml(default / "compose/config/openim-rpc-auth/redis.yml", lambda d: d.__setitem__("db", 3))
    report = verify(default)
    assert report.keys() == {("config server/redis.yml", "copies")}
    assert "config/openim-rpc-auth/redis.yml differ" in str(report.findings[0])


def test_an_infrastructure_address_in_one_compose_copy(default: Path) -> None:
    edit_yaml(default / "compose/config/openim-rpc-user/redis.yml", lambda d: d.__setitem__("address", ["cache:6379"]))
    keys = _keys(default)
    assert keys == {("openim-rpc-user", "infra"), ("config server/redis.yml", "copies")}


def test_a_credential_value_differs_without_showing_it(production: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = production / "compose/secrets/openim-rpc-user.env"
    env.write_text(env.read_text().replace(SECRET_ENV["REDIS_PASSWORD"], "another-password"))
    assert _keys(production) == {("openim-rpc-user", "secret values")}
    assert main(["verify", "-o", str(production)]) == 1
    out = capsys.readouterr().out
    assert "values of IMENV_REDIS_PASSWORD differ between" in out
    assert "another-password" not in out and SECRET_ENV["REDIS_PASSWORD"] not in out


def test_a_credential_file_dropped_from_compose(default: Path) -> None:
    edit_yaml(default / "compose/compose.yaml", lambda c: c["services"]["openim-crontask"].pop("env_file"))
    assert _keys(default) == {("openim-crontask", "credentials"), ("openim-crontask", "secret values")}


def test_values_helm_rejects_are_a_usage_error_naming_helms_message(default: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(values: Any) -> None:
        find_mapping(values, lambda m: m.get("name") == "openim-rpc-user" and isinstance(m.get("ports"), dict))["ports"]["grpc"] = "x"

    edit_yaml(default / "helm/values.yaml", change)
    assert main(["verify", "-o", str(default)]) == 2
    assert "Helm cannot render the chart" in capsys.readouterr().err


def test_one_host_of_several_points_elsewhere(built: dict[str, Path], tmp_path: Path) -> None:
    """Several hosts: each host's files name the others by address; one host's copy that
    points at an address no host has is named, with the processes on that host."""
    out = copy_case(built["two-hosts"], tmp_path / "deploy")
    redis = next(p for p in out.glob("binary/*/etc/openim/server/redis.yml") if p.parts[-5] == "im-b")
    edit_yaml(redis, lambda d: d.__setitem__("address", ["10.0.0.99:16379"]))
    keys = verify(out).keys()
    assert ("config server/redis.yml", "copies") in keys
    assert ("openim-msgtransfer", "infra") in keys, "msgtransfer runs on im-b only"
    assert ("openim-api", "infra") not in keys, "openim-api runs on im-a"


def test_a_chat_service_whose_arguments_never_reach_it(production: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Compose without the entrypoint override: the image's `sh -c` swallows -i and -c."""
    edit_yaml(production / "compose/compose.yaml", lambda d: d["services"]["chat-api"].pop("entrypoint"))
    assert ("chat-api", "start") in _keys(production)
    assert main(["verify", "-q", "-o", str(production)]) == 1
    assert "arguments never reach it (entrypoint 'sh -c _output/${BINARY_NAME}')" in capsys.readouterr().out


def test_a_pod_started_without_its_config_directory(production: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The chart's old defect: CONFIG_PATH only, no -c (the 3.8 line reads only -c)."""
    path = production / "helm/templates/_workload.tpl"
    path.write_text(path.read_text().replace('args: ["-i", "0", "-c", {{ $configDir | quote }}]', 'args: ["-i", "0"]'))
    assert {f for s, f in _keys(production) if s == "openim-api"} == {"start"}
    assert main(["verify", "-q", "-o", str(production)]) == 1
    assert "-i 0 -c missing" in capsys.readouterr().out


def test_a_front_missing_from_one_target_is_named(production: Path) -> None:
    edit_yaml(production / "compose/compose.yaml", lambda d: d["services"].pop("openim-web-front"))
    assert _keys(production) == {("extra web-front", "image"), ("extra web-front", "published"), ("extra web-front", "port")}


def test_the_charts_own_monitoring_is_compared_with_the_other_targets(built: dict[str, Path], tmp_path: Path) -> None:
    """two-hosts runs Prometheus in every target: an image changed in the chart alone is named."""
    deploy = copy_case(built["two-hosts"], tmp_path / "deploy")
    rows = {(r.subject, r.fact): r for r in verify(deploy).rows}
    assert rows[("extra prometheus", "image")].cell("helm") == rows[("extra prometheus", "image")].cell("compose")
    assert rows[("extra node-exporter", "image")].cell("helm") == "not deployed"
    edit_yaml(deploy / "helm/values.yaml", lambda d: d["monitoring"]["prometheus"].__setitem__("image", "mirror.example.com/prometheus:v2"))
    assert _keys(deploy) == {("extra prometheus", "image")}


def test_a_front_the_chart_leaves_out_is_named(production: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(production / "helm/values.yaml", lambda d: d["fronts"]["admin"].__setitem__("enabled", False))
    assert _keys(production) == {("extra admin-front", "image"), ("extra admin-front", "published"), ("extra admin-front", "port")}
    assert main(["verify", "-q", "-o", str(production)]) == 1
    assert "extra admin-front image: binary openim/openim-admin-front:release-v1.8.4-patch.2, compose" in capsys.readouterr().out


def test_a_front_on_another_port_in_one_target_is_named(production: Path) -> None:
    edit_yaml(production / "helm/values.yaml", lambda d: d["fronts"]["web"].__setitem__("port", 11099))
    assert _keys(production) == {("extra web-front", "published")}


def test_a_front_listening_elsewhere_in_compose_is_named(production: Path) -> None:
    edit_yaml(production / "compose/compose.yaml", lambda d: d["services"]["openim-admin-front"].__setitem__("ports", ["11002:8080"]))
    assert _keys(production) == {("extra admin-front", "port")}


def test_a_front_with_another_image_in_the_chart_is_named(production: Path) -> None:
    edit_yaml(production / "helm/values.yaml", lambda d: d["fronts"]["web"].__setitem__("image", "mirror.example.com/web:1"))
    assert _keys(production) == {("extra web-front", "image")}
