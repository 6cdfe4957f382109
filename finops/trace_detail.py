"""One trace for the trace page and ``GET /api/v1/traces/{trace_id}/``: its spans as a
waterfall, its calls, cost shares, scores and outcome; and one call's detail panel.

Orchestration: loads rows through ``ingest.models`` querysets (five queries for a trace, one
more for a call's log records), lays them out with the pure ``finops.waterfall`` and prices
them line by line with ``finops.price_lines``. Prompt and output text is read only when the
caller may see it (``can_read_content``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from finops.models import Membership, Project
from finops.price_lines import PriceLines, price_lines
from finops.pricing import UsageTokens
from finops.waterfall import Attempt, CallCost, Node, TraceCost, attempt_neighbours, layout
from finops.waterfall import trace_cost as split_cost
from ingest.models import LLMCall, Outcome, Score, Span, SpanLog, Trace

# Roles that may read prompt and output text (issue 6); everyone else sees structure and cost.
CONTENT_ROLES = (Membership.Role.ENGINEER, Membership.Role.ADMIN)
STATUS_ERROR = 2
# A trace page shows at most this many spans (earliest first); LLM calls are always shown.
MAX_SPANS = 2000


def can_read_content(user, project: Project) -> bool:
    """Whether ``user`` has trace-content access (engineer or admin) in ``project``."""
    return Project.objects.for_user(user, CONTENT_ROLES).filter(pk=project.pk).exists()


@dataclass
class Row:
    """A waterfall row: a span (or a call whose span is not stored) placed in the trace."""

    span_id: str
    parent_span_id: str
    name: str
    start: datetime
    end: datetime
    duration_ms: float
    status_code: int
    status_message: str
    category: str
    call: LLMCall | None = None
    span: Span | None = None
    depth: int = 0
    offset_pct: float = 0.0
    width_pct: float = 0.0
    orphan: bool = False

    @property
    def is_error(self) -> bool:
        return self.status_code == STATUS_ERROR or bool(self.call and self.call.error_type)


@dataclass
class TraceDetail:
    trace_id: str
    summary: Trace | None
    rows: list[Row]
    cost: TraceCost
    scores: list[Score]  # trace-level and call-level, oldest first
    outcomes: list[Outcome]
    start: datetime
    duration_ms: float
    truncated: bool = False  # more than MAX_SPANS spans: the latest are not shown

    @property
    def calls(self) -> list[LLMCall]:
        return [row.call for row in self.rows if row.call is not None]

    def row(self, span_id: str) -> Row | None:
        return next((row for row in self.rows if row.span_id == span_id), None)


def _row_of_span(span: Span, call: LLMCall | None) -> Row:
    return Row(
        span.span_id,
        span.parent_span_id,
        span.name,
        span.start_time,
        span.end_time,
        span.duration_ms,
        span.status_code,
        span.status_message,
        span.category(call is not None),
        call=call,
        span=span,
    )


def _row_of_call(call: LLMCall) -> Row:
    end = call.start_time + timedelta(milliseconds=call.duration_ms)
    status = STATUS_ERROR if call.error_type else 0
    name = f"{call.operation or 'call'} {call.model}".strip()
    return Row(
        call.span_id,
        call.parent_span_id,
        name,
        call.start_time,
        end,
        call.duration_ms,
        status,
        call.error_type,
        "llm",
        call=call,
    )


def load_trace(project_id: int, trace_id: str) -> TraceDetail | None:
    """The trace ``trace_id`` of the project, or None when it has no span and no call."""
    trace_id = trace_id.lower()
    span_rows = Span.objects.for_project(project_id).filter(trace_id=trace_id)
    spans = list(span_rows.order_by("start_time", "span_id")[: MAX_SPANS + 1])
    truncated = len(spans) > MAX_SPANS
    spans = spans[:MAX_SPANS]
    calls = {
        c.span_id: c for c in LLMCall.objects.for_project(project_id).filter(trace_id=trace_id)
    }
    if not spans and not calls:
        return None
    rows = [_row_of_span(span, calls.pop(span.span_id, None)) for span in spans]
    rows += [_row_of_call(call) for call in calls.values()]
    placed = layout([Node(r.span_id, r.parent_span_id, r.start, r.end) for r in rows])
    ordered = []
    for place in placed:
        row = rows[place.index]
        row.depth, row.offset_pct, row.width_pct = place.depth, place.offset_pct, place.width_pct
        row.orphan = place.orphan
        ordered.append(row)
    start = min(r.start for r in rows)
    duration_ms = (max(r.end for r in rows) - start).total_seconds() * 1000
    costs = [
        CallCost(r.call.cost_usd, r.call.is_retry, r.call.is_fallback, r.call.escalation)
        for r in ordered
        if r.call is not None
    ]
    return TraceDetail(
        trace_id=trace_id,
        summary=Trace.objects.for_project(project_id).filter(trace_id=trace_id).first(),
        rows=ordered,
        cost=split_cost(costs),
        scores=list(
            Score.objects.for_project(project_id)
            .filter(trace_id=trace_id)
            .order_by("created_at", "id")
        ),
        outcomes=list(
            Outcome.objects.for_project(project_id)
            .filter(applied_trace_id=trace_id)
            .order_by("occurred_at", "id")
        ),
        start=start,
        duration_ms=duration_ms,
        truncated=truncated,
    )


@dataclass
class CallDetail:
    """The call detail panel of one row. ``content`` is None when the viewer may not read
    prompt text (or the row is not an LLM call)."""

    row: Row
    price: PriceLines
    parameters: dict[str, Any]
    exceptions: tuple
    scores: list[Score]
    previous_span_id: str = ""
    next_span_id: str = ""
    content: Any = None
    cost_mismatch_usd: Decimal | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def call_price(call: LLMCall) -> PriceLines:
    """The price lines of a stored call, priced as ingest priced it (its model, usage, time)."""
    if call.cache_hit or not call.has_usage:
        return PriceLines(
            reason="app cache hit: no model call billed" if call.cache_hit else "no usage reported"
        )
    usage = UsageTokens(
        call.input_tokens,
        call.output_tokens,
        call.cache_read_tokens,
        call.cache_write_tokens,
        call.cache_write_1h_tokens,
    )
    return price_lines(call.provider, call.model, usage, call.start_time, call.reasoning_tokens)


def _attempts(detail: TraceDetail) -> list[Attempt]:
    return [
        Attempt(
            c.span_id,
            c.parent_span_id,
            c.template or c.operation,
            c.start_time,
            c.is_retry or c.is_fallback or bool(c.escalation),
        )
        for c in detail.calls
    ]


def load_call_detail(
    project_id: int, detail: TraceDetail, span_id: str, with_content: bool
) -> CallDetail | None:
    """The detail panel of ``span_id`` in ``detail`` (None when not in the trace); reads the
    span's log records (one query) only when ``with_content``."""
    row = detail.row(span_id)
    if row is None:
        return None
    span, call = row.span, row.call
    panel = CallDetail(
        row=row,
        price=call_price(call) if call else PriceLines(reason="not an LLM call"),
        parameters=span.request_parameters() if span else {},
        exceptions=span.exceptions() if span else (),
        scores=[s for s in detail.scores if s.span_id == span_id],
    )
    if call is not None:
        panel.previous_span_id, panel.next_span_id = attempt_neighbours(_attempts(detail), span_id)
        if call.cost_usd is not None and panel.price.lines:
            difference = call.cost_usd - panel.price.total_usd
            panel.cost_mismatch_usd = difference if difference else None
    if with_content and span is not None:
        logs = SpanLog.objects.filter(
            project_id=project_id, trace_id=detail.trace_id, span_id=span_id
        ).order_by("time", "id")
        panel.content = span.content(logs.values("event_name", "body", "attributes"))
    return panel


def detail_logs(project_id: int, detail: TraceDetail) -> dict[str, list[dict[str, Any]]]:
    """The trace's GenAI log records by span id, oldest first (one query), as the dicts
    ``Span.content`` reads."""
    logs: dict[str, list[dict[str, Any]]] = {}
    rows = SpanLog.objects.filter(project_id=project_id, trace_id=detail.trace_id).order_by(
        "time", "id"
    )
    for log in rows.values("span_id", "event_name", "body", "attributes"):
        logs.setdefault(log.pop("span_id"), []).append(log)
    return logs
