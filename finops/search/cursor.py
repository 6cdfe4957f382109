"""Opaque keyset cursors: the sort, the last row's sort value and its id. Pure (no Django).

A cursor says "rows after (value, id) in this sort order"; it is bound to its sort, so a
cursor from a cost-sorted page is refused by a time-sorted search instead of skipping rows.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

# How each sort key's value travels in a cursor.
_KINDS = {"time": "datetime", "cost": "decimal", "latency": "float", "tokens": "int"}


class BadCursor(ValueError):
    """The cursor is not one this search wrote (corrupt, or from another sort)."""


@dataclass(frozen=True)
class Cursor:
    """Position after the row with sort value ``value`` and primary key ``id``."""

    sort: str
    value: datetime | Decimal | float | int
    id: int


def encode_cursor(cursor: Cursor) -> str:
    """URL-safe text of ``cursor`` (base64 of a small JSON list, no padding)."""
    value = cursor.value
    raw = value.isoformat() if isinstance(value, datetime) else str(value)
    data = json.dumps([cursor.sort, raw, cursor.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(text: str, sort: str) -> Cursor:
    """The cursor ``text`` for a search sorted by ``sort``; raises ``BadCursor``."""
    try:
        padded = text + "=" * (-len(text) % 4)
        cursor_sort, raw, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        kind = _KINDS[cursor_sort.lstrip("-")]
        value = _parse(kind, raw)
    except (binascii.Error, ValueError, TypeError, KeyError, InvalidOperation) as exc:
        raise BadCursor("the cursor is corrupt; start again from the first page") from exc
    if cursor_sort != sort or not isinstance(row_id, int):
        raise BadCursor("the cursor belongs to another sort order; start from the first page")
    return Cursor(sort, value, row_id)


def _parse(kind: str, raw: str):
    if kind == "datetime":
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        return moment
    if kind == "decimal":
        return Decimal(raw)
    return float(raw) if kind == "float" else int(raw)
