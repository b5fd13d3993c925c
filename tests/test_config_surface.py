"""``config:``, ``push:`` and ``objectStorage:``: every upstream key in the model, the same values
in all three targets, credentials only in secret outputs, the FCM service account where
upstream's code opens it, and no MinIO with another storage backend."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openim_config import artifacts, yamlio
from openim_config.catalog import load_catalog
from openim_config.loader import Source, load
from openim_config.plan import Plan, build_plan
from openim_config.plan.appconfig import MODEL_KEYS
from openim_config.plan.surface import FCM_FILE
from openim_config.targets import binary, compose, helm
from tests import helm_support as h
from tests.test_cli import run

PLANTED = {
    "FCM_JSON": '{"type": "service_account", "project_id": "p", "private_key": "planted-fcm-private-key"}',
    "COS_KEY": "planted-cos-secret-key",
    "GETUI_SECRET": "planted-getui-master",
}
MODEL = """\
chat: {enabled: true}
push:
  provider: fcm
  fcm: {serviceAccount: {env: FCM_JSON}}
objectStorage:
  backend: cos
  cos:
    bucketURL: https://files-1250000000.cos.ap-guangzhou.myqcloud.com
    secretID: planted-cos-secret-id
    secretKey: {env: COS_KEY}
config:
  server:
    share.yml:
      multiLogin: {policy: 2, maxNumOneEnd: 5}
    openim-rpc-auth.yml:
      tokenPolicy: {expire: 30}
