"""Smoke tests: each consumer helper accepts a minimal valid input and rejects a broken one."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests import consumers as c

COMPOSE_OK = """\
name: smoke
services:
  api:
    image: openim/openim-server:v3.8.0
    env_file: ./api.env
    secrets: [dbpass]
    volumes: ["./no/such/dir:/data"]
    profiles: [extra]
  db:
    image: mongo:7
secrets:
  dbpass:
    file: ./secrets/dbpass.txt
"""


def test_compose_ok(tmp_path: Path) -> None:
    (tmp_path / "api.env").write_text("A=1\n")
    f = tmp_path / "compose.yaml"
    f.write_text(COMPOSE_OK)
    c.compose_config_quiet(f)
    cfg = c.compose_config(f)
    assert set(cfg["services"]) == {"api", "db"}
    assert cfg["services"]["api"]["environment"] == {"A": "1"}
    # secret file and bind source need not exist; paths are made absolute
    assert cfg["secrets"]["dbpass"]["file"] == str(tmp_path / "secrets/dbpass.txt")
    assert set(c.compose_config(f, profiles=())["services"]) == {"db"}


def test_compose_rejects(tmp_path: Path) -> None:
    f = tmp_path / "compose.yaml"
    f.write_text(COMPOSE_OK)  # api.env missing -> error (only noticed when profile 'extra' is active)
    with pytest.raises(AssertionError, match=r"api\.env"):
        c.compose_config(f)
    f.write_text("services:\n  a:\n    image: x\n    bogus: 1\n")
    with pytest.raises(AssertionError, match="bogus"):
        c.compose_config_quiet(f)
    f.write_text("services:\n  a:\n    image: x:${UNSET_TAG}\n")
    with pytest.raises(AssertionError, match="UNSET_TAG"):
        c.compose_config_quiet(f)
    assert c.compose_config(f, env={"UNSET_TAG": "1"})["services"]["a"]["image"] == "x:1"


def _chart(root: Path) -> Path:
    d = root / "mini"
    (d / "templates").mkdir(parents=True)
    (d / "Chart.yaml").write_text("apiVersion: v2\nname: mini\nversion: 0.1.0\nicon: https://example.invalid/i.png\n")
    (d / "values.yaml").write_text("replicas: 1\nimage: {repo: nginx, tag: '1.27'}\n")
    (d / "templates" / "deploy.yaml").write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repo }}:{{ required "image.tag" .Values.image.tag }}"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-cm}
data: {extra: {{ .Values.extra | default "none" | quote }}}
""")
    (d / "templates" / "NOTES.txt").write_text("hello\n")
    return d


def test_helm_ok(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    vals = tmp_path / "v.yaml"
    vals.write_text("replicas: 3\nimage: {tag: '1.28'}\n")
    c.helm_lint(chart, [vals], {"extra": "x"})
    docs = c.helm_template(chart, "rel", "ns1", [vals], {"extra": "x"})
    assert [d["kind"] for d in docs] == ["Deployment", "ConfigMap"]
    dep, cm = docs
    assert dep["metadata"] == {"name": "rel-web", "namespace": "ns1"}
    assert dep["spec"]["replicas"] == 3
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert cm["data"]["extra"] == "x"
    c.kube_validate(docs)

    helm = pytest.importorskip("helm_python")
    tgz = Path(helm.package(chart, destination=tmp_path / "out"))
    assert c.helm_load_package(tgz) == "mini"


def test_helm_rejects(tmp_path: Path) -> None:
    chart = _chart(tmp_path)
    with pytest.raises(AssertionError, match=r"image\.tag"):
        c.helm_template(chart, "rel", "ns", set_values={"image.tag": "null"})
    (chart / "templates" / "bad.yaml").write_text("kind: {{ .Values.x | nosuchfunc }}\n")
    with pytest.raises(AssertionError, match="nosuchfunc"):
        c.helm_lint(chart)
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(AssertionError, match=r"junk\.tgz"):
        c.helm_load_package(junk)
    empty = tmp_path / "empty.tgz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(AssertionError):
        c.helm_load_package(empty)


def test_kube_validate_rejects() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1"}}
    c.kube_validate([cm])
    with pytest.raises(AssertionError, match="bogus"):
        c.kube_validate([{**cm, "bogus": 1}])  # strict: unknown field
    with pytest.raises(AssertionError, match="not of type 'string'"):
        c.kube_validate([{**cm, "data": {"a": 1}}])
    sm = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"}}
    with pytest.raises(AssertionError, match="ServiceMonitor"):
        c.kube_validate([sm])
    c.kube_validate([sm], allow_unknown_kinds=["ServiceMonitor"])


UNIT = """\
[Unit]
Description=OpenIM API %i
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/opt/openim/bin/openim-api --index %i
Restart=always
{extra}
[Install]
WantedBy=multi-user.target
"""

HARDENING = """\
DynamicUser=yes
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
CapabilityBoundingSet=
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallFilter=@system-service
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
"""


def test_systemd_ok(tmp_path: Path) -> None:
    unit = tmp_path / "openim-api@.service"
    unit.write_text(UNIT.format(extra=""))
    exe = [Path("/opt/openim/bin/openim-api")]
    c.systemd_verify([unit], exe, instances=["openim-api@0.service"])
    loose = c.systemd_security_score(unit)
    unit.write_text(UNIT.format(extra=HARDENING))
    c.systemd_verify([unit], exe, instances=["openim-api@0.service"])
    tight = c.systemd_security_score(unit)
    assert 0.0 <= tight < loose <= 10.0
    assert tight < 5.0


def test_systemd_rejects(tmp_path: Path) -> None:
    unit = tmp_path / "openim-api@.service"
    unit.write_text(UNIT.format(extra=""))
    with pytest.raises(AssertionError, match="not executable"):  # no stand-in executable
        c.systemd_verify([unit], [], instances=["openim-api@0.service"])
    unit.write_text(UNIT.format(extra="ExecStrat=/bin/true\n"))  # typo: systemd only warns
    with pytest.raises(AssertionError, match="Unknown key"):
        c.systemd_verify([unit], [Path("/opt/openim/bin/openim-api")])
    unit.write_text(UNIT.format(extra="").replace("[Unit]\n", "[Unit]\nRequires=no-such.service\n"))
    with pytest.raises(AssertionError, match=r"no-such\.service"):
        c.systemd_verify([unit], [Path("/opt/openim/bin/openim-api")])
    with pytest.raises(AssertionError):
        c.systemd_security_score(tmp_path / "missing.service")


def test_shellcheck(tmp_path: Path) -> None:
    ok = tmp_path / "ok.sh"
    ok.write_text('#!/bin/sh\nset -eu\necho "$1"\n')
    c.shellcheck([ok])
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\necho $1\n")
    with pytest.raises(AssertionError, match="SC2086"):
        c.shellcheck([bad])


def test_promtool_and_amtool_reject(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("groups: [{name: g, rules: [{alert: A, expr: 'up =='}]}]\n")
    with pytest.raises(AssertionError, match="promtool"):
        c.promtool(["check", "rules", rules])
    rules.write_text("groups: [{name: g, rules: [{alert: A, expr: 'up == 0'}]}]\n")
    c.promtool(["check", "rules", rules])
    config = tmp_path / "alertmanager.yml"
    config.write_text("route: {receiver: nobody}\nreceivers: [{name: default}]\n")
    with pytest.raises(AssertionError, match="amtool"):
        c.amtool_check_config(config)
    config.write_text("route: {receiver: default}\nreceivers: [{name: default}]\n")
    c.amtool_check_config(config)
