"""Plan -> the chart's values, declared once with a comment and a schema per key (``tree``).

Keys a release cannot change without breaking what the config files say (Service names the
config dials, config file names, the database names) are ``const`` in the schema: Helm
refuses them at lint time instead of installing a release that cannot connect.
"""

from __future__ import annotations

from typing import Any

from openim_config.catalog import PortKind
from openim_config.model import Service, base
from openim_config.plan import Plan, ServicePlan
from openim_config.plan.images import HELM_TEST
from openim_config.plan.resolve import INFRA_LISTENERS, external_aliases, kube_name
from openim_config.targets.helm.monitoring import block as monitoring_block
from openim_config.targets.helm.monitoring import deploys_monitoring
from openim_config.targets.helm.scheduling import NOT_AUTOSCALED, autoscaling, global_block, pod_defaults, pod_overrides, probes
from openim_config.targets.helm.tree import Block, Node, Value, shape_schema
from openim_config.targets.monitoring import ALERT_RULES

__all__ = ["PORT_ORDER", "build", "kubernetes_components", "values_key"]

PORT_ORDER: tuple[PortKind, ...] = ("grpc", "http", "ws", "metrics")
"""Listener kinds in the order containers and Services list them: gRPC first (FACTS 5.2)."""


def kubernetes_components(plan: Plan) -> tuple[str, ...]:
    """The infrastructure the chart provides or names: etcd only when a product finds its
    services through etcd in Kubernetes (both products at this line: catalog line.yaml says why)."""
    etcd = any(plan.catalog.products[s.product].discovery["kubernetes"] == "etcd" for s in plan.services.values())
    return tuple(name for name in ("mongodb", "redis", "kafka", "etcd", "minio") if (name != "etcd" or etcd) and name in plan.infra)


ROLES = {
    "openim-api": "the HTTP API apps and servers call",
    "openim-msggateway": "the websocket gateway clients keep connected",
    "openim-msgtransfer": "moves messages from Kafka to Redis and MongoDB",
    "openim-push": "online and offline push",
    "openim-crontask": "scheduled clean-up (no listener)",
    "openim-rpc-auth": "tokens",
    "openim-rpc-conversation": "conversations",
    "openim-rpc-friend": "friends and blacklists",
    "openim-rpc-group": "groups",
    "openim-rpc-msg": "messages",
    "openim-rpc-third": "files (MinIO) and logs",
    "openim-rpc-user": "users",
    "chat-api": "the chat HTTP API (accounts, login)",
    "admin-api": "the chat admin HTTP API",
    "chat-rpc": "chat accounts",
    "admin-rpc": "chat administration",
}
PORT_DOCS: dict[str, str] = {
    "grpc": "gRPC: the Service's first port, named grpc, the one discovery dials",
    "http": "HTTP",
    "ws": "websocket (clients' long connections)",
    "metrics": "Prometheus metrics (/metrics)",
}

PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
STRING = {"type": "string"}
BOOL = {"type": "boolean"}
QUANTITY = {"type": ["string", "number"], "pattern": base.QUANTITY}
RESOURCES = {
    "type": "object",
    "properties": {
        "requests": {"type": "object", "additionalProperties": QUANTITY},
        "limits": {"type": "object", "additionalProperties": QUANTITY},
    },
    "additionalProperties": False,
}
PEERS = {"type": "array", "items": {"type": "object"}}
"""NetworkPolicyPeer objects, as Kubernetes takes them (the API server checks their fields)."""
MODES = {"enum": ["preferred", "required", "none"]}
HOST = {"type": "string", "pattern": base.INGRESS_HOST}
OBJECT_NAME = {"type": "string", "pattern": f"^$|{base.K8S_NAME}"}
"""A Kubernetes object's name, or empty for none (the cluster's default)."""
LABEL_SET = {
    "type": "object",
    "propertyNames": {"pattern": base.LABEL_KEY},
    "additionalProperties": {"type": "string", "pattern": base.LABEL_VALUE},
}
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}


KAFKA_PARTITIONS = 8
"""Partitions of the topics the bundled Kafka creates (as upstream's compose file sets them)."""


def values_key(name: str) -> str:
    """A binary's block in values.yaml: camelCase of its name (``openim-rpc-user`` -> ``openimRpcUser``)."""
    first, *rest = name.split("-")
    return first + "".join(part.capitalize() for part in rest)


def fixed(doc: str, value: Any) -> Value:
    """A value the config files depend on: shown, documented, and refused if changed."""
    return Value(doc + " (fixed).", value, {"const": value})


