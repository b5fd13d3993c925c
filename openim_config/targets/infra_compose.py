"""Bundled infrastructure as Compose services.

Used by the compose target (everything on one Compose network) and by the binary target
(infrastructure in Compose beside the systemd units, published on the host ports the config
files name, as upstream runs it).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from openim_config.model.extras import AdminFront, WebFront
from openim_config.plan import Plan
from openim_config.plan.appconfig import grafana_url
from openim_config.targets.monitoring import START, alertmanager_needs_secrets

ROTATED_LOGS = {"driver": "json-file", "options": {"max-size": "100m", "max-file": "3"}}
HARDENING: dict[str, Any] = {"security_opt": ["no-new-privileges:true"]}


def volume_source(plan: Plan, volume: str, data_dir: str | None) -> str:
    """Source of a mount for a logical volume: with a data dir, a host directory (relative to
    compose.yaml or absolute); with ``None``, the named volume of the same name."""
    if data_dir is None:
        return volume
    given = plan.volumes[volume].host_path
    if given and given.startswith("/"):
        return given
    base = data_dir.rstrip("/")
    return f"{base}/{given or volume}"


def _healthcheck(test: list[str], start: str = "20s") -> dict[str, Any]:
    return {"test": test, "interval": "10s", "timeout": "5s", "retries": 12, "start_period": start}


def _common(plan: Plan, name: str) -> dict[str, Any]:
    return {
        "image": plan.infra[name].image,
        "restart": "unless-stopped",
        "networks": ["openim"],
        "logging": ROTATED_LOGS,
        **HARDENING,
    }


def infra_services(plan: Plan, data_dir: str | None, publish: bool) -> dict[str, dict[str, Any]]:
    """Compose services for every bundled component; ``publish`` exposes each on its host port."""
    model = plan.model
    services: dict[str, dict[str, Any]] = {}
    infra = {i.name: i for i in plan.bundled()}
    if "mongodb" in infra:
        mongo = model.infra.mongodb
        svc = _common(plan, "mongodb")
        svc.update(
            command=["bash", "-c", MONGO_INIT],
            environment={
                "MONGO_INITDB_DATABASE": mongo.database,
                "MONGO_OPENIM_USERNAME": mongo.username,
                "MONGO_INITDB_ROOT_USERNAME": mongo.root_username,
                "MONGO_AUTH_SOURCE": mongo.auth_source or mongo.database,
                "WIRED_TIGER_CACHE_GB": "1",
            },
            env_file=["secrets/mongodb.env"],
            volumes=[f"{volume_source(plan, 'mongodb-data', data_dir)}:/data/db"],
            # Healthy only once the application user exists and can log in.
            healthcheck=_healthcheck(
                [
                    "CMD-SHELL",
                    # Values reach the shell as variables, never as text of the command.
                    'mongosh -u "$$MONGO_OPENIM_USERNAME" -p "$$MONGO_OPENIM_PASSWORD" --authenticationDatabase '
                    '"$$MONGO_AUTH_SOURCE" --quiet --eval "db.runCommand({ping: 1}).ok" | grep -q 1',
                ]
            ),
        )
        if publish:
            svc["ports"] = [f"{mongo.port}:27017"]
        services["mongodb"] = svc
    if "redis" in infra:
        svc = _common(plan, "redis")
        auth = '--requirepass "$$REDIS_PASSWORD"' if plan.model.infra.redis.password else ""
        # Through the image's entrypoint: given redis-server, it hands /data to the redis user
        # and drops to it (a bare `redis-server` under `sh -c` would stay root).
        serve = f"exec docker-entrypoint.sh redis-server {auth} --appendonly yes --aof-use-rdb-preamble yes".replace("  ", " ")
        svc.update(
            command=["sh", "-c", serve],
            volumes=[f"{volume_source(plan, 'redis-data', data_dir)}:/data"],
            healthcheck=_healthcheck(["CMD-SHELL", 'REDISCLI_AUTH="$$REDIS_PASSWORD" redis-cli ping | grep -q PONG'], "5s"),
        )
        if plan.model.infra.redis.password:
            svc["env_file"] = ["secrets/redis.env"]
        if publish:
            svc["ports"] = [f"{model.infra.redis.port}:6379"]
        services["redis"] = svc
    if "kafka" in infra:
        svc = _common(plan, "kafka")
        # Containers use the internal listener; processes on the host (binary target) the
        # external one, published on the host port and advertised as reachable there.
        external = f",EXTERNAL://{plan.infra['kafka'].endpoints['host'][0]}" if publish else ""
        svc.update(
            environment={
                "KAFKA_CFG_NODE_ID": "0",
                "KAFKA_CFG_PROCESS_ROLES": "controller,broker",
                "KAFKA_CFG_CONTROLLER_QUORUM_VOTERS": "0@kafka:9093",
                "KAFKA_CFG_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                "KAFKA_CFG_LISTENERS": "INTERNAL://:9092,CONTROLLER://:9093" + (",EXTERNAL://:9094" if publish else ""),
                "KAFKA_CFG_ADVERTISED_LISTENERS": f"INTERNAL://kafka:9092{external}",
                "KAFKA_CFG_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT"
                + (",EXTERNAL:PLAINTEXT" if publish else ""),
                "KAFKA_CFG_INTER_BROKER_LISTENER_NAME": "INTERNAL",
                "KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE": "true",
                "KAFKA_CFG_NUM_PARTITIONS": "8",
            },
            volumes=[f"{volume_source(plan, 'kafka-data', data_dir)}:/bitnami/kafka"],
            healthcheck=_healthcheck(["CMD-SHELL", "kafka-topics.sh --bootstrap-server localhost:9092 --list >/dev/null"], "30s"),
        )
        if publish:
            svc["ports"] = [f"{model.infra.kafka.port}:9094"]
        services["kafka"] = svc
    if "etcd" in infra:
        svc = _common(plan, "etcd")
        etcd_auth = "etcd" in plan.bundled_env
        svc.update(
            environment={
                # With a password the image enables authentication for root on its first start.
                "ALLOW_NONE_AUTHENTICATION": "no" if etcd_auth else "yes",
                "ETCD_NAME": "etcd",
                "ETCD_LISTEN_CLIENT_URLS": "http://0.0.0.0:2379",
                "ETCD_ADVERTISE_CLIENT_URLS": "http://etcd:2379",
            },
            volumes=[f"{volume_source(plan, 'etcd-data', data_dir)}:/bitnami/etcd"],
            **({"env_file": ["secrets/etcd.env"]} if etcd_auth else {}),
            healthcheck=_healthcheck(["CMD", "etcdctl", "endpoint", "health"], "5s"),
        )
        if publish:
            svc["ports"] = [f"{model.infra.etcd.port}:2379"]
        services["etcd"] = svc
    if "minio" in infra:
        minio = model.infra.minio
        svc = _common(plan, "minio")
        svc.update(
            command=["server", "/data", "--console-address", ":9001"],
            env_file=["secrets/minio.env"],
            volumes=[f"{volume_source(plan, 'minio-data', data_dir)}:/data"],
            ports=[f"{minio.port}:9000", f"{minio.console_port}:9001"],
            healthcheck=_healthcheck(["CMD", "mc", "ready", "local"], "5s"),
        )
        services["minio"] = svc
        # One-shot: create the bucket OpenIM uses (idempotent), then exit 0.
        init = _common(plan, "minio")
        init.update(
            restart="no",
            entrypoint=["sh", "-c", MINIO_INIT],
            environment={"MINIO_BUCKET": minio.bucket, "MINIO_PUBLIC_READ": "true" if minio.public_read else "false"},
            env_file=["secrets/minio.env"],
            depends_on={"minio": {"condition": "service_healthy"}},
        )
        services["minio-init"] = init
    return services


def monitoring_services(plan: Plan, data_dir: str | None, config_dir: str, host_network: bool) -> dict[str, dict[str, Any]]:
    """Prometheus, Alertmanager, Grafana (no anonymous access) and node-exporter.

    ``host_network``: beside systemd units, they share the host's network and scrape the
    instances on their host ports; in the compose target they join the compose network.
    node-exporter always runs as its README says: the host's network and PID namespace and its
    root file system read-only at /host, so it reports the host, not a container."""
    mon = plan.model.monitoring
    images = {name: plan.extra_image(name) for name in plan.catalog.images}

    def base(name: str, port: int, inner: int) -> dict[str, Any]:
        svc: dict[str, Any] = {"image": images[name], "restart": "unless-stopped", "logging": ROTATED_LOGS, **HARDENING}
        if host_network:
            svc["network_mode"] = "host"
        else:
            svc["networks"] = ["openim"]
            svc["ports"] = [f"{port}:{inner}"]
        return svc

    prom_port = mon.prometheus_port if host_network else 9090
    prometheus = base("prometheus", mon.prometheus_port, 9090)
    prometheus.update(
        command=[
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            f"--web.listen-address=:{prom_port}",
        ],
        volumes=[f"{config_dir}:/etc/prometheus:ro", f"{volume_source(plan, 'prometheus-data', data_dir)}:/prometheus"],
    )
    if not host_network:
        # node-exporter is on the host's network: reached through the host gateway.
        prometheus["extra_hosts"] = ["host.docker.internal:host-gateway"]
    alert_port = mon.alertmanager_port if host_network else 9093
    alertmanager = base("alertmanager", mon.alertmanager_port, 9093)
    alertmanager["volumes"] = [f"{config_dir}/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro"]
    if alertmanager_needs_secrets(plan):
        alertmanager.update(
            entrypoint=["sh", "-c", compose_text(START), "alertmanager"],
            command=[f"--web.listen-address=:{alert_port}"],
            env_file=["secrets/alertmanager.env"],
        )
    else:
        alertmanager["command"] = [
            "--config.file=/etc/alertmanager/alertmanager.yml",
            "--storage.path=/alertmanager",
            f"--web.listen-address=:{alert_port}",
        ]
    grafana = base("grafana", mon.grafana_port, 3000)
    url = grafana_url(plan.model, "host" if host_network else "compose")
    secure = url.startswith("https://")
    grafana.update(
        # GF_SECURITY_ADMIN_PASSWORD only applies when Grafana creates the admin (first start):
        # reset it on every start, so a rotated password takes effect, then start as the image does.
        entrypoint=["sh", "-c", compose_text(GRAFANA_START)],
        environment={
            "GF_SECURITY_ADMIN_USER": mon.grafana_admin_user,
            "GF_AUTH_ANONYMOUS_ENABLED": "false",
            "GF_SERVER_HTTP_PORT": str(mon.grafana_port if host_network else 3000),
            "GF_SERVER_ROOT_URL": url,
            # The admin front shows Grafana in a frame: allowed, with a login cookie the frame keeps
            # (SameSite=None needs HTTPS; over HTTP the front and Grafana share the host, so Lax does).
            "GF_SECURITY_ALLOW_EMBEDDING": "true",
            "GF_SECURITY_COOKIE_SAMESITE": "none" if secure else "lax",
            "GF_SECURITY_COOKIE_SECURE": "true" if secure else "false",
        },
        env_file=["secrets/grafana.env"],
        volumes=[f"{volume_source(plan, 'grafana-data', data_dir)}:/var/lib/grafana"],
    )
    node_exporter: dict[str, Any] = {
        "image": images["node-exporter"],
        "restart": "unless-stopped",
        "logging": ROTATED_LOGS,
        **HARDENING,
        "network_mode": "host",
        "pid": "host",
        "command": ["--path.rootfs=/host", f"--web.listen-address=:{mon.node_exporter_port}"],
        "volumes": ["/:/host:ro,rslave"],
    }
    return {"prometheus": prometheus, "alertmanager": alertmanager, "grafana": grafana, "node-exporter": node_exporter}


FRONTS = {"web-front": ("openim-web-front", "openim-api"), "admin-front": ("openim-admin-front", "admin-api")}
"""Front -> (its Compose service, the OpenIM service it talks to)."""


def front_services(plan: Plan, reach: Callable[[str], str] | None) -> dict[str, dict[str, Any]]:
    """The optional web fronts (container port 80), published on the model's ports.
    ``reach``: the Compose service of an OpenIM service to wait for (compose target); the
    binary target's OpenIM services are systemd units, started after the infrastructure."""
    out: dict[str, Any] = {}
    fronts: dict[str, WebFront | AdminFront] = {"web-front": plan.model.fronts.web, "admin-front": plan.model.fronts.admin}
    for name, (service, api) in FRONTS.items():
        if not fronts[name].enabled:
            continue
        svc: dict[str, Any] = {
            "image": plan.extra_image(name),
            "restart": "unless-stopped",
            "networks": ["openim"],
            "ports": [f"{fronts[name].port}:80"],
            "logging": ROTATED_LOGS,
            **HARDENING,
        }
        if reach is not None and api in plan.services:
            svc["depends_on"] = {reach(api): {"condition": "service_started"}}
        out[service] = svc
    return out


