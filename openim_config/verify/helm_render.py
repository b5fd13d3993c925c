"""Render the helm target with the real Helm engine: the Helm SDK through the
``helm-python-sdk`` package when it is installed, else a ``helm`` executable on PATH.

The chart is rendered as a user installs it: its own ``values.yaml`` plus
``secrets.values.yaml`` when ``build`` wrote one. Without it (credentials are never committed)
the chart is rendered with ``existingSecret`` set to a stand-in, so the credential *names* are
still read from the manifests but their values are not compared.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openim_config.errors import UserError
from openim_config.verify.reading import load_yaml_text

__all__ = ["Rendered", "render"]

STAND_IN_SECRET = "openim-gen-verify-stand-in"
SECRETS_FILE = "secrets.values.yaml"
INSTALL_HINT = "pip install helm-python-sdk, or put helm on PATH"


@dataclass(frozen=True)
class Rendered:
    manifests: list[dict[str, Any]]
    engine: str
    with_secrets: bool


def render(chart: Path, release: str | None = None, namespace: str | None = None, read_secrets: bool = True) -> Rendered | None:
    """The chart's manifests, or None when no Helm engine is available: installed as the release
    into the namespace its values.yaml names unless given. ``read_secrets``: use
    ``secrets.values.yaml`` when there is one (else the stand-in ``existingSecret``)."""
    if not (chart / "Chart.yaml").is_file():
        raise UserError(f"{chart}: no Chart.yaml: run `openim-gen build` first")
    secrets = chart / SECRETS_FILE
    with_secrets = read_secrets and secrets.is_file()
    if release is None or namespace is None:
        release, namespace = _install_target(chart)
    try:
        sdk: Any = importlib.import_module("helm_python")
    except ImportError:
        sdk = None
    if sdk is not None:
        docs = _render_sdk(sdk, chart, secrets if with_secrets else None, release, namespace)
        return Rendered(docs, "Helm SDK (helm-python-sdk)", with_secrets)
    exe = shutil.which("helm")
    if exe is not None:
        docs = _render_cli(exe, chart, secrets if with_secrets else None, release, namespace)
        return Rendered(docs, f"helm template ({exe})", with_secrets)
    return None


_TOP_LEVEL = re.compile(r"^(release|namespace):[ \t]*([a-z0-9]([-a-z0-9]*[a-z0-9])?)[ \t]*(#.*)?$", re.MULTILINE)
"""``release: openim`` as ``build`` writes it: a plain DNS label on a line of its own at column
0, which in a block mapping can only be a top-level key (a block scalar's lines are indented)."""


def _install_target(chart: Path) -> tuple[str, str]:
    """The release name and namespace the chart is made for (values.yaml): it refuses others.
    Read off their two lines when they are written as ``build`` writes them (values.yaml is the
    largest file of the chart: parsing it was a tenth of ``verify``); else the whole file."""
    path = chart / "values.yaml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    found: dict[str, list[str]] = {}
    for match in _TOP_LEVEL.finditer(text):
        found.setdefault(match[1], []).append(match[2])
    if text.startswith("{") or any(len(v) != 1 for v in found.values()) or len(found) != 2:
        docs = load_yaml_text(text, str(path))
        values = docs[0] if docs and isinstance(docs[0], dict) else {}
    else:
        values = {key: found[key][0] for key in found}
    release, namespace = values.get("release"), values.get("namespace")
    if not isinstance(release, str) or not isinstance(namespace, str):
        raise UserError(f"{path}: no release or namespace: rebuild the chart with `openim-gen build -t helm`")
    return release, namespace


def _render_sdk(sdk: Any, chart: Path, secrets: Path | None, release: str, namespace: str) -> list[dict[str, Any]]:
    values: dict[str, Any] = {"existingSecret": STAND_IN_SECRET}
    if secrets is not None:
        values = sdk.values_from_yaml(secrets.read_text(encoding="utf-8")) or {}
    try:
        with sdk.Chart.load(str(chart)) as loaded:
            out: dict[str, str] = loaded.render(values, name=release, namespace=namespace, is_install=True)
    except sdk.HelmError as exc:
        raise UserError(f"{chart}: Helm cannot render the chart: {type(exc).__name__}: {exc}") from None
    docs: list[dict[str, Any]] = []
    for source in sorted(out):
        if source.endswith((".yaml", ".yml")):
            docs.extend(_manifests(sdk, out[source], source))
    return docs


_DOCUMENT_START = re.compile(r"^---[ \t]*$", re.MULTILINE)
_CONTENT = re.compile(r"^[^#\s]", re.MULTILINE)
_OTHER_MARKERS = re.compile(r"^(?:---[ \t]*[^\s]|\.\.\.|%)", re.MULTILINE)
"""A ``---`` with something after it, a document end or a directive: the Go reader reads one
document per call and would drop what follows, so such a file goes to the Python reader."""


def _manifests(sdk: Any, text: str, source: str) -> list[dict[str, Any]]:
    """The objects of one rendered template, read by Kubernetes' own YAML reader (Helm's values
    reader is sigs.k8s.io/yaml, which the API server and kubectl use), a document at a time: a
    third of the time the Python reader takes, and what the cluster would see. A file it cannot
    read that way (a document that is not a mapping, ``---`` inside a block scalar) is read by
    the Python reader, as before."""
    if _OTHER_MARKERS.search(text):
        return [d for d in load_yaml_text(text, source) if isinstance(d, dict)]
    try:
        return [sdk.values_from_yaml(doc) for doc in _DOCUMENT_START.split(text) if _CONTENT.search(doc)]
    except sdk.HelmError:
        return [d for d in load_yaml_text(text, source) if isinstance(d, dict)]


def _render_cli(exe: str, chart: Path, secrets: Path | None, release: str, namespace: str) -> list[dict[str, Any]]:
    cmd = [exe, "template", release, str(chart), "-n", namespace]
    cmd += ["-f", str(secrets)] if secrets is not None else ["--set", f"existingSecret={STAND_IN_SECRET}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    if proc.returncode != 0:
        raise UserError(f"{chart}: helm template failed: {proc.stderr.strip()}")
    return [d for d in load_yaml_text(proc.stdout, "helm template") if isinstance(d, dict)]