def build(plan: Plan) -> Block:
    """Every key of values.yaml, in the order written."""
    target = plan.model.targets.helm
    monitor = target.service_monitor
    fields: dict[str, Node] = {
        "global": global_block(),
        "release": fixed(
            "The release name to install as (openim.yaml targets.helm.release): object names start with it, and\n"
            "the config files dial the Services by those names; installing under another name fails",
            target.release,
        ),
        "namespace": fixed(
            "The namespace to install into (openim.yaml targets.helm.namespace): installing elsewhere fails, since\n"
            "the config files and discovery are made for it",
            target.namespace,
        ),
        "imagePullPolicy": Value(
            "Pull policy of every image.", plan.model.images.pull_policy, {"enum": ["Always", "IfNotPresent", "Never"]}
        ),
        "existingSecret": Value(
            "A Secret you manage (one key per id of secrets.values.yaml); set, the chart creates none,\n"
            "and pods do not roll by themselves when you change it.",
            "",
            STRING,
        ),
        "secrets": Value(
            "Credentials by Secret key. Keep empty here: install with -f secrets.values.yaml (written by openim-gen build).",
            {},
            {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
        ),
        "antiAffinity": Block(
            "Spreading pods across nodes (kubernetes.io/hostname): preferred, required or none.",
            {
                "services": Value("Replicas of one OpenIM service.", target.anti_affinity.services, MODES),
                "infra": Value("The bundled MongoDB, Redis, Kafka and MinIO, from each other.", target.anti_affinity.infra, MODES),
            },
        ),
        **pod_defaults(),
        "networkPolicy": Block(
            "NetworkPolicies (ingress only): gRPC/HTTP between OpenIM pods, each bundled component from its users.",
            {
                "enabled": Value("Create them.", target.network_policies, BOOL),
                "clientFrom": Value(
                    "Peers (NetworkPolicyPeer) allowed on client-facing ports (API, websocket, chat, MinIO); empty: anyone.", [], PEERS
                ),
                "metricsFrom": Value("Peers allowed on metrics ports; empty: anyone.", [], PEERS),
            },
        ),
        "podDisruptionBudget": Block(
            "PodDisruptionBudgets.",
            {"enabled": Value("maxUnavailable 1 for every service with two replicas or more.", target.pod_disruption_budgets, BOOL)},
        ),
        "serviceMonitor": Block(
            "Prometheus-operator ServiceMonitors, one per service with a metrics port, and a PrometheusRule with\n"
            "alertRules (needs the monitoring.coreos.com CRDs).",
            {
                "enabled": Value("Create them.", monitor.enabled, BOOL),
                "interval": Value("Scrape interval.", monitor.interval, {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"}),
                "labels": Value(
                    "Extra labels your Prometheus selects ServiceMonitors (and the rules) by.", dict(monitor.labels), LABEL_SET
                ),
            },
        ),
        "alertRules": Value(
            "Alert rule groups (the binary and compose targets' instance-down-rules.yml): loaded by the chart's\n"
            "Prometheus (monitoring), or a PrometheusRule for the operator's (serviceMonitor).",
            ALERT_RULES["groups"],
            {"type": "array", "items": {"type": "object", "required": ["name", "rules"]}},
        ),
    }
    fields["tests"] = _tests(plan)
    for name, svc in plan.services.items():
        fields[values_key(name)] = _service(plan, svc)
    fields["config"] = _config(plan)
    fields["infra"] = _infra(plan)
    # The client-facing edge (edge imports this module's schemas, hence imported here).
    from openim_config.targets.helm import edge

    fields["fronts"] = edge.fronts(plan)
    fields["ingress"] = edge.ingress(plan)
    if deploys_monitoring(plan):
        fields["monitoring"] = monitoring_block(plan, {n: _persistence(plan, n) for n in ("prometheus", "grafana")}, RESOURCES)
    return Block("Values of the OpenIM chart.", fields)


TEST_RESOURCES = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "32Mi"}}
"""A shell and nc: a few MiB; the limits keep checkov's resource checks met without a waiver."""


def _tests(plan: Plan) -> Block:
    return Block(
        "`helm test <release>`: pods (test hooks) that check from inside the cluster that every HTTP API answers and\n"
        "every gRPC Service has a ready endpoint (templates/tests/, files/helm-test.sh).",
        {
            "enabled": Value("Render the test pods (hooks: created only by helm test).", True, BOOL),
            "image": Value(
                "Image with sh, nc and timeout (busybox); openim-gen bundle carries it for the helm target.",
                plan.extra_image(HELM_TEST),
                {"type": "string", "minLength": 1},
            ),
            "resources": Value("CPU and memory requests and limits of a test pod.", TEST_RESOURCES, RESOURCES),
        },
    )


def _service(plan: Plan, svc: ServicePlan) -> Block:
    name = svc.name
    binary = plan.catalog.binaries[name]
    product = plan.catalog.products[svc.product]
    kinds = [k for k in PORT_ORDER if k in svc.ports]
    file = plan.catalog.binary_file(name)
    resources = plan.model.services.get(name, Service()).resources
    overrides = {sid: key.replace(":", " ") for key, sid in plan.catalog.secretKeys[svc.product].items() if key.split(":")[0] in svc.files}
    contract = plan.catalog.binary_contract(name)
    command = [] if contract.passes_arguments() else [contract.binary]
    scaling: dict[str, Node] = {} if name in NOT_AUTOSCALED else {"autoscaling": autoscaling(name, len(svc.instances), KAFKA_PARTITIONS)}
    doc = f"{name}: {ROLES.get(name, svc.product)}." + (f"\n\n{NOT_AUTOSCALED[name]}" if name in NOT_AUTOSCALED else "")
    return Block(
        doc,
        {
            "enabled": Value("Install it; false removes its Deployment, Service and Ingress path.", True, BOOL),
            "name": fixed("app.kubernetes.io/component; its Deployment is <release>-<name>", name),
            "serviceName": fixed("Service name: the name the config files dial", kube_name(plan.model, svc.discovery_name or name)),
            "product": fixed("Which ConfigMap it mounts (server or chat)", svc.product),
            "replicas": Value(
                "Pods (openim.yaml instances); each reads index 0 of every port list.",
                len(svc.instances),
                {"type": "integer", "minimum": 0},
            ),
            "image": Value("Image reference.", svc.image, {"type": "string", "minLength": 1}),
            "ports": Block(
                "Listener ports: each sets the config file, the containerPort, the probe and the Service together.",
                {k: Value(PORT_DOCS[k] + ".", svc.ports[k][0], PORT) for k in kinds},
            ),
            "configFile": fixed("Its own config file", file),
            "configPorts": Block(f"Where each port is written in {file}.", {k: fixed(f"{k} port key", binary.ports[k].key) for k in kinds}),
            "files": fixed("The config files its command loads, mounted from the ConfigMap", list(svc.files)),
            "configDir": fixed("Where they are mounted: -c, and $CONFIG_PATH", product.containerConfigDir),
            "command": fixed("Replaces the image's entrypoint when that would not pass -i/-c on (empty: the image's own)", command),
            "serviceAccountToken": fixed(
                "Mount the service-account token (OpenIM then takes the pod for a Kubernetes runtime)", product.serviceAccountToken
            ),
            "logDir": fixed("Writable log directory (the root filesystem is read-only)", product.containerLogDir),
            "clientFacing": fixed("Listeners clients reach (Ingress paths, NetworkPolicy)", [k for k in kinds if k in svc.client_facing]),
            "serviceType": Value("Service type.", "ClusterIP", {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]}),
            "secretEnv": Block(
                "Credentials it reads: environment variable -> Secret key.",
                {
                    e.variable: Value(f"Sets {overrides[e.secret_id]}.", e.secret_id, {"type": "string", "minLength": 1})
                    for e in svc.secret_env
                },
            ),
            "secretFiles": Block(
                "Credentials it reads as files in its configDir (the FCM service account): file name -> Secret key.",
                {
                    f.path: Value("Mounted read-only beside the config files.", f.secret_id, {"type": "string", "minLength": 1})
                    for f in svc.secret_files
                },
            ),
            "resources": Value(
                "CPU and memory requests and limits (openim.yaml services.<name>.resources); sizing is yours: each\n"
                "one left unset is waived on the Deployment for checkov with that reason.",
                {part: dict(getattr(resources, part)) for part in ("requests", "limits") if getattr(resources, part)},
                RESOURCES,
            ),
            **scaling,
            **(probes() if kinds else {}),
            **pod_overrides(spreads=True),
        },
    )


