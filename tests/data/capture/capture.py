"""Capture real OTLP exports from real LLM instrumentation libraries, as test fixtures.

    python tests/data/capture/capture.py [--only LIB ...] [--reinstall] [--list] [--readme-only]

Then check what was captured with the project's own decoder:
    .venv/bin/python tests/data/capture/summarize.py [LIB ...] [--all-attrs]

For each library: create (or reuse) its own virtualenv under /tmp/capture-venvs/<venv> (their
pins conflict), install the pinned versions from ``requirements/<venv>.txt`` (or, the first
time, the unpinned spec below, then write the pins from ``pip freeze``), start a fake
OpenAI/Anthropic provider and an OTLP capture server on 127.0.0.1, run
``scenarios/<script>`` in that venv, and write what the library exported to
``tests/data/otlp/<library>/NNN-<path-slug>.<pb|json>`` with ``truth.json`` (what the fake
provider answered to each request: scenario, provider, requested / response model, exact
usage, streamed, failed). ``/v1/metrics`` bodies are counted, not kept. Finally
``tests/data/otlp/README.md`` is rewritten from every library's truth.json.

Needs only the standard library to run (any Python 3.10+); the venvs are made with
``--python`` (default: python3.11 on PATH). Nothing here talks to a non-loopback address apart
from pip talking to the package index.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import capture_server  # noqa: E402
import fake_provider  # noqa: E402

REPO = HERE.parents[2]
OUT_ROOT = REPO / "tests" / "data" / "otlp"
REQ_DIR = HERE / "requirements"
SCENARIO_DIR = HERE / "scenarios"
VENV_ROOT = Path(os.environ.get("CAPTURE_VENV_ROOT", "/tmp/capture-venvs"))

# Packages worth pinning (the rest of a venv is whatever pip resolves around them).
RELEVANT = re.compile(
    r"^(openai|anthropic|httpx2?|wrapt|protobuf|pydantic|openlit|langfuse|traceloop-sdk|tiktoken|"
    r"opentelemetry-[a-z0-9-]+|openinference-[a-z0-9-]+)==",
    re.I,
)

SDK = ["opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"]

# name → how to install and run it. Several names may share a venv (same packages, other env).
LIBRARIES: dict[str, dict] = {
    "otel-openai-v2": {
        "venv": "otel-openai-v2",
        # 2.4b0 imports httpx (openai 3.x ships httpx2 only) and, with util-genai >= 1.0b0, is
        # always in the experimental semconv mode: 0.4b0 keeps the default (v1.30) shape.
        "install": [
            "opentelemetry-instrumentation-openai-v2==2.4b0",
            "opentelemetry-util-genai==0.4b0",
            "openai",
            "httpx",
            *SDK,
        ],
        "script": "otel_openai_v2.py",
        "env": {},
        "key_packages": [
            "opentelemetry-instrumentation-openai-v2",
            "opentelemetry-util-genai",
            "openai",
            "opentelemetry-sdk",
        ],
        "notes": "default semantic conventions (v1.30); content on (events as /v1/logs records).",
    },
    "otel-openai-v2-latest": {
        "venv": "otel-openai-v2",
        "install": None,  # same venv as otel-openai-v2
        "script": "otel_openai_v2.py",
        "env": {
            "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY",
        },
        "key_packages": [
            "opentelemetry-instrumentation-openai-v2",
            "opentelemetry-util-genai",
            "openai",
            "opentelemetry-sdk",
        ],
        "notes": "OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental, content SPAN_ONLY.",
    },
    "openinference": {
        "venv": "openinference",
        "install": [
            "openinference-instrumentation-openai",
            "openinference-instrumentation-anthropic",
            "openai",
            "anthropic",
            *SDK,
        ],
        "script": "openinference.py",
        "env": {},
        "key_packages": [
            "openinference-instrumentation-openai",
            "openinference-instrumentation-anthropic",
            "openinference-semantic-conventions",
            "openai",
            "anthropic",
            "opentelemetry-sdk",
        ],
        "notes": "anthropic SDK self-tracing left on (default): Anthropic calls have two spans.",
    },
    "openllmetry": {
        "venv": "openllmetry",
        "install": [
            "opentelemetry-instrumentation-openai",
            "opentelemetry-instrumentation-anthropic",
            "openai",
            "anthropic",
            *SDK,
        ],
        "script": "openllmetry.py",
        "env": {},
        "key_packages": [
            "opentelemetry-instrumentation-openai",
            "opentelemetry-instrumentation-anthropic",
            "opentelemetry-semantic-conventions-ai",
            "openai",
            "anthropic",
            "opentelemetry-sdk",
        ],
        "notes": "instrumentors used without traceloop-sdk; "
        "anthropic SDK self-tracing left on (default).",
    },
    "openlit": {
        "venv": "openlit",
        # openlit pins openai<3 (and an older anthropic): let it choose.
        "install": ["openlit==1.45.0", "openai<3", "anthropic<1"],
        "script": "openlit.py",
        "env": {},
        "key_packages": ["openlit", "openai", "anthropic", "opentelemetry-sdk"],
        "notes": "openlit.init(otlp_endpoint=capture server); also posts /v1/logs and /v1/metrics.",
    },
    "langfuse": {
        "venv": "langfuse",
        "install": ["langfuse", "openai", "anthropic"],
        "script": "langfuse.py",
        "env": {},
        "key_packages": ["langfuse", "openai", "anthropic", "opentelemetry-sdk"],
        "notes": "Langfuse SDK v5 (newest); gzip protobuf to /api/public/otel/v1/traces, "
        "Basic auth.",
    },
    "langfuse-v3": {
        "venv": "langfuse-v3",
        "install": ["langfuse<4", "openai", "anthropic"],
        "script": "langfuse_v3.py",
        "env": {},
        "key_packages": ["langfuse", "openai", "anthropic", "opentelemetry-sdk"],
        "notes": "Langfuse SDK v3 (first OTel-based major); /api/public/otel/v1/traces, "
        "Basic auth.",
    },
    "anthropic-sdk": {
        "venv": "anthropic-sdk",
        "install": ["anthropic", *SDK],
        "script": "anthropic_sdk.py",
        "env": {},
        "key_packages": ["anthropic", "opentelemetry-sdk"],
        "notes": "the anthropic SDK's own tracing (global TracerProvider, no instrumentor); "
        "content mode on.",
    },
}

# Libraries tried and given up on, with the reason (kept in the README).
SKIPPED: dict[str, str] = {}

# What was deliberately left out, or could not be exercised, although the library ran.
NOT_CAPTURED: list[str] = [
    "`traceloop-sdk` itself (`Traceloop.init`) is not used: `openllmetry` runs its two "
    "instrumentors directly on the OTel SDK (per DESIGN, the SDK's full dependency set does "
    "not resolve).",
    "`opentelemetry-instrumentation-openai-v2` 2.4b0 does not instrument the Responses API, so "
    "its folders have no `responses` scenario; util-genai is pinned to 0.4b0 (with >= 1.0b0 the "
    "experimental mode is always on), and `httpx` is installed next to openai 3.x (which ships "
    "httpx2).",
    "`openlit` 1.45.0 pins `openai<3` and `anthropic<1`: its venv has openai 2.x and anthropic "
    "0.125, which predates the anthropic SDK's own tracing, so openlit's Anthropic calls have one "
    "span each. openlit's start-up download of its pricing table is replaced by a local file "
    "(`pricing_json`).",
    "Other venvs have anthropic 2.x, whose own tracing is on by default (global SDK "
    "TracerProvider): with openinference / OpenLLMetry every Anthropic call has an instrumentor "
    "span AND an SDK span.",
]


def log(msg: str) -> None:
    print(f"[capture] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# virtualenvs
# ---------------------------------------------------------------------------------------------
def venv_python(venv: str) -> Path:
    return VENV_ROOT / venv / "bin" / "python"


def pip(venv: str, *args: str) -> None:
    cmd = [str(venv_python(venv)), "-m", "pip", "--disable-pip-version-check", *args]
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True)


def freeze(venv: str) -> list[str]:
    out = subprocess.run(
        [str(venv_python(venv)), "-m", "pip", "--disable-pip-version-check", "freeze"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.strip() for line in out.splitlines() if RELEVANT.match(line.strip())]


def ensure_venv(name: str, python: str, reinstall: bool) -> None:
    spec = LIBRARIES[name]
    venv = spec["venv"]
    owner = next(n for n, s in LIBRARIES.items() if s["venv"] == venv and s["install"])
    req = REQ_DIR / f"{venv}.txt"
    marker = VENV_ROOT / venv / ".capture-installed"
    if reinstall and (VENV_ROOT / venv).exists():
        shutil.rmtree(VENV_ROOT / venv)
    if not venv_python(venv).exists():
        VENV_ROOT.mkdir(parents=True, exist_ok=True)
        log(f"creating venv {VENV_ROOT / venv} with {python}")
        subprocess.run([python, "-m", "venv", str(VENV_ROOT / venv)], check=True)
        marker.unlink(missing_ok=True)
    wanted = req.read_text() if req.exists() else "\n".join(LIBRARIES[owner]["install"])
    if marker.exists() and marker.read_text() == wanted:
        return
    if req.exists():
        pip(venv, "install", "-q", "-r", str(req))
    else:
        pip(venv, "install", "-q", *LIBRARIES[owner]["install"])
        REQ_DIR.mkdir(parents=True, exist_ok=True)
        pins = freeze(venv)
        req.write_text(
            f"# pins for the '{venv}' capture venv, from pip freeze "
            "(trimmed to the relevant packages)\n"
            f"# first installed from: {' '.join(LIBRARIES[owner]['install'])}\n"
            + "\n".join(pins)
            + "\n"
        )
        wanted = req.read_text()
        log(f"wrote {req.relative_to(REPO)}")
    marker.write_text(wanted)


def versions(name: str) -> dict[str, str]:
    pins = dict(line.split("==", 1) for line in freeze(LIBRARIES[name]["venv"]))
    lower = {k.lower(): v for k, v in pins.items()}
    return {p: lower[p.lower()] for p in LIBRARIES[name]["key_packages"] if p.lower() in lower}


# ---------------------------------------------------------------------------------------------
# servers
# ---------------------------------------------------------------------------------------------
class Servers:
    def __init__(self) -> None:
        self.provider_server, self.provider = fake_provider.make_server(0)
        self.capture_server, self.capture = capture_server.make_server(0)
        for server in (self.provider_server, self.capture_server):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.provider_url = f"http://127.0.0.1:{self.provider_server.server_address[1]}"
        self.otlp_url = f"http://127.0.0.1:{self.capture_server.server_address[1]}"
        log(f"fake provider {self.provider_url}, capture server {self.otlp_url}")

    def reset(self) -> None:
        self.provider.reset()
        self.capture.reset()

    def close(self) -> None:
        for server in (self.provider_server, self.capture_server):
            server.shutdown()
            server.server_close()


# ---------------------------------------------------------------------------------------------
# one library
# ---------------------------------------------------------------------------------------------
def run_library(name: str, servers: Servers, timeout: int) -> dict:
    spec = LIBRARIES[name]
    servers.reset()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("OTEL_", "OPENAI_", "ANTHROPIC_", "LANGFUSE_", "TRACELOOP_", "OPENLIT_")
        )
        and k not in ("PYTHONPATH", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        FAKE_PROVIDER_URL=servers.provider_url,
        OTLP_ENDPOINT=servers.otlp_url,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
        # Nothing may phone home: every library's endpoint is pointed at the capture server.
        OTEL_EXPORTER_OTLP_ENDPOINT=servers.otlp_url,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OPENAI_BASE_URL=servers.provider_url + "/v1",
        ANTHROPIC_BASE_URL=servers.provider_url,
        TRACELOOP_TELEMETRY="false",
        LANGFUSE_HOST=servers.otlp_url,
        LANGFUSE_BASE_URL=servers.otlp_url,
    )
    env.update(spec["env"])
    script = SCENARIO_DIR / spec["script"]
    log(f"running {name}: {script.name} in {VENV_ROOT / spec['venv']}")
    started = time.time()
    proc = subprocess.run(
        [str(venv_python(spec["venv"])), str(script)],
        cwd=str(SCENARIO_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stdout.write(proc.stderr[-6000:])
        raise RuntimeError(f"{name}: scenario exited {proc.returncode}")
    stderr_tail = [line for line in proc.stderr.splitlines() if line.strip()][-15:]
    time.sleep(1.0)  # a late batch (e.g. a processor flushing on exit) still lands
    with urllib.request.urlopen(servers.provider_url + "/_journal", timeout=10) as resp:
        calls = json.load(resp)["calls"]
    return {
        "calls": calls,
        "bodies": servers.capture.snapshot(),
        "seconds": round(time.time() - started, 1),
        "stderr_tail": stderr_tail,
    }


def write_fixtures(name: str, result: dict) -> dict:
    out = OUT_ROOT / name
    if out.exists():
        for old in out.iterdir():
            if old.is_file():
                old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    fixtures, metrics = [], 0
    for body in result["bodies"]:
        if body["path"].endswith("/v1/metrics"):
            metrics += 1
            continue
        fname = (
            f"{len(fixtures) + 1:03d}-{capture_server.slug(body['path'])}."
            f"{capture_server.extension(body['content_type'])}"
        )
        (out / fname).write_bytes(body["body"])
        fixtures.append(
            {
                "file": fname,
                "path": body["path"],
                "content_type": body["content_type"],
                "content_encoding": body["content_encoding"],
                "chunked": body["chunked"],
                "auth_scheme": body["auth_scheme"],
                "user_agent": body["user_agent"],
                "bytes": len(body["body"]),
            }
        )
    spec = LIBRARIES[name]
    calls = []
    for call in result["calls"]:
        calls.append(
            {
                "seq": call["seq"],
                "scenario": call["scenario"],
                "behaviour": call.get("behaviour"),
                "provider": call["provider"],
                "endpoint": call["endpoint"],
                "requested_model": call["requested_model"],
                "response_model": call["response_model"],
                "streamed": call["streamed"],
                "include_usage": call.get("include_usage"),
                "status": call["status"],
                "failed": call["failed"],
                "error_type": call["error_type"],
                "usage": call["usage"],
                "expected": call["expected"],
            }
        )
    truth = {
        "library": name,
        "versions": versions(name),
        "venv_requirements": f"tests/data/capture/requirements/{spec['venv']}.txt",
        "scenario_script": f"tests/data/capture/scenarios/{spec['script']}",
        "env": spec["env"],
        "notes": spec.get("notes", ""),
        "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "fixtures": fixtures,
        "metrics_bodies_dropped": metrics,
        "calls": calls,
        "expected_meaning": (
            "expected.* is the provider's usage in the ingester's terms: input_tokens is the TOTAL "
            "input including cache reads and writes (Anthropic's raw input_tokens excludes them)."
        ),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


README_INTRO = """
# OTLP fixtures captured from real instrumentation libraries