"""


def _plan(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Plan:
    (tmp_path / "m.yaml").write_text(text)
    model, prov = load(Source(files=[tmp_path / "m.yaml"], environ={}))
    with pytest.MonkeyPatch.context() as mp:
        for k, v in (env or {}).items():
            mp.setenv(k, v)
        return build_plan(model, prov)


def _errors(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "m.yaml").write_text(text)
    proc = run("build", "-f", "m.yaml", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()
    return [line for line in proc.stderr.splitlines() if line.startswith("error: ")]


def test_unknown_keys_wrong_types_and_model_keys_are_located(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        "config:\n  server:\n    share.yml:\n      multiLogin: {polcy: 2}\n      tokenPolicy: {expire: 9}\n"
        "    openim-rpc-auth.yml:\n      tokenPolicy: {expire: ninety}\n    shared.yml: {}\n"
        "    mongodb.yml: {address: [db:27017]}\n  chat:\n    share.yml:\n      openIM: {apiURL: http://x}\n",
    )
    assert errors == [
        "error: m.yaml:7:21: config.server.openim-rpc-auth.yml.tokenPolicy.expire: Input should be a valid integer",
        "error: m.yaml:4:20: config.server.share.yml.multiLogin.polcy: unknown key; did you mean 'policy'?",
        "error: m.yaml:5:7: config.server.share.yml.tokenPolicy: unknown key in share.yml; it is a key of openim-rpc-auth.yml",
        "error: m.yaml:8:5: config.server.shared.yml: unknown key; did you mean 'share.yml'?",
        "error: m.yaml:9:19: config.server.mongodb.yml.address: set by the model: use infra.mongodb (mode, address, port)",
        "error: m.yaml:12:16: config.chat.share.yml.openIM.apiURL: set by the model: use chat.apiURL",
    ]


def test_every_key_the_plan_sets_is_refused_in_config(tmp_path: Path) -> None:
    """The refusal list is what appconfig sets: each of its keys, written in config:, is refused."""
    from openim_config.plan import domain_problems

    catalog = load_catalog("3.8")
    tried = 0
    for key, model_key in MODEL_KEYS.items():
        file, dotted = key.split(":", 1)
        for product, docs in catalog.documents.items():
            doc: Any = docs.get(file)
            for part in dotted.split("."):
                doc = doc.get(part, KeyError) if isinstance(doc, dict) else KeyError
            if doc is KeyError:
                continue
            parts = dotted.split(".")
            nested = "".join("  " * (i + 3) + f"{p}:\n" for i, p in enumerate(parts[:-1]))
            text = f"config:\n  {product}:\n    {file}:\n{nested}" + "  " * (len(parts) + 2) + f"{parts[-1]}: {json.dumps(doc)}\n"
            model, prov = load(Source(files=[_write(tmp_path, text)], environ={}))
            messages = [str(p) for p in domain_problems(model, prov)]
            assert any(f"set by the model: use {model_key}" in m for m in messages), (key, messages)
            tried += 1
    assert tried >= len(MODEL_KEYS)


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "m.yaml").write_text(text)
    return tmp_path / "m.yaml"


def test_push_and_storage_are_validated(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        "push:\n  provider: getui\n  getui: {appKey: k, masterSecret: {env: GT}}\n  jpush: {appKey: j, masterSecret: x}\n"
        "config:\n  server:\n    openim-push.yml:\n      geTui: {appKey: other}\n"
        "objectStorage:\n  backend: oss\ninfra:\n  minio: {port: 9999}\nstorage:\n  minio-data: {size: 1Gi}\n",
    )
    assert errors == [
        "error: m.yaml:8:15: config.server.openim-push.yml.geTui.appKey: set twice: here and by push.getui.appKey; keep one",
        "error: m.yaml:4:3: push.jpush: push.provider is getui: set push.provider: jpush, or remove this",
        "error: m.yaml:10:3: objectStorage.backend: oss needs its settings: add objectStorage.oss",
        "error: m.yaml:12:11: infra.minio.port: objectStorage.backend is oss: no MinIO is deployed and OpenIM never reads it; remove this",
        "error: m.yaml:14:3: storage.minio-data: objectStorage.backend is oss: no MinIO is deployed and OpenIM never reads it; remove this",
    ]
    errors = _errors(tmp_path, "push:\n  provider: jpush\n  jpush: {appKey: j}\nobjectStorage:\n  backend: aws\n  aws: {region: r}\n")
    assert errors == [
        "error: m.yaml:3:3: push.jpush.masterSecret: Field required",
        "error: m.yaml:6:3: objectStorage.aws.bucket: Field required",
        "error: m.yaml:6:3: objectStorage.aws.accessKeyID: Field required",
        "error: m.yaml:6:3: objectStorage.aws.secretAccessKey: Field required",
    ]
    assert _errors(tmp_path, "push:\n  provider: fcm\n  fcm: {}\n") == [
        "error: m.yaml:3:3: push.fcm: set one of serviceAccount (the service-account JSON) or authURL"
    ]


def _rendered(plan: Plan, tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in PLANTED.items():
            mp.setenv(k, v)
        artifacts.write(tmp_path / "out", {"binary": binary.render(plan), "compose": compose.render(plan), "helm": helm.render(plan)})
        docs = h.template(plan, tmp_path / "out" / "helm")
    h.validate(docs)
    return tmp_path / "out", docs


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("surface")
    plan = _plan(root, MODEL)
    out, docs = _rendered(plan, root)
    return plan, out, docs


def test_values_reach_all_three_targets(deployed: tuple[Plan, Path, list[dict[str, Any]]]) -> None:
    plan, out, docs = deployed
    files = {
        "binary": out / "binary/local/etc/openim/server",
        "compose-auth": out / "compose/config/openim-rpc-auth",
        "compose-third": out / "compose/config/openim-rpc-third",
        "compose-push": out / "compose/config/openim-push",
    }
    share = yamlio.load_plain((files["binary"] / "share.yml").read_text())
    assert share["multiLogin"] == {"policy": 2, "maxNumOneEnd": 5}
    assert yamlio.load_plain((files["compose-auth"] / "openim-rpc-auth.yml").read_text())["tokenPolicy"]["expire"] == 30
    third = yamlio.load_plain((files["compose-third"] / "openim-rpc-third.yml").read_text())
    assert third["object"]["enable"] == "cos"
    assert third["object"]["cos"]["bucketURL"] == "https://files-1250000000.cos.ap-guangzhou.myqcloud.com"
    assert third["object"]["cos"]["secretKey"] == "" and third["object"]["cos"]["secretID"] == ""
    push = yamlio.load_plain((files["compose-push"] / "openim-push.yml").read_text())
    assert push["enable"] == "fcm" and push["fcm"]["filePath"] == FCM_FILE
    assert h.config(docs, plan, "server", "share.yml")["multiLogin"]["policy"] == 2
    assert h.config(docs, plan, "server", "openim-rpc-auth.yml")["tokenPolicy"]["expire"] == 30
    assert h.config(docs, plan, "server", "openim-rpc-third.yml")["object"]["enable"] == "cos"
    assert h.config(docs, plan, "server", "openim-push.yml")["fcm"]["filePath"] == FCM_FILE


def test_credentials_reach_processes_only_through_secret_outputs(deployed: tuple[Plan, Path, list[dict[str, Any]]]) -> None:
    plan, out, docs = deployed
    planted = ["planted-fcm-private-key", "planted-cos-secret-key", "planted-cos-secret-id"]
    secret_paths = {
        f"{t}/{a.path}" for t, render in (("binary", binary), ("compose", compose), ("helm", helm)) for a in render.render(plan) if a.secret
    }
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        text = path.read_text(errors="replace")
        if rel in secret_paths:
            continue
        assert not any(v in text for v in planted), f"{rel} holds a credential"
    third_env = (out / "compose/secrets/openim-rpc-third.env").read_text()
    assert "IMENV_OPENIM_RPC_THIRD_OBJECT_COS_SECRETKEY='planted-cos-secret-key'" in third_env
    assert "IMENV_OPENIM_RPC_THIRD_OBJECT_COS_SECRETID='planted-cos-secret-id'" in third_env
    assert (
        "IMENV_OPENIM_RPC_THIRD_OBJECT_COS_SECRETKEY='planted-cos-secret-key'"
        in (out / "binary/local/etc/openim/secrets/openim-rpc-third.env").read_text()
    )
    for doc in docs:
        if doc["kind"] != "Secret":
            assert not any(v in json.dumps(doc) for v in planted), f"{doc['kind']}/{doc['metadata']['name']} holds a credential"
    env = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
        for e in h.pod(docs, "Deployment", "openim-openim-rpc-third")["spec"]["containers"][0]["env"]
        if "valueFrom" in e
    }
    assert env["IMENV_OPENIM_RPC_THIRD_OBJECT_COS_SECRETKEY"] == "cosSecretKey"


def test_the_fcm_service_account_is_where_upstream_opens_it(deployed: tuple[Plan, Path, list[dict[str, Any]]]) -> None:
    """upstream: filepath.Join(<-c directory>, fcm.filePath) (internal/push/offlinepush/fcm NewClient)."""
    plan, out, docs = deployed
    push = plan.services["openim-push"]
    want = PLANTED["FCM_JSON"] + "\n"
    # binary: -c <config_dir>/ in the unit; the file beside the config, group-readable for the service user only
    unit = (out / "binary/local/etc/systemd/system/openim-push@.service").read_text()
    assert "-c /etc/openim/server/" in unit
    on_host = out / "binary/local/etc/openim/server" / FCM_FILE
    assert on_host.read_text() == want
    assert "'0640 root openim' etc/openim/server/fcm-service-account.json" in (out / "binary/local/install.sh").read_text()
    # compose: the directory mounted at -c holds it, 0600
    service = yamlio.load_plain((out / "compose/compose.yaml").read_text())["services"]["openim-push-0"]
    config_dir = plan.catalog.products["server"].containerConfigDir
    assert service["command"][-1] == config_dir and f"./config/openim-push:{config_dir}:ro" in service["volumes"]
    mounted = out / "compose/config/openim-push" / FCM_FILE
    assert mounted.read_text() == want and mounted.stat().st_mode & 0o777 == 0o600
    assert len(push.instances) >= 1
    # helm: a Secret key projected into the -c directory
    spec = h.pod(docs, "Deployment", "openim-openim-push")["spec"]
    args = spec["containers"][0]["args"]
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == args[args.index("-c") + 1])
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    items = [i for s in volume["projected"]["sources"] if "secret" in s for i in s["secret"]["items"]]
    assert items == [{"key": "fcmServiceAccount", "path": FCM_FILE, "mode": 0o440}]
    secret = h.one(docs, "Secret", "openim-credentials")
    assert base64.b64decode(secret["data"]["fcmServiceAccount"]).decode() == want.rstrip("\n")


def test_no_minio_with_another_backend(deployed: tuple[Plan, Path, list[dict[str, Any]]]) -> None:
    plan, out, docs = deployed
    assert "minio" not in plan.infra and "minio-data" not in plan.volumes
    assert "minio" not in yamlio.load_plain((out / "compose/compose.yaml").read_text())["services"]
    assert not any("minio" in d["metadata"]["name"] for d in docs)
    assert not any(e.secret_id.startswith("minio") for s in plan.services.values() for e in s.secret_env)


def test_verify_compares_the_surface(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MODEL)
    env = dict(PLANTED)
    assert run("build", "-f", "m.yaml", "-o", "out", cwd=tmp_path, env=env).returncode == 0
    ok = run("verify", "-o", "out", cwd=tmp_path, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    share = tmp_path / "out/compose/config/openim-api/share.yml"
    share.write_text(share.read_text().replace("policy: 2", "policy: 1"))
    drift = run("verify", "-o", "out", cwd=tmp_path, env=env)
    assert drift.returncode != 0 and "share.yml" in drift.stdout + drift.stderr


def test_the_config_schema_is_built_only_for_a_model_with_a_config_section(tmp_path: Path) -> None:
    """Upstream's 2,000 keys cost more to build than the rest of a run: a model without
    `config:` never builds them; one with it builds its product's only."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from openim_config.build import plan_for\n"
        "from openim_config.loader import Source\n"
        "from openim_config.model import surface\n"
        "plan_for(Source([Path(p) for p in sys.argv[1:]], environ={}))\n"
        "print(surface.surface_schema.cache_info().currsize)\n"
    )
    (tmp_path / "m.yaml").write_text("config:\n  chat:\n    chat-rpc-chat.yml: {allowRegister: false}\n")
    counts = [
        subprocess.run([sys.executable, "-c", script, *files], capture_output=True, text=True, check=True).stdout.strip()
        for files in ([], [str(tmp_path / "m.yaml")])
    ]
    assert counts == ["0", "1"]
