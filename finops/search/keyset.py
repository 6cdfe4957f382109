"""Keyset pagination over any queryset with a table of sort keys.

Every sort orders by (sort value, id) and a page continues "after the last row": value below
it, or equal with a smaller id (descending). The condition is written as
``value <= v AND (value < v OR id < i)`` so PostgreSQL bounds an index range scan on
(project, value, id) with the first conjunct and filters only the ties: a page deep in the
results costs as much as the first one, unlike OFFSET.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.db.models import Expression, Q, QuerySet

from finops.search.cursor import Cursor, decode_cursor, encode_cursor

# Sort key ("time") → (field or annotation name, expression to annotate or None for a field).
Sorts = Mapping[str, tuple[str, Expression | None]]


@dataclass(frozen=True)
class Page:
    """One page of rows and the cursor of the next page ("" on the last page)."""

    rows: list
    next_cursor: str


def ordered(qs: QuerySet, sorts: Sorts, sort: str) -> QuerySet:
    """``qs`` annotated with the sort value of ``sort`` ("cost", "-cost"…) and ordered by
    (value, id) in its direction."""
    name, expression = sorts[sort.lstrip("-")]
    if expression is not None:
        qs = qs.annotate(**{name: expression})
    prefix = "-" if sort.startswith("-") else ""
    return qs.order_by(f"{prefix}{name}", f"{prefix}id")


def after(qs: QuerySet, sorts: Sorts, cursor: Cursor) -> QuerySet:
    """Rows of an ``ordered`` queryset strictly after ``cursor``."""
    name = sorts[cursor.sort.lstrip("-")][0]
    descending = cursor.sort.startswith("-")
    op, bound = ("lt", "lte") if descending else ("gt", "gte")
    return qs.filter(
        Q(**{f"{name}__{bound}": cursor.value}),
        Q(**{f"{name}__{op}": cursor.value}) | Q(**{name: cursor.value, f"id__{op}": cursor.id}),
    )


def page(qs: QuerySet, sorts: Sorts, sort: str, cursor_text: str, size: int) -> Page:
    """``size`` rows of ``qs`` in ``sort`` order after ``cursor_text`` ("" = first page);
    raises ``finops.search.cursor.BadCursor`` for a corrupt cursor or one of another sort."""
    qs = ordered(qs, sorts, sort)
    if cursor_text:
        qs = after(qs, sorts, decode_cursor(cursor_text, sort))
    rows = list(qs[: size + 1])
    if len(rows) <= size:
        return Page(rows, "")
    last = rows[size - 1]
    value = getattr(last, sorts[sort.lstrip("-")][0])
    return Page(rows[:size], encode_cursor(Cursor(sort, value, last.id)))


def iterate(qs: QuerySet, sorts: Sorts, sort: str, chunk: int = 1000) -> Iterator:
    """Every row of ``qs`` in ``sort`` order, ``chunk`` rows per query."""
    cursor = ""
    while True:
        found = page(qs, sorts, sort, cursor, chunk)
        yield from found.rows
        if not found.next_cursor:
            return
        cursor = found.next_cursor