def label_inputs(services: dict[str, dict[str, Any]], files: Mapping[str, bytes]) -> None:
    """Give each service whose bind mounts carry generated files a label with their digest:
    Compose recreates a container when its definition changes, not when a file it mounts
    does, so a changed config file changes the label and `docker compose up -d` recreates
    exactly the containers that read it. (Credentials come through env files, which Compose
    already counts as part of the definition.) ``files``: generated files by the path the
    Compose file names them with (``./config/...`` or ``/etc/openim/...``)."""
    paths = sorted(files)
    for svc in services.values():
        digest = hashlib.sha256()
        found = False
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "") if volume.get("type") == "bind" else ""
            for path in ([source] if source in files else []) + _inside(paths, source):
                digest.update(path.encode() + b"\0" + files[path] + b"\0")
                found = True
        if found:
            svc["labels"] = {"openim-gen.inputs": digest.hexdigest()}


def _inside(paths: Sequence[str], source: str) -> list[str]:
    """The paths inside ``source`` as a directory, from sorted ``paths`` (a binary search: a
    deployment with many containers and many files stays linear-logarithmic)."""
    if not source:
        return []
    prefix = source.rstrip("/") + "/"
    return list(paths[bisect.bisect_left(paths, prefix) : bisect.bisect_left(paths, prefix[:-1] + "0")])  # "0" follows "/"


