"""One golden case built to disk (credentials included) and read back as processes."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from openim_config import artifacts
from openim_config.plan import Plan
from openim_config.verify.normalise import kubernetes_document_view, normalise_document, strip_ports, unprefix_names
from tests.scenarios import TARGET_NAMES, plan_case, render_case, secret_env
from tests.startup import checks
from tests.startup import processes as procs
from tests.startup.harness import Harness
from tests.startup.launch import Started, start


@dataclass
class Deployment:
    case: str
    plan: Plan
    out: Path

    @classmethod
    def build(cls, case: str, out: Path) -> Deployment:
        with secret_env():
            plan = plan_case(case)
            artifacts.write(out, render_case(case))
        return cls(case, plan, out)

    @cached_property
    def helm_docs(self) -> list[dict[str, Any]]:
        with secret_env():
            return procs.render_chart(self.plan, self.out)

    def processes(self, target: str) -> list[procs.Process]:
        if target == "binary":
            return procs.binary_processes(self.plan, self.out)
        if target == "compose":
            return procs.compose_processes(self.plan, self.out)
        return procs.helm_processes(self.plan, self.helm_docs)

    def network(self, target: str) -> procs.Network:
        if target == "binary":
            return procs.binary_network(self.plan, self.out)
        if target == "compose":
            return procs.compose_network(self.plan, self.out)
        return procs.helm_network(self.plan, self.helm_docs)

    def start(self, harness: Harness, process: procs.Process) -> Started:
        binary = self.plan.catalog.binaries[process.binary]
        return start(harness, process, harness.command_files(binary.product, binary.command), binary.product)


def comparable(plan: Plan, started: Started, kubernetes: bool) -> dict[str, Any]:
    """A started process's decoded files with what may differ between targets taken out
    (``openim_config.verify.normalise``: the one list of those differences, printed by
    ``openim-gen verify``): addresses (checked per process by reachability instead), the
    discovery backend and the release-prefixed discovery names against Kubernetes, log location and stdout, registerIP, and the port
    lists (compared as the port each process takes at its own index). ``kubernetes``: the
    view compared with a Kubernetes process."""
    assert started.loaded is not None
    product = plan.catalog.binaries[started.process.binary].product
    out: dict[str, Any] = {}
    for file, doc in started.loaded.files.items():
        view = normalise_document(file, copy.deepcopy(doc), lambda host, port: "reached")
        view = strip_ports(plan.catalog, product, file, view)
        if kubernetes:
            view = kubernetes_document_view(file, unprefix_names(plan.catalog, product, file, view, plan.model.targets.helm.release))
        out[file] = view
    return out


def own_ports(plan: Plan, started: Started) -> dict[str, int]:
    """The port each listener of the process takes: element -i of its list."""
    assert started.loaded is not None
    binary = plan.catalog.binaries[started.process.binary]
    own = started.loaded.files[plan.catalog.binary_file(started.process.binary)]
    return {kind: checks.dig(own, spec.key)[started.loaded.index] for kind, spec in binary.ports.items()}


__all__ = ["TARGET_NAMES", "Deployment", "comparable", "own_ports"]
