"""Optional parts around OpenIM: monitoring and the web fronts."""

from pydantic import Field

from openim_config.model.base import ImageRef, SecretRef, Strict, fresh


class EmailReceiver(Strict):
    """Alert mails through an SMTP server."""

    to: list[str] = Field(min_length=1)
    """Recipients."""
    sender: str
    """From address."""
    smarthost: str = Field(pattern=r"^[^\s:]+:[0-9]{1,5}$")
    """SMTP server, `host:port`."""
    username: str = ""
    """SMTP login; empty: no authentication."""
    password: SecretRef | None = None
    require_tls: bool = True


class WebhookReceiver(Strict):
    """Alerts POSTed as JSON (Alertmanager's webhook format)."""

    url: SecretRef
    """Where to; a credential, since such URLs often carry a token."""
    send_resolved: bool = True


class Alerts(Strict):
    """Where Alertmanager sends alerts; none: they only show in its UI."""

    email: EmailReceiver | None = None
    webhook: WebhookReceiver | None = None


class Monitoring(Strict):
    enabled: bool = False
    """Prometheus scraping every instance's metrics port, Alertmanager, Grafana, node-exporter."""
    grafana_url: str | None = Field(None, pattern=r"^https?://[^\s]+$")
    """URL browsers open Grafana at (openim-api.yml prometheus.grafanaURL, which the admin front
    embeds). Default: `http://<publicHost>:<grafanaPort>/` where the target runs Grafana."""
    alerts: Alerts = Field(default_factory=fresh(Alerts))
    prometheus_port: int = Field(19090, ge=1, le=65535)
    alertmanager_port: int = Field(19093, ge=1, le=65535)
    grafana_port: int = Field(13000, ge=1, le=65535)
    node_exporter_port: int = Field(19100, ge=1, le=65535)
    grafana_admin_user: str = "admin"
    grafana_admin_password: SecretRef = Field(default_factory=lambda: SecretRef.model_validate("openIM123"))


class WebFront(Strict):
    enabled: bool = False
    port: int = Field(11001, ge=1, le=65535)
    """Host port of the web client (container port 80)."""
    image: ImageRef | None = None


class AdminFront(Strict):
    enabled: bool = False
    port: int = Field(11002, ge=1, le=65535)
    """Host port of the admin console (container port 80)."""
    image: ImageRef | None = None


class Fronts(Strict):
    web: WebFront = Field(default_factory=fresh(WebFront))
    """openim-web-front: the web client."""
    admin: AdminFront = Field(default_factory=fresh(AdminFront))
    """openim-admin-front: the chat admin console (needs chat)."""
