"""Totals and the latency sample of a filtered call queryset (one query each)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from ingest.models import ZERO_USD

HISTOGRAM_SAMPLE = 5000


def call_totals(qs: QuerySet, limit: int | None = None) -> dict:
    """One dict for the filter (or, with ``limit``, for its newest ``limit`` calls: a bounded
    read when the result is too large to sum on every page view): calls, errors, unpriced,
    input_tokens, output_tokens, tokens (ints); cost_usd (Decimal USD, priced calls only);
    error_rate (Decimal 0..1, None without calls); error_pct (the same in percent)."""
    if limit is not None:
        newest = qs.order_by("-start_time", "-id").values("id")[:limit]
        qs = qs.model.objects.filter(id__in=newest)
    totals = qs.order_by().aggregate(
        calls=Count("id"),
        errors=Count("id", filter=~Q(error_type="")),
        unpriced=Count("id", filter=Q(cost_usd__isnull=True)),
        input_tokens=Coalesce(Sum("input_tokens"), 0),
        output_tokens=Coalesce(Sum("output_tokens"), 0),
        cost_usd=Coalesce(Sum("cost_usd"), ZERO_USD),
    )
    totals["tokens"] = totals["input_tokens"] + totals["output_tokens"]
    calls = totals["calls"]
    totals["error_rate"] = Decimal(totals["errors"]) / calls if calls else None
    totals["error_pct"] = totals["error_rate"] * 100 if calls else None
    return totals


def latency_sample(qs: QuerySet, size: int = HISTOGRAM_SAMPLE) -> list[float]:
    """Latencies (ms) of the newest ``size`` calls of the filter: a bounded read however
    broad the search (the time index serves the order)."""
    return list(qs.order_by("-start_time").values_list("duration_ms", flat=True)[:size])
