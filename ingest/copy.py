"""Bulk insert of ingested rows that skips rows already stored (STYLE §5: one function).

On PostgreSQL the rows go through a binary ``COPY`` into a session-local staging table and
then ``INSERT … SELECT … ON CONFLICT DO NOTHING`` into the real table: COPY is ~13 times faster
than ``bulk_create`` (measured 42k vs 3.2k rows/s), and the unique constraints still decide
what is stored once. Elsewhere (SQLite, the embedded default) ``bulk_create`` with
``ignore_conflicts`` does the same, slower.

Rows are plain dicts keyed by field ``attname`` (``project_id``, not ``project``): building a
Django model instance per span costs more than the COPY of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter

from django.db import connection, models
from django.utils import timezone

_BATCH = 500

# Staging column types by Django field type; JSON is staged as text and cast on the way in,
# because psycopg would encode a pre-serialised str as a JSON string, not as a document.
_STAGE_TYPES = {
    "AutoField": "int4",
    "BigAutoField": "int8",
    "BigIntegerField": "int8",
    "BooleanField": "bool",
    "CharField": "text",
    "DateTimeField": "timestamptz",
    "DecimalField": "numeric",
    "FloatField": "float8",
    "ForeignKey": "int8",
    "IntegerField": "int4",
    "JSONField": "text",
    "PositiveBigIntegerField": "int8",
    "PositiveIntegerField": "int4",
    "PositiveSmallIntegerField": "int2",
    "SmallIntegerField": "int2",
    "TextField": "text",
}


def insert_new_rows(model: type[models.Model], rows: Sequence[dict]) -> None:
    """Insert ``rows`` into ``model``'s table, skipping any that would break a unique constraint.

    Every concrete column except the primary key must be in each row, except ``auto_now`` /
    ``auto_now_add`` timestamps, which are set to now. Runs inside the caller's transaction.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy_rows(model, rows, "ON CONFLICT DO NOTHING")
    else:
        objs = [model(**row) for row in rows]
        model.objects.bulk_create(objs, batch_size=_BATCH, ignore_conflicts=True)


def upsert_rows(
    model: type[models.Model],
    rows: Sequence[dict],
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """Insert ``rows``; where one exists with the same ``unique_fields``, update
    ``update_fields`` from the new row instead. Rows as for ``insert_new_rows``, at most one
    per key; give them in a fixed order so concurrent upserts lock in the same order."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        meta = model._meta
        keys = ", ".join(f'"{meta.get_field(name).column}"' for name in unique_fields)
        sets = ", ".join(
            f'"{meta.get_field(name).column}" = EXCLUDED."{meta.get_field(name).column}"'
            for name in update_fields
        )
        _copy_rows(model, rows, f"ON CONFLICT ({keys}) DO UPDATE SET {sets}", order_by=keys)
    else:
        model.objects.bulk_create(
            [model(**row) for row in rows],
            batch_size=_BATCH,
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=update_fields,
        )


@dataclass(frozen=True)
class _Plan:
    """How rows of one model are staged and moved: built once per model."""

    stage: str
    create: str
    copy: str
    types: list[str]
    values: itemgetter
    json_at: tuple[int, ...]
    insert: str
    stamped: int


@cache
def _plan(model: type[models.Model]) -> _Plan:
    copied, stamped = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            stamped.append(field)
        else:
            copied.append(field)
    types = [_STAGE_TYPES[field.get_internal_type()] for field in copied]
    spec = ", ".join(f'"{f.column}" {t}' for f, t in zip(copied, types, strict=True))
    # The definition is in the name, so a new column after a deploy gets a new staging table.
    stage = f"stage_{model._meta.db_table}_{hashlib.sha1(spec.encode()).hexdigest()[:8]}"
    target = ", ".join(f'"{f.column}"' for f in (*copied, *stamped))
    selected = [
        f'"{f.column}"::jsonb' if isinstance(f, models.JSONField) else f'"{f.column}"'
        for f in copied
    ] + ["%s"] * len(stamped)
    return _Plan(
        stage=stage,
        create=f'CREATE TEMPORARY TABLE IF NOT EXISTS "{stage}" ({spec})',
        copy=f'COPY "{stage}" FROM STDIN (FORMAT BINARY)',
        types=types,
        values=itemgetter(*(field.attname for field in copied)),
        json_at=tuple(i for i, f in enumerate(copied) if isinstance(f, models.JSONField)),
        insert=(
            f'WITH staged AS (DELETE FROM "{stage}" RETURNING *) '
            f'INSERT INTO "{model._meta.db_table}" '
            f"({target}) "
            f"SELECT {', '.join(selected)} FROM staged"
        ),
        stamped=len(stamped),
    )


def _copy_rows(
    model: type[models.Model], rows: Sequence[dict], conflict: str, order_by: str = ""
) -> None:
    plan = _plan(model)
    memo: dict[int, str] = {}
    with connection.cursor() as cursor:
        # A temporary table lives as long as the connection: created once, and emptied by
        # the DELETE … RETURNING below, so a rolled-back request leaves nothing staged either.
        cursor.execute(plan.create)
        with cursor.cursor.copy(plan.copy) as copy:
            copy.set_types(plan.types)
            for row in rows:
                record = plan.values(row)
                if plan.json_at:
                    record = list(record)
                    for i in plan.json_at:
                        record[i] = _json(record[i], memo)
                copy.write_row(record)
        order = f" ORDER BY {order_by}" if order_by else ""
        cursor.execute(f"{plan.insert}{order} {conflict}", [timezone.now()] * plan.stamped)


def _json(value, memo: dict[int, str]) -> str:
    """``value`` as JSON text; the same object (a batch's shared resource dict) is encoded once."""
    if not value and isinstance(value, list | dict):  # most spans have no events
        return "[]" if isinstance(value, list) else "{}"
    key = id(value)
    text = memo.get(key)
    if text is None:
        text = memo[key] = json.dumps(value)
    return text
