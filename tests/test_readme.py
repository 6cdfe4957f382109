"""The README's two commands: `make test` is what CI runs; `make demo` is smoke-tested here."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text()

    assert "make demo" in readme
    assert "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_command_serves_simulated_traffic_on_the_embedded_default(tmp_path):
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"}
    }
    environ["LLM_FINOPS_VAR_DIR"] = str(tmp_path)
    port = _free_port()

    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "demo",
            "--no-serve",
            "--traces",
            "25",
            "--days",
            "3",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Dashboard: http://127.0.0.1:{port}/p/demo/" in result.stdout
    assert "Log in as 'demo' with password 'demo-password'" in result.stdout
    assert "Sent 25 traces" in result.stdout
    assert (tmp_path / "llm_finops.sqlite3").exists()
