"""``openim-gen explain``: the value, the layer that set it, and the places it flows into, each
checked against what a user sees: a second build with the key changed (``--set``), compared
file by file with the artifacts' own data diff; credentials never printed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from openim_config import artifacts, build, yamlio
from openim_config.cli import main
from openim_config.explain import probe
from openim_config.loader import Source
from openim_config.names import TARGET_NAMES

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "openim.yaml").is_file())
KEYS = [
    "publicHost",
    "log.level",
    "services.openim-api.ports.http",
    "targets.helm.release",
    "infra.mongodb.username",
    "infra.redis.password",
]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _explain(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = _run(capsys, "explain", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def _set_item(probe_value: Any, key: str) -> str:
    """The ``--set`` the probe stands for (a list item or a leaf inside: ``{path: value}``)."""
    where, value = next(iter(probe_value.items())) if isinstance(probe_value, dict) else (key, probe_value)
    text = probe.set_text(value)
    assert text is not None
    return f"{where}={text}"


def _rendered(files: list[Path], sets: list[str]) -> dict[str, dict[str, Any]]:
    return {t: {a.path: a for a in arts} for t, arts in build.render(build.plan_for(Source(files, sets)), TARGET_NAMES).items()}


def _line_of(path: Path, key: str) -> str:
    """``file:line:col`` of the last segment of ``key`` in a model file, found by reading it."""
    leaf = key.rsplit(".", 1)[-1]
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = re.match(rf"^(\s*){re.escape(leaf)}:", line)
        if match:
            return f"{path}:{number}:{len(match.group(1)) + 1}"
    raise AssertionError(f"{leaf} not in {path}")


@pytest.mark.parametrize("case", CASES)
def test_each_golden_key_flows_where_a_second_build_differs(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    model = GOLDEN / case / "openim.yaml"
    before = _rendered([model], [])
    for key in KEYS:
        answer = _explain(capsys, key, "-f", str(model))
        assert answer["key"] == key
        if answer["credential"]:
            continue  # credential files: test_credentials_are_never_printed
        assert "untraced" not in answer, answer
        after = _rendered([model], [_set_item(answer["probe"], key)])
        changed: dict[tuple[str, str], int] = {}
        for target in TARGET_NAMES:
            for path in sorted(set(before[target]) | set(after[target])):
                a, b = before[target].get(path), after[target].get(path)
                if a is None or b is None or a.secret or a.content == b.content:
                    continue
                semantic = artifacts.semantic_diff(path, a.content, b.content)
                changed[(target, path)] = len(semantic) if semantic else 1
        flows = [f for f in answer["flows"] if not f["credential"]]
        shown: dict[tuple[str, str], int] = {}
        for flow in flows:
            shown[(flow["target"], flow["file"])] = shown.get((flow["target"], flow["file"]), 0) + 1
        assert shown == changed, f"{case}: {key}"
        for flow in flows:  # each place shows the content the current build has there
            if "value" in flow:
                docs = yamlio.load_all_plain(before[flow["target"]][flow["file"]].content.decode())
                assert json.dumps(flow["value"]) in json.dumps(docs), flow


@pytest.mark.parametrize("case", CASES)
def test_value_and_layer_of_each_golden(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    model = GOLDEN / case / "openim.yaml"
    data = yamlio.load_all_plain(model.read_text())[0]
    for key in ("publicHost", "log.level", "targets.helm.release"):
        answer = _explain(capsys, key, "-f", str(model))
        node: Any = data
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            assert answer["layer"] == {"kind": "default", "where": ""}
        else:
            assert answer["value"] == node
            assert answer["layer"] == {"kind": "file", "where": _line_of(model, key)}


def test_a_service_port_left_to_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    answer = _explain(capsys, "services.openim-api.ports.http")
    assert answer["value"] is None and answer["planned"] == [10002]
    assert {f["location"] for f in answer["flows"]} >= {
        "compose:compose.yaml:services.openim-api.ports[0]",
        "helm:values.yaml:openimApi.ports.http",
        "binary:local/etc/openim/server/openim-api.yml:api.ports[0]",
    }


def test_layers(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "openim.yaml"
    model.write_text("publicHost: im.example.com\nlog:\n  level: 4\n")
    overlay = tmp_path / "staging.yaml"
    overlay.write_text("# staging\ntargets:\n  helm:\n    release: staging\n")
    monkeypatch.setenv("OPENIM_GEN_IMAGES__PULL_POLICY", "Always")
    args = ("-f", str(model), "-e", str(overlay), "--set", "log.json=true")
    assert _explain(capsys, "publicHost", *args)["layer"] == {"kind": "file", "where": f"{model}:1:1"}
    assert _explain(capsys, "log.level", *args)["layer"] == {"kind": "file", "where": f"{model}:3:3"}
    assert _explain(capsys, "targets.helm.release", *args)["layer"] == {"kind": "overlay", "where": f"{overlay}:4:5"}
    pulled = _explain(capsys, "images.pullPolicy", *args)
    assert (pulled["value"], pulled["layer"]) == ("Always", {"kind": "environment", "where": "environment OPENIM_GEN_IMAGES__PULL_POLICY"})
    logged = _explain(capsys, "log.json", *args)
    assert (logged["value"], logged["layer"]) == (True, {"kind": "set", "where": "--set log.json"})
    assert _explain(capsys, "log.rotationTime", *args)["layer"] == {"kind": "default", "where": ""}
    code, out, _ = _run(capsys, "explain", "log.json", *args)
    assert code == 0 and "set by:  --set log.json on the command line" in out


def test_credentials_are_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    literal, in_env = "Literal-Credential-0123456789", "Env-Credential-9876543210"
    monkeypatch.setenv("REDIS_SECRET", in_env)
    model = tmp_path / "openim.yaml"
    model.write_text(f"secret: {literal}\ninfra:\n  redis:\n    password: {{env: REDIS_SECRET}}\n")
    outputs = []
    for key in ("secret", "infra.redis.password", "infra.redis"):
        for fmt in ("text", "json"):
            code, out, err = _run(capsys, "explain", key, "-f", str(model), "--format", fmt)
            assert code == 0, err
            outputs.append(out + err)
    redis = _explain(capsys, "infra.redis.password", "-f", str(model))
    assert redis["value"] == {"env": "REDIS_SECRET"} and redis["probe"] is None
    places = {f["location"] for f in redis["flows"]}
    assert "compose:secrets/redis.env:REDIS_PASSWORD" in places
    assert "helm:secrets.values.yaml:secrets.redisPassword" in places
    assert all(f["credential"] and "value" not in f for f in redis["flows"])
    code, out, _ = _run(capsys, "explain", "compose:secrets/openim-api.env:IMENV_SHARE_SECRET", "-f", str(model))
    assert code == 0 and "secret = " in out
    outputs.append(out)
    for out in outputs:
        assert literal not in out and in_env not in out and probe.PROBE_SECRET not in out
        assert "explain-placeholder" not in out


@pytest.mark.slow
def test_an_artifact_location_names_the_keys_that_feed_it(capsys: pytest.CaptureFixture[str]) -> None:
    answer = json.loads(_run(capsys, "explain", "compose:services.openim-api.ports[0]", "--format", "json")[1])
    assert answer["location"]["location"] == "compose:compose.yaml:services.openim-api.ports[0]"
    assert answer["location"]["value"] == "10002:10002"
    keys = {k["key"] for k in answer["keys"]}
    assert "services.openim-api.ports.http" in keys
    assert not any(k.startswith(("targets.helm", "targets.binary", "infra.mongodb")) for k in keys), keys


def test_unknown_keys_and_places_are_located_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "explain", "infra.mongodb.adress")
    assert code == 2 and "did you mean 'infra.mongodb.address'" in err
    code, _, err = _run(capsys, "explain", "services.openim-apii.ports.http")
    assert code == 2 and "did you mean 'services.openim-api'" in err
    code, _, err = _run(capsys, "explain", "helm:values.yml:openimApi")
    assert code == 2 and "did you mean helm:values.yaml" in err
    code, _, err = _run(capsys, "explain", "helm:values.yaml:openimApi.nothing")
    assert code == 2 and "has no 'openimApi.nothing'" in err


def test_output_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    first = _run(capsys, "explain", "infra.kafka.compressType")
    assert first[0] == 0 and first == _run(capsys, "explain", "infra.kafka.compressType")