def _config(plan: Plan) -> Block:
    readers: dict[tuple[str, str], list[str]] = {}
    for svc in plan.services.values():
        for file in svc.files:
            readers.setdefault((svc.product, file), []).append(svc.name)
    titles: dict[str, str] = {str(name): product.title for name, product in plan.catalog.products.items()}
    products: dict[str, Node] = {}
    for product, docs in plan.documents["kubernetes"].items():
        products[product] = Block(
            f"{titles[product]}: one ConfigMap, mounted at each service's configDir.",
            {
                file: Value(f"Read by {', '.join(readers.get((product, file), [])) or 'no enabled service'}.", dict(doc), shape_schema(doc))
                for file, doc in docs.items()
            },
        )
    return Block(
        "OpenIM's own config files, with upstream's keys and value types (credentials blank: they come from the\n"
        "Secret as IMENV_/CHATENV_ variables). Set a key with --set 'config.server.share\\.yml.multiLogin.policy=2'.",
        products,
    )


def _persistence(plan: Plan, name: str) -> Block:
    volume = plan.volumes[f"{name}-data"]
    return Block(
        f"Its data volume (openim.yaml storage.{name}-data).",
        {
            "size": Value(
                "Requested capacity.", volume.size, {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$"}
            ),
            "storageClass": Value("Storage class; empty: the cluster's default.", volume.storage_class or "", OBJECT_NAME),
            "accessModes": Value(
                "Access modes.",
                list(volume.access_modes),
                {"type": "array", "minItems": 1, "items": {"enum": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]}},
            ),
            "existingClaim": Value("A PVC to use instead of creating one.", volume.existing_claim or "", OBJECT_NAME),
        },
    )


