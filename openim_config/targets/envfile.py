"""Secret environment files (``KEY='value'``), readable by both systemd and Compose."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from openim_config.errors import UserError
from openim_config.plan import Plan
from openim_config.plan.secrets import resolve


def env_line(name: str, value: str, secret_id: str) -> str:
    # Single quotes are literal for both systemd's EnvironmentFile= and Compose's env_file
    # (no $-interpolation), so the only values we cannot carry are quotes and newlines.
    if "'" in value or "\n" in value or "\\" in value:
        raise UserError(f"secret {secret_id}: a value with a quote, backslash or newline cannot go into an env file")
    return f"{name}='{value}'\n"


def env_file(plan: Plan, pairs: Iterable[tuple[str, str]]) -> Callable[[], bytes]:
    """``(variable, secret id)`` pairs -> a producer of the file's bytes (resolved only when written)."""
    items = sorted(set(pairs))

    def produce() -> bytes:
        return "".join(env_line(var, resolve(plan, sid), sid) for var, sid in items).encode("utf-8")

    return produce


def secret_file(plan: Plan, secret_id: str) -> Callable[[], bytes]:
    """A credential file's bytes (the FCM service account), resolved only when written."""

    def produce() -> bytes:
        return (resolve(plan, secret_id) + "\n").encode("utf-8")

    return produce
