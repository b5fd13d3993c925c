"""What a target states about a deployment, read back from its artifacts.

Every extractor (``binary``, ``compose``, ``helm``) turns one target's tree into a
``TargetFacts``; ``compare`` lines them up. Values are plain data (strings, ints, tuples,
dicts) so that equality is the comparison; a value that could not be read is ``Unknown``
and a fact that does not exist in a target by design is ``NotApplicable``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FRONTS", "ExtraFacts", "InfraFacts", "NotApplicable", "ProcessFacts", "TargetFacts", "Unknown", "Volume"]

TARGET_NAMES = ("binary", "compose", "helm")
FRONTS = frozenset({"web-front", "admin-front"})
"""The extras every target runs (the monitoring stack's parts are the other targets' own)."""
KUBERNETES_TARGETS = frozenset({"helm"})
"""Targets whose processes run in Kubernetes (every replica index 0, API discovery)."""


@dataclass(frozen=True)
class Unknown:
    """The target does not say (e.g. credential files are not written): not compared."""

    reason: str


@dataclass(frozen=True)
class NotApplicable:
    """The fact does not exist in this target by design (rule ``rule``): not compared."""

    rule: str
    shown: str = "-"


@dataclass(frozen=True)
class Volume:
    mount: str
    """Where it is mounted inside the container."""
    landing: str
    """Where the data lands, for people: a host path, a Compose volume, a PVC."""
    key: str
    """What binary and compose compare: the last component of the host path or the volume name."""


@dataclass
class ProcessFacts:
    """One OpenIM binary (all its instances) as a target deploys it."""

    service: str
    product: str
    image: str | NotApplicable = NotApplicable("executable")
    instances: int = 0
    ports: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Listener kind -> the port of each instance, by index."""
    files: tuple[str, ...] = ()
    """Config files it loads."""
    infra: tuple[str, ...] = ()
    """``component=where`` for every piece of infrastructure its config files point it at."""
    credentials: dict[str, str] | Unknown = field(default_factory=dict)
    """Credential variable -> secret id."""
    secret_digests: dict[str, str] | Unknown = field(default_factory=dict)
    """Credential variable -> digest of its value (values are never kept or printed)."""
    logs: str = ""
    start: tuple[str, ...] = ()
    """Per instance, by index: what its program is started with (``-i 0 -c ok``: its -c
    directory holds its files), or why its arguments never reach it."""
    published: tuple[int, ...] | NotApplicable = ()
    """Host ports its client-facing listeners are reachable on (every instance)."""


@dataclass
class InfraFacts:
    """One bundled infrastructure component."""

    name: str
    image: str = ""
    volumes: tuple[Volume, ...] = ()
    credentials: tuple[str, ...] | Unknown = ()
    """Names of the credential variables it is given."""
    secret_digests: dict[str, str] | Unknown = field(default_factory=dict)
    published: tuple[int, ...] = ()
    """Host ports it is published on."""


@dataclass
class ExtraFacts:
    """A part around OpenIM a target runs: a web front or a piece of the monitoring stack."""

    name: str
    image: str = ""
    published: tuple[int, ...] = ()
    """Host ports it is reachable on (helm: its Service's ports)."""
    listens: tuple[int, ...] = ()
    """Container ports its traffic is sent to."""


@dataclass(frozen=True)
class Problem:
    """Something a single target gets wrong by itself (two copies of a file differ, a
    published port nothing listens on, ...)."""

    subject: str
    fact: str
    message: str


@dataclass
class TargetFacts:
    target: str
    processes: dict[str, ProcessFacts] = field(default_factory=dict)
    infra: dict[str, InfraFacts] = field(default_factory=dict)
    extras: dict[str, ExtraFacts] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    """``<product>/<file>`` -> the normalised document (see ``normalise``)."""
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, subject: str, fact: str, message: str) -> None:
        self.problems.append(Problem(subject, fact, message))
