"""``explain`` (where a value comes from and goes), ``graph`` (the topology) and ``init`` (a
starter openim.yaml). Imported only when one of them runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from openim_config.errors import Location, Problem, UserError
from openim_config.names import TARGET_NAMES
from openim_config.options import model_file_output, model_inputs

_format = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")


@click.command("explain")
@click.argument("key")
@model_inputs
@click.option(
    "-e",
    "--env",
    "envs",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="An environment overlay laid over the model, as `build -e` does (repeatable, in order).",
)
@_format
def explain_cmd(key: str, files: Sequence[Path], sets: Sequence[str], envs: Sequence[Path], fmt: str) -> None:
    """Where a value comes from and where it goes.

    KEY is a model path (services.openim-api.ports.http, infra.mongodb.address,
    targets.helm.release): its value, the input layer that set it (default, file and line,
    OPENIM_GEN_* variable, --set, -e overlay) and every artifact location it flows into in each
    target, measured by building once more with the key changed. Or KEY is an artifact location,
    TARGET:FILE[:PATH] (helm:values.yaml:openimApi.ports.http, binary:local/etc/openim/server/share.yml:secret,
    or compose:services.openim-api.ports[0] when one file holds PATH): the model keys that feed
    it. Credentials are shown only as their reference."""
    from openim_config.explain import Inputs, explain_key, explain_spot, report

    inputs = Inputs.of(files, sets, envs, TARGET_NAMES)
    prefix = key.partition(":")[0]
    if ":" in key and prefix in TARGET_NAMES:
        feeders = explain_spot(inputs, key)
        out = report.feeders_json(feeders) if fmt == "json" else "\n".join(report.feeders_text(feeders)) + "\n"
    elif ":" in key:
        raise UserError([Problem(Location("explain"), (), f"{key}: an artifact location starts with a target: {', '.join(TARGET_NAMES)}")])
    else:
        explanation = explain_key(inputs, key)
        out = report.explanation_json(explanation) if fmt == "json" else "\n".join(report.explanation_text(explanation)) + "\n"
    click.echo(out, nl=False)


@click.command("graph")
@model_inputs
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True, help="Output format.")
@click.option(
    "-t", "--target", type=click.Choice(TARGET_NAMES), default="binary", show_default=True, help="Whose view: hosts, compose or Kubernetes."
)
def graph_cmd(files: Sequence[Path], sets: Sequence[str], fmt: str, target: str) -> None:
    """Print the topology: the processes and their instances per host (binary) or per
    target, the infrastructure, which process uses which component at which address, and the
    entry points clients use. Mermaid (GitHub renders it in Markdown) or Graphviz dot."""
    from openim_config import build, graph
    from openim_config.loader import Source

    top = graph.topology(build.plan_for(Source(files, sets)), target)
    click.echo(graph.mermaid(top) if fmt == "mermaid" else graph.dot(top), nl=False)


@click.command("init")
@click.option(
    "-t", "--target", type=click.Choice([*TARGET_NAMES, "all"]), default="all", show_default=True, help="The target you deploy with."
)
@click.option(
    "--size",
    type=click.Choice(["small", "production"]),
    default="small",
    show_default=True,
    help="A single machine, or a production start.",
)
@model_file_output("The file to write; - for stdout.", "Replace the file when it exists.")
def init_cmd(target: str, size: str, output: Path, force: bool) -> None:
    """Write a commented starter openim.yaml (with the schema line) that validates as written.
    Credentials are {env: VARIABLE} references; the comments name each variable."""
    from openim_config import starter

    text = starter.starter(target, size)
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    if output.exists() and not force:
        raise UserError([Problem(Location(str(output)), (), "exists: not overwritten (--force replaces it)")])
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output} ({size}, target {target}); next: openim-gen validate -f {output}")
