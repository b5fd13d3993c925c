"""`helm test`: the chart's test hooks render through Helm, pass kubernetes-validate and checkov,
name every Service through its values, reach the OpenIM pods through the NetworkPolicies, and
their script (files/helm-test.sh) passes shellcheck and, run by busybox's sh against local
stand-ins for the Services, passes when every endpoint answers and fails when one does not."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openim_config import yamlio
from openim_config.bundle import BundleOptions, assemble
from openim_config.plan import Plan
from tests import consumers as c
from tests.helm_support import chart, template, validate
from tests.scenarios import plan_case, secret_env

HOOK = {"helm.sh/hook": "test", "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"}
APPLETS = ("nc", "timeout", "head", "sleep", "true")
"""What the script may use besides sh's builtins: all in the busybox image."""


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    with secret_env():
        plan = plan_case("production")
        return plan, chart(plan, tmp_path_factory.mktemp("production"))


def hook_pods(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == "Pod" and d["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]


def expected_targets(chart_dir: Path, sets: dict[str, Any] | None = None) -> set[str]:
    """Every enabled service's http port (an HTTP check) and grpc port (a TCP check), at the
    Service name its values block gives."""
    values = yamlio.load_plain((chart_dir / "values.yaml").read_text())
    out = set()
    for block in values.values():
        if isinstance(block, dict) and "configFile" in block and block["enabled"]:
            ports = {**block["ports"], **(sets or {}).get(block["name"], {})}
            out |= {f"http:{block['serviceName']}:{ports['http']}"} if "http" in ports else set()
            out |= {f"tcp:{block['serviceName']}:{ports['grpc']}"} if "grpc" in ports else set()
    return out


def rendered_targets(pods: list[dict[str, Any]]) -> list[str]:
    return [arg for pod in pods for arg in pod["spec"]["containers"][0]["args"]]


def test_hooks_check_every_api_and_grpc_service_by_its_values(production: tuple[Plan, Path]) -> None:
    plan, chart_dir = production
    docs = template(plan, chart_dir)
    validate(docs)
    pods = hook_pods(docs)
    release = plan.model.targets.helm.release
    assert sorted(p["metadata"]["name"] for p in pods) == [f"{release}-test-api", f"{release}-test-grpc"]
    for pod in pods:
        assert {k: pod["metadata"]["annotations"][k] for k in HOOK} == HOOK
        assert pod["spec"]["restartPolicy"] == "Never"
        assert pod["spec"]["containers"][0]["image"] == plan.extra_image("helm-test")
    targets = rendered_targets(pods)
    assert len(targets) == len(set(targets)) and set(targets) == expected_targets(chart_dir)
    assert {f"http:{release}-openim-api:20002", f"http:{release}-chat-api:10008", f"http:{release}-admin-api:10009"} <= set(targets)
    # A port changed at install time reaches the check, as it reaches the Service.
    moved = rendered_targets(hook_pods(template(plan, chart_dir, {"openimRpcUser.ports.grpc": "10999"})))
    assert set(moved) == expected_targets(chart_dir, {"openim-rpc-user": {"grpc": 10999}})


def test_chat_off_checks_no_chat_service(tmp_path: Path) -> None:
    with secret_env():
        plan = plan_case("chat-off")
        chart_dir = chart(plan, tmp_path)
        targets = rendered_targets(hook_pods(template(plan, chart_dir)))
    assert targets and set(targets) == expected_targets(chart_dir)
    assert not [t for t in targets if "chat" in t or "admin" in t]


def test_disabled_renders_no_test_pod_and_admits_none(production: tuple[Plan, Path]) -> None:
    plan, chart_dir = production
    on = template(plan, chart_dir, {"networkPolicy.enabled": "true"})
    off = template(plan, chart_dir, {"networkPolicy.enabled": "true", "tests.enabled": "false"})
    validate(on)
    assert not hook_pods(off)

    def admitted(docs: list[dict[str, Any]]) -> set[str]:
        policy = next(
            d
            for d in docs
            if d["kind"] == "NetworkPolicy"
            and d["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == "openim-rpc-user"
        )
        peer = policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"]
        return set(next(e["values"] for e in peer if e["key"] == "app.kubernetes.io/component"))

    assert "helm-test" in admitted(on) and "helm-test" not in admitted(off)
    pod = hook_pods(on)[0]
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "helm-test"


@pytest.mark.slow
def test_hooks_pass_the_hardening_checks(production: tuple[Plan, Path], tmp_path: Path) -> None:
    plan, chart_dir = production
    docs = template(plan, chart_dir, {"networkPolicy.enabled": "true"})
    pods = hook_pods(docs)
    for pod in pods:
        spec = pod["spec"]
        ctr = spec["containers"][0]
        assert spec["securityContext"]["runAsNonRoot"] and spec["automountServiceAccountToken"] is False
        assert ctr["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert ctr["resources"]["limits"] and ctr["resources"]["requests"]
    policy = next(
        d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == f"{plan.model.targets.helm.release}-helm-test"
    )
    assert policy["spec"]["ingress"] == [] and policy["spec"]["podSelector"]["matchLabels"].items() <= pods[0]["metadata"]["labels"].items()
    failures = c.checkov_failures([*pods, policy], tmp_path / "manifests")
    # Only what every object of the chart still fails: the model's namespace and images by tag.
    assert set(failures) <= {"CKV_K8S_21", "CKV_K8S_43"}, failures


# --------------------------------------------------------------------------- the script itself
def test_script_passes_shellcheck(production: tuple[Plan, Path]) -> None:
    c.shellcheck([production[1] / "files" / "helm-test.sh"], shell="sh")


class _Answer404(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # any status counts: the server answers
        self.send_error(404)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


def _listener(close_at_once: bool) -> tuple[socket.socket, int]:
    """A TCP listener on 127.0.0.1 that accepts and holds (a gRPC server's port) or closes at
    once without a byte (not HTTP)."""
    sock = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            if close_at_once:
                conn.close()
            else:
                held.append(conn)

    threading.Thread(target=serve, daemon=True).start()
    return sock, sock.getsockname()[1]


def _closed_port() -> int:
    """A port nothing listens on: a Service without a ready endpoint refuses the same way."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture()
def stand_ins() -> Iterator[dict[str, int]]:
    """Local stand-ins: an HTTP server answering 404, a TCP listener, one that closes at once."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer404)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    grpc, grpc_port = _listener(close_at_once=False)
    mute, mute_port = _listener(close_at_once=True)
    yield {"http": server.server_address[1], "tcp": grpc_port, "mute": mute_port}
    server.shutdown()
    server.server_close()
    grpc.close()
    mute.close()


def _run(pod: dict[str, Any], args: list[str], tmp_path: Path) -> tuple[int, str, str]:
    """The pod's own command (sh -c <script> helm-test) with ``args``, under busybox's sh."""
    command = pod["spec"]["containers"][0]["command"]
    assert command[:2] == ["sh", "-c"] and command[3] == "helm-test"
    proc = c.busybox_sh(command[2], args, APPLETS, tmp_path, env={"ATTEMPTS": "2", "DELAY": "0", "TIMEOUT": "2"})
    return proc.returncode, proc.stdout, proc.stderr


def _local(target: str, port: int) -> str:
    """A rendered target with its Service name overridden to the local stand-in."""
    kind, _host, _port = target.split(":")
    return f"{kind}:127.0.0.1:{port}"


def test_script_passes_when_every_endpoint_answers(production: tuple[Plan, Path], stand_ins: dict[str, int], tmp_path: Path) -> None:
    plan, chart_dir = production
    for pod in hook_pods(template(plan, chart_dir)):
        args = [_local(t, stand_ins[t.split(":")[0]]) for t in pod["spec"]["containers"][0]["args"]]
        code, out, err = _run(pod, args, tmp_path)
        assert code == 0, err
        assert out.count("ok: ") == len(args) and not err


def test_script_fails_when_a_grpc_service_has_no_endpoint(production: tuple[Plan, Path], stand_ins: dict[str, int], tmp_path: Path) -> None:
    plan, chart_dir = production
    pod = next(p for p in hook_pods(template(plan, chart_dir)) if p["metadata"]["name"].endswith("-test-grpc"))
    targets = pod["spec"]["containers"][0]["args"]
    missing = _closed_port()
    args = [_local(t, missing if "user-rpc" in t else stand_ins["tcp"]) for t in targets]
    code, out, err = _run(pod, args, tmp_path)
    assert code == 1
    assert f"FAIL: 127.0.0.1:{missing} has no ready endpoint" in err
    assert out.count("ok: ") == len(targets) - 1, "every other Service is still checked and reported"


def test_script_fails_when_the_api_does_not_answer_http(production: tuple[Plan, Path], stand_ins: dict[str, int], tmp_path: Path) -> None:
    plan, chart_dir = production
    pod = next(p for p in hook_pods(template(plan, chart_dir)) if p["metadata"]["name"].endswith("-test-api"))
    api = pod["spec"]["containers"][0]["args"][0]
    for port, why in ((stand_ins["mute"], "a port that accepts but says nothing"), (_closed_port(), "a closed port")):
        code, _out, err = _run(pod, [_local(api, port)], tmp_path)
        assert code == 1, why
        assert f"FAIL: 127.0.0.1:{port} gave no HTTP response in 2 attempts" in err, why
    code, _out, err = _run(pod, ["udp:openim-api:1"], tmp_path)
    assert code == 2 and "expected http:HOST:PORT or tcp:HOST:PORT" in err


# --------------------------------------------------------------------------- air-gapped sites
def test_bundle_carries_the_test_image_for_the_helm_target_only() -> None:
    with secret_env():
        plan = plan_case("default")
        helm = assemble(plan, BundleOptions(targets=("helm",)))
        compose = assemble(plan, BundleOptions(targets=("compose",)))
        mirrored = assemble(plan, BundleOptions(targets=("helm",), registry="mirror.local:5000/openim"))
    image = plan.extra_image("helm-test")

    def listed(bundle: Any) -> dict[str, list[str]]:
        return {i["reference"]: i["usedBy"] for i in bundle.manifest["images"]}

    assert listed(helm)[image] == ["helm-test"]
    assert image not in listed(compose)
    assert "mirror.local:5000/openim/busybox:" + image.split(":")[1] in listed(mirrored)