GRAFANA_START = """\
grafana cli --homepath "$GF_PATHS_HOME" admin reset-admin-password "$GF_SECURITY_ADMIN_PASSWORD" >/dev/null 2>&1 || true
exec /run.sh
"""


PULL_POLICY = {"Always": "always", "IfNotPresent": "missing", "Never": "never"}
"""images.pullPolicy (Kubernetes' words) as Compose says it."""


def pull_policy(plan: Plan, services: dict[str, dict[str, Any]]) -> None:
    """images.pullPolicy for every image, as the chart applies it (IfNotPresent is already
    Compose's way)."""
    if plan.model.images.pull_policy != "IfNotPresent":
        for svc in services.values():
            svc["pull_policy"] = PULL_POLICY[plan.model.images.pull_policy]


def literal_environment(services: dict[str, dict[str, Any]]) -> None:
    """Every environment value reaches the container as written: Compose would expand a `$`
    in it (``$HOME``, ``${X}``), so each is doubled. (Scripts in commands say ``$$`` where they
    mean their own shell's variables.)"""
    for svc in services.values():
        env = svc.get("environment")
        if isinstance(env, dict):
            svc["environment"] = {k: compose_text(v) if isinstance(v, str) else v for k, v in env.items()}


def compose_text(text: str) -> str:
    """Text Compose passes on as written: ``$`` doubled (Compose would interpolate it)."""
    return text.replace("$", "$$")


