"""Profile the ingest path in one process, without HTTP: where does a span's time go?

    .venv/bin/python bench/_profile.py [--spans 20000] [--deferred] [--genai-prices]
        [--cprofile out.prof]

Creates (and drops) a throwaway PostgreSQL database, then calls
``services.ingest_otlp_traces`` on pre-encoded 500-span bodies and prints spans/s. Run it under
``py-spy record -o flame.svg -- .venv/bin/python bench/_profile.py`` for a flame graph, or
with ``--cprofile`` for the top functions. ``--genai-prices`` prices every call with
``genai_prices.calc_price`` as before the rate card, for before/after figures.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _payload import build_load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--deferred", action="store_true", help="leave finalize to the sweep")
    parser.add_argument("--genai-prices", action="store_true", help="price without rate card")
    parser.add_argument("--cprofile", metavar="FILE", help="write cProfile stats here")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    name = f"llmf_profile_{uuid.uuid4().hex[:8]}"
    import psycopg

    admin = psycopg.connect(f"{args.pg}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _run(args, f"{args.pg}/{name}")
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _run(args, url: str) -> None:
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["TRACE_FINALIZE_INLINE"] = "false" if args.deferred else "true"
    import django

    django.setup()
    from django.core.management import call_command

    from finops import pricing
    from finops.models import Project
    from ingest import calls, otlp, services
    from ingest.models import LLMCall, Span

    call_command("migrate", verbosity=0)
    project = Project.objects.create(slug="bench", name="bench")
    if args.genai_prices:
        calls.price_call = _genai_prices_only(pricing)
    load = build_load(args.spans, seed=7)
    services.ingest_otlp_traces(project.pk, load.renumbered(1).bodies[0], otlp.PROTOBUF)
    profiler = cProfile.Profile() if args.cprofile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    for body in load.bodies:
        services.ingest_otlp_traces(project.pk, body, otlp.PROTOBUF)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    spans = Span.objects.filter(project=project).count()
    calls_stored = LLMCall.objects.filter(project=project).count()
    print(
        f"{load.spans} spans in {elapsed:.2f} s: {load.spans / elapsed:,.0f} spans/s "
        f"(one process; stored {spans} spans, {calls_stored} calls)"
    )
    if profiler:
        profiler.dump_stats(args.cprofile)
        pstats.Stats(args.cprofile).sort_stats("cumulative").print_stats(35)


def _genai_prices_only(pricing):
    def price_call(provider, model, usage, at):
        if usage is None or not model:
            return pricing.price_call(provider, model, usage, at)
        pid = pricing.provider_id(provider) if provider else None
        if provider and pid is None:
            return pricing.price_call(provider, model, usage, at)
        return pricing._price_with_genai_prices(pid, model, usage, at)

    return price_call


if __name__ == "__main__":
    main()
