"""The Helm target packaged as ``helm package`` would: ``<name>-<version>.tgz`` holding
``<name>/Chart.yaml``, ``<name>/values.yaml``, ``<name>/templates/...``, without what the
chart's ``.helmignore`` excludes (``secrets.values.yaml`` above all) and reproducibly."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from openim_config import yamlio
from openim_config.artifacts import Artifact
from openim_config.bundle.tarball import Entry, tar_gz_bytes
from openim_config.errors import OpenIMGenError

__all__ = ["package_chart"]


def _ignore_patterns(artifacts: Sequence[Artifact]) -> list[str]:
    helmignore = next((a for a in artifacts if a.path == ".helmignore"), None)
    if helmignore is None:
        return []
    lines = (ln.strip() for ln in helmignore.content.decode("utf-8").splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


def ignored(path: str, patterns: Sequence[str]) -> bool:
    """The subset of Helm's ``.helmignore`` rules the generated chart uses: ``dir/`` ignores a
    directory anywhere, a pattern with a ``/`` matches the whole path, any other the base name."""
    parts = path.split("/")
    for pattern in patterns:
        if pattern.startswith("!"):
            raise OpenIMGenError(f".helmignore: negated patterns are not supported: {pattern}")
        if pattern.endswith("/"):
            if any(fnmatch.fnmatchcase(p, pattern.rstrip("/")) for p in parts[:-1]):
                return True
        elif "/" in pattern.strip("/"):
            if fnmatch.fnmatchcase(path, pattern.strip("/")):
                return True
        elif fnmatch.fnmatchcase(parts[-1], pattern):
            return True
    return False


def package_chart(artifacts: Sequence[Artifact], mtime: int) -> tuple[str, bytes]:
    """``(file name, archive bytes)``. Secret artifacts never go in, whatever .helmignore says."""
    chart = next((a for a in artifacts if a.path == "Chart.yaml"), None)
    if chart is None:
        raise OpenIMGenError("the helm target rendered no Chart.yaml")
    meta = yamlio.load_plain(chart.content.decode("utf-8"))
    name, version = str(meta["name"]), str(meta["version"])
    patterns = _ignore_patterns(artifacts)
    entries = [Entry(f"{name}/{a.path}", 0o644, a.content) for a in artifacts if not a.secret and not ignored(a.path, patterns)]
    return f"{name}-{version}.tgz", tar_gz_bytes(entries, mtime=mtime, directories=False)
