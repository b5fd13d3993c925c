"""``openim-gen init``: a commented starter ``openim.yaml`` for one size and target.

The text is written out here, not dumped from the model: it is meant to be read. Every
credential is an ``{env: VARIABLE}`` reference (the header lists the variables); the tests
validate and build every size and target exactly as written."""

from __future__ import annotations

CREDENTIALS = {
    "OPENIM_SECRET": "secret: the OpenIM shared secret (clients' admin token requests, chat)",
    "MONGODB_PASSWORD": "infra.mongodb.password: OpenIM's MongoDB user",
    "MONGODB_ROOT_PASSWORD": "infra.mongodb.rootPassword: the bundled MongoDB's administrator",
    "REDIS_PASSWORD": "infra.redis.password",
    "MINIO_ACCESS_KEY_ID": "infra.minio.accessKeyId: the bundled MinIO's root user",
    "MINIO_SECRET_ACCESS_KEY": "infra.minio.secretAccessKey",
}
PRODUCTION_CREDENTIALS = {"GRAFANA_ADMIN_PASSWORD": "monitoring.grafanaAdminPassword"}


def credentials(size: str) -> dict[str, str]:
    """The variables a starter of ``size`` references -> what each holds."""
    return {**CREDENTIALS, **(PRODUCTION_CREDENTIALS if size == "production" else {})}


def _header(target: str, size: str) -> str:
    what = "one machine: everything bundled, upstream's ports" if size == "small" else "a production start"
    variables = "\n".join(f"#   {name:<24} {why}" for name, why in credentials(size).items())
    return f"""# yaml-language-server: $schema=openim.schema.json
# (write the schema beside this file: openim-gen schema -o openim.schema.json)
#
# openim.yaml for openim-gen, written by `openim-gen init --size {size} --target {target}`:
# {what}. Every key not written here has a default: `openim-gen schema` lists them all,
# `openim-gen explain KEY` says where a value comes from and which files it reaches.
#
# Credentials are never written here. Each is read from an environment variable when
# `openim-gen build` writes the secret files (mode 0600); set these first, e.g. with
# `openim-gen secrets init`, which generates strong ones:
{variables}
#
# Then: openim-gen validate && openim-gen build{"" if target == "all" else f" -t {target}"} --strict
"""


_COMMON_SMALL = """
release: "3.8"                       # the v3.8.3-patch line of OpenIM server (and chat v1.8)
# What apps and browsers use to reach this machine (MinIO file links are built from it):
# replace 127.0.0.1 with the machine's DNS name or address before anyone else connects.
publicHost: 127.0.0.1
secret: {env: OPENIM_SECRET}

log:
  level: 6                           # upstream's default (debug): lower it to 3 once things work

infra:                               # bundled: deployed by the target, data under its data dir
  mongodb:
    password: {env: MONGODB_PASSWORD}
    rootPassword: {env: MONGODB_ROOT_PASSWORD}
  redis:
    password: {env: REDIS_PASSWORD}
  minio:
    accessKeyId: {env: MINIO_ACCESS_KEY_ID}
    secretAccessKey: {env: MINIO_SECRET_ACCESS_KEY}

# chat: {enabled: true}              # the openim-chat services (chat-api, admin-api, ...)
"""