def hand_over_data(plan: Plan, services: dict[str, dict[str, Any]], data_dir: str | None) -> None:
    """A non-root image cannot write a bind-mounted directory Docker created as root (0755,
    moby volume/mounts): before such a service starts, a one-shot ``<name>-data-owner`` (the same
    image, as root, no network) hands the directories it writes to the image's user
    (``contracts`` of the release line). Named volumes start as the image's own directory."""
    if data_dir is None:
        return
    for name, svc in list(services.items()):
        contract = plan.catalog.contracts.get(name)
        if contract is None or contract.user.split(":")[0] == "0" or svc.get("user") is not None:
            continue
        mounts = [v for v in svc.get("volumes", []) if isinstance(v, str) and v.split(":")[1] in contract.writes]
        if not mounts:
            continue
        owner: dict[str, Any] = {
            "image": svc["image"],
            "restart": "no",
            "user": "0:0",
            "network_mode": "none",
            "entrypoint": ["chown", "-R", contract.user, *(v.split(":")[1] for v in mounts)],
            "volumes": mounts,
            "logging": ROTATED_LOGS,
            **HARDENING,
        }
        if "profiles" in svc:
            owner["profiles"] = svc["profiles"]
        services[f"{name}-data-owner"] = owner
        svc.setdefault("depends_on", {})[f"{name}-data-owner"] = {"condition": "service_completed_successfully"}