def _infra(plan: Plan) -> Block:
    model = plan.model
    blocks: dict[str, Node] = {}
    for name in kubernetes_components(plan):
        infra = plan.infra[name]
        if not infra.bundled:
            services = [
                {"name": a.service, "port": a.port, ("ip" if a.ip else "externalName"): a.host} for a in external_aliases(model, name)
            ]
            blocks[name] = Block(
                f"{name}: external (openim.yaml infra.{name}).",
                {
                    "enabled": fixed("Deployed by this chart", False),
                    "external": fixed("Its addresses", list(getattr(model.infra, name).address)),
                    "services": fixed(
                        "In-cluster Services the config files name instead: an ExternalName for a DNS name,\n"
                        "a selector-less Service and an EndpointSlice for an IP",
                        services,
                    ),
                },
            )
            continue
        host, _, port = infra.endpoints["kubernetes"][0].rpartition(":")
        fields: dict[str, Node] = {
            "enabled": Value("Deploy it; false: provide a Service of this name yourself.", True, BOOL),
            "image": Value("Image reference.", infra.image, {"type": "string", "minLength": 1}),
            "serviceName": fixed("Service name the config files dial", host),
            "port": fixed("Service port the config files dial", int(port)),
        }
        if name == "mongodb":
            mongo = model.infra.mongodb
            fields["database"] = fixed("Database OpenIM uses", mongo.database)
            fields["username"] = fixed("User OpenIM connects as, created on first start", mongo.username)
            fields["rootUsername"] = Value("Administrator created on first start.", mongo.root_username, {"type": "string", "minLength": 1})
            fields["wiredTigerCacheSizeGB"] = Value("WiredTiger cache (GB).", 1, {"type": "number", "exclusiveMinimum": 0})
        elif name == "kafka":
            fields["partitions"] = Value(
                "Partitions of the topics OpenIM creates on first use.", KAFKA_PARTITIONS, {"type": "integer", "minimum": 1}
            )
        elif name == "minio":
            fields["bucket"] = fixed("Bucket OpenIM stores files in, created on start", model.infra.minio.bucket)
            fields["consolePort"] = Value("Service port of the web console.", INFRA_LISTENERS["minio"]["console"], PORT)
            fields["serviceType"] = Value("Service type.", "ClusterIP", {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]})
        fields["secretEnv"] = Block(
            "Credentials it reads: environment variable -> Secret key.",
            {var: Value(f"Read by the {name} image.", sid, {"type": "string", "minLength": 1}) for var, sid in _env_pairs(plan, name)},
        )
        fields["clients"] = Value(
            "Services that connect to it (NetworkPolicy).", list(infra.users), {"type": "array", "items": {"type": "string"}}
        )
        fields["persistence"] = _persistence(plan, name)
        fields["resources"] = Value(
            "CPU and memory requests and limits; sizing is yours: each one left unset is waived on the StatefulSet for\n"
            "checkov with that reason.",
            {},
            RESOURCES,
        )
        fields |= pod_overrides(spreads=False)
        blocks[name] = Block(f"{name}: bundled, one StatefulSet (openim.yaml infra.{name}).", fields)
    return Block(
        "Infrastructure. OpenIM's processes find each other through etcd in Kubernetes too: the 3.8 server's\n"
        "Kubernetes discovery cannot route online push to the gateway holding a user, and chat cannot start with it.",
        blocks,
    )


def _env_pairs(plan: Plan, component: str) -> list[tuple[str, str]]:
    return [(e.variable, e.secret_id) for e in plan.bundled_env.get(component, ())]
