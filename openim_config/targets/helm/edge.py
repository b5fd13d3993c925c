"""The chart's client-facing edge as values: the web and admin fronts, and the ingress that
routes one host (and the admin front's own) to them, the APIs and the bundled MinIO.

The fronts find the APIs from the page's own address: served over HTTPS they call
``https://<host>/api``, ``/chat``, ``/complete_admin`` and ``wss://<host>/msg_gateway`` (over
HTTP, ``<host>:10002`` and the other default ports instead, which no ingress serves). So both
fronts sit at the root of a host that also routes the API paths: the web front at `/` of the
main host, the admin front at `/` of a host of its own (its build loads its files from `/`, so
it cannot live under a path prefix). The controller's own settings (prefix stripping, websocket
timeouts, upload limits, TLS) are written by the templates, per controller; these values hold
what the model decides.
"""

from __future__ import annotations

from collections.abc import Mapping

from openim_config.plan import Plan
from openim_config.plan.appconfig import minio_routed_by_ingress
from openim_config.targets.helm.tree import Block, Node, Value
from openim_config.targets.helm.values import BOOL, HOST, LABELS, OBJECT_NAME, PORT, PORT_ORDER, RESOURCES, fixed, values_key

__all__ = ["FRONTS", "INGRESS_PATHS", "admin_host", "fronts", "ingress"]

INGRESS_PATHS = {"openim-api": "/api", "openim-msggateway": "/msg_gateway", "chat-api": "/chat", "admin-api": "/complete_admin"}
"""Path prefixes of the client-facing listeners, as upstream's charts route them (FACTS 5.4)."""

FRONTS = {
    "web": ("web-front", "openim-web-front", "the web client"),
    "admin": ("admin-front", "openim-admin-front", "the chat admin console"),
}
"""Values key -> (catalog image, name of its Deployment's container and component, what it is)."""

CONTROLLER_CLASS = {"nginx": "nginx", "traefik": "traefik", "istio": ""}
"""The Ingress class each controller registers by default (istio routes through a Gateway)."""


def admin_host(plan: Plan) -> str:
    """The host the admin front is served at: the model's, else `admin.<host>` (none for a wildcard host)."""
    ingress = plan.model.targets.helm.ingress
    if ingress.admin_host:
        return ingress.admin_host
    return "" if ingress.host.startswith("*.") else f"admin.{ingress.host}"


def fronts(plan: Plan) -> Block:
    model = plan.model
    enabled = {"web": model.fronts.web.enabled, "admin": model.fronts.admin.enabled}
    port = {"web": model.fronts.web.port, "admin": model.fronts.admin.port}
    blocks: dict[str, Node] = {}
    for key, (image, name, role) in FRONTS.items():
        if not enabled[key]:
            continue  # like a disabled service: no block, so no image a bundle would not carry
        contract = plan.catalog.contracts[image]
        blocks[key] = Block(
            f"{name}: {role} (nginx serving a built page), behind the Ingress at the root of "
            + ("the main host." if key == "web" else "ingress.adminHost."),
            {
                "enabled": Value(
                    "Deploy it; false removes its Deployment, Service and ingress route"
                    + ("; needs chat's admin-api." if key == "admin" else "."),
                    True,
                    BOOL,
                ),
                "name": fixed("Container name and app.kubernetes.io/component", name),
                "image": Value(
                    f"Image reference (openim.yaml fronts.{key}.image).", plan.extra_image(image), {"type": "string", "minLength": 1}
                ),
                "replicas": Value("Pods (stateless: any number).", 1, {"type": "integer", "minimum": 0}),
                "port": Value(f"Port of its Service (openim.yaml fronts.{key}.port, the host port in the other targets).", port[key], PORT),
                "containerPort": fixed("Port its nginx listens on (the image's)", contract.listens[0]),
                "writablePaths": Value(
                    "Directories nginx writes, each an emptyDir (the root filesystem is read-only; catalog contracts).",
                    list(contract.writes),
                    {"type": "array", "items": {"type": "string", "pattern": "^/"}, "uniqueItems": True},
                ),
                "serviceType": Value("Service type.", "ClusterIP", {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]}),
                "resources": Value("CPU and memory requests and limits.", {}, RESOURCES),
            },
        )
    return Block(
        "The web fronts openim.yaml enables (fronts.web, fronts.admin). They call the APIs on the host they are served "
        "from, at /api, /chat, /complete_admin and /msg_gateway, when the page is HTTPS (over HTTP they dial <host>:10002 "
        "and the other default ports): serve them through the ingress with tlsSecret set (or TLS terminated in front of it).",
        blocks,
    )


def ingress(plan: Plan) -> Block:
    ingress = plan.model.targets.helm.ingress
    class_name = CONTROLLER_CLASS[ingress.controller] if ingress.class_name is None else ingress.class_name
    paths = [
        {"path": prefix, "serviceKey": values_key(name), "port": plan.services[name].client_facing[0]}
        for name, prefix in INGRESS_PATHS.items()
        if name in plan.services and plan.services[name].client_facing
    ]
    prefix = {"type": "string", "pattern": "^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$"}
    path_schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"path": prefix, "serviceKey": {"type": "string"}, "port": {"enum": list(PORT_ORDER)}},
            "required": ["path", "serviceKey", "port"],
            "additionalProperties": False,
        },
    }
    selector: Mapping[str, str] = {"istio": "ingressgateway"}
    return Block(
        "One host for the client-facing listeners, routed by the chosen controller.",
        {
            "enabled": Value("Route them.", ingress.enabled, BOOL),
            "controller": Value(
                "nginx (ingress-nginx) or traefik: Ingress objects with that controller's annotations (traefik: and\n"
                "Middlewares, traefik.io/v1alpha1); istio: an Istio Gateway and VirtualServices (networking.istio.io).",
                ingress.controller,
                {"enum": ["nginx", "traefik", "istio"]},
            ),
            "className": Value("Ingress class (nginx, traefik); empty: the cluster's default. Unused by istio.", class_name, OBJECT_NAME),
            "host": Value("Host name clients use.", ingress.host, HOST),
            "adminHost": Value(
                "Host the admin front is served at, with the same API paths (when fronts.admin is enabled).",
                admin_host(plan),
                {"type": "string", "pattern": f"^$|{HOST['pattern']}"},
            ),
            "tlsSecret": Value(
                "kubernetes.io/tls Secret for the host (and adminHost); set, clients use HTTPS. With istio it must be in\n"
                "the namespace of the ingress gateway's pods (credentialName).",
                ingress.tls_secret or "",
                OBJECT_NAME,
            ),
            "annotations": Value(
                "Extra annotations of the API Ingress (nginx, traefik), over the ones the chart sets for the controller.", {}, LABELS
            ),
            "paths": Value("Path prefix -> a service's listener (values key of the service, port name).", paths, path_schema),
            "minio": Block(
                "The bundled MinIO at a path of the same host; MinIO's externalAddress (minio.yml) follows the host and path.",
                {
                    "enabled": Value(
                        "Route it (openim.yaml: bundled MinIO without an externalAddress).", minio_routed_by_ingress(plan.model), BOOL
                    ),
                    "path": Value("Path prefix, stripped before MinIO.", ingress.minio_path, prefix),
                    "annotations": Value("Extra annotations of MinIO's Ingress (nginx, traefik).", {}, LABELS),
                },
            ),
            "istio": Block(
                "With controller istio.",
                {
                    "gatewaySelector": Value(
                        "Labels of the ingress gateway pods the Gateway binds to.",
                        dict(selector),
                        {**LABELS, "minProperties": 1},
                    ),
                },
            ),
        },
    )
