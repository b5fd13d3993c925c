"""The chart's client-facing edge through Helm itself: the web and admin fronts as hardened
Deployments and Services, and the ingress for each controller the model offers (nginx, traefik,
istio), each with what the APIs, the websocket and MinIO uploads need there.

What is validated: every built-in kind by kubernetes-validate (strict); the Traefik Middleware
and Istio Gateway and VirtualService objects against their documented shapes (crd_shapes),
since kubernetes-validate has no schema for them; and, for every controller, that each route
ends at a rendered Service port, so a route cannot name a Service or port that does not exist.
What is not: how the controllers themselves behave (no cluster runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openim_config.plan import Plan
from openim_config.plan.appconfig import minio_external
from tests import consumers as c
from tests.crd_shapes import CRD_KINDS, validate_custom
from tests.helm_support import CRDS, config, model_chart, names, one, template

HOST, ADMIN = "im.example.com", "admin.im.example.com"
# Service names of release "openim" (<release>-<name>).
API_PATHS = {"/api": ("openim-openim-api", "http"), "/msg_gateway": ("openim-messagegateway-rpc-service", "ws")}
API_PATHS |= {"/chat": ("openim-chat-api", "http"), "/complete_admin": ("openim-admin-api", "http")}
FRONTS = {"openim-web-front": HOST, "openim-admin-front": ADMIN}


def _model(controller: str, tls: bool = True) -> dict[str, Any]:
    ingress: dict[str, Any] = {"enabled": True, "host": HOST, "controller": controller}
    if tls:
        ingress["tlsSecret"] = "im-tls"
    return {
        "chat": {"enabled": True},
        "fronts": {"web": {"enabled": True, "port": 11011}, "admin": {"enabled": True}},
        "targets": {"helm": {"networkPolicies": True, "ingress": ingress}},
    }


@pytest.fixture(scope="module", params=["nginx", "traefik", "istio"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Plan, Path, list[dict[str, Any]]]:
    controller = str(request.param)
    plan, chart = model_chart(_model(controller), tmp_path_factory.mktemp(f"edge-{controller}"))
    return controller, plan, chart, template(plan, chart)


def _validate(docs: list[dict[str, Any]]) -> None:
    c.kube_validate(docs, allow_unknown_kinds=(*CRDS, *CRD_KINDS))
    validate_custom(docs)


def _service_ports(docs: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Service name -> port name -> port number."""
    return {d["metadata"]["name"]: {p["name"]: p["port"] for p in d["spec"]["ports"]} for d in docs if d["kind"] == "Service"}


