"""`openim-gen verify` on every golden case: the three targets read back state the same facts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openim_config.cli import main
from openim_config.verify import verify
from tests.scenarios import CASES, SECRET_ENV
from tests.verify_support import copy_case

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("case", CASES)
def test_every_golden_case_agrees(case: str, built: dict[str, Path]) -> None:
    report = verify(built[case])
    assert report.agree, f"{case}: " + "\n".join(str(f) for f in report.findings)
    facts = {(r.subject, r.fact) for r in report.rows}
    assert ("openim-api", "port.http") in facts
    assert any(s.startswith("config server/") for s, _ in facts)
    assert all(r.known() for r in report.rows if r.compared), "every compared fact is read from at least one target"


def test_each_service_states_every_fact_in_every_target(built: dict[str, Path]) -> None:
    report = verify(built["production"])
    rows = {(r.subject, r.fact): r for r in report.rows}
    gateway = rows["openim-msggateway", "port.ws"]
    assert gateway.cell("binary") == gateway.cell("compose") == "20001,20011,20021"
    assert gateway.cell("helm") == "20001", "one port per listener in Kubernetes (rule index0)"
    assert rows["openim-msggateway", "instances"].values == {"binary": 3, "compose": 3, "helm": 3}
    creds = rows["openim-rpc-user", "credentials"].values
    assert creds["binary"] == creds["compose"] == creds["helm"]
    assert creds["helm"]["IMENV_REDIS_PASSWORD"] == "redisPassword"
    volumes = rows["infra redis", "volumes"]
    assert "PVC" in volumes.cell("helm") and "5Gi" in volumes.cell("helm") and "fast-ssd" in volumes.cell("helm")
    assert volumes.cell("binary").endswith("-> /data")
    assert "external" not in rows["openim-api", "infra"].cell("compose")


def test_the_fronts_are_compared_in_all_three_targets(built: dict[str, Path]) -> None:
    rows = {(r.subject, r.fact): r for r in verify(built["production"]).rows}
    for front, port in (("web-front", "11001"), ("admin-front", "11002")):
        assert rows[f"extra {front}", "published"].values == {"binary": (int(port),), "compose": (int(port),), "helm": (int(port),)}
        assert {t: rows[f"extra {front}", "port"].cell(t) for t in ("binary", "compose", "helm")} == dict.fromkeys(
            ("binary", "compose", "helm"), "80"
        )
        image = rows[f"extra {front}", "image"]
        assert image.compared and len(set(image.values.values())) == 1 and f"openim-{front}" in image.cell("helm")
    grafana = rows["extra grafana", "image"]
    assert grafana.cell("helm") == "not deployed" and grafana.rule == "capabilities", "the monitoring stack stays the other targets' own"


def test_cli_prints_the_parity_table_and_exits_0(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "-o", str(built["default"])]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("service"))
    assert header.split() == ["service", "fact", "binary", "compose", "helm", "status"]
    assert "normalisation rules" in out and "index0:" in out and "discovery:" in out
    assert "ok: the 3 targets agree" in out
    assert "\x1b[" not in out, "no colour when not a terminal"


def test_verify_never_prints_a_credential(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "-o", str(built["production"])]) == 0
    out = capsys.readouterr()
    for value in SECRET_ENV.values():
        assert value not in out.out + out.err


def test_without_credential_files_values_are_unknown_but_the_rest_agrees(built: dict[str, Path], tmp_path: Path) -> None:
    """What a pull-request job sees: deploy/ committed, secret files never are."""
    out = copy_case(built["production"], tmp_path / "deploy")
    for secret in [*out.rglob("*.env"), out / "helm/secrets.values.yaml"]:
        secret.unlink()
    report = verify(out)
    assert report.agree, "\n".join(str(f) for f in report.findings)
    rows = {(r.subject, r.fact): r for r in report.rows}
    assert rows["openim-api", "secret values"].cell("compose") == "?"
    assert rows["openim-api", "credentials"].cell("helm").startswith("2:"), "names still come from the manifests"
    assert any("secrets.values.yaml not written" in n for n in report.notes)


def test_a_missing_target_is_a_usage_error(built: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = copy_case(built["default"], tmp_path / "deploy")
    shutil.rmtree(out / "helm")
    assert main(["verify", "-o", str(out)]) == 2
    assert "no helm target" in capsys.readouterr().err
    assert main(["verify", "-o", str(tmp_path / "nothing")]) == 2


def test_an_unreadable_artifact_is_named(built: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = copy_case(built["default"], tmp_path / "deploy")
    (out / "compose/compose.yaml").write_text("services: [\n")
    assert main(["verify", "-o", str(out)]) == 2
    assert "compose/compose.yaml: not valid YAML" in capsys.readouterr().err


def test_without_a_helm_engine_helm_is_said_to_be_unverified(
    built: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "helm_python", None)  # import fails as if not installed
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["verify", "-o", str(built["default"]), "-q"]) == 1, "unverified is not agreement"
    captured = capsys.readouterr()
    assert "helm: NOT VERIFIED: no Helm engine is installed" in captured.out
    assert "the helm target was NOT VERIFIED" in captured.err
    assert main(["verify", "-o", str(built["default"]), "-q", "--allow-unverified"]) == 0


def test_verify_never_follows_a_link(built: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A pull request replacing compose.yaml by a link to the job's environment prints nothing of it."""
    out = copy_case(built["default"], tmp_path / "deploy")
    (out / "compose/compose.yaml").unlink()
    (out / "compose/compose.yaml").symlink_to("/proc/self/environ")
    assert main(["verify", "-o", str(out), "-q"]) == 2
    captured = capsys.readouterr()
    assert "compose/compose.yaml: a symbolic link: not followed" in captured.err
    assert "PATH=" not in captured.out + captured.err