Made by `tests/data/capture/capture.py` (re-runnable:
`python tests/data/capture/capture.py [--only LIB ...]`). Each library ran, unmodified from PyPI,
in its own virtualenv with the real `openai` / `anthropic` clients against a fake provider on
127.0.0.1 (`tests/data/capture/fake_provider.py`) and exported with its real OTLP/HTTP exporter
to a local capture server (`tests/data/capture/capture_server.py`). Bodies are stored
decompressed, one file per export request: `NNN-<path-slug>.pb` (protobuf) or `.json`.
`/v1/metrics` bodies are counted but not kept. Check them with
`.venv/bin/python tests/data/capture/summarize.py [LIB ...]`.

`truth.json` in each folder lists every request the fake provider answered (scenario, provider,
requested and response model, the exact `usage` it returned, streamed, failed) and `expected`,
the same usage in the ingester's terms (input = total input, cache included). Known usage:
OpenAI chat 1200 prompt (1000 cached) / 300 completion (120 reasoning); Responses the same;
embeddings 42; Anthropic input 100 + cache read 1000 + cache write 200 (total 1300) / 300
output. Streamed chat asks for `include_usage`. A failed request (429, 500) returned no usage;
what a trace should be billed is the sum of `expected` over the successful requests, each
counted once however many spans report it.

