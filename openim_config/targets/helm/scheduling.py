"""The chart's cluster-convention values: image registry and pull secrets, placement, pod
metadata, security context overrides, probe timing and autoscaling.

They are install-time knobs of the cluster operator, not facts of the OpenIM model, so they
start empty (or at the chart's own defaults) and are set with ``-f``/``--set``. The global ones
sit at the top of values.yaml (``global`` for the two every chart knows from Bitnami's:
``imageRegistry`` and ``imagePullSecrets``); each OpenIM service and each bundled component has
its own, combined with the global ones as each key's comment says (templates/_pod.tpl).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openim_config.model import base
from openim_config.targets.helm.tree import Block, Node, Value

__all__ = ["DEFINITIONS", "NOT_AUTOSCALED", "autoscaling", "global_block", "pod_defaults", "pod_overrides", "probes"]

NOT_AUTOSCALED: Mapping[str, str] = {
    "openim-crontask": (
        "No autoscaling: it must run once. At this release line every instance runs the clean-up jobs\n"
        "(internal/tools/cron_task.go takes no lock), so each further pod runs the same deletions again, at the same time."
    ),
}
"""OpenIM processes whose instances are not interchangeable: their blocks offer no ``autoscaling``
key (the strict schema refuses it), and their block's comment says why."""

INT = {"type": "integer"}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
OBJECT_NAME = {"type": "string", "pattern": f"^$|{base.K8S_NAME}"}
PULL_SECRETS = {
    "type": "array",
    "items": {
        "anyOf": [
            {"type": "string", "pattern": base.K8S_NAME},
            {
                "type": "object",
                "properties": {"name": {"type": "string", "pattern": base.K8S_NAME}},
                "required": ["name"],
                "additionalProperties": False,
            },
        ]
    },
}
TOLERATIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "operator": {"enum": ["Exists", "Equal"]},
            "value": {"type": "string"},
            "effect": {"enum": ["", "NoSchedule", "PreferNoSchedule", "NoExecute"]},
            "tolerationSeconds": INT,
        },
        "additionalProperties": False,
    },
}
AFFINITY = {
    "type": "object",
    "properties": {k: {"type": "object"} for k in ("nodeAffinity", "podAffinity", "podAntiAffinity")},
    "additionalProperties": False,
}
SPREAD = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "maxSkew": {"type": "integer", "minimum": 1},
            "topologyKey": {"type": "string", "minLength": 1},
            "whenUnsatisfiable": {"enum": ["DoNotSchedule", "ScheduleAnyway"]},
            "labelSelector": {"type": "object"},
            "matchLabelKeys": {"type": "array", "items": {"type": "string"}},
            "minDomains": {"type": "integer", "minimum": 1},
            "nodeAffinityPolicy": {"enum": ["Honor", "Ignore"]},
            "nodeTaintsPolicy": {"enum": ["Honor", "Ignore"]},
        },
        "required": ["maxSkew", "topologyKey", "whenUnsatisfiable"],
        "additionalProperties": False,
    },
}
ZONE_SPREAD = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}]

CHART_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/version",
    "helm.sh/chart",
)
"""Labels the chart sets (the first three select the pods): ``podLabels`` cannot name them."""
POD_LABELS = {
    "type": "object",
    "properties": dict.fromkeys(CHART_LABELS, False),
    "propertyNames": {"pattern": base.LABEL_KEY},
    "additionalProperties": {"type": "string", "pattern": base.LABEL_VALUE},
}
POD_ANNOTATIONS = {
    "type": "object",
    "properties": dict.fromkeys(("checksum/config", "checksum/secret"), False),
    "additionalProperties": {"type": "string"},
}

POD_SECURITY_KEYS = (
    "appArmorProfile", "fsGroup", "fsGroupChangePolicy", "runAsGroup", "runAsNonRoot", "runAsUser", "seLinuxChangePolicy",
    "seLinuxOptions", "seccompProfile", "supplementalGroups", "supplementalGroupsPolicy", "sysctls", "windowsOptions",
)  # fmt: skip
CONTAINER_SECURITY_KEYS = (
    "allowPrivilegeEscalation", "appArmorProfile", "capabilities", "privileged", "procMount", "readOnlyRootFilesystem",
    "runAsGroup", "runAsNonRoot", "runAsUser", "seLinuxOptions", "seccompProfile", "windowsOptions",
)  # fmt: skip


def _security(keys: tuple[str, ...]) -> dict[str, Any]:
    """Field names checked (a typo fails at lint); values are the API server's to check, and null unsets."""
    return {"type": "object", "properties": {key: {} for key in keys}, "additionalProperties": False}


