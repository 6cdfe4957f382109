"""Does the text-search index slow ingest? bench/ingest.py's load, with prompts and answers.

    .venv/bin/python bench/text_index.py [--spans 50000] [--runs 3] [--finalize-traces 3000]

Two throwaway PostgreSQL databases, both migrated: "with index" keeps the trigram GIN index on
``ingest_calltext`` (migration ingest 0004), "without index" drops it. The load is
bench/ingest.py's (a root span and 3-6 OTel GenAI calls per trace), each call carrying
``gen_ai.input.messages`` / ``gen_ai.output.messages`` of 300-1,500 characters. Runs alternate
between the two databases so load on the shared box hits both alike; medians are reported:
  - deferred finalize (the receiver only stores and prices): stored spans/s;
  - deferred finalize, timed in one process afterwards (it writes the call texts);
  - inline finalize (the embedded default: attribution and texts inside each request).
Then it times a phrase search (the Traces page's text query, first page) on each database.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench")]

import _payload  # noqa: E402
import psycopg  # noqa: E402
from _procs import Counter, manage, server_env  # noqa: E402
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
bench_ingest = importlib.util.module_from_spec(_spec)
sys.modules["bench_ingest"] = bench_ingest  # dataclasses look their module up there
_spec.loader.exec_module(bench_ingest)

PHRASE = "refund for a damaged parcel"
_SYLLABLES = ("ka", "lo", "mi", "ne", "po", "ru", "sa", "te", "vi", "zo")
_ENDINGS = "ban cor dil fen gut hom jal kes lum mar nop pir quo rat sel tor ulm vex wen yor"
_WORDS = [a + b for a in _SYLLABLES for b in _ENDINGS.split()]
_WORDS += ["the", "a", "of", "to", "and", "order", "parcel", "refund", "invoice"]
_WORDS += ["account", "delivery", "please", "help"]


def _text(rng: random.Random, low: int, high: int) -> str:
    words, size = [], rng.randint(low, high)
    while sum(len(w) + 1 for w in words) < size:
        words.append(rng.choice(_WORDS))
    if rng.random() < 0.002:  # a rare phrase for the search timing
        words.insert(rng.randrange(len(words)), PHRASE)
    return " ".join(words)


def _with_content(original):
    """Wrap ``_payload._llm_span`` so each call carries OTel GenAI message JSON."""

    def llm_span(rng, trace_id, parent, start_ns):
        span = original(rng, trace_id, parent, start_ns)
        question, answer = _text(rng, 300, 1000), _text(rng, 100, 500)
        messages = {
            "gen_ai.input.messages": f'[{{"role": "user", "parts": [{{"type": "text", '
            f'"content": "{question}"}}]}}]',
            "gen_ai.output.messages": f'[{{"role": "assistant", "parts": [{{"type": "text", '
            f'"content": "{answer}"}}]}}]',
        }
        span.attributes.extend(
            KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in messages.items()
        )
        return span

    return llm_span


_SEARCH = """
import statistics, time, django; django.setup()
from django.db import connection
from finops.search.calls import filter_calls, keyset_page
from finops.search.params import parse_search
from ingest.models import CallText, LLMCall
project = LLMCall.objects.values_list("project_id", flat=True).first()
search, _ = parse_search({{"q": {phrase!r}}})
times = []
for _ in range(7):
    t = time.perf_counter()
    page = keyset_page(filter_calls(LLMCall.objects.for_project(project), search), search, "", 50)
    times.append(time.perf_counter() - t)
print(len(page.rows), CallText.objects.count(), statistics.median(times) * 1000)
"""


def _search_ms(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _SEARCH.format(phrase=PHRASE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        return f"search failed: {done.stderr.strip().splitlines()[-1:]}"
    found, texts, ms = done.stdout.split()
    return (
        f"phrase search: {found} calls on page 1 of {int(texts):,} call texts, {float(ms):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--finalize-traces", type=int, default=3000)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    run_args = argparse.Namespace(workers=2, threads=4, exporters=4, runs=1, slow_run_s=1e9)
    _payload._llm_span = _with_content(_payload._llm_span)
    load = _payload.build_load(args.spans, seed=1)
    print(f"{load.spans:,} spans ({load.calls:,} calls) per run, with message content")
    variants = {"with index": None, "without index": "DROP INDEX calltext_text_trgm"}
    dbs, envs, vardir = {}, {}, tempfile.mkdtemp(prefix="llmf-textbench-")
    results: dict[str, dict[str, list[float]]] = {v: {} for v in variants}
    notes: dict[str, list[str]] = {v: [] for v in variants}
    try:
        for name, drop in variants.items():
            dbs[name] = f"llmf_textbench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{dbs[name]}"')
            envs[name] = server_env(f"{args.pg}/{dbs[name]}", vardir)
            manage(envs[name], "migrate", "--verbosity=0")
            manage(envs[name], "create_project", "bench", "--key", bench_ingest._KEY)
            if drop:
                with psycopg.connect(f"{args.pg}/{dbs[name]}", autocommit=True) as conn:
                    conn.execute(drop)
        for i in range(args.runs):
            for name in variants:
                for mode, inline in (("deferred", False), ("inline", True)):
                    env = envs[name] | {"TRACE_FINALIZE_INLINE": "true" if inline else "false"}
                    counter = Counter(f"{args.pg}/{dbs[name]}")
                    renumbered = load.renumbered(seed=1000 + i * 10 + inline)
                    result = bench_ingest._bench_variant(
                        f"{name}, {mode}", env, renumbered, counter, run_args
                    )
                    results[name].setdefault(mode, []).append(result.median("stored_rate"))
                    if not inline:
                        line = bench_ingest._time_finalize(envs[name], args.finalize_traces)
                        notes[name].append(line)
                        rate = float(line.split(" traces/s, ")[1].split()[0].replace(",", ""))
                        results[name].setdefault("finalize", []).append(rate)
        for name in variants:
            notes[name].append(_search_ms(envs[name]))
    finally:
        shutil.rmtree(vardir, ignore_errors=True)
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
            for db in dbs.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print()
    print(f"{'':16} {'deferred stored/s':>18} {'finalize spans/s':>17} {'inline stored/s':>16}")
    for name in variants:
        row = results[name]
        deferred, finalize, inline = (
            statistics.median(row[key]) for key in ("deferred", "finalize", "inline")
        )
        print(f"{name:16} {deferred:>18,.0f} {finalize:>17,.0f} {inline:>16,.0f}")
    for name in variants:
        print(f"{name}: {notes[name][-1]}")
    target = bench_ingest.TARGET_SPANS_S
    print(f"medians of {args.runs} alternating runs; target: {target:,} spans/s deferred")


if __name__ == "__main__":
    main()
