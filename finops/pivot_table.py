"""The Segments and Templates tables: columns, cell text, sorting, sort headers and CSV
records of ``finops.pivot.BreakdownRow``. Pure (no Django).

A column names the row attribute it shows; the page and the CSV read the same attribute, so
the CSV equals the table (the CSV keeps full precision, the page rounds for reading).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from finops.pivot import BreakdownRow


@dataclass(frozen=True)
class Column:
    """``key``: the sort and ``data-col`` name; ``attr``: the row attribute; ``kind``: how a
    value reads (money, money4, int, pct, change, tokens, ms, score, text); ``csv``: the CSV
    header; ``link``: the cell links to the calls behind it."""

    key: str
    label: str
    attr: str
    kind: str
    csv: str
    link: bool = False
    sortable: bool = True
    title: str = ""


def _col(key: str, label: str, attr: str, kind: str, csv: str = "", **extra) -> Column:
    """A column whose CSV header is ``csv``, or the attribute's name."""
    return Column(key, label, attr, kind, csv or attr, **extra)


_COMMON = [
    _col("spend", "Spend", "spend_usd", "money", link=True),
    _col("calls", "Calls", "calls", "int", link=True),
    _col("share", "Share", "share_of_spend_pct", "pct"),
    _col("trend", "Trend", "spend_change_pct", "change"),
    _col("tokens_in", "Tokens in / call", "input_tokens_per_call", "tokens"),
    _col("tokens_out", "Tokens out / call", "output_tokens_per_call", "tokens"),
    _col("retry_rate", "Retries", "retry_rate_pct", "pct", title="Retries per model call"),
    _col("fallback_rate", "Fallbacks", "fallback_rate_pct", "pct", title="Per model call"),
    _col(
        "escalation_rate",
        "Escalations",
        "escalation_rate_pct",
        "pct",
        "model_escalation_rate_pct",
        title="Escalations to a pricier model per model call",
    ),
    _col(
        "prompt_cache",
        "Prompt cache",
        "prompt_cache_rate_pct",
        "pct",
        "prompt_cache_hit_rate_pct",
        title="Model calls that read the provider's prompt cache",
    ),
    _col("cache_hits", "App-cache hits", "app_cache_hits", "int"),
    _col("avoided", "Avoided", "avoided_cost_usd", "money", title="What the hits would cost"),
    _col("quality", "Quality", "quality", "score"),
    _col("p50", "p50", "latency_p50_ms", "ms", title="Median call latency"),
    _col("p95", "p95", "latency_p95_ms", "ms", title="95th percentile call latency"),
]
SEGMENT_COLUMNS = [
    _col("name", "Segment", "label", "text", "segment"),
    *_COMMON,
    _col("outcomes", "Outcomes", "outcomes", "int"),
    _col("successes", "Successes", "successes", "int"),
    _col("cost_per_outcome", "Cost per outcome", "cost_per_outcome_usd", "money4"),
    _col("cost_per_success", "Cost per success", "cost_per_success_usd", "money4"),
    _col("success_rate", "Success rate", "success_rate_pct", "pct"),
    _col("customers", "Active customers", "active_customers", "int"),
]
TEMPLATE_COLUMNS = [
    _col("name", "Template", "label", "text", "template"),
    *_COMMON,
    _col("features", "Features", "feature_count", "int", "features"),
    _col(
        "per_feature_outcome",
        "Spend per outcome of its features",
        "spend_per_feature_outcome_usd",
        "money4",
    ),
]
DEFAULT_SORT = "-spend"


def money(amount: Decimal, places: int = 2) -> str:
    """``$1,234.57``: Decimal USD rounded half up to ``places``."""
    step = Decimal(1).scaleb(-places)
    return f"${amount.quantize(step, rounding=ROUND_HALF_UP):,}"


def cell_text(value: object, kind: str) -> str:
    """How a value of ``kind`` reads in the table; None reads "—" (nothing to divide by)."""
    if value is None:
        return "—"
    if kind == "money":
        return money(value)
    if kind == "money4":
        return money(value, 4)
    if kind == "int":
        return f"{value:,}"
    if kind == "pct":
        return f"{value}%"
    if kind == "change":
        return f"{'+' if value > 0 else ''}{value}%"
    if kind == "tokens":
        return f"{value:,}"
    if kind == "ms":
        return f"{round(value):,} ms"
    if kind == "score":
        return f"{value:.2f}"
    return str(value)


def cells(row: BreakdownRow, columns: list[Column]) -> list[dict]:
    """The cells of a row: ``{"col", "text", "url", "spark", "numeric"}`` per column. The
    trend cell draws the daily-spend sparkline and reads "new" when only the compare period
    was $0."""
    out = []
    for column in columns:
        value = getattr(row, column.attr)
        text = cell_text(value, column.kind)
        if column.kind == "change" and value is None and row.compare_spend_usd is not None:
            text = "new" if row.spend_usd else "—"
        out.append(
            {
                "col": column.key,
                "text": text,
                "url": row.calls_url if column.link and row.calls_url else "",
                "spark": row.sparkline if column.kind == "change" else "",
                "numeric": column.kind != "text",
            }
        )
    return out


def parse_sort(raw: str, columns: list[Column]) -> str:
    """``spend`` (ascending), ``-spend`` (descending), …; an unknown key is the default."""
    keys = {c.key for c in columns if c.sortable}
    return raw if raw.lstrip("-") in keys else DEFAULT_SORT


def sort_rows(rows: list[BreakdownRow], sort: str, columns: list[Column]) -> list[BreakdownRow]:
    """Rows by ``sort`` (see ``parse_sort``); rows without a value last, ties by name."""
    attr = next(c.attr for c in columns if c.key == sort.lstrip("-"))

    def key(row: BreakdownRow) -> object:
        return getattr(row, attr)

    known = sorted((r for r in rows if key(r) is not None), key=lambda r: r.label)
    known.sort(key=key, reverse=sort.startswith("-"))  # stable: ties keep name order
    unknown = sorted((r for r in rows if key(r) is None), key=lambda r: r.label)
    return known + unknown


def headers(columns: list[Column], sort: str, link: Callable[[str], str]) -> list[dict]:
    """Column headers; a sortable one links (``link(sort value)``) to its sort, descending
    first, toggling direction when it is the current one."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    out = []
    for column in columns:
        is_current = column.key == current
        target = (
            (column.key if descending else f"-{column.key}") if is_current else f"-{column.key}"
        )
        if column.kind == "text" and not is_current:
            target = column.key  # names sort A → Z first
        out.append(
            {
                "label": column.label,
                "title": column.title,
                "url": link(target) if column.sortable else "",
                "aria_sort": ("descending" if descending else "ascending") if is_current else "",
                "numeric": column.kind != "text",
            }
        )
    return out


def csv_header(columns: list[Column]) -> list[str]:
    return [column.csv for column in columns]


def csv_record(row: BreakdownRow, columns: list[Column]) -> list[str]:
    """The row's values at full precision ("" for none)."""
    values = [getattr(row, column.attr) for column in columns]
    return ["" if value is None else str(value) for value in values]
