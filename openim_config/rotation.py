"""Credentials a bundled component takes only on its first start.

Every other credential takes effect on the next start (processes read them from env files or
the Secret; MongoDB's application user and Grafana's admin are reset from them). MongoDB's and
etcd's root passwords are kept by the component from the day its data was created, so when
the model changes one, ``build`` says exactly what to run. It remembers their digests (never
the values) in ``<target>/.openim-gen/credentials.sha256``, private and git-ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from openim_config.plan import Plan
from openim_config.plan.secrets import resolve

__all__ = ["STATE", "changed_first_start_credentials"]

STATE = ".openim-gen/credentials.sha256"

STEPS = {
    "mongodbRootPassword": (
        "mongodb",
        "MongoDB keeps the root password it was created with: before its next start, run "
        "`{exec} mongodb mongosh -u {root} -p --authenticationDatabase admin --eval "
        "'db.changeUserPassword(\"{root}\", passwordPrompt())'` (the old password, then the new one)",
    ),
    "etcdPassword": (
        "etcd",
        "etcd keeps the root password it was first started with: run `{exec} etcd etcdctl --user root user passwd root` "
        "(the old password, then the new one)",
    ),
}


def _exec(plan: Plan, target: str) -> str:
    if target == "helm":
        return f"kubectl -n {plan.model.targets.helm.namespace} exec -it statefulset/"
    if target == "compose":
        return "docker compose -f deploy/compose/compose.yaml exec"
    return f"docker compose -f {plan.model.targets.binary.install_dir.rstrip('/')}/infra/compose.yaml exec"


def changed_first_start_credentials(out_dir: Path, plan: Plan, targets: list[str]) -> list[str]:
    """The manual step for each first-start credential changed since the last build of each
    target (and remember the new ones)."""
    notes: list[str] = []
    for target in targets:
        state = out_dir / target / STATE
        try:
            before = json.loads(state.read_text()) if state.is_file() and not state.is_symlink() else {}
        except (OSError, ValueError):
            before = {}
        now = {}
        for sid, (component, step) in STEPS.items():
            if sid in plan.secrets and plan.infra[component].bundled:
                now[sid] = hashlib.sha256(f"openim-gen:{sid}:{resolve(plan, sid)}".encode()).hexdigest()
                if before.get(sid) not in (None, now[sid]):
                    root = plan.model.infra.mongodb.root_username
                    notes.append(f"{target}: {plan.secrets[sid].path} changed. " + step.format(exec=_exec(plan, target), root=root))
        if state.parent.is_dir() and now != before:  # unchanged: not touched
            fd = os.open(state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(now, fh, sort_keys=True)
    return notes
