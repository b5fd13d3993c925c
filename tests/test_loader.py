"""The loader: layer precedence, --set and environment typing, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from openim_config.errors import Problem, UserError
from openim_config.loader import Loaded, Source, _load_fast, _load_round_trip, load, parse_set, typed_value
from openim_config.plan import build_plan


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _problems(source: Source) -> list[str]:
    with pytest.raises(UserError) as info:
        model, prov = load(source)
        build_plan(model, prov)
    return [str(p) for p in info.value.problems]


def test_no_input_is_the_complete_default() -> None:
    model, _ = load(Source(environ={}))
    plan = build_plan(model)
    assert len(plan.services) == 12
    assert plan.services["openim-api"].ports["http"] == (10002,)
    assert len(plan.services["openim-push"].instances) == 8
    assert all(i.bundled for i in plan.infra.values())


def test_precedence_set_over_env_over_later_file_over_earlier(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.yaml", "log: {level: 3, rotationTime: 12}\npublicHost: a.example\n")
    b = _write(tmp_path, "b.yaml", "log: {level: 4}\n")
    env = {"OPENIM_GEN_LOG__LEVEL": "5", "OPENIM_GEN_PUBLIC_HOST": "env.example"}
    model, _ = load(Source([a, b], ["publicHost=set.example"], env))
    assert model.log.level == 5  # env beats both files
    assert model.log.rotation_time == 12  # maps merge deeply: a's key survives b
    assert model.public_host == "set.example"  # --set beats env


def test_lists_are_replaced_not_merged(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.yaml", "chat: {adminAccounts: [x, y]}\n")
    b = _write(tmp_path, "b.yaml", "chat: {adminAccounts: [z]}\n")
    model, _ = load(Source([a, b], environ={}))
    assert model.chat.admin_accounts == ["z"]


def test_env_names_map_dashes_and_case() -> None:
    env = {"OPENIM_GEN_SERVICES__OPENIM_PUSH__INSTANCES": "3", "OPENIM_GEN_INFRA__MONGODB__MAX_POOL_SIZE": "7"}
    model, _ = load(Source(environ=env))
    assert model.services["openim-push"].instances == 3
    assert model.infra.mongodb.max_pool_size == 7


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("true", True), ("False", False), ("null", None), ("{a,b}", ["a", "b"]), ("1.5", 1.5), ("x.y", "x.y")],
)
def test_set_values_are_typed_like_helm(text: str, value: object) -> None:
    assert typed_value(text) == value


def test_set_paths_with_indexes() -> None:
    assert parse_set("infra.mongodb.address[1]=h:1") == (("infra", "mongodb", "address", 1), "h:1")


def test_every_problem_of_a_run_is_reported_with_its_location(tmp_path: Path) -> None:
    model = _write(tmp_path, "openim.yaml", "infra:\n  mongodb:\n    mode: externl\n    bogus: 1\nlog:\n  level: 9\n")
    broken = _write(tmp_path, "broken.yaml", "a: [1,\n")
    problems = _problems(Source([model, broken], ["services.openim-api.instances=0"], {"OPENIM_GEN_NOPE": "1"}))
    assert f"{broken}:2:1: YAML syntax error: expected the node content, but found '<stream end>'" in problems
    assert f"{model}:3:5: infra.mongodb.mode: Input should be 'bundled' or 'external'" in problems
    assert f"{model}:4:5: infra.mongodb.bogus: unknown key" in problems
    assert f"{model}:6:3: log.level: Input should be 1, 2, 3, 4, 5 or 6" in problems
    assert "--set services.openim-api.instances: services.openim-api.instances: Input should be greater than or equal to 1" in problems
    assert "environment OPENIM_GEN_NOPE: no key matches 'NOPE' here" in problems
    assert len(problems) == 6


def test_domain_errors_point_at_the_offending_key(tmp_path: Path) -> None:
    model = _write(
        tmp_path,
        "openim.yaml",
        "services:\n"
        "  openim-push:\n"
        "    instances: 2\n"
        "    ports: {grpc: [10170]}\n"
        "  openim-rpc-user:\n"
        "    ports: {grpc: [10002]}\n"
        "  openim-nope: {}\n"
        "infra:\n"
        "  redis: {mode: external}\n"
        "targets:\n"
        "  compose: {project: Not_A_Label}\n",
    )
    problems = _problems(Source([model], environ={}))
    assert f"{model}:4:13: services.openim-push.ports.grpc: 1 port(s) for 2 instance(s); give one per instance" in problems
    assert any(
        p.startswith(f"{model}:6:20: services.openim-rpc-user.ports.grpc[0]: port 10002 is already used by services.openim-api")
        for p in problems
    )
    assert any(p.startswith(f"{model}:7:3: services.openim-nope: unknown service") for p in problems)
    assert f"{model}:9:3: infra.redis.address: external redis needs at least one host:port address" in problems
    assert any(p.startswith(f"{model}:11:13: targets.compose.project: 'Not_A_Label' is not a DNS-1123 label") for p in problems)


def test_latest_is_refused(tmp_path: Path) -> None:
    problems = _problems(Source(sets=["infra.redis.image=redis:latest", "images.tag=latest"], environ={}))
    assert "--set infra.redis.image: infra.redis.image: 'redis:latest': pin an exact tag, never latest or none" in problems
    assert "--set images.tag: images.tag: pin an exact tag, never latest" in problems


def test_secret_literals_never_appear_in_errors(tmp_path: Path) -> None:
    model = _write(tmp_path, "openim.yaml", "secret: {literal: hunter2}\ninfra:\n  redis:\n    password: {env: 'bad name'}\n")
    text = "\n".join(_problems(Source([model], environ={})))
    assert "hunter2" not in text
    assert "secret" in text and "infra.redis.password" in text


def test_default_ports_skip_ports_already_claimed() -> None:
    # Three gateways: 10001 is upstream's; 10002 is the API's, 10004/10005 MinIO's.
    model, prov = load(Source(sets=["services.openim-msggateway.instances=3"], environ={}))
    plan = build_plan(model, prov)
    assert plan.services["openim-msggateway"].ports["ws"] == (10001, 10003, 10006)


def test_a_duplicated_key_is_reported_without_its_values(tmp_path: Path) -> None:
    model = _write(tmp_path, "openim.yaml", "secret: first-s3cret\nsecret: second-s3cret\n")
    problems = _problems(Source([model], environ={}))
    assert problems == [f'{model}:2:1: YAML syntax error: found duplicate key "secret"']


# --- the two readers -----------------------------------------------------------------------
# A model file is read with libyaml (ruamel.yaml's C parser) when it is well formed; anything
# else goes to the pure round-trip reader. They must agree on the data and on every location,
# or errors would point at the wrong line.

_TRICKY_FILES = [
    "a: 1\nb: [x, {c: 2}]\n",
    "# comment\nlist:\n- x\n-   y: 1\n    z: [1, 2]\n",
    "s: 'quoted: yes'\nt: \"dq\\ttab\"\nblock: |\n  line\n  two\nfolded: >\n  a\n  b\n",
    "n: ~\ne:\nb: yes\nf: 1.5e3\nh: 0x1F\no: 0o17\nd: 2024-01-01\nts: 2001-12-14t21:59:43.10-05:00\n",
    "nested:\n  deeper:\n    - - 1\n      - 2\n    - {k: v}\n",
    "key with spaces: 1\n'quoted key': 2\n? complex\n: 3\n",
    "address: [mongo.db.example.net:27017]\n",  # valid YAML 1.2 that libyaml refuses
    "a: &x 1\nb: *x\n",  # refused constructs: the round-trip reader says why
    "a: !!str 1\n",
    "a: 1\na: 2\n",
    "<<: {a: 1}\nb: 2\n",
    "- a\n",
    "a: [1,\n",
    "",
    "---\na: 1\n---\nb: 2\n",
    "infra:\n  mongodb:\n    address: [db-0.example.com:27017, db-1.example.com:27017]\n",  # YAML 1.2 only: not libyaml's
]


def _readers(text: str) -> tuple[Loaded | None, tuple[Loaded | None, list[str]]]:
    """What the fast reader makes of ``text``, and what the round-trip reader does (with its problems)."""
    problems: list[Problem] = []
    return _load_fast(text, "m.yaml"), (_load_round_trip(text, "m.yaml", problems), [str(p) for p in problems])


def _model_files() -> list[Path]:
    from tests.scenarios import GOLDEN

    root = Path(__file__).resolve().parent.parent
    return sorted({*GOLDEN.glob("*/openim.yaml"), *root.glob("examples/**/*.yaml"), *GOLDEN.glob("*/*.yaml")})


@pytest.mark.parametrize("text", _TRICKY_FILES)
def test_the_fast_reader_agrees_with_the_round_trip_reader_or_leaves_the_file_to_it(text: str) -> None:
    fast, (slow, problems) = _readers(text)
    if fast is not None:
        assert fast == slow and not problems
    else:
        assert slow is None or problems == [] or text.strip().startswith("address")


def test_the_fast_reader_reads_every_model_file_of_the_repository_as_the_round_trip_reader() -> None:
    files = _model_files()
    assert len(files) >= 5
    read_fast = 0
    for path in files:
        fast, (slow, problems) = _readers(path.read_text(encoding="utf-8"))
        assert problems == [], path
        if fast is not None:
            read_fast += 1
            assert fast == slow, path
    assert read_fast == len(files), "every model file of the repository takes a fast path"


def test_host_port_lists_libyaml_refuses_are_read_by_the_pure_safe_reader() -> None:
    """``[db-0:27017]`` is YAML 1.2 but a syntax error to libyaml: the pure-Python safe reader
    reads it (the round-trip reader, several times slower, only explains files in error)."""
    fast, (slow, problems) = _readers(_TRICKY_FILES[-1])
    assert fast is not None and fast == slow and not problems
    assert fast[0] == {"infra": {"mongodb": {"address": ["db-0.example.com:27017", "db-1.example.com:27017"]}}}


def test_a_file_with_a_problem_is_explained_by_the_round_trip_reader(tmp_path: Path) -> None:
    model = _write(tmp_path, "m.yaml", "publicHost: a.example.com\npublicHost: b.example.com\n")
    assert _problems(Source([model], environ={})) == [f'{model}:2:1: YAML syntax error: found duplicate key "publicHost"']


def test_a_merge_key_is_refused_with_its_location_not_a_crash(tmp_path: Path) -> None:
    model = _write(tmp_path, "m.yaml", "log:\n  <<: {level: 3}\n  '<<': quoted is a plain key\n")
    assert _problems(Source([model], environ={})) == [f"{model}:2:3: YAML merge keys (<<) are not allowed in a model file"]


def test_generated_models_read_the_same_with_both_readers() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from openim_config import yamlio
    from tests.test_yamlio import data, keys

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(keys.filter(lambda k: k != "<<"), data, min_size=1, max_size=5))
    def check(value: dict[str, object]) -> None:
        text = yamlio.dump(value)
        fast, (slow, problems) = _readers(text)
        if fast is not None:
            assert fast == slow, text
        else:
            assert slow is None or problems == [], text

    check()
