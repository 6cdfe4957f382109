"""The 10-million-call data set of the dashboard and search benchmarks (issues 5 and 6).

    from _dataset import Spec, ensure
    data = ensure(Spec(), fresh=False)  # sets up Django against the benchmark database

``ensure`` makes PostgreSQL database ``llmf_bench`` (``--db``) hold the data set of ``spec``:
when it already does (a ``bench_dataset`` row with the same spec, complete), it only applies
new migrations and returns; otherwise (or with ``fresh``) it drops and recreates the
database, migrates it, creates project ``bench`` with an admin member and an API key, and
loads the rows of ``bench/_datagen.py`` day by day with text ``COPY`` from ``jobs``
processes. The secondary indexes of the three tables are dropped for the load and rebuilt
after it (one sorted build each is several times faster than 10 M index insertions); foreign
keys are not checked during the load (``session_replication_role = replica``). Prints rows/s.

Run it alone to (re)load: ``.venv/bin/python bench/_dataset.py [--fresh] [--calls N]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import _datagen  # noqa: E402
import _datalines  # noqa: E402
from _datagen import Spec  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"
DB = "llmf_bench"
SLUG = "bench"
USERNAME = "bench"
PASSWORD = "bench-password"
API_KEY = "lfo_bench_0123456789abcdef0123456789abcdef"
TABLES = {
    "ingest_llmcall": _datalines.CALL_COLUMNS,
    "ingest_trace": _datalines.TRACE_COLUMNS,
    "ingest_span": _datalines.SPAN_COLUMNS,
}

__all__ = ["Dataset", "Spec", "ensure"]


@dataclass(frozen=True)
class Dataset:
    url: str
    project_id: int
    first_day: date
    last_day: date
    calls: int
    traces: int
    spans: int
    load_note: str  # how long the load took, from the run that loaded it


def ensure(
    spec: Spec, *, fresh: bool = False, jobs: int = 2, pg: str = PG, db: str = DB
) -> Dataset:
    """The data set of ``spec`` in database ``db``, loading it when needed (see module doc).
    Leaves Django set up against that database."""
    url = f"{pg}/{db}"
    loaded = None if fresh else _stored(pg, db, spec)
    if loaded is None:
        with psycopg.connect(f"{pg}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{db}"')
    _setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if loaded is None:
        _load(url, spec, jobs)
        loaded = _stored(pg, db, spec)
        assert loaded is not None
    _fill_call_text(url)
    return loaded


def _fill_call_text(url: str) -> None:
    """The searchable text of every call with a span (``ingest.CallText``, which finalize
    writes in production; a COPY load skips finalize): the span's ``gen_ai.input.messages``
    and ``gen_ai.output.messages`` JSON, as one string. Once per data set."""
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('ingest_calltext') IS NOT NULL").fetchone()[0]
        if not exists or conn.execute("SELECT EXISTS (SELECT FROM ingest_calltext)").fetchone()[0]:
            return
        started = time.perf_counter()
        restore = _drop_indexes(conn, ["ingest_calltext"])
        conn.execute(
            "INSERT INTO ingest_calltext (project_id, trace_id, span_id, start_time, text) "
            "SELECT c.project_id, c.trace_id, c.span_id, c.start_time, "
            "concat_ws(' ', s.attributes ->> 'gen_ai.input.messages', "
            "s.attributes ->> 'gen_ai.output.messages') "
            "FROM ingest_span s JOIN ingest_llmcall c ON c.project_id = s.project_id "
            "AND c.trace_id = s.trace_id AND c.span_id = s.span_id "
            "WHERE s.attributes ? 'gen_ai.input.messages'"
        )
        rows = conn.execute("SELECT count(*) FROM ingest_calltext").fetchone()[0]
        for sql in restore:
            conn.execute(sql)
        conn.execute("VACUUM (ANALYZE) ingest_calltext")
        print(
            f"  call text: {rows:,} rows and their indexes in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )


def _stored(pg: str, db: str, spec: Spec) -> Dataset | None:
    try:
        conn = psycopg.connect(f"{pg}/{db}", autocommit=True)
    except psycopg.OperationalError:
        return None
    with conn:
        row = conn.execute("SELECT to_regclass('bench_dataset') IS NOT NULL").fetchone()
        if not row[0]:
            return None
        row = conn.execute(
            "SELECT project_id, first_day, last_day, calls, traces, spans, note "
            "FROM bench_dataset WHERE spec = %s::jsonb AND complete",
            [json.dumps(spec.as_dict())],
        ).fetchone()
    return None if row is None else Dataset(f"{pg}/{db}", *row)


def _setup_django(url: str) -> None:
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _project() -> int:
    from django.contrib.auth import get_user_model

    from finops.models import ApiKey, Membership, Project

    project = Project.objects.create(slug=SLUG, name="Benchmark (10 M calls)")
    user = get_user_model().objects.create_user(USERNAME, password=PASSWORD)
    Membership.objects.create(user=user, project=project, role=Membership.Role.ADMIN)
    ApiKey.issue(project, name="bench", raw=API_KEY)
    return project.pk


def prices_in_units(at: datetime) -> dict[str, tuple[int, int, int, int]]:
    """Per model: (fresh input, output, cache read, cache write) USD per token in 1e-10 USD,
    read from ``finops.pricing`` (genai-prices) and checked against it on a mixed call."""
    from finops.pricing import UsageTokens, price_call

    out = {}
    for name, m in _datagen.MODELS.items():

        def cost(*usage, provider=m.provider, model=name):
            price = price_call(provider, model, UsageTokens(*usage), at)
            assert price.cost_usd is not None, (model, price.reason)
            return int(price.cost_usd * _datalines.UNIT)

        units = (cost(1), cost(0, 1), cost(1, 0, 1), cost(1, 0, 0, 1))
        usage = (5000, 700, 1200, 1000)
        fresh = usage[0] - usage[2] - usage[3]
        mine = fresh * units[0] + usage[1] * units[1] + usage[2] * units[2] + usage[3] * units[3]
        assert mine == cost(*usage), f"{name}: prices are not linear in tokens"
        out[name] = units
    return out


def _load(url: str, spec: Spec, jobs: int) -> None:
    from django.db import connections

    project_id = _project()
    last_day = datetime.now(UTC).date() - timedelta(days=1)
    first_day = last_day - timedelta(days=spec.days - 1)
    prices = prices_in_units(datetime.combine(first_day, datetime.min.time(), tzinfo=UTC))
    assert prices == prices_in_units(datetime.combine(last_day, datetime.min.time(), tzinfo=UTC))
    connections.close_all()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset (spec jsonb, project_id int, "
            "first_day date, last_day date, calls bigint, traces bigint, spans bigint, "
            "note text, complete bool)"
        )
        _check_columns(conn)
        indexes = _drop_indexes(conn)
    print(
        f"loading {spec.calls:,} calls over {spec.days} days ({first_day} … {last_day}) into "
        f"{url.rsplit('/', 1)[1]} with {jobs} processes",
        flush=True,
    )
    started = time.perf_counter()
    totals = [0, 0, 0]
    args = [(url, spec, prices, first_day, i, project_id) for i in range(spec.days)]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for done, counts in enumerate(pool.imap_unordered(_load_day, args), start=1):
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            elapsed = time.perf_counter() - started
            if done % 5 == 0 or done == spec.days:
                print(
                    f"  {done}/{spec.days} days: {totals[0]:,} calls, {totals[1]:,} traces, "
                    f"{totals[2]:,} spans in {elapsed:.0f} s = "
                    f"{sum(totals) / elapsed:,.0f} rows/s ({totals[0] / elapsed:,.0f} calls/s)",
                    flush=True,
                )
    copy_s = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        index_s = _timed(lambda: [conn.execute(sql) for sql in indexes])
        print(f"  rebuilt {len(indexes)} indexes in {index_s:.0f} s", flush=True)
        vacuum_s = _timed(lambda: conn.execute("VACUUM (ANALYZE)"))
        print(f"  VACUUM ANALYZE in {vacuum_s:.0f} s", flush=True)
        total = copy_s + index_s + vacuum_s
        note = (
            f"{sum(totals):,} rows in {total:.0f} s ({jobs} processes): COPY {copy_s:.0f} s = "
            f"{sum(totals) / copy_s:,.0f} rows/s, indexes {index_s:.0f} s, "
            f"VACUUM ANALYZE {vacuum_s:.0f} s; loaded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        )
        conn.execute(
            "INSERT INTO bench_dataset VALUES (%s::jsonb, %s, %s, %s, %s, %s, %s, %s, true)",
            [json.dumps(spec.as_dict()), project_id, first_day, last_day, *totals, note],
        )
    print(f"  {note}", flush=True)


def _load_day(args) -> tuple[int, int, int]:
    url, spec, prices, first_day, index, project_id = args
    calls, traces, spans = _datagen.Day(spec, prices, first_day, index, project_id).rows()
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cur:
            for table, lines in (
                ("ingest_llmcall", calls),
                ("ingest_trace", traces),
                ("ingest_span", spans),
            ):
                if not lines:
                    continue
                columns = ", ".join(TABLES[table])
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for start in range(0, len(lines), 5000):
                        copy.write("\n".join(lines[start : start + 5000]) + "\n")
    return len(calls), len(traces), len(spans)


def _check_columns(conn) -> None:
    """Every NOT NULL column without a default must be in our COPY column lists, so a new
    column added by a migration fails here, not halfway through the load."""
    for table, columns in TABLES.items():
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
            [table],
        ).fetchall()
        missing = {name for (name,) in rows} - set(columns) - {"id"}
        if missing:
            raise RuntimeError(f"{table}: bench/_datagen.py does not fill {sorted(missing)}")


def _drop_indexes(conn, tables=tuple(TABLES)) -> list[str]:
    """Drop the unique constraints and secondary indexes of ``tables``; returns the
    statements that recreate them."""
    restore = []
    for table in tables:
        for name, definition in conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        ).fetchall():
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = %s::regclass)",
            [table, table],
        ).fetchall():
            conn.execute(f'DROP INDEX "{name}"')
            restore.append(definition)
    return restore


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Load the benchmark data set")
    parser.add_argument("--fresh", action="store_true", help="reload even if already loaded")
    parser.add_argument("--calls", type=int, default=Spec.calls)
    parser.add_argument("--jobs", type=int, default=2, help="loading processes")
    args = parser.parse_args()
    data = ensure(Spec(calls=args.calls), fresh=args.fresh, jobs=args.jobs)
    print(data)


if __name__ == "__main__":
    main()
