"""Hostile input can never become code: every string field of the model (found by walking its
schema, so a new field is covered without editing this test), set to payloads made of what
each output language treats as code, either is refused (exit 2 with a located message) or
reaches every artifact exactly, as data:

- Compose: `docker-compose config` accepts the file with no warning (an unset `$VAR` warns),
  and the value comes back from it unexpanded;
- Helm: the chart renders with Helm's engine, every object valid for Kubernetes, none of
  them injected (the payload's `kind: Pod` never becomes an object), and the value comes back
  unchanged;
- scripts: shellcheck passes, and `install.sh status` (its read-only command) runs to the end
  with an `id` that would record being called: a `$(id)` or `` `id` `` in the value never runs;
- systemd units: no unit carries the value (units name files, the files carry the values) and
  none gains a directive (`systemd-analyze verify` runs over them in test_consumers).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from openim_config import artifacts, build
from openim_config.errors import UserError
from openim_config.model import OpenIM
from openim_config.model.keys import dereference, mapping_values, model_schema
from openim_config.plan import Plan, build_plan
from openim_config.targets import helm
from tests import consumers as c
from tests.helm_support import CRDS
from tests.test_key_effects import CLAIMS, DICT_KEYS, _merge, _nest

pytestmark = pytest.mark.slow

PAYLOADS = (
    "a'b\"c $HOME ${PATH} $$x $(id) `id` {{ .Release.Name }} %i %% \\n ünï ☃ 名前",
    "line\nExecStartPre=+/bin/id\n---\nkind: Pod",
    "nul\x00byte",
)
SECRET_ONLY = {"infra.mongodb.replicaSet"}
"""Fields that reach only a credential (the MongoDB URI, percent-encoded)."""


def string_keys(node: dict[str, Any] | None = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, bool]]:
    """(key, is a list of strings) for every string field of the model, and (mapping, False)
    for every mapping whose keys a user names (``services`` takes only service names: its keys
    are properties, not free)."""
    node = dereference(node if node is not None else model_schema())
    if node.get("title") == "Secret":
        return  # credentials never reach an artifact a consumer parses (env files are checked apart)
    variants = [dereference(v) for v in node.get("anyOf", [])] or [node]
    for variant in variants:
        if "properties" in variant:
            for key, child in variant["properties"].items():
                yield from string_keys(child, (*path, key))
            return
        if (values := mapping_values(variant)) is not None:
            yield ".".join(path), False  # the key itself
            yield from string_keys(values, (*path, "<key>"))
            return
    types = {v.get("type") for v in variants}
    items = {dereference(v.get("items", {})).get("type") for v in variants if v.get("type") == "array"}
    if "string" in types and "enum" not in node and not any("enum" in v for v in variants):
        yield ".".join(path), False
    elif "string" in items:
        yield ".".join(path), True


def _where(data: Any, payload: str) -> bool:
    """Whether ``payload`` is one of the strings in ``data`` (or in a YAML/JSON text in it)."""
    if isinstance(data, str):
        if data == payload:
            return True
        if "\n" in data or data.startswith(("{", "[")):
            try:
                from openim_config import yamlio

                return _where(yamlio.load_plain(data), payload)
            except Exception:  # noqa: BLE001 - not structured text: a plain string
                return False
        return False
    if isinstance(data, Mapping):
        return any(_where(v, payload) or _where(k, payload) for k, v in data.items())
    if isinstance(data, list):
        return any(_where(v, payload) for v in data)
    return False


def _check(plan: Plan, root: Path, payload: str) -> list[str]:
    problems = []
    rendered = build.render(plan, ["binary", "compose", "helm"])
    artifacts.write(root, rendered)
    data = c.compose_config(root / "compose/compose.yaml")
    compose_hit = _where(json.loads(json.dumps(data).replace("$$", "$")), payload)
    target = plan.model.targets.helm
    docs = c.helm_template(root / "helm", target.release, target.namespace, [root / "helm" / helm.SECRETS_FILE])
    c.kube_validate(docs, allow_unknown_kinds=CRDS)
    hooks = {f"{target.release}-test-api", f"{target.release}-test-grpc"}  # the chart's `helm test` pods
    if [d for d in docs if d.get("kind") == "Pod" and d["metadata"]["name"] not in hooks]:
        problems.append("an object was injected into the chart's output")
    helm_hit = _where(docs, payload)
    scripts = [p for p in root.rglob("*.sh")]
    if scripts:
        c.shellcheck(scripts)
    problems += _run_status(root)
    units = sorted(root.glob("binary/*/etc/systemd/system/*.service"))
    for unit in units:
        text = unit.read_text()
        if payload in text or any(line.startswith("ExecStartPre") for line in text.splitlines()):
            problems.append(f"{unit.name}: the value is in a unit's text")
    if not (compose_hit or helm_hit or _any_file(root, payload)):
        problems.append("accepted, but the value reached no artifact")
    return problems


def _run_status(root: Path) -> list[str]:
    """``install.sh status`` of every host, with ``id`` and ``systemctl`` that record their calls."""
    import subprocess

    fakes = root / "fakes"
    fakes.mkdir()
    for name in ("id", "systemctl"):
        (fakes / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{fakes}/calls"\necho inactive\n')
        (fakes / name).chmod(0o755)
    problems = []
    for script in sorted(root.glob("binary/*/install.sh")):
        env = {"PATH": f"{fakes}:/usr/bin:/bin", "OPENIM_ROOT": str(root / "host")}
        proc = subprocess.run(["sh", str(script), "status"], env=env, capture_output=True, text=True, timeout=60, check=False)
        calls = (fakes / "calls").read_text().splitlines() if (fakes / "calls").exists() else []
        if proc.returncode != 0:
            problems.append(f"{script.parent.name}/install.sh status exited {proc.returncode}: {proc.stderr.strip()}")
        if any(not call.startswith("systemctl is-active ") for call in calls) or not calls:
            problems.append(f"{script.parent.name}/install.sh status ran {calls!r}")
    return problems


def _in_secrets(root: Path, payload: str) -> bool:
    from urllib.parse import quote

    return any(quote(payload, safe="") in p.read_text() for p in root.rglob("*.env"))


def _any_file(root: Path, payload: str) -> bool:
    """The value as data in a generated YAML file (config files, values.yaml)."""
    from openim_config import yamlio

    for path in root.rglob("*.y*ml"):
        if "/templates/" in str(path):
            continue
        try:
            if _where(yamlio.load_plain(path.read_text()), payload):
                return True
        except Exception:  # noqa: BLE001 - not data
            continue
    return False


KEYS = sorted(string_keys())


def test_string_fields_are_found() -> None:
    assert {k for k, _ in KEYS} >= {"infra.mongodb.database", "targets.binary.user", "chat.apiURL", "images.registry"}


@pytest.mark.parametrize("key,is_list", KEYS, ids=[k for k, _ in KEYS])
def test_a_hostile_string_is_refused_or_carried_exactly(key: str, is_list: bool, tmp_path: Path) -> None:
    claim = CLAIMS.get(key)
    context = dict(claim.context) if claim is not None else {}
    mapping = CLAIMS.get(f"{key}.<key>")
    for n, payload in enumerate(PAYLOADS):
        value: Any = [payload] if is_list else payload
        if mapping is not None:  # the payload as a key the user names
            context = dict(mapping.context)
            value = {payload: mapping.value}
        data = _merge(copy.deepcopy(context), _nest(key, value))
        try:
            plan = build_plan(OpenIM.model_validate(data))
            build.render(plan, ["binary", "compose", "helm"])
        except UserError:
            continue  # refused, located: fine
        except Exception as exc:  # pydantic's ValidationError: refused by the model
            if type(exc).__name__ == "ValidationError":
                continue
            raise
        problems = _check(plan, tmp_path / f"p{n}", payload)
        if key in SECRET_ONLY and problems == ["accepted, but the value reached no artifact"]:
            problems = [] if _in_secrets(tmp_path / f"p{n}", payload) else ["not in the credential either"]
        assert not problems, f"{key} = {payload!r}: " + "; ".join(problems)


__all__ = ["DICT_KEYS"]