_COMMON_PRODUCTION = """
release: "3.8"                       # the v3.8.3-patch line of OpenIM server (and chat v1.8)
publicHost: im.example.com           # the name apps and browsers use: your domain
secret: {env: OPENIM_SECRET}

log:
  level: 3                           # info: 6 (upstream's default) logs every request
  json: true                         # for a log shipper (Loki, Elasticsearch)
  remainRotationCount: 7             # a week of daily files per process

# Scale what carries the load first. openim-msggateway holds the websocket connections
# (about 10k-50k per instance depending on memory); openim-api serves the REST calls.
# openim-push and openim-msgtransfer already run upstream's 8 instances each: they drain
# Kafka partitions, so more than the topic's partitions would idle.
services:
  openim-msggateway:
    instances: 2
    resources:
      limits: {memory: 2Gi}          # a runaway gateway is restarted, not the machine starved
  openim-api:
    instances: 2
    resources:
      limits: {memory: 1Gi}

# Each component is bundled here so this file builds as it is. For production, run MongoDB
# as a replica set and Kafka, Redis and object storage as managed or dedicated services:
# switch each with `mode: external` and its `address` (the lines commented below), and its
# data stays where it is (openim-gen never touches an external component's data).
infra:
  mongodb:
    password: {env: MONGODB_PASSWORD}
    rootPassword: {env: MONGODB_ROOT_PASSWORD}
    # mode: external
    # address: [mongo-0.db.example.com:27017, mongo-1.db.example.com:27017, mongo-2.db.example.com:27017]
    # replicaSet: rs0                # OpenIM then connects with a URI naming the set
    # authSource: admin
  redis:
    password: {env: REDIS_PASSWORD}
    # mode: external
    # address: [redis.example.com:6379]
  kafka:
    compressType: lz4                # cheap on CPU, about halves the message topics on disk
    # mode: external
    # address: [kafka-0.example.com:9092, kafka-1.example.com:9092, kafka-2.example.com:9092]
  minio:
    accessKeyId: {env: MINIO_ACCESS_KEY_ID}
    secretAccessKey: {env: MINIO_SECRET_ACCESS_KEY}
    externalAddress: https://files.example.com   # file links behind TLS, not http://host:10005
    # mode: external
    # address: [s3.example.com:9000]

# Prometheus scraping every process, Alertmanager and Grafana: an on-call team's first need.
monitoring:
  enabled: true
  grafanaAdminPassword: {env: GRAFANA_ADMIN_PASSWORD}

# chat: {enabled: true}              # the openim-chat services (chat-api, admin-api, ...)
"""

_TARGETS_SMALL = {
    "binary": """
targets:
  binary:                            # systemd units; the bundled infrastructure runs in Compose
    hosts: [{name: local, address: 127.0.0.1}]
""",
    "compose": """
targets:
  compose:
    project: openim
    dataDir: ./data                  # bind mounts beside compose.yaml: easy to back up
""",
    "helm": """
targets:
  helm:
    namespace: openim                # a namespace of its own; the chart installs only there
    release: openim
""",
}

_TARGETS_PRODUCTION = {
    "binary": """
targets:
  binary:
    # One line per machine; place instances with services.<name>.hosts. The first host also
    # runs the bundled infrastructure.
    hosts: [{name: im1, address: 10.0.0.11}]
    dataDir: /var/lib/openim         # put it on its own disk
""",
    "compose": """
targets:
  compose:
    project: openim
    dataDir: /srv/openim-data        # absolute: on its own disk, outside the checkout
""",
    "helm": """
# Persistent volumes (Helm): sized for a first year of a mid-sized deployment; grow them later
# (a larger size is an online resize where the storage class allows it, a smaller one is not).
storage:
  mongodb-data: {size: 100Gi}
  kafka-data: {size: 50Gi}           # messages wait here until transferred: retention, not history
  minio-data: {size: 500Gi}          # files and pictures: the one that grows
  redis-data: {size: 5Gi}
  prometheus-data: {size: 20Gi}

targets:
  helm:
    namespace: openim                # a namespace of its own; the chart installs only there
    release: openim
    ingress:
      enabled: true                  # one TLS entry point: API, websocket, MinIO under one host
      host: im.example.com
      tlsSecret: im-example-com-tls  # a kubernetes.io/tls Secret (cert-manager can make it)
    podDisruptionBudgets: true       # node drains keep one instance of each scaled process
    networkPolicies: true            # only OpenIM's own pods reach the bundled infrastructure
""",
}


def starter(target: str, size: str) -> str:
    """The starter file for ``target`` (``binary``, ``compose``, ``helm`` or ``all``) and
    ``size`` (``small`` or ``production``)."""
    common = _COMMON_SMALL if size == "small" else _COMMON_PRODUCTION
    blocks = _TARGETS_SMALL if size == "small" else _TARGETS_PRODUCTION
    names = list(blocks) if target == "all" else [target]
    storage = "".join(blocks[n] for n in names if n == "helm").split("\ntargets:\n")[0] if "helm" in names else ""
    sections = [blocks[n].split("\ntargets:\n", 1)[1] for n in names]
    body = storage + "\ntargets:\n" + "".join(sections)
    return _header(target, size) + common + body
