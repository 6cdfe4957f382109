"""Process, port and CPU helpers for bench/ingest.py: the server under test and its costs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def server_env(database_url: str, vardir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DEBUG")}
    env.update(
        DATABASE_URL=database_url,
        LLM_FINOPS_VAR_DIR=vardir,
        DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {argv[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Counter:
    """Spans and calls stored for the benchmark project, read straight from PostgreSQL."""

    def __init__(self, url: str) -> None:
        self._conn = psycopg.connect(url, autocommit=True)

    def counts(self) -> tuple[int, int]:
        row = self._conn.execute(
            "SELECT (SELECT count(*) FROM ingest_span), (SELECT count(*) FROM ingest_llmcall)"
        ).fetchone()
        return row[0], row[1]


class Gunicorn:
    def __init__(self, env: dict[str, str], workers: int, threads: int) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={workers}",
                f"--threads={threads}",
                "--worker-class=gthread",
                "--keep-alive=60",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def peak_rss_mb(self) -> dict[str, float]:
        """VmHWM (peak resident set) of the master and of each worker, MB."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        out = {"master": vm_hwm_mb(pid)}
        for i, child in enumerate(sorted(children, key=int), start=1):
            out[f"worker {i}"] = vm_hwm_mb(int(child))
        return out

    def pids(self) -> list[int]:
        pid = self.process.pid
        return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (gone processes count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def cpu_by_group(server: Gunicorn) -> dict[str, float]:
    groups = {
        "receiver": cpu_s(server.pids()),
        "PostgreSQL": cpu_s(postgres_pids()),
        "client": cpu_s([os.getpid()]),
    }
    # Whatever else kept the box busy meanwhile: other users' jobs (which skew the rates),
    # processes that ended during the run (PostgreSQL's autovacuum workers), kernel time.
    groups["rest of box"] = box_busy_s() - sum(groups.values())
    return groups


def box_busy_s() -> float:
    """CPU seconds the whole machine spent busy since boot (all CPUs)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
