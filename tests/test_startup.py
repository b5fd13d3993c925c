"""The start-up fidelity suite: every OpenIM process of every target of every golden case,
started as that target starts it, through OpenIM's own loading code (``tests/startup``).

A process passes when the file loading of its upstream command succeeds with upstream's
struct types and env overrides, it passes upstream's early start-up checks (its ``-i``
index in every port list it uses, an accepted discovery backend, what that backend needs),
every address its files make it dial is something the target provides, every credential
field holds the model's value, and no IMENV_/CHATENV_ variable it is given overrides nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scenarios import CASES, TARGET_NAMES, secret_env
from tests.startup import checks
from tests.startup.deployment import Deployment, comparable, own_ports
from tests.startup.harness import Harness, build
from tests.startup.launch import Started

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return build(tmp_path_factory.mktemp("harness"))


_DEPLOYED: dict[str, Deployment] = {}
_STARTED: dict[tuple[str, str], list[Started]] = {}


@pytest.fixture(scope="session")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Deployment]]:
    yield _DEPLOYED
    _DEPLOYED.clear()
    _STARTED.clear()


def deployment(store: dict[str, Deployment], tmp: pytest.TempPathFactory, case: str) -> Deployment:
    if case not in store:
        store[case] = Deployment.build(case, tmp.mktemp(f"deploy-{case}"))
    return store[case]


def started(harness: Harness, dep: Deployment, target: str) -> list[Started]:
    key = (dep.case, target)
    if key not in _STARTED:
        _STARTED[key] = [dep.start(harness, p) for p in dep.processes(target)]
    return _STARTED[key]


@pytest.mark.parametrize("target", TARGET_NAMES)
@pytest.mark.parametrize("case", CASES)
def test_every_process_starts(
    case: str, target: str, harness: Harness, deployed: dict[str, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> None:
    dep = deployment(deployed, tmp_path_factory, case)
    network = dep.network(target)
    runs = started(harness, dep, target)
    assert runs, f"{case}/{target}: no OpenIM process found"
    with secret_env():
        problems = [f"{s.process.describe()}: {msg}" for s in runs for msg in checks.findings(dep.plan, s, network)]
    assert not problems, f"{case}/{target}: {len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("target", TARGET_NAMES)
@pytest.mark.parametrize("case", CASES)
def test_every_instance_runs_with_its_own_index(
    case: str, target: str, harness: Harness, deployed: dict[str, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each service runs as many processes as the model has instances, index 0..N-1 (one
    pod template with index 0 and N replicas in Kubernetes)."""
    dep = deployment(deployed, tmp_path_factory, case)
    runs = [s for s in started(harness, dep, target) if s.loaded is not None]
    for name, svc in dep.plan.services.items():
        mine = [s for s in runs if s.process.binary == name]
        if target == "helm":
            assert [(s.loaded.index, s.process.replicas) for s in mine if s.loaded] == [(0, len(svc.instances))], name
        else:
            assert sorted(s.loaded.index for s in mine if s.loaded) == list(range(len(svc.instances))), name