PROBE_TIMING = {
    "type": "object",
    "properties": {
        "initialDelaySeconds": {"type": "integer", "minimum": 0},
        "periodSeconds": {"type": "integer", "minimum": 1},
        "timeoutSeconds": {"type": "integer", "minimum": 1},
        "failureThreshold": {"type": "integer", "minimum": 1},
    },
    "required": ["initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold"],
    "additionalProperties": False,
}
DEFINITIONS: Mapping[str, Mapping[str, Any]] = {
    "kubernetes.ImagePullSecrets": PULL_SECRETS,
    "kubernetes.Tolerations": TOLERATIONS,
    "kubernetes.Affinity": AFFINITY,
    "kubernetes.TopologySpreadConstraints": SPREAD,
    "kubernetes.PodLabels": POD_LABELS,
    "kubernetes.PodAnnotations": POD_ANNOTATIONS,
    "kubernetes.PodSecurityContext": _security(POD_SECURITY_KEYS),
    "kubernetes.SecurityContext": _security(CONTAINER_SECURITY_KEYS),
    "kubernetes.Probe": PROBE_TIMING,
}
"""Schemas every block repeats, written once in values.schema.json (``definitions``) and referenced."""


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/kubernetes.{name}"}


OPENIM_POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "fsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
OPENIM_CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}

