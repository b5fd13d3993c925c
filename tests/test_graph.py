"""``openim-gen graph``: every golden in every target, checked as a diagram: Mermaid parsed
for its structure, dot laid out by Graphviz; the README shows the default's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openim_config import build
from openim_config.cli import main
from openim_config.loader import Source
from openim_config.names import TARGET_NAMES
from openim_config.plan.types import Flavour
from tests.consumers import graphviz_dot

FLAVOURS: dict[str, Flavour] = {"binary": "host", "compose": "compose", "helm": "kubernetes"}

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "openim.yaml").is_file())

_NODE = re.compile(r'^\s*([A-Za-z0-9_]+)(\["[^"]*"\]|\[\("[^"]*"\)\]|\(\["[^"]*"\]\))$')
_EDGE = re.compile(r'^\s*([A-Za-z0-9_]+) -->\|"([^"]*)"\| ([A-Za-z0-9_]+)$')
_SUBGRAPH = re.compile(r'^\s*subgraph ([A-Za-z0-9_]+)\["[^"]*"\]$')


def _graph(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["graph", *args]) == 0
    return capsys.readouterr().out


def parse_mermaid(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Node id -> label, and the edges; fails on any line that is not Mermaid flowchart syntax
    of the shapes used, on unbalanced subgraphs, a node defined twice or an edge to nowhere."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    depth = 0
    for line in lines[1:]:
        if line.strip().startswith("%%"):
            continue
        if (m := _SUBGRAPH.match(line)) is not None:
            depth += 1
            assert m.group(1) not in nodes
        elif line.strip() == "end":
            depth -= 1
            assert depth >= 0
        elif (m := _NODE.match(line)) is not None:
            assert m.group(1) not in nodes, f"defined twice: {line}"
            nodes[m.group(1)] = m.group(2)
        elif (m := _EDGE.match(line)) is not None:
            edges.append((m.group(1), m.group(3), m.group(2)))
        else:
            raise AssertionError(f"not Mermaid: {line!r}")
    assert depth == 0
    for a, b, _ in edges:
        assert a in nodes and b in nodes, (a, b)
    return nodes, edges


@pytest.mark.parametrize("target", TARGET_NAMES)
@pytest.mark.parametrize("case", CASES)
def test_every_golden_graph(case: str, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    model = GOLDEN / case / "openim.yaml"
    text = _graph(capsys, "-f", str(model), "-t", target)
    nodes, edges = parse_mermaid(text)
    plan = build.plan_for(Source([model]))
    for svc in plan.services.values():
        mine = [n for n, label in nodes.items() if re.search(rf'"{re.escape(svc.name)} ×(\d+)', label)]
        counts = [int(re.search(rf"{re.escape(svc.name)} ×(\d+)", nodes[n]).group(1)) for n in mine]  # type: ignore[union-attr]
        assert sum(counts) == len(svc.instances), (svc.name, counts)
        if target == "binary":  # one node per host that runs an instance
            assert len(mine) == len({i.host for i in svc.instances})
        for infra in svc.infra:
            address = ", ".join(plan.infra[infra].endpoints[FLAVOURS[target]])
            assert any(a in mine and b == f"infra_{infra}" and label == address for a, b, label in edges), (svc.name, infra)
        for kind in svc.client_facing:
            assert any(a == "clients" and b in mine and label.startswith(kind) for a, b, label in edges), (svc.name, kind)
    backend = plan.model.object_storage.backend
    if backend != "minio":  # a cloud backend: openim-rpc-third and the clients reach it, no MinIO
        third = [n for n, label in nodes.items() if '"openim-rpc-third ×' in label]
        assert "infra_minio" not in nodes and f"{backend} (objectStorage)" in nodes["infra_object_storage"]
        assert {a for a, b, _ in edges if b == "infra_object_storage"} == {*third, "clients"}
    assert text == _graph(capsys, "-f", str(model), "-t", target)  # deterministic
    graphviz_dot(_graph(capsys, "-f", str(model), "-t", target, "--format", "dot"))


def test_the_readme_shows_the_default_graph(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./openim.yaml: the built-in default
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The topology (`openim-gen graph`)", 1)[1]
    block = re.search(r"```mermaid\n(.*?)```", section, re.DOTALL)
    assert block is not None
    assert block.group(1) == _graph(capsys), "README's graph is stale: paste `openim-gen graph` into it"
