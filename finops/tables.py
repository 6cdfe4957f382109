"""Tables of the feature and why-it-moved pages (pure): the same object renders as HTML
(``templates/finops/_detail_table.html``) and as CSV (``?format=csv&table=<name>``), so every
table on a page can be downloaded with exactly the numbers shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# How a value is shown: usd (Decimal USD, 4 places), usd6 (6 places: per-outcome drivers),
# int, pct (Decimal percent), ratio, ms (int milliseconds), score (0..1 float), text.
KINDS = ("text", "usd", "usd6", "int", "pct", "ratio", "ms", "score")


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header and the cell's data-col
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Cell:
    key: str
    kind: str
    value: Any  # None shows as "—"


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    url: str = ""  # the calls behind the row (trace search); "" when there is none

    @property
    def label(self) -> Any:
        return self.cells[0].value if self.cells else ""


@dataclass
class Table:
    """``name`` is the ``?table=`` of its CSV download; ``note`` a line under the table."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: list[Row] = field(default_factory=list)
    note: str = ""

    def add(self, values: dict[str, Any], url: str = "", kinds: dict[str, str] | None = None):
        """Append a row from ``{column key: value}`` (missing keys are None); ``kinds``
        overrides the column's kind for some cells (a KPI table mixes USD and counts)."""
        kinds = kinds or {}
        cells = tuple(
            Cell(c.key, kinds.get(c.key, c.kind), values.get(c.key)) for c in self.columns
        )
        self.rows.append(Row(cells, url))

    def csv_rows(self) -> list[list[str]]:
        """A header row of column keys, then one row of plain values ("" for None) per row."""
        out = [[c.key for c in self.columns]]
        for row in self.rows:
            out.append([_plain(cell.value) for cell in row.cells])
        return out


def _plain(value: Any) -> str:
    """A CSV cell: "" for None, Decimals in positional notation ("0.000000", not "0E-12")."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