def _routes(controller: str, docs: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(host, path prefix as clients use it) -> (Service, port name), read the way each controller reads its objects."""
    ports = _service_ports(docs)
    out: dict[tuple[str, str], tuple[str, str]] = {}
    if controller == "istio":
        for vs in (d for d in docs if d["kind"] == "VirtualService"):
            (host,) = vs["spec"]["hosts"]
            for route in vs["spec"]["http"]:
                prefix = next(m["uri"]["prefix"] for m in route["match"] if "prefix" in m["uri"])
                dest = route["route"][0]["destination"]
                service, namespace = dest["host"].split(".")[:2]
                assert namespace == "openim" and dest["host"].endswith(".svc.cluster.local")
                by_number = {n: name for name, n in ports[service].items()}
                out[host, prefix.rstrip("/") or "/"] = (service, by_number[dest["port"]["number"]])
        return out
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                backend = p["backend"]["service"]
                assert backend["port"]["name"] in ports[backend["name"]], f"{backend} names no port of a rendered Service"
                out[rule["host"], p["path"].removesuffix("(/|$)(.*)")] = (backend["name"], backend["port"]["name"])
    return out


# --------------------------------------------------------------------------- the fronts
def test_the_fronts_run_hardened_with_the_image_and_ports_of_the_other_targets(
    rendered: tuple[str, Plan, Path, list[dict[str, Any]]],
) -> None:
    _, plan, _, docs = rendered
    for name, image, port in (("openim-web-front", "web-front", 11011), ("openim-admin-front", "admin-front", 11002)):
        deployment = one(docs, "Deployment", f"openim-{name}")
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["name"] == name and container["image"] == plan.extra_image(image)
        assert container["ports"] == [{"name": "http", "containerPort": 80, "protocol": "TCP"}]
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] != 0
        assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"} in pod["securityContext"]["sysctls"], "non-root nginx on 80"
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        empty = {v["name"] for v in pod["volumes"] if v.get("emptyDir") == {}}
        writable = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in empty}
        assert writable == set(plan.catalog.contracts[image].writes) == {"/var/cache/nginx", "/run", "/tmp"}
        assert pod["automountServiceAccountToken"] is False
        service = one(docs, "Service", f"openim-{name}")
        assert service["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        (rule,) = one(docs, "NetworkPolicy", f"openim-{name}")["spec"]["ingress"]
        assert rule == {"ports": [{"port": "http", "protocol": "TCP"}]}, "client-facing: from anyone unless clientFrom narrows it"


def test_every_controller_routes_the_apis_minio_and_the_fronts(rendered: tuple[str, Plan, Path, list[dict[str, Any]]]) -> None:
    controller, plan, _, docs = rendered
    routes = _routes(controller, docs)
    for host in (HOST, ADMIN):
        assert {p: routes[host, p] for p in API_PATHS} == API_PATHS, f"{host}: the pages call the APIs on their own host"
    assert routes[HOST, "/im-minio-api"] == ("openim-minio", "api")
    assert (ADMIN, "/im-minio-api") not in routes
    assert {routes[host, "/"][0]: host for host in (HOST, ADMIN)} == {f"openim-{n}": h for n, h in FRONTS.items()}
    assert len(routes) == 2 * len(API_PATHS) + 3
    external = config(docs, plan, "server", "minio.yml")["externalAddress"]
    assert external == f"https://{HOST}/im-minio-api" == minio_external(plan.model, "kubernetes")
    _validate(docs)


def test_nginx_rewrites_and_lifts_the_limits(tmp_path: Path) -> None:
    plan, chart = model_chart(_model("nginx"), tmp_path)
    docs = template(plan, chart)
    api = one(docs, "Ingress", "openim-openim")
    assert api["spec"]["ingressClassName"] == "nginx"
    assert api["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/use-regex": "true",
        "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
        "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
        "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
    }
    assert api["spec"]["tls"] == [{"hosts": [HOST, ADMIN], "secretName": "im-tls"}]
    minio = one(docs, "Ingress", "openim-openim-minio")["metadata"]["annotations"]
    assert minio["nginx.ingress.kubernetes.io/proxy-body-size"] == "0"
    assert minio["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    fronts = one(docs, "Ingress", "openim-openim-fronts")
    assert "annotations" not in fronts["metadata"], "the fronts' files are served as they are asked for, not rewritten"
    capped = template(plan, chart, {"ingress.minio.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-body-size": "50m"})
    assert one(capped, "Ingress", "openim-openim-minio")["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "50m"


def test_traefik_strips_the_prefixes_with_its_middlewares(tmp_path: Path) -> None:
    plan, chart = model_chart(_model("traefik"), tmp_path)
    docs = template(plan, chart)
    middlewares = {d["metadata"]["name"]: d["spec"]["stripPrefix"]["prefixes"] for d in docs if d["kind"] == "Middleware"}
    assert middlewares == {"openim-openim-strip-api": list(API_PATHS), "openim-openim-strip-minio": ["/im-minio-api"]}
    used = {}
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        annotations = ingress["metadata"]["annotations"]
        assert not any(k.startswith("nginx.") for k in annotations)
        assert ingress["spec"]["ingressClassName"] == "traefik" and annotations["traefik.ingress.kubernetes.io/router.tls"] == "true"
        assert all(p["pathType"] == "Prefix" for r in ingress["spec"]["rules"] for p in r["http"]["paths"])
        used[ingress["metadata"]["name"]] = annotations.get("traefik.ingress.kubernetes.io/router.middlewares")
    assert used == {
        "openim-openim": "openim-openim-openim-strip-api@kubernetescrd",
        "openim-openim-minio": "openim-openim-openim-strip-minio@kubernetescrd",
        "openim-openim-fronts": None,
    }, "<namespace>-<Middleware name>@kubernetescrd of Middlewares this release renders; the fronts unstripped"
    assert not any(d["kind"] == "Middleware" and "buffering" in d["spec"] for d in docs), "no body limit, no request buffering"
    plain = template(plan, chart, {"ingress.tlsSecret": ""})
    for ingress in (d for d in plain if d["kind"] == "Ingress"):
        assert "tls" not in ingress["spec"] and "traefik.ingress.kubernetes.io/router.tls" not in ingress["metadata"].get("annotations", {})
    assert config(plain, plan, "server", "minio.yml")["externalAddress"] == f"http://{HOST}/im-minio-api"


def test_istio_uses_a_gateway_and_virtual_services(tmp_path: Path) -> None:
    plan, chart = model_chart(_model("istio"), tmp_path)
    docs = template(plan, chart)
    assert not names(docs, "Ingress") and not names(docs, "Middleware")
    gateway = one(docs, "Gateway", "openim-openim")["spec"]
    assert gateway["selector"] == {"istio": "ingressgateway"}
    https = next(s for s in gateway["servers"] if s["port"]["protocol"] == "HTTPS")
    assert https["tls"] == {"mode": "SIMPLE", "credentialName": "im-tls"} and https["hosts"] == [HOST, ADMIN]
    assert next(s for s in gateway["servers"] if s["port"]["protocol"] == "HTTP")["tls"] == {"httpsRedirect": True}
    main = one(docs, "VirtualService", "openim-openim")["spec"]
    assert main["gateways"] == ["openim-openim"]
    by_name = {r["name"]: r for r in main["http"]}
    assert by_name["openimMsggateway"]["timeout"] == "0s" and by_name["minio"]["timeout"] == "0s"
    assert "timeout" not in by_name["openimApi"]
    assert all(r["rewrite"] == {"uri": "/"} for n, r in by_name.items() if n != "openim-web-front")
    assert main["http"][-1]["name"] == "openim-web-front" and "rewrite" not in main["http"][-1], "first match wins: / comes last"
    assert {m["uri"].get("exact") for m in by_name["openimApi"]["match"]} == {None, "/api"}
    assert validate_custom(docs) == 3
    plain = template(plan, chart, {"ingress.tlsSecret": ""})
    (server,) = one(plain, "Gateway", "openim-openim")["spec"]["servers"]
    assert server["port"]["protocol"] == "HTTP" and "tls" not in server


def test_the_shapes_catch_a_misplaced_field(tmp_path: Path) -> None:
    """The CRD check can fail: a rewrite put on the destination is refused."""
    plan, chart = model_chart(_model("istio"), tmp_path)
    docs = template(plan, chart)
    vs = one(docs, "VirtualService", "openim-openim")
    vs["spec"]["http"][0]["route"][0]["destination"]["rewrite"] = {"uri": "/"}
    with pytest.raises(Exception, match="rewrite"):
        validate_custom([vs])


def test_the_model_decides_which_fronts_exist_and_install_can_only_drop_them(tmp_path: Path) -> None:
    plan, chart = model_chart({}, tmp_path / "default")
    assert not [d for d in template(plan, chart) if "front" in d["metadata"]["name"]], "off by default"
    with pytest.raises(AssertionError, match="fronts"):
        template(plan, chart, {"fronts.web.enabled": "true"})  # no image a bundle carries: refused, not half-deployed
    plan, chart = model_chart(_model("nginx"), tmp_path / "fronts")
    docs = template(plan, chart, {"fronts.web.enabled": "false"})
    assert not [d for d in docs if "web-front" in d["metadata"]["name"]]
    assert [r["host"] for r in one(docs, "Ingress", "openim-openim-fronts")["spec"]["rules"]] == [ADMIN]
    _validate(docs)
    with pytest.raises(AssertionError, match="admin-api"):
        template(plan, chart, {"adminApi.enabled": "false"})
    c.helm_lint(chart, [chart / "secrets.values.yaml"], {"ingress.controller": "istio", "ingress.className": ""})


def test_build_says_the_fronts_need_https(tmp_path: Path) -> None:
    from openim_config import build
    from openim_config.model import OpenIM
    from openim_config.plan import build_plan

    def notes(data: dict[str, Any]) -> list[str]:
        return build.notes(build_plan(OpenIM.model_validate(data)), ["helm"])

    assert not [n for n in notes(_model("traefik")) if "fronts" in n]
    plain = notes(_model("traefik", tls=False))
    assert any("fronts.web and fronts.admin: the pages call the APIs at https://" in n for n in plain)


@pytest.mark.slow
def test_no_new_checkov_failure_for_any_controller(rendered: tuple[str, Plan, Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    controller, _, _, docs = rendered
    failures = c.checkov_failures(docs, tmp_path / "manifests")
    found = {f"{check} on {sorted(resources)[0]}" for check, resources in failures.items()}
    assert not found, f"{controller}: fix these in the chart, or waive them there with a reason"