Scenarios (each inside an app span `app.<scenario>` carrying `finops.feature`): `chat`,
`chat-stream`, `embeddings`, `responses` (where instrumented), `ratelimit-retry` (429 once, then
the client's own retry), `fallback` (gpt-4o answers 500, the app falls back to gpt-4o-mini), and
for Anthropic `anthropic-cache`, `anthropic-stream`, `anthropic-ratelimit-retry`,
`anthropic-fallback` (claude-sonnet-4-5 answers 500 → claude-haiku-4-5).
"""
README_TABLE_HEAD = (
    "| library | versions | bodies kept (path: count) | metrics bodies dropped "
    "| provider calls | notes |"
)


def write_readme() -> None:
    lines = [README_INTRO.strip(), "", README_TABLE_HEAD, "|---|---|---|---|---|---|"]
    for truth_file in sorted(OUT_ROOT.glob("*/truth.json")):
        truth = json.loads(truth_file.read_text())
        counts: dict[str, int] = {}
        for fx in truth["fixtures"]:
            key = f"{fx['path']} ({fx['content_type'].split('/')[-1]})"
            counts[key] = counts.get(key, 0) + 1
        kept = "<br>".join(f"`{k}`: {v}" for k, v in counts.items()) or "none"
        vers = "<br>".join(f"{k} {v}" for k, v in truth["versions"].items())
        failed = sum(1 for c in truth["calls"] if c["failed"])
        lines.append(
            f"| `{truth['library']}` | {vers} | {kept} | {truth['metrics_bodies_dropped']} | "
            f"{len(truth['calls'])} ({failed} failed) | {truth.get('notes', '')} |"
        )
    extra = OUT_ROOT / "FINDINGS.md"
    lines += ["", "## Not captured, and version constraints", ""]
    lines += [f"- {item}" for item in NOT_CAPTURED]
    lines += ["", "## Skipped", ""]
    if SKIPPED:
        lines += [f"- `{name}`: {reason}" for name, reason in SKIPPED.items()]
    else:
        lines.append("- none: every library listed in the brief installed and ran.")
    if extra.exists():
        lines += [
            "",
            f"See `{extra.name}` for which attribute carries what, per library, and the traps.",
        ]
    (OUT_ROOT / "README.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(
        description="capture OTLP fixtures from real LLM instrumentation"
    )
    parser.add_argument("--only", nargs="+", choices=sorted(LIBRARIES), help="libraries to run")
    parser.add_argument("--reinstall", action="store_true", help="recreate the venvs")
    parser.add_argument("--python", default=shutil.which("python3.11") or sys.executable)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--list", action="store_true")
    parser.add_argument(
        "--readme-only", action="store_true", help="only rewrite tests/data/otlp/README.md"
    )
    args = parser.parse_args()
    if args.readme_only:
        write_readme()
        return 0
    if args.list:
        for name, spec in LIBRARIES.items():
            print(f"{name:24} venv={spec['venv']:16} script={spec['script']}")
        return 0
    names = args.only or list(LIBRARIES)
    failures = {}
    servers = Servers()
    try:
        for name in names:
            try:
                ensure_venv(name, args.python, args.reinstall and name == LIBRARIES[name]["venv"])
                result = run_library(name, servers, args.timeout)
                truth = write_fixtures(name, result)
                log(
                    f"{name}: {len(truth['fixtures'])} bodies kept, "
                    f"{truth['metrics_bodies_dropped']} metrics dropped, "
                    f"{len(truth['calls'])} provider calls, {result['seconds']} s"
                )
            except Exception as exc:  # keep going: one library must not stop the others
                failures[name] = f"{type(exc).__name__}: {exc}"
                log(f"{name} FAILED: {failures[name]}")
    finally:
        servers.close()
    write_readme()
    total = sum(f.stat().st_size for f in OUT_ROOT.rglob("*") if f.is_file())
    log(f"fixtures total {total / 1024:.0f} KiB under {OUT_ROOT.relative_to(REPO)}")
    for name, reason in failures.items():
        log(f"FAILED {name}: {reason}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
