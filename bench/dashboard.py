"""Dashboard benchmark (issue 5): rollup build and refresh, and the server time of the
cost-per-outcome pages and APIs at 10 million LLM calls.

    .venv/bin/python bench/dashboard.py [--requests 20] [--refresh-days 7] [--rebuild]
        [--fresh] [--calls 10000000] [--jobs 2]

1. loads the data set of bench/_dataset.py into PostgreSQL database ``llmf_bench`` (10 M calls
   over 90 days, 50 features, 20 templates, 5 segments, 10 models, 1,000 customers) unless it
   is already there (``--fresh`` reloads);
2. builds the rollups of all days with ``finops.rollups.rebuild`` when they are missing
   (``--rebuild`` always), timed;
3. times ``finops.rollups.refresh`` of ``--refresh-days`` single days (median, p95, max;
   target < 2 s at ~111k calls a day);
4. times the Features page, a feature page, its why-it-moved view, ``GET /api/v1/features/``
   and ``GET /api/v1/features/{name}/`` (each route once it exists): one warm-up then
   ``--requests`` GETs each, in process through Django's test Client as a logged-in admin
   (API: the project's API key), on the last 30 days of the data compared with the 30 before;
   prints median, p95 (target < 150 ms) and the ratio to the target.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import _dataset  # noqa: E402
from _dataset import Spec  # noqa: E402

TARGET_PAGE_MS = 150
TARGET_REFRESH_S = 2.0


def main() -> None:
    args = _arguments()
    data = _dataset.ensure(Spec(calls=args.calls), fresh=args.fresh, jobs=args.jobs)
    print(
        f"data set: {data.calls:,} calls, {data.traces:,} traces, {data.spans:,} spans, "
        f"{data.first_day} … {data.last_day}; {data.load_note}"
    )
    build_note = _build_rollups(data, args.rebuild)
    refresh, refresh_cpu = _time_refresh(data, args.refresh_days)
    timings = _time_pages(data, args.requests)
    print()
    print(f"dashboard benchmark at {data.calls:,} calls ({data.first_day} … {data.last_day})")
    print(build_note)
    per_day = data.calls // ((data.last_day - data.first_day).days + 1)
    print(
        f"refresh of one day (~{per_day:,} calls): "
        f"median {statistics.median(refresh):.2f} s, p95 {_p95(refresh):.2f} s, "
        f"max {max(refresh):.2f} s over {len(refresh)} days vs target < {TARGET_REFRESH_S} s: "
        f"{statistics.median(refresh) / TARGET_REFRESH_S:.2f}x "
        f"{'met' if _p95(refresh) < TARGET_REFRESH_S else 'MISSED'}; CPU (Python + "
        f"PostgreSQL backend) median {statistics.median(refresh_cpu):.2f} s"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print()
    from _web import print_table

    print_table(timings, TARGET_PAGE_MS, args.requests)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--refresh-days", type=int, default=7, help="single days refreshed")
    parser.add_argument("--rebuild", action="store_true", help="rebuild rollups even if built")
    parser.add_argument("--fresh", action="store_true", help="reload the data set")
    parser.add_argument("--calls", type=int, default=Spec.calls)
    parser.add_argument("--jobs", type=int, default=2, help="processes loading the data set")
    return parser.parse_args()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def _build_rollups(data, force: bool) -> str:
    from finops import rollups
    from finops.models import DailyRollup

    built = DailyRollup.objects.for_project(data.project_id).values("day").distinct().count()
    days = (data.last_day - data.first_day).days + 1
    if built == days and not force:
        return f"rollups: already built for {built} days (--rebuild to time the build)"
    started = time.perf_counter()

    def progress(day, done) -> None:
        if (day - data.first_day).days % 10 == 9 or day == data.last_day:
            elapsed = time.perf_counter() - started
            print(
                f"  rollups up to {day}: {elapsed:.0f} s, {done.call_rows:,} call rows that day",
                flush=True,
            )

    total = rollups.rebuild(data.project_id, data.first_day, data.last_day, progress)
    seconds = time.perf_counter() - started
    # What autovacuum does soon after in production; without statistics the planner takes
    # the fresh rollup tables for empty and sorts 80k rows on disk for the Features page.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE finops_dailyrollup, finops_dailyoutcomerollup, "
            "finops_dailycustomerrollup"
        )
    return (
        f"rollup build (finops.rollups.rebuild): {days} days, {total.calls:,} calls, "
        f"{total.traces:,} traces -> {total.call_rows:,} call rows, {total.outcome_rows:,} "
        f"outcome rows in {seconds:.0f} s ({seconds / days:.2f} s a day)"
    )


def _time_refresh(data, count: int) -> list[float]:
    from _procs import cpu_s
    from django.db import connection

    from finops import rollups

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    times, cpu = [], []
    # Days spread over the period, the last one included (it has spans too).
    step = max(1, ((data.last_day - data.first_day).days) // max(count, 1))
    for i in range(count):
        day = data.last_day - timedelta(days=i * step)
        cpu0 = time.process_time() + cpu_s([backend])
        started = time.perf_counter()
        done = rollups.refresh(data.project_id, day)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() + cpu_s([backend]) - cpu0)
        print(
            f"  refresh {day}: {times[-1]:.2f} s, CPU {cpu[-1]:.2f} s (Python + its "
            f"PostgreSQL backend) ({done.calls:,} calls, {done.call_rows:,} call rows, "
            f"{done.outcome_rows:,} outcome rows)",
            flush=True,
        )
    return times, cpu


def _time_pages(data, requests: int):
    from _web import Timing, measure, member_client
    from django.urls import NoReverseMatch, reverse

    first = data.last_day - timedelta(days=29)
    period = f"start={first}&end={data.last_day}"
    feature = _top_feature(data)
    web = member_client(_dataset.USERNAME)
    api = {"Authorization": f"Bearer {_dataset.API_KEY}"}
    pages = [
        ("Features page", "finops:features", [], period, {}),
        (f"feature page ({feature})", "finops:feature-detail", [feature], period, {}),
        ("why it moved", "finops:feature-why", [feature], period, {}),
        ("GET /api/v1/features/", "api:feature-list", [], period, api),
        ("GET /api/v1/features/{name}/", "api:feature-detail", [quote(feature)], period, api),
    ]
    timings = []
    for name, route, extra, query, headers in pages:
        try:
            url = reverse(route, args=[_dataset.SLUG, *extra] if "finops" in route else extra)
        except NoReverseMatch:
            timings.append(Timing(name, "", note=f"{route} does not exist yet"))
            continue
        timing = measure(web, name, f"{url}?{query}", requests, headers)
        print(
            f"  {name}: median {timing.median_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms, "
            f"{timing.queries} queries",
            flush=True,
        )
        timings.append(timing)
    return timings


def _top_feature(data) -> str:
    from finops.models import DailyRollup

    return (
        DailyRollup.objects.spend_by_feature_day()
        .filter(project_id=data.project_id)
        .order_by("-spend_usd")
        .values_list("feature", flat=True)
        .first()
    )


if __name__ == "__main__":
    main()
