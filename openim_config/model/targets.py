"""Per-target settings."""

from typing import Literal

from pydantic import Field

from openim_config.model.base import (
    AbsolutePath,
    IngressHost,
    K8sName,
    LabelKey,
    LabelValue,
    PosixName,
    RelativeOrAbsolutePath,
    Strict,
    fresh,
)


class Host(Strict):
    name: str
    """A DNS-1123 label naming the host; its directory in the output."""
    address: str
    """Address the other hosts reach it at (registered in etcd, used for infrastructure)."""


class BinaryTarget(Strict):
    hosts: list[Host] = Field(default_factory=lambda: [Host(name="local", address="127.0.0.1")], min_length=1)
    """Machines of a bare-metal deployment; bundled infrastructure runs on the first."""
    install_dir: AbsolutePath = "/opt/openim"
    """Binaries are expected in `<installDir>/bin`."""
    config_dir: AbsolutePath = "/etc/openim"
    log_dir: AbsolutePath = "/var/log/openim"
    data_dir: AbsolutePath = "/var/lib/openim"
    user: PosixName = "openim"
    group: PosixName = "openim"


class ComposeTarget(Strict):
    project: str = "openim"
    """Compose project name (`name:`), a DNS-1123 label."""
    data_dir: RelativeOrAbsolutePath = "./data"
    """Where bind-mounted volumes live; relative paths are relative to compose.yaml."""
    volumes: Literal["bind", "named"] = "bind"
    """`bind`: each logical volume is a directory under `dataDir` (or its `hostPath`);
    `named`: a Docker named volume `<project>_<volume>` managed by Docker."""


class Ingress(Strict):
    enabled: bool = False
    """One host for the client-facing listeners: the API at `/api`, the gateway's websocket at
    `/msg_gateway`, with chat the chat and admin APIs at `/chat` and `/complete_admin`, the
    bundled MinIO at `minioPath`, and the web front at `/`."""
    controller: Literal["nginx", "traefik", "istio"] = "nginx"
    """What routes it: `nginx` (ingress-nginx) or `traefik`, through Ingress objects with that
    controller's annotations (and Traefik Middlewares); `istio`, through an Istio Gateway and
    VirtualServices. Each gets the prefix stripping, websocket timeouts and unbuffered, unlimited
    uploads it needs."""
    host: IngressHost = "openim.example.com"
    class_name: K8sName | Literal[""] | None = None
    """Ingress class (nginx, traefik), empty for the cluster's default; unset: the controller's
    name. Not for `istio`, which routes through a Gateway."""
    admin_host: IngressHost | None = None
    """Host the admin front is served at (the root of it: its build loads its files from `/`),
    with the same API paths; unset: `admin.<host>`. Only with `fronts.admin`."""
    tls_secret: K8sName | None = None
    """A `kubernetes.io/tls` Secret for `host`; set, the Ingress serves HTTPS."""
    minio_path: str = Field("/im-minio-api", pattern=r"^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$")
    """Path the bundled MinIO is routed at when `infra.minio.externalAddress` is not set;
    MinIO's external address then becomes `http(s)://<host><minioPath>`."""


class AntiAffinity(Strict):
    services: Literal["preferred", "required", "none"] = "preferred"
    """Spread the replicas of each OpenIM service across nodes."""
    infra: Literal["preferred", "required", "none"] = "preferred"
    """Keep the bundled MongoDB, Redis, Kafka and MinIO on different nodes; `required` needs
    as many schedulable nodes as bundled components."""


class ServiceMonitor(Strict):
    enabled: bool = False
    """One Prometheus-operator ServiceMonitor per service with a metrics port (needs the
    `monitoring.coreos.com` CRDs)."""
    interval: str = Field("30s", pattern=r"^[0-9]+(ms|s|m|h)$")
    labels: dict[LabelKey, LabelValue] = Field(default_factory=fresh(dict))
    """Labels your Prometheus selects ServiceMonitors by, e.g. `release: kube-prometheus-stack`."""


class HelmTarget(Strict):
    namespace: str = "openim"
    """The namespace the chart is made for: any (discovery is etcd's), not `default` (one of
    its own, as Kubernetes' guidance and checkov's CKV_K8S_21 ask)."""
    release: str = "openim"
    chart_name: str = "openim"
    storage_class: K8sName | None = None
    ingress: Ingress = Field(default_factory=fresh(Ingress))
    external_services: bool = True
    """External infrastructure gets an in-cluster Service (`<component>`, or `<component>-<i>`
    per address): an ExternalName for a DNS name, a selector-less Service with an
    EndpointSlice for an IP. The config files name those Services, so moving a database
    changes one object. `false`: the config files name the external addresses themselves
    (when TLS certificates or virtual hosts must match them). A MongoDB replica set is reached
    by its members' own names."""
    anti_affinity: AntiAffinity = Field(default_factory=fresh(AntiAffinity))
    network_policies: bool = True
    """NetworkPolicies admitting only the traffic the topology needs: gRPC and HTTP between
    OpenIM pods, each bundled component from the services that use it, client-facing ports
    and metrics from anywhere (narrow them in values: `networkPolicy`)."""
    pod_disruption_budgets: bool = False
    """A PodDisruptionBudget (`maxUnavailable: 1`) for every service with two replicas or more."""
    service_monitor: ServiceMonitor = Field(default_factory=fresh(ServiceMonitor))


class Targets(Strict):
    binary: BinaryTarget = Field(default_factory=fresh(BinaryTarget))
    compose: ComposeTarget = Field(default_factory=fresh(ComposeTarget))
    helm: HelmTarget = Field(default_factory=fresh(HelmTarget))