PROBES = {
    "startupProbe": (
        "Start-up check (TCP connect to the first port); liveness and readiness wait for it. The default allows\n"
        "5 minutes, for a first start that waits for MongoDB, Redis and Kafka.",
        {"initialDelaySeconds": 0, "periodSeconds": 5, "timeoutSeconds": 1, "failureThreshold": 60},
    ),
    "readinessProbe": (
        "Readiness check (TCP connect to the first port): the Service sends traffic only to ready pods.",
        {"initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3},
    ),
    "livenessProbe": (
        "Liveness check (TCP connect to the first port): the container is restarted after failureThreshold misses.",
        {"initialDelaySeconds": 0, "periodSeconds": 20, "timeoutSeconds": 1, "failureThreshold": 6},
    ),
}


def global_block() -> Block:
    """``global``: the keys a parent chart shares with its subcharts, named as Bitnami's charts name them."""
    return Block(
        "Values shared with a parent chart (Helm merges a parent's `global` in; other keys of it are let through).",
        {
            "imageRegistry": Value(
                "Registry (and path) every image is pulled from; empty: as each image reference says. The rule:\n"
                "when a reference's first path component is a registry (it has a '.' or ':', or is localhost, as\n"
                "Docker reads it) that component is replaced, otherwise imageRegistry is put in front:\n"
                "my.registry.example:5000/openimsdk/openim-api:v3 -> REGISTRY/openimsdk/openim-api:v3, mongo:7.0 ->\n"
                "REGISTRY/mongo:7.0. (An openim-gen bundle made with --registry has moved the references already:\n"
                "leave this empty then.)",
                "",
                {"type": "string", "pattern": f"^$|{base.REGISTRY}"},
            ),
            "imagePullSecrets": Value(
                "Secrets (names, or {name: ...}) every pod pulls its images with; a block's own are added to them.",
                [],
                _ref("ImagePullSecrets"),
            ),
            "compatibility": Block(
                "Platform adaptations.",
                {
                    "openshift": Block(
                        "Red Hat OpenShift.",
                        {
                            "adaptSecurityContext": Value(
                                "Leave runAsUser, runAsGroup and fsGroup out of every pod and container (OpenIM's and the\n"
                                "bundled infrastructure's) so that the restricted SCC assigns the namespace's own range:\n"
                                "auto: when the cluster serves security.openshift.io/v1; force: always; disabled: never.",
                                "auto",
                                {"enum": ["auto", "force", "disabled"]},
                            )
                        },
                    )
                },
            ),
        },
    )


def pod_defaults() -> dict[str, Node]:
    """The global placement, metadata and security keys: every OpenIM pod takes them, and every
    bundled component's pod takes the placement and metadata ones."""
    return {
        "nodeSelector": Value(
            "Node labels every pod must match; a block's own nodeSelector is merged over it (its keys win).", {}, STRING_MAP
        ),
        "tolerations": Value("Taints every pod tolerates; a block's own tolerations are added to these.", [], _ref("Tolerations")),
        "affinity": Value(
            "Affinity of every pod; set (here or in a block, whose own wins), it replaces the anti-affinity\n"
            "antiAffinity generates for that pod.",
            {},
            _ref("Affinity"),
        ),
        "topologySpreadConstraints": Value(
            "Spreading of the pods of a service that runs more than one (replicas above 1, or autoscaling with\n"
            "maxReplicas above 1); nothing for a single pod. An entry without labelSelector selects the pods of\n"
            "its own service. A service's own non-empty list replaces this one; [] here: no spreading.",
            ZONE_SPREAD,
            _ref("TopologySpreadConstraints"),
        ),
        "podAnnotations": Value("Annotations of every pod; a block's own are merged over them.", {}, _ref("PodAnnotations")),
        "podLabels": Value(
            "Labels of every pod; a block's own are merged over them. The chart's labels (the selector's among\nthem) cannot be named.",
            {},
            _ref("PodLabels"),
        ),
        "priorityClassName": Value("PriorityClass of every pod; a block's own wins; empty: the cluster's default.", "", OBJECT_NAME),
        "podSecurityContext": Value(
            "Pod securityContext of the OpenIM services (the bundled infrastructure runs as its images' own users:\n"
            "see infra.<name>.podSecurityContext). A key set to null is left out, e.g. for OpenShift's restricted\n"
            "SCC: --set podSecurityContext.runAsUser=null,podSecurityContext.runAsGroup=null,\n"
            "podSecurityContext.fsGroup=null (or global.compatibility.openshift.adaptSecurityContext).",
            OPENIM_POD_SECURITY,
            _ref("PodSecurityContext"),
        ),
        "securityContext": Value(
            "Container securityContext of the OpenIM services; a key set to null is left out.",
            OPENIM_CONTAINER_SECURITY,
            _ref("SecurityContext"),
        ),
    }


def pod_overrides(spreads: bool) -> dict[str, Node]:
    """A block's own placement, metadata and security keys (``spreads``: it can run several pods)."""
    fields: dict[str, Node] = {
        "imagePullSecrets": Value("Its own pull secrets, added to global.imagePullSecrets.", [], _ref("ImagePullSecrets")),
        "nodeSelector": Value("Merged over the global nodeSelector (its keys win).", {}, STRING_MAP),
        "tolerations": Value("Added to the global tolerations.", [], _ref("Tolerations")),
        "affinity": Value("Replaces the global affinity and the generated anti-affinity when set.", {}, _ref("Affinity")),
    }
    if spreads:
        fields["topologySpreadConstraints"] = Value(
            "Replaces the global topologySpreadConstraints when not empty.", [], _ref("TopologySpreadConstraints")
        )
    fields |= {
        "podAnnotations": Value("Merged over the global podAnnotations.", {}, _ref("PodAnnotations")),
        "podLabels": Value("Merged over the global podLabels (never the chart's own labels).", {}, _ref("PodLabels")),
        "priorityClassName": Value("Replaces the global priorityClassName when set.", "", OBJECT_NAME),
        "podSecurityContext": Value(
            "Merged over the pod securityContext, key by key (a key set to null is left out).", {}, _ref("PodSecurityContext")
        ),
        "securityContext": Value(
            "Merged over the container securityContext, key by key (a key set to null is left out).", {}, _ref("SecurityContext")
        ),
    }
    return fields


def probes() -> dict[str, Node]:
    """Probe timing of a service that listens (the check itself, a TCP connect to its first port, is fixed)."""
    return {key: Value(doc, dict(default), _ref("Probe")) for key, (doc, default) in PROBES.items()}


def autoscaling(name: str, replicas: int, partitions: int) -> Block:
    """A HorizontalPodAutoscaler for a process whose instances are interchangeable (``partitions``:
    of the Kafka topics openim-msgtransfer consumes, which bound its useful pods)."""
    low = max(replicas, 1)
    high = max(low, partitions) if name == "openim-msgtransfer" else 2 * low
    notes = {
        "openim-msgtransfer": " Its pods share Kafka consumer groups (toRedis, toMongo): pods beyond\n"
        "the topics' partitions (infra.kafka.partitions) stay idle, hence the default maxReplicas.",
        "openim-push": " Its pods share Kafka consumer groups (toPush, toOfflinePush).",
        "openim-msggateway": " A client's websocket stays on the gateway pod it reached; openim-push sends each\n"
        "message to every gateway it finds in etcd (DefaultAllNode), so any pod serves any user. Scaling in\n"
        "cuts the removed pods' connections (clients reconnect to another); scaling out moves none.",
    }
    return Block(
        "A HorizontalPodAutoscaler (autoscaling/v2) on CPU and memory utilisation, measured against the requests\n"
        "(resources.requests: rendering fails without the one a target needs). Enabled, the Deployment sets no\n"
        "replicas (the autoscaler owns them) and the PodDisruptionBudget counts minReplicas." + notes.get(name, ""),
        {
            "enabled": Value("Create it.", False, {"type": "boolean"}),
            "minReplicas": Value("Fewest pods.", low, {"type": "integer", "minimum": 1}),
            "maxReplicas": Value("Most pods (at least minReplicas).", high, {"type": "integer", "minimum": 1}),
            "targetCPUUtilizationPercentage": Value(
                "Average CPU use, in % of the CPU request, to hold; 0: not a target.", 80, {"type": "integer", "minimum": 0}
            ),
            "targetMemoryUtilizationPercentage": Value(
                "Average memory use, in % of the memory request, to hold; 0: not a target.", 0, {"type": "integer", "minimum": 0}
            ),
        },
    )
