"""Arize Phoenix as the peer of the ingest benchmark: installed into a throwaway virtualenv,
served on 127.0.0.1 only, from a temporary working directory, with its telemetry off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".phoenix-venv"  # in .gitignore
# The release DESIGN.md's figures were taken with; --phoenix-version picks another.
VERSION = "20.26.1"
PROJECT = "llmf-bench"
_COUNT_QUERY = "{ projects { edges { node { name recordCount } } } }"


def python(version: str = VERSION) -> Path:
    """The venv's interpreter, with arize-phoenix ``version`` installed (reused if present)."""
    exe = VENV / "bin" / "python"
    if not exe.exists():
        print(f"creating {VENV} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    installed = subprocess.run(
        [str(exe), "-m", "pip", "show", "arize-phoenix"], capture_output=True, text=True
    ).stdout
    if f"Version: {version}" not in installed:
        print(f"installing arize-phoenix=={version} into {VENV} (a few minutes, once)", flush=True)
        subprocess.run(
            [str(exe), "-m", "pip", "install", "--quiet", f"arize-phoenix=={version}"], check=True
        )
    return exe


@dataclass
class Phoenix:
    """A running Phoenix server; ``url`` is its base URL."""

    process: subprocess.Popen
    url: str
    workdir: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def span_count(self) -> int:
        """Spans of the benchmark project that Phoenix's GraphQL API can return now."""
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": _COUNT_QUERY}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            data = json.loads(response.read())
        for edge in data["data"]["projects"]["edges"]:
            if edge["node"]["name"] == PROJECT:
                return edge["node"]["recordCount"]
        return 0


def start(exe: Path, http_port: int, grpc_port: int) -> Phoenix:
    """Serve Phoenix (its default SQLite storage) on 127.0.0.1 and wait until it answers."""
    workdir = tempfile.mkdtemp(prefix="llmf-phoenix-")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": workdir,
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(http_port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": workdir,
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "DO_NOT_TRACK": "1",
    }
    log = open(Path(workdir) / "server.log", "wb")  # noqa: SIM115 (lives as long as the server)
    process = subprocess.Popen(
        [str(exe), "-m", "phoenix.server.main", "serve"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Phoenix(process, f"http://127.0.0.1:{http_port}", workdir)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = (Path(workdir) / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Phoenix exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError("Phoenix did not answer /healthz within 180 s")