def test_a_helm_executable_is_used_when_the_sdk_is_not_installed(
    built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`helm template` on PATH is the real engine too; a stand-in renders with the SDK."""
    exe = tmp_path / "bin/helm"
    exe.parent.mkdir()
    exe.write_text(
        f"#!{sys.executable}\n"
        "import sys, helm_python as h\n"
        "a = sys.argv[1:]\n"
        "assert a[0] == 'template'\n"
        "values = {'existingSecret': a[a.index('--set') + 1].split('=')[1]} if '--set' in a else "
        "h.values_from_yaml(open(a[a.index('-f') + 1]).read())\n"
        "with h.Chart.load(a[2]) as c:\n"
        "    out = c.render(values, name=a[1], namespace=a[a.index('-n') + 1], is_install=True)\n"
        "print('\\n---\\n'.join(v for k, v in sorted(out.items()) if k.endswith('.yaml')))\n"
    )
    exe.chmod(0o755)
    pytest.importorskip("helm_python")
    monkeypatch.setitem(sys.modules, "helm_python", None)
    monkeypatch.setenv("PATH", f"{exe.parent}:/usr/bin:/bin")
    report = verify(built["default"])
    assert report.agree, "\n".join(str(f) for f in report.findings)
    assert any(f"helm template ({exe})" in n for n in report.notes)


def test_verify_subprocess_exit_code_fits_ci(built: dict[str, Path]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "openim_config", "verify", "-q", "-o", str(built["chat-off"])],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("ok: the 3 targets agree on ")


def test_the_release_and_namespace_are_read_as_yaml_reads_them(built: dict[str, Path], tmp_path: Path) -> None:
    """The chart's release and namespace come off their two lines of values.yaml (cheap) only
    when YAML would read the same there; an edited file is read whole."""
    from openim_config.verify import helm_render
    from openim_config.verify.reading import load_yaml_text

    for case, out in built.items():
        text = (out / "helm/values.yaml").read_text()
        values = load_yaml_text(text, case)[0]
        assert helm_render._install_target(out / "helm") == (values["release"], values["namespace"]), case
    chart = tmp_path / "helm"
    chart.mkdir()
    for text, expected in [
        ('release: "im"  # quoted\nnamespace: ops\n', ("im", "ops")),
        ("{release: im, namespace: ops}\n", ("im", "ops")),
        ("release: im\nnamespace: ops\nextra: |\n  release: other\n", ("im", "ops")),
        ("namespace: ops\nrelease: im # mine\n", ("im", "ops")),
    ]:
        (chart / "values.yaml").write_text(text)
        assert helm_render._install_target(chart) == expected, text


def test_rendered_manifests_read_by_kubernetes_reader_as_by_the_python_reader(built: dict[str, Path]) -> None:
    """verify reads the rendered chart with Kubernetes' YAML reader (through Helm's values
    reader): for every golden chart it reads what the Python reader reads, and a file it cannot
    split into documents is left to the Python reader."""
    sdk = pytest.importorskip("helm_python")
    from openim_config.verify import helm_render
    from openim_config.verify.reading import load_yaml_text

    for case, out in built.items():
        release, namespace = helm_render._install_target(out / "helm")
        values = sdk.values_from_yaml((out / "helm" / helm_render.SECRETS_FILE).read_text())
        with sdk.Chart.load(str(out / "helm")) as chart:
            rendered = chart.render(values, name=release, namespace=namespace, is_install=True)
        for source, text in rendered.items():
            if source.endswith(".yaml"):
                expected = [d for d in load_yaml_text(text, source) if isinstance(d, dict)]
                assert helm_render._manifests(sdk, text, source) == expected, (case, source)
    tricky = "kind: ConfigMap\ndata:\n  a: |\n    x\n---\n- not a mapping\n"
    assert helm_render._manifests(sdk, tricky, "t.yaml") == [{"kind": "ConfigMap", "data": {"a": "x\n"}}]
    inline = "kind: A\n--- # the next one\nkind: B\n...\n"
    assert helm_render._manifests(sdk, inline, "t.yaml") == [{"kind": "A"}, {"kind": "B"}]
