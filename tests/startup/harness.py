"""Build and run the Go harness that loads config files with upstream OpenIM's own code.

The harness (``go/harness``) is compiled in GOPATH mode, offline, against Debian's Go
toolchain and its packaged viper, pflag and mapstructure, from the upstream sources vendored
unchanged under ``upstream/`` (pruned to what loading needs by ``go/prune``). Nothing is
downloaded: a machine without the packages skips locally and fails in CI, naming them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from tests.consumers import _missing

HERE = Path(__file__).parent
UPSTREAM = HERE / "upstream"
SERVER_SRC = UPSTREAM / "openim-server-v3.8.3-patch.16" / "src"
CHAT_SRC = UPSTREAM / "openim-chat-v1.8.4-patch.5" / "src"
TOOLS_SRC = UPSTREAM / "openimsdk-tools-v0.0.50-alpha.113" / "src"
GOCODE = Path("/usr/share/gocode")
"""Where Debian's golang-*-dev packages put their sources."""
DEBIAN_PACKAGES = "golang-go golang-github-spf13-viper-dev golang-github-mitchellh-mapstructure-dev"

SERVER_MODULE = "github.com/openimsdk/open-im-server/v3"
CHAT_MODULE = "github.com/openimsdk/chat"
AVAILABLE = (
    "github.com/spf13/viper",
    "github.com/spf13/pflag",
    "github.com/mitchellh/mapstructure",
    "github.com/openimsdk/tools/errs",
    "github.com/openimsdk/chat/pkg/common/constant",
)
"""Non-standard packages the pruned upstream code may keep using (Debian's or our shims)."""


def _go() -> str:
    exe = shutil.which("go")
    if exe is None or not (GOCODE / "src/github.com/spf13/viper").is_dir():
        _missing("Go with viper and mapstructure (Debian)", f"apt-get install -y {DEBIAN_PACKAGES}")
    return exe


def _env(gopath: Path, cache: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cache),
        "GOPATH": f"{gopath}:{GOCODE}",
        "GO111MODULE": "off",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOCACHE": str(cache / "go-build"),
        "CGO_ENABLED": "0",
    }


def _run(cmd: Sequence[str | Path], env: Mapping[str, str], cwd: Path | None = None) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=dict(env), cwd=cwd, check=False, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return proc.stdout


@dataclass(frozen=True)
class Loaded:
    """What one process's start-up did with its files (the harness's JSON)."""

    error: str
    config_directory: str
    index: int
    runtime: str
    loaded: tuple[str, ...]
    files: Mapping[str, Any]
    """File name -> the decoded upstream struct, keyed as the file's keys."""
    env_names: Mapping[str, tuple[str, ...]]
    """File name -> every environment variable that overrides one of its keys."""
    needs: Mapping[str, tuple[str, ...]]
    """Network dependencies start-up dials before it goes on (chat: ``etcd`` addresses)."""


class Harness:
    """The compiled harness; build once per test session (``build``)."""

    def __init__(self, exe: Path) -> None:
        self.exe = exe

    @cached_property
    def _commands(self) -> dict[str, Any]:
        return {
            "server": json.loads(_run([self.exe, "commands", "--dir", SERVER_SRC / "pkg/common/cmd"], {})),
            "chat": json.loads(
                _run([self.exe, "commands", "--dir", CHAT_SRC / "pkg/common/cmd", "--names", CHAT_SRC / "pkg/common/config"], {})
            ),
        }

    def command_files(self, product: str, constructor: str) -> tuple[str, ...]:
        """The files a command loads, in upstream's order of loading: chat's initEtcd reads
        discovery.yml first; the command's configMap (sorted: Go ranges a map in random order);
        then root.go's own (log.yml)."""
        data = self._commands[product]
        if constructor not in data["commands"]:
            raise AssertionError(f"upstream {product} has no command {constructor}; it has {sorted(data['commands'])}")
        first = tuple(data["root"].get("initEtcd", ()))
        rest = [f for f in data["commands"][constructor] if f not in first]
        last = [f for f in data["root"]["initializeConfiguration"] if f not in rest]
        return (*first, *rest, *last)

    def constructors(self, product: str) -> tuple[str, ...]:
        return tuple(sorted(self._commands[product]["commands"]))

    def load(self, product: str, files: Sequence[str], root: Path, cwd: str, args: Sequence[str], env: Mapping[str, str]) -> Loaded:
        """Start one process's configuration: ``env`` is its whole environment."""
        request = {"product": product, "files": list(files), "root": str(root), "cwd": cwd, "args": list(args), "saPath": sa_path()}
        proc = subprocess.run(
            [str(self.exe), "load"], input=json.dumps(request), capture_output=True, text=True, env=dict(env), check=False, timeout=60
        )
        if proc.returncode != 0:
            raise AssertionError(f"harness load failed (exit {proc.returncode}): {proc.stderr}")
        d = json.loads(proc.stdout)
        return Loaded(
            error=d["error"],
            config_directory=d["configDirectory"],
            index=d["index"],
            runtime=d["runtime"],
            loaded=tuple(d["loaded"] or ()),
            files=d["files"],
            env_names={k: tuple(v or ()) for k, v in d["envNames"].items()},
            needs={k: tuple(v or ()) for k, v in d["needs"].items()},
        )


def sa_path() -> str:
    """The directory whose existence makes a process think it runs in Kubernetes, read from
    upstream's utils/runtimeenv/runtime.go (isKubernetes)."""
    source = (TOOLS_SRC / "utils/runtimeenv/runtime.go").read_text()
    start = source.index("func isKubernetes()")
    quoted = source[source.index('os.Stat("', start) + len('os.Stat("') :]
    return quoted[: quoted.index('"')]


def build(workdir: Path) -> Harness:
    """Assemble a GOPATH from the vendored upstream sources and the shims, and compile."""
    go = _go()
    gopath, cache = workdir / "gopath", workdir / "cache"
    env = _env(gopath, cache)
    src = gopath / "src"
    tools = HERE / "go"
    prune = workdir / "prune"
    _run([go, "build", "-o", prune, "."], env, cwd=tools / "prune")
    keep = ",".join(AVAILABLE)
    _run([prune, "-in", SERVER_SRC / "pkg/common/config", "-out", src / SERVER_MODULE / "pkg/common/config", "-keep", keep], env)
    _run([prune, "-in", CHAT_SRC / "pkg/common/config", "-out", src / CHAT_MODULE / "pkg/common/config", "-keep", keep], env)
    # The server's cmd package: only constant.go (file names, ConfigEnvPrefixMap, flag names)
    # compiles without the rest of the server; which files each command loads is read from
    # the other cmd files' source by `harness commands`.
    cmd = src / SERVER_MODULE / "pkg/common/cmd"
    cmd.mkdir(parents=True)
    shutil.copy(SERVER_SRC / "pkg/common/cmd/constant.go", cmd)
    for shim, path in (("errs", "github.com/openimsdk/tools/errs"), ("chatconstant", f"{CHAT_MODULE}/pkg/common/constant")):
        shutil.copytree(tools / "shims" / shim, src / path)
    shutil.copytree(tools / "harness", src / "openimgen/harness")
    exe = workdir / "harness"
    _run([go, "build", "-o", exe, "."], env, cwd=src / "openimgen/harness")
    return Harness(exe)
