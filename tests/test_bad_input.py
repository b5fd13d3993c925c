# ruff: noqa: E501 (each case holds the exact lines openim-gen prints)
"""The bad-input corpus: malformed and hostile models, files and flags, each refused with
its exact message, exit 2, no traceback, within seconds and a few hundred MB, and the output
directory left exactly as it was (issues 11 and 15; add a case for every new way in)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes]
    args: list[str]
    errors: list[str]
    """The error lines openim-gen prints, exactly."""
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "kubernetes-names",
        {
            "m.yaml": "targets:\n  helm:\n    ingress:\n      host: Im_Example.com\n      tlsSecret: my secret\n    serviceMonitor:\n      labels:\n        'bad key!': x\n"
        },
        ["-f", "m.yaml"],
        [
            "error: m.yaml:4:7: targets.helm.ingress.host: not a lower-case host name such as im.example.com (a leading *. allowed)",
            "error: m.yaml:5:7: targets.helm.ingress.tlsSecret: not a Kubernetes object name: lower-case letters, digits, '-' and '.', at most 253",
            "error: m.yaml:8:9: targets.helm.serviceMonitor.labels.bad key!: the key is not a label key: [prefix/]name, the name at most 63 letters, digits, '-', '_' and '.'",
        ],
    ),
    Case(
        "syntax-unclosed",
        {"m.yaml": "services: [1,\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:2:1: YAML syntax error: expected the node content, but found '<stream end>'"],
    ),
    Case(
        "syntax-bad-indent",
        {"m.yaml": "log:\n  level: 3\n   json: true\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:3:8: YAML syntax error: mapping values are not allowed here"],
    ),
    Case(
        "top-level-list",
        {"m.yaml": "- a\n- b\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:1: the top level must be a mapping"],
    ),
    Case(
        "duplicate-key",
        {"m.yaml": "publicHost: a.example.com\npublicHost: b.example.com\n"},
        ["-f", "m.yaml"],
        ['error: m.yaml:2:1: YAML syntax error: found duplicate key "publicHost"'],
    ),
    Case(
        "unknown-key",
        {"m.yaml": "publicHots: im.example.com\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:1: publicHots: unknown key; did you mean 'publicHost'?"],
    ),
    Case(
        "config-surface",
        {
            "m.yaml": "config:\n  server:\n    share.yml:\n      multiLogin: {polcy: 2}\n    openim-rpc-auth.yml:\n      tokenPolicy: {expire: ninety}\n    redis.yml: {address: [r:6379]}\n"
        },
        ["-f", "m.yaml"],
        [
            "error: m.yaml:6:21: config.server.openim-rpc-auth.yml.tokenPolicy.expire: Input should be a valid integer",
            "error: m.yaml:4:20: config.server.share.yml.multiLogin.polcy: unknown key; did you mean 'policy'?",
            "error: m.yaml:7:17: config.server.redis.yml.address: set by the model: use infra.redis (mode, address, port)",
        ],
    ),
    Case(
        "push-and-storage",
        {
            "m.yaml": "push:\n  provider: getui\n  getui: {appKey: k, masterSecret: {env: GT}}\nconfig:\n  server:\n    openim-push.yml:\n      geTui: {appKey: k2}\nobjectStorage: {backend: kodo}\n"
        },
        ["-f", "m.yaml"],
        [
            "error: m.yaml:7:15: config.server.openim-push.yml.geTui.appKey: set twice: here and by push.getui.appKey; keep one",
            "error: m.yaml:8:17: objectStorage.backend: kodo needs its settings: add objectStorage.kodo",
        ],
    ),
    Case(
        "unknown-service",
        {"m.yaml": "services:\n  openim-pushh: {instances: 2}\n"},
        ["-f", "m.yaml"],
        [
            "error: m.yaml:2:3: services.openim-pushh: unknown service (did you mean 'openim-push'?); known: openim-api, openim-msggateway, openim-msgtransfer, openim-push, openim-crontask, openim-rpc-auth, openim-rpc-conversation, openim-rpc-friend, openim-rpc-group, openim-rpc-msg, openim-rpc-third, openim-rpc-user, chat-api, admin-api, chat-rpc, admin-rpc"
        ],
    ),
    Case(
        "unknown-volume",
        {"m.yaml": "storage:\n  mongo-data: {size: 1Gi}\n"},
        ["-f", "m.yaml"],
        [
            "error: m.yaml:2:3: storage.mongo-data: unknown volume (did you mean 'mongodb-data'?); known: mongodb-data, redis-data, kafka-data, etcd-data, minio-data, openim-logs, prometheus-data, grafana-data"
        ],
    ),
    Case(
        "wrong-type",
        {"m.yaml": "services:\n  openim-push: {instances: two}\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:2:17: services.openim-push.instances: Input should be a valid integer, unable to parse string as an integer"],
    ),
    Case(
        "all-in-one-pass",
        {"m.yaml": "services:\n  openim-pushh: {instances: 2}\nlog: {level: 9}\n"},
        ["-f", "m.yaml"],
        [
            "error: m.yaml:3:7: log.level: Input should be 1, 2, 3, 4, 5 or 6",
            "error: m.yaml:2:3: services.openim-pushh: unknown service (did you mean 'openim-push'?); known: openim-api, openim-msggateway, openim-msgtransfer, openim-push, openim-crontask, openim-rpc-auth, openim-rpc-conversation, openim-rpc-friend, openim-rpc-group, openim-rpc-msg, openim-rpc-third, openim-rpc-user, chat-api, admin-api, chat-rpc, admin-rpc",
        ],
    ),
    Case(
        "port-zero",
        {},
        ["--set", "services.openim-api.ports.http={0}"],
        ["error: --set services.openim-api.ports.http: services.openim-api.ports.http[0]: Input should be greater than or equal to 1"],
    ),
    Case(
        "port-negative",
        {},
        ["--set", "services.openim-api.ports.http={-5}"],
        ["error: --set services.openim-api.ports.http: services.openim-api.ports.http[0]: Input should be greater than or equal to 1"],
    ),
    Case(
        "port-too-big",
        {},
        ["--set", "services.openim-api.ports.http={70000}"],
        ["error: --set services.openim-api.ports.http: services.openim-api.ports.http[0]: Input should be less than or equal to 65535"],
    ),
    Case(
        "infra-port-too-big",
        {"m.yaml": "infra:\n  redis: {port: 65536}\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:2:11: infra.redis.port: Input should be less than or equal to 65535"],
    ),
    Case(
        "publichost-scheme",
        {},
        ["--set", "publicHost=http://x"],
        ["error: --set publicHost: publicHost: 'http://x' is not a host name or IP address (no scheme, port or path), e.g. im.example.com"],
    ),
    Case(
        "publichost-empty",
        {},
        ["--set", "publicHost="],
        ["error: --set publicHost: publicHost: '' is not a host name or IP address (no scheme, port or path), e.g. im.example.com"],
    ),
    Case(
        "publichost-port",
        {"m.yaml": "publicHost: im.example.com:443\n"},
        ["-f", "m.yaml"],
        [
            "error: m.yaml:1:1: publicHost: 'im.example.com:443' is not a host name or IP address (no scheme, port or path), e.g. im.example.com"
        ],
    ),
    Case(
        "tag-other-line",
        {},
        ["--set", "images.tag=v3.9.0"],
        [
            "error: --set images.tag: images.tag: 'v3.9.0' is not an image of the 3.8 line (OpenIM server v3.8.3-patch.16; tags matching ^(release-)?v3\\.8\\.)"
        ],
    ),
    Case(
        "tag-latest",
        {},
        ["--set", "images.tag=latest"],
        ["error: --set images.tag: images.tag: pin an exact tag, never latest"],
    ),
    Case(
        "alias-bomb",
        {"m.yaml": BOMB},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:4: YAML anchors (&name) are not allowed in a model file"],
    ),
    Case(
        "alias",
        {"m.yaml": "log: &l {level: 3}\nx: *l\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:6: YAML anchors (&name) are not allowed in a model file"],
    ),
    Case(
        "deep-nesting",
        {"m.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:35: nested deeper than 32 levels"],
    ),
    Case(
        "python-tag",
        {"m.yaml": "publicHost: !!python/object/apply:os.system ['id']\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:13: YAML tags (tag:yaml.org,2002:python/object/apply:os.system) are not allowed in a model file"],
    ),
    Case(
        "raw-nul",
        {"m.yaml": b"publicHost: a\x00b\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:14: YAML syntax error: U+0000 is not allowed in YAML"],
    ),
    Case(
        "not-utf8",
        {"m.yaml": b"publicHost: caf\xe9\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:16: not UTF-8 text"],
    ),
    Case(
        "huge-file",
        {"m.yaml": "# " + "x" * (2 * 1024 * 1024) + "\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml: larger than 256 KiB: not a model file"],
    ),
    Case(
        "model-missing",
        {},
        ["-f", "nope.yaml"],
        ["error: nope.yaml: cannot read: No such file or directory"],
    ),
    Case(
        "model-is-directory",
        {"d/x": "x"},
        ["-f", "d"],
        ["Error: Invalid value for '-f' / '--file': File 'd' is a directory."],
    ),
    Case(
        "set-no-equals",
        {},
        ["--set", "publicHost"],
        ["error: --set publicHost: expected KEY=VALUE"],
    ),
    Case(
        "set-huge-index",
        {},
        ["--set", "infra.mongodb.address[100000000]=h:1"],
        ["error: --set infra.mongodb.address[100000000]: infra.mongodb.address[100000000]: index 100000000 is larger than 1024"],
    ),
    Case(
        "set-into-scalar",
        {},
        ["--set", "publicHost.x=1"],
        ["error: --set publicHost.x: publicHost: Input should be a valid string"],
    ),
    Case(
        "env-unknown-key",
        {},
        [],
        ["error: environment OPENIM_GEN_NOPE__X: no key matches 'NOPE' here"],
        {"OPENIM_GEN_NOPE__X": "1"},
    ),
    Case(
        "path-traversal",
        {},
        ["--set", "targets.binary.configDir=/../../../tmp/escaped"],
        [
            "error: --set targets.binary.configDir: targets.binary.configDir: '/../../../tmp/escaped': a normalised path (no '.', '..', '//' or trailing '/')"
        ],
    ),
    Case(
        "path-relative",
        {},
        ["--set", "targets.binary.installDir=opt/openim"],
        ["error: --set targets.binary.installDir: targets.binary.installDir: 'opt/openim': an absolute path (starting with /)"],
    ),
    Case(
        "path-newline",
        {"m.yaml": 'targets:\n  binary:\n    logDir: "/var/log\\nExecStartPre=+/bin/id"\n'},
        ["-f", "m.yaml"],
        [
            "error: m.yaml:3:5: targets.binary.logDir: '/var/log\\nExecStartPre=+/bin/id': a path of letters, digits and . _ - + @ / only (no spaces, quotes, $ or %)"
        ],
    ),
    Case(
        "compose-datadir-dotdot",
        {},
        ["--set", "targets.compose.dataDir=../../data"],
        [
            "error: --set targets.compose.dataDir: targets.compose.dataDir: '../../data': a normalised path (no '.', '..', '//' or trailing '/')"
        ],
    ),
    Case(
        "hostpath-dollar",
        {"m.yaml": "storage:\n  mongodb-data: {hostPath: /srv/$HOME}\n"},
        ["-f", "m.yaml"],
        [
            "error: m.yaml:2:18: storage.mongodb-data.hostPath: '/srv/$HOME': a path of letters, digits and . _ - + @ / only (no spaces, quotes, $ or %)"
        ],
    ),
    Case(
        "user-shell-quote",
        {},
        ["--set", "targets.binary.user=a'$(touch /tmp/PWNED)'b"],
        [
            "error: --set targets.binary.user: targets.binary.user: not a user or group name: lower-case letters, digits, _ and -, starting with a letter or _, at most 32"
        ],
    ),
    Case(
        "memory-newline",
        {"m.yaml": 'services:\n  openim-rpc-msg:\n    resources: {limits: {memory: "1Gi\\nExecStartPre=+/bin/id"}}\n'},
        ["-f", "m.yaml"],
        ["error: m.yaml:3:26: services.openim-rpc-msg.resources.limits.memory: not a quantity such as 500m, 1.5, 512Mi or 2Gi"],
    ),
    Case(
        "image-injection",
        {"m.yaml": 'services:\n  openim-api: {image: "x:1\\ncommand: [sh]"}\n'},
        ["-f", "m.yaml"],
        ["error: m.yaml:2:16: services.openim-api.image: not an image reference, [registry[:port]/]name[:tag][@sha256:digest], lower-case"],
    ),
    Case(
        "registry-scheme",
        {},
        ["--set", "images.registry=https://registry.example.com"],
        ["error: --set images.registry: images.registry: not a registry and path such as ghcr.io/openimsdk (no scheme, no tag)"],
    ),
    Case(
        "secret-file-missing",
        {"m.yaml": "secret: {file: nope}\n"},
        ["-f", "m.yaml"],
        ["error: nope: secret: cannot read secret file: No such file or directory"],
    ),
    Case(
        "secret-file-directory",
        {"m.yaml": "secret: {file: d}\n", "d/x": "x"},
        ["-f", "m.yaml"],
        ["error: d: secret: not a regular file"],
    ),
    Case(
        "secret-file-device",
        {"m.yaml": "secret: {file: /dev/zero}\n"},
        ["-f", "m.yaml"],
        ["error: /dev/zero: secret: not a regular file"],
    ),
    Case(
        "secret-file-not-utf8",
        {"m.yaml": "secret: {file: s}\n", "s": b"\xff\xfe"},
        ["-f", "m.yaml"],
        ["error: s: secret: not UTF-8 text"],
    ),
    Case(
        "secret-env-unset",
        {"m.yaml": "secret: {env: OPENIM_CORPUS_UNSET}\n"},
        ["-f", "m.yaml"],
        ["error: environment OPENIM_CORPUS_UNSET: secret: secret variable is not set"],
    ),
    Case(
        "secret-empty",
        {"m.yaml": "secret: ''\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:1: secret: empty credential"],
    ),
    Case(
        "secret-bad-ref",
        {"m.yaml": "secret: {env: 'A B'}\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:1:1: secret: not an environment variable name: 'A B'"],
    ),
    Case(
        "external-without-address",
        {},
        ["--set", "infra.mongodb.mode=external"],
        ["error: --set infra.mongodb.mode: infra.mongodb.address: external mongodb needs at least one host:port address"],
    ),
    Case(
        "replicaset-bundled",
        {},
        ["--set", "infra.mongodb.replicaSet=rs0"],
        ["error: --set infra.mongodb.replicaSet: infra.mongodb.replicaSet: a replica set name is for an external MongoDB"],
    ),
    Case(
        "port-clash",
        {},
        ["--set", "services.openim-api.ports.http={10001}"],
        [
            "error: --set services.openim-api.ports.http: services.openim-msggateway.ports.ws[0]: port 10001 is already used by services.openim-api.ports.http[0] on the same host"
        ],
    ),
    Case(
        "ports-per-instance",
        {},
        ["--set", "services.openim-msggateway.instances=2", "--set", "services.openim-msggateway.ports.ws={10001}"],
        [
            "error: --set services.openim-msggateway.ports.ws: services.openim-msggateway.ports.ws: 1 port(s) for 2 instance(s); give one per instance"
        ],
    ),
    Case(
        "namespace-label",
        {},
        ["--set", "targets.helm.namespace=Open_IM"],
        [
            "error: --set targets.helm.namespace: targets.helm.namespace: 'Open_IM' is not a DNS-1123 label (lower-case letters, digits, '-', at most 63)"
        ],
    ),
    Case(
        "cpu-in-bytes",
        {},
        ["--set", "services.openim-api.resources.limits.cpu=2Gi"],
        [
            "error: --set services.openim-api.resources.limits.cpu: services.openim-api.resources.limits: "
            "cpu '2Gi' is not CPUs such as 2, 0.5 or 500m"
        ],
    ),
    Case(
        "memory-in-millibytes",
        {"m.yaml": "services:\n  openim-push:\n    resources:\n      requests: {memory: 512m}\n"},
        ["-f", "m.yaml"],
        [
            "error: m.yaml:4:7: services.openim-push.resources.requests: memory '512m' is not bytes such as 512Mi, 2Gi or 1G "
            "(no m: that is milli-bytes)"
        ],
    ),
    Case(
        "release-too-long",
        {"m.yaml": "targets:\n  helm:\n    release: openim-staging-europe-west-1-blue-xyz\n"},
        ["-f", "m.yaml"],
        [
            "error: m.yaml:3:5: targets.helm.release: 'openim-staging-europe-west-1-blue-xyz' is too long: Service names are "
            "<release>-<name>, at most 63 characters, and the longest name is 26; use at most 36 characters"
        ],
    ),
    Case(
        "kafka-sasl-bundled",
        {},
        ["--set", "infra.kafka.username=im", "--set", "infra.kafka.password=p"],
        [
            "error: --set infra.kafka.username: infra.kafka.username: the bundled Kafka listens in PLAINTEXT, without SASL or TLS: this is for an external Kafka",
            "error: --set infra.kafka.password: infra.kafka.password: the bundled Kafka listens in PLAINTEXT, without SASL or TLS: this is for an external Kafka",
        ],
    ),
    Case(
        "etcd-user-bundled",
        {},
        ["--set", "infra.etcd.username=openim", "--set", "infra.etcd.password=p"],
        [
            "error: --set infra.etcd.username: infra.etcd.username: 'openim': the bundled etcd enables authentication for its root user only; use root, or an external etcd"
        ],
    ),
    Case(
        "admin-front-without-chat",
        {},
        ["--set", "fronts.admin.enabled=true"],
        ["error: --set fronts.admin.enabled: fronts.admin.enabled: the admin front manages chat: enable chat too"],
    ),
    Case(
        "ingress-settings-the-controller-would-not-use",
        {
            "m.yaml": "targets:\n  helm:\n    ingress:\n      controller: istio\n      className: nginx\n      adminHost: admin.example.com\n"
        },
        ["-f", "m.yaml"],
        [
            "error: m.yaml:5:7: targets.helm.ingress.className: istio routes through an Istio Gateway, not an Ingress class: leave className unset",
            "error: m.yaml:6:7: targets.helm.ingress.adminHost: the admin host serves the admin front: enable fronts.admin too",
        ],
    ),
    Case(
        "ingress-controller-unknown",
        {"m.yaml": "targets:\n  helm:\n    ingress:\n      controller: haproxy\n"},
        ["-f", "m.yaml"],
        ["error: m.yaml:4:7: targets.helm.ingress.controller: Input should be 'nginx', 'traefik' or 'istio'"],
    ),
    Case(
        "unwritable-output",
        {"afile": "x"},
        ["-o", "afile/out"],
        ["error: afile/out: cannot write: Not a directory"],
    ),
]


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[bytes, int]]]:
    """A built output directory the bad inputs are aimed at."""
    out = tmp_path_factory.mktemp("corpus") / "deploy"
    proc = subprocess.run(
        [sys.executable, "-m", "openim_config", "build", "-t", "compose", "-o", str(out)], capture_output=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return out, _tree(out)


def test_the_corpus_is_large_and_its_names_unique() -> None:
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_exactly(case: Case, deployed: tuple[Path, dict[str, tuple[bytes, int]]], tmp_path: Path) -> None:
    out, before = deployed
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    args = case.args if "-o" in case.args else [*case.args, "-o", str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIM_GEN_")} | case.env
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "openim_config", "build", "-t", "compose", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        preexec_fn=_limit,
        check=False,
    )
    elapsed = time.monotonic() - start
    errors = [line for line in proc.stderr.splitlines() if line.startswith(("error:", "Error:"))]
    assert (proc.returncode, errors) == (2, case.errors)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert elapsed < 20, f"took {elapsed:.1f}s"
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 400 * 1024, "a few hundred MB at most"
    assert _tree(out) == before, "the output directory is left as it was"