@pytest.mark.parametrize("case", CASES)
def test_decoded_values_agree_across_targets(
    case: str, harness: Harness, deployed: dict[str, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """What each process holds after loading is the same in every target, but for the
    differences ``openim-gen verify`` documents; each instance takes the same ports."""
    dep = deployment(deployed, tmp_path_factory, case)
    by_target = {t: {(s.process.binary, s.loaded.index): s for s in started(harness, dep, t) if s.loaded} for t in TARGET_NAMES}
    problems = []
    for (binary, index), ref in sorted(by_target["binary"].items()):
        for target in ("compose", "helm"):
            other = by_target[target].get((binary, 0 if target == "helm" else index))
            if other is None:
                problems.append(f"{binary} -i {index}: no {target} process")
                continue
            kube = target == "helm"
            mine, theirs = comparable(dep.plan, ref, kube), comparable(dep.plan, other, kube)
            for file in sorted(set(mine) | set(theirs)):
                if mine.get(file) != theirs.get(file):
                    problems.append(f"{binary} -i {index} {file}: binary and {target} differ")
            if (target != "helm" or index == 0) and own_ports(dep.plan, ref) != own_ports(dep.plan, other):
                problems.append(f"{binary} -i {index}: ports {own_ports(dep.plan, ref)} (binary), {own_ports(dep.plan, other)} ({target})")
    assert not problems, "\n".join(problems)


def test_catalog_files_are_what_each_upstream_command_loads(harness: Harness) -> None:
    from openim_config.catalog import load_catalog

    catalog = load_catalog("3.8")
    for name, binary in catalog.binaries.items():
        loads = set(harness.command_files(binary.product, binary.command))
        assert {f"{f}.yml" for f in binary.files} == loads, f"{name} ({binary.command})"
    for product in ("server", "chat"):
        used = {b.command for b in catalog.binaries.values() if b.product == product}
        assert used <= set(harness.constructors(product))


def _dockerfile(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        word, _, rest = line.partition(" ")
        if word in ("FROM", "WORKDIR", "ENTRYPOINT", "ENV", "USER"):
            out[word] = rest.strip()  # the final stage's (last) value wins
    return out


def test_openim_contracts_are_upstreams_dockerfiles() -> None:
    """What the catalog says of the OpenIM images is what their Dockerfiles say."""
    import json

    from openim_config.catalog import load_catalog
    from tests.startup.harness import CHAT_SRC, SERVER_SRC

    catalog = load_catalog("3.8")
    for name, binary in catalog.binaries.items():
        contract = catalog.binary_contract(name)
        if binary.product == "server":
            facts = _dockerfile(SERVER_SRC / "build/images" / name / "Dockerfile")
            assert facts["WORKDIR"] == contract.workdir
            assert tuple(json.loads(facts["ENTRYPOINT"])) == contract.entrypoint
            assert contract.binary == f"{contract.workdir}/{contract.entrypoint[0].removeprefix('./')}"
            assert "USER" not in facts and contract.user == "0:0"
        else:
            facts = _dockerfile(CHAT_SRC / "build/images/openim-chat/Dockerfile")
            assert facts["WORKDIR"] == "$SERVER_DIR" and contract.env["SERVER_DIR"] == contract.workdir
            assert tuple(json.loads(facts["ENTRYPOINT"])) == contract.entrypoint
            build = (CHAT_SRC / "build/images/openim-chat/docker-compose.build.yml").read_text()
            assert f"BINARY_NAME: {contract.env['BINARY_NAME']}" in build
            assert not contract.passes_arguments()


REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference is not beside this checkout")
def test_vendored_upstream_sources_are_unchanged() -> None:
    from tests.startup.harness import UPSTREAM

    for path in sorted(p for p in UPSTREAM.rglob("*") if p.is_file() and p.name != "README.md"):
        rel = path.relative_to(UPSTREAM)
        assert (REFERENCE / rel).read_bytes() == path.read_bytes(), f"{rel} differs from ../shared/reference"


# --------------------------------------------------------------------------- the suite can fail
def _problems(harness: Harness, dep: Deployment, target: str, name: str, docs: list[dict[str, object]] | None = None) -> list[str]:
    """The findings for one process (by compose service, Deployment or unit instance name)."""
    from tests.startup import processes

    procs = processes.helm_processes(dep.plan, docs) if docs is not None else dep.processes(target)
    network = processes.helm_network(dep.plan, docs) if docs is not None else dep.network(target)
    (proc,) = [p for p in procs if p.name == name]
    with secret_env():
        return checks.findings(dep.plan, dep.start(harness, proc), network)


@pytest.fixture
def fresh(tmp_path: Path) -> Deployment:
    """The production case (chat on, scaled services) built into a scratch directory."""
    return Deployment.build("production", tmp_path)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} has no {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_planted_bad_boolean_is_caught(harness: Harness, fresh: Deployment) -> None:
    assert _problems(harness, fresh, "compose", "openim-push-0") == []
    _edit(fresh.out / "compose/config/openim-push/log.yml", "isStdout: true", "isStdout: maybe")
    (problem,) = _problems(harness, fresh, "compose", "openim-push-0")
    assert problem.startswith("does not start:") and "isStdout" in problem


def test_planted_misspelt_credential_variable_is_caught(harness: Harness, fresh: Deployment) -> None:
    env = fresh.out / "binary/local/etc/openim/secrets/openim-push.env"
    _edit(env, "IMENV_REDIS_PASSWORD=", "IMENV_REDIS_PASWORD=")
    problems = _problems(harness, fresh, "binary", "local/openim-push@0.service")
    assert "redis.yml password: the process gets nothing (secret redisPassword)" in problems
    assert "environment IMENV_REDIS_PASWORD reaches no key of the files it loads" in problems


def test_planted_short_port_list_is_caught(harness: Harness, fresh: Deployment) -> None:
    from openim_config import yamlio

    path = fresh.out / "binary/local/etc/openim/server/openim-msggateway.yml"
    doc = yamlio.load_plain(path.read_text())
    doc["longConnSvr"]["ports"] = doc["longConnSvr"]["ports"][:2]
    path.write_text(yamlio.dump(doc))
    assert _problems(harness, fresh, "binary", "local/openim-msggateway@0.service") == []
    problems = _problems(harness, fresh, "binary", "local/openim-msggateway@2.service")
    assert "-i 2: openim-msggateway.yml longConnSvr.ports has 2 port(s): index out of range" in problems


def test_planted_missing_config_flag_is_caught(harness: Harness, fresh: Deployment) -> None:
    import copy

    docs = copy.deepcopy(fresh.helm_docs)
    deployment = f"{fresh.plan.model.targets.helm.release}-openim-api"
    api = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment)
    api["spec"]["template"]["spec"]["containers"][0]["args"] = ["-i", "0"]  # CONFIG_PATH alone, as upstream's manifests
    (problem,) = _problems(harness, fresh, "helm", deployment, docs)
    assert problem.startswith("does not start:") and "open discovery.yml: no such file or directory" in problem


def test_planted_shell_entrypoint_is_caught(harness: Harness, fresh: Deployment) -> None:
    from ruamel.yaml import YAML

    path = fresh.out / "compose/compose.yaml"
    yaml = YAML()
    data = yaml.load(path.read_text())
    del data["services"]["chat-api"]["entrypoint"]  # the image's `sh -c _output/${BINARY_NAME}` again
    with path.open("w") as f:
        yaml.dump(data, f)
    (problem,) = _problems(harness, fresh, "compose", "chat-api")
    assert problem.startswith("does not start:") and "open discovery.yml" in problem


def test_planted_service_account_token_on_chat_is_caught(harness: Harness, fresh: Deployment) -> None:
    import copy

    docs = copy.deepcopy(fresh.helm_docs)
    deployment = f"{fresh.plan.model.targets.helm.release}-chat-rpc"
    chat = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment)
    chat["spec"]["template"]["spec"]["automountServiceAccountToken"] = True
    (problem,) = _problems(harness, fresh, "helm", deployment, docs)
    assert "panic: interface conversion" in problem


def test_planted_unreachable_etcd_is_caught(harness: Harness, fresh: Deployment) -> None:
    _edit(fresh.out / "compose/config/chat-rpc/discovery.yml", "- etcd:2379", "- etcd:12379")
    problems = _problems(harness, fresh, "compose", "chat-rpc")
    assert problems == ["discovery.yml etcd.address etcd:12379: nothing in this target listens there"]