def infra_env_files(plan: Plan) -> dict[str, list[tuple[str, str]]]:
    """Per bundled component: the (variable, secret id) pairs of its env file."""
    return {name: [(e.variable, e.secret_id) for e in envs] for name, envs in plan.bundled_env.items()}


# Upstream's init pattern (openim-server docker-compose.yml): start mongod with --auth, wait,
# then make sure the application user exists with the password the env file holds now (a
# rotated password takes effect on the next start). The root password only applies when the
# data is first created; a changed one is reported. Credentials come from the env file, never
# the command line of this file.
MONGO_INIT = """\
docker-entrypoint.sh mongod --wiredTigerCacheSizeGB "$$WIRED_TIGER_CACHE_GB" --auth &
tries=0
until mongosh -u "$$MONGO_INITDB_ROOT_USERNAME" -p "$$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin \\
    --quiet --eval 'db.runCommand({ping: 1})' >/dev/null 2>&1; do
  tries=$$((tries + 1))
  if [ "$$tries" -eq 120 ]; then
    echo "openim-gen: cannot log in as $$MONGO_INITDB_ROOT_USERNAME: MongoDB keeps the root password of its first start;" \\
      "change it with db.changeUserPassword, or put the old one back (infra.mongodb.rootPassword)" >&2
  fi
  sleep 1
done
mongosh -u "$$MONGO_INITDB_ROOT_USERNAME" -p "$$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin --quiet --eval '
const d = db.getSiblingDB(process.env.MONGO_INITDB_DATABASE);
const user = process.env.MONGO_OPENIM_USERNAME, pwd = process.env.MONGO_OPENIM_PASSWORD;
if (d.getUser(user)) {
  d.updateUser(user, {pwd: pwd});
} else {
  d.createUser({user: user, pwd: pwd, roles: [{role: "readWrite", db: process.env.MONGO_INITDB_DATABASE}]});
}'
wait
"""


MINIO_INIT = """\
mc alias set local http://minio:9000 "$$MINIO_ROOT_USER" "$$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$$MINIO_BUCKET"
if [ "$$MINIO_PUBLIC_READ" = true ]; then mc anonymous set download "local/$$MINIO_BUCKET"; fi
"""
