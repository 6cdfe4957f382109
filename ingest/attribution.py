"""What a trace says about its LLM calls: attribution, retries, fallbacks, escalations,
duplicate spans of one call, app-cache savings, and the trace summary.

Pure. ``judge_trace`` takes the spans and calls of one trace as plain facts and returns
verdicts; ``ingest.finalize`` loads the facts and saves the verdicts. It is re-run whenever
more spans of a trace arrive, so every rule must give the same answer from the same spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ingest.conventions import DIMENSIONS

# Two spans reporting one provider call: time windows this close, usage this similar.
_SIBLING_START_SKEW = timedelta(milliseconds=50)
_USAGE_TOLERANCE = 0.02
# A later call of the same template costing this much more per token is an escalation.
_ESCALATION_PRICE_RATIO = Decimal("1.5")


@dataclass(frozen=True, slots=True)
class SpanNode:
    """What attribution needs of one span: its parent and the dimensions it sets itself."""

    span_id: str
    parent_span_id: str
    own: Mapping[str, str] = field(default_factory=dict)
    resource: Mapping[str, str] = field(default_factory=dict)
    name: str = ""
    start: datetime | None = None
    end: datetime | None = None
    escalation: str = ""  # explicit finops.escalation on this span ("human" on a hand-off)
    outcome: str = ""  # "success" | "failure" | "" (finops.outcome)
    outcome_name: str = ""
    outcome_value_usd: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CallFacts:
    """One stored LLM call with the explicit marks its span carries."""

    span_id: str
    parent_span_id: str
    start: datetime
    end: datetime
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    has_usage: bool
    cost_usd: Decimal | None
    error_type: str
    cache_hit: bool = False
    attempt: int | None = None
    resend_count: int | None = None
    is_fallback: bool = False
    escalation: str = ""
    quality_score: float | None = None
    richness: int = 0  # attribute count: the fuller of two duplicate spans is kept
    scope: str = ""  # instrumentation scope that emitted the span


@dataclass(frozen=True, slots=True)
class CallVerdict:
    attribution: dict[str, str]
    attempt: int
    is_retry: bool
    is_fallback: bool
    escalation: str
    avoided_cost_usd: Decimal | None
    quality_score: float | None = None


@dataclass(frozen=True, slots=True)
class TraceSummary:
    root_span_id: str
    root_name: str
    start: datetime | None
    duration_ms: float
    attribution: dict[str, str]
    cost_usd: Decimal
    unpriced_calls: int
    calls: int
    retries: int
    fallbacks: int
    model_escalations: int
    human_escalations: int
    errors: int
    cache_hits: int
    avoided_cost_usd: Decimal
    retry_cost_usd: Decimal
    outcome: str
    outcome_name: str
    outcome_value_usd: Decimal | None
    quality_score: float | None


@dataclass(frozen=True, slots=True)
class TraceVerdict:
    calls: dict[str, CallVerdict]
    duplicates: frozenset[str]
    summary: TraceSummary


def resolve(nodes: Mapping[str, SpanNode], span_id: str) -> dict[str, str]:
    """Every dimension of ``DIMENSIONS`` for ``span_id`` ("" when nothing in reach sets it).

    Nearest span up the parent chain that sets a dimension wins, then the span's resource.
    ``nodes`` maps span id → node for the spans of one trace known so far; a missing
    ancestor ends the walk, and a parent cycle is walked once.
    """
    found: dict[str, str] = {}
    seen: set[str] = set()
    current = nodes.get(span_id)
    start = current
    while current is not None and current.span_id not in seen and len(found) < len(DIMENSIONS):
        seen.add(current.span_id)
        for dimension, value in current.own.items():
            found.setdefault(dimension, value)
        current = nodes.get(current.parent_span_id) if current.parent_span_id else None
    if start is not None:
        for dimension, value in start.resource.items():
            found.setdefault(dimension, value)
    return {dimension: found.get(dimension, "") for dimension in DIMENSIONS}


def judge_trace(
    nodes: Mapping[str, SpanNode],
    calls: Iterable[CallFacts],
    avg_cost_by_template: Mapping[str, Decimal] | None = None,
) -> TraceVerdict:
    """Verdicts for every call of one trace and the trace's summary.

    ``avg_cost_by_template``: the average priced call cost (USD) per template, used as the
    avoided cost of an app-cache hit of that template.
    """
    avg_cost_by_template = avg_cost_by_template or {}
    ordered = sorted(calls, key=lambda c: (c.start, c.span_id))
    duplicates = find_duplicates(ordered, nodes)
    kept = [c for c in ordered if c.span_id not in duplicates]
    verdicts: dict[str, CallVerdict] = {}
    earlier: list[tuple[CallFacts, dict[str, str]]] = []
    for call in kept:
        attribution = resolve(nodes, call.span_id)
        verdicts[call.span_id] = _judge_call(call, attribution, earlier, avg_cost_by_template)
        earlier.append((call, attribution))
    summary = _summarise(nodes, kept, verdicts)
    return TraceVerdict(verdicts, frozenset(duplicates), summary)


def _judge_call(
    call: CallFacts,
    attribution: dict[str, str],
    earlier: list[tuple[CallFacts, dict[str, str]]],
    avg_cost_by_template: Mapping[str, Decimal],
) -> CallVerdict:
    template = attribution["template"]
    same_template = [c for c, a in earlier if template and a["template"] == template]
    previous = same_template[-1] if same_template else None
    failed_before = previous is not None and bool(previous.error_type)
    attempt = call.attempt or (1 + len(same_template) if failed_before else 1)
    # Explicit marks win: an app that says "attempt 2" retried, whatever model it used; a
    # fallback is the switch to another model (attempt 1 there), its later attempts retries.
    explicit_retry = (call.attempt or 1) >= 2 or (call.resend_count or 0) >= 1
    is_fallback = (call.is_fallback and not explicit_retry) or (
        not explicit_retry
        and failed_before
        and previous is not None
        and _model_differs(previous, call)
    )
    is_retry = explicit_retry or (not is_fallback and not call.escalation and failed_before)
    escalation = call.escalation
    if (
        not escalation
        and previous is not None
        and not previous.error_type
        and _model_differs(previous, call)
        and _pricier(call, previous)
    ):
        escalation = "model"
    avoided = None
    if call.cache_hit:
        avoided = avg_cost_by_template.get(template)
    return CallVerdict(
        attribution, attempt, is_retry, is_fallback, escalation, avoided, call.quality_score
    )


def _model_differs(a: CallFacts, b: CallFacts) -> bool:
    """Different provider or model; a dated response model ("gpt-4o-mini-2024-07-18") is the
    same model as the requested one a failed call reports ("gpt-4o-mini")."""
    if a.provider and b.provider and a.provider != b.provider:
        return True
    return not (a.model.startswith(b.model) or b.model.startswith(a.model))


def _unit_cost(call: CallFacts) -> Decimal | None:
    tokens = call.input_tokens + call.output_tokens
    if call.cost_usd is None or tokens == 0:
        return None
    return call.cost_usd / tokens


def _pricier(call: CallFacts, than: CallFacts) -> bool:
    mine, theirs = _unit_cost(call), _unit_cost(than)
    return mine is not None and theirs is not None and mine > theirs * _ESCALATION_PRICE_RATIO


def find_duplicates(calls: list[CallFacts], nodes: Mapping[str, SpanNode]) -> set[str]:
    """Span ids of calls that repeat another span's report of the same provider call.

    Two spans report one call when they are parent and child, or siblings emitted by two
    different instrumentations (an instrumentor plus the SDK's own tracing), overlap in time,
    name the same model and report the same usage within 2 % (libraries disagree by a token
    or two on streams). Siblings from one scope are parallel calls, never duplicates. The
    fuller span (more attributes) is kept; ties keep the outer span,
    then the lower span id, so the choice does not depend on arrival order.
    """
    dropped: set[str] = set()
    with_usage = [c for c in calls if c.has_usage]
    for i, a in enumerate(with_usage):
        for b in with_usage[i + 1 :]:
            if a.span_id in dropped or b.span_id in dropped or not _same_call(a, b):
                continue
            dropped.add(_weaker(a, b).span_id)
    return dropped


def _same_call(a: CallFacts, b: CallFacts) -> bool:
    related = (
        a.parent_span_id == b.span_id
        or b.parent_span_id == a.span_id
        or (
            a.parent_span_id == b.parent_span_id
            and a.scope != b.scope
            and abs(a.start - b.start) <= _SIBLING_START_SKEW
        )
    )
    if not related or a.start > b.end or b.start > a.end:
        return False
    if a.provider and b.provider and a.provider.split(".")[0] != b.provider.split(".")[0]:
        return False
    if a.model and b.model and not (a.model.startswith(b.model) or b.model.startswith(a.model)):
        return False
    return _close(a.input_tokens, b.input_tokens) and _close(a.output_tokens, b.output_tokens)


def _close(x: int, y: int) -> bool:
    return abs(x - y) <= max(2, _USAGE_TOLERANCE * max(x, y))


def _weaker(a: CallFacts, b: CallFacts) -> CallFacts:
    def strength(c: CallFacts, other: CallFacts) -> tuple[int, int, str]:
        outer = 1 if other.parent_span_id == c.span_id else 0
        return (c.richness, outer, _reverse(c.span_id))

    return a if strength(a, b) < strength(b, a) else b


def _reverse(span_id: str) -> str:
    # Lower span id wins ties: invert the characters so that "smaller" compares as stronger.
    return "".join(chr(0x7F - ord(ch)) for ch in span_id)


def _root(nodes: Mapping[str, SpanNode]) -> SpanNode | None:
    roots = [n for n in nodes.values() if not n.parent_span_id or n.parent_span_id not in nodes]
    if not roots:
        return None
    return min(roots, key=lambda n: (bool(n.parent_span_id), n.start or datetime.max, n.span_id))


def _summarise(
    nodes: Mapping[str, SpanNode], calls: list[CallFacts], verdicts: Mapping[str, CallVerdict]
) -> TraceSummary:
    root = _root(nodes)
    starts = [n.start for n in nodes.values() if n.start] + [c.start for c in calls]
    ends = [n.end for n in nodes.values() if n.end] + [c.end for c in calls]
    start = min(starts) if starts else None
    duration_ms = (max(ends) - start).total_seconds() * 1000 if start and ends else 0.0
    outcome_node = root if root is not None and root.outcome else None
    if outcome_node is None:
        outcome_node = next((n for n in nodes.values() if n.outcome), None)
    priced = [c.cost_usd for c in calls if c.cost_usd is not None]
    v = verdicts
    retry_cost = sum(
        (c.cost_usd for c in calls if c.cost_usd is not None and v[c.span_id].is_retry),
        Decimal(0),
    )
    qualities = [c.quality_score for c in calls if c.quality_score is not None]
    human_spans = {n.span_id for n in nodes.values() if n.escalation == "human"}
    human_calls = {c.span_id for c in calls if v[c.span_id].escalation == "human"}
    return TraceSummary(
        root_span_id=root.span_id if root else "",
        root_name=root.name if root else "",
        start=start,
        duration_ms=max(duration_ms, 0.0),
        attribution=resolve(nodes, root.span_id) if root else dict.fromkeys(DIMENSIONS, ""),
        cost_usd=sum(priced, Decimal(0)),
        unpriced_calls=len(calls) - len(priced),
        calls=len(calls),
        retries=sum(1 for c in calls if v[c.span_id].is_retry),
        fallbacks=sum(1 for c in calls if v[c.span_id].is_fallback),
        model_escalations=sum(1 for c in calls if v[c.span_id].escalation == "model"),
        human_escalations=len(human_spans | human_calls),
        errors=sum(1 for c in calls if c.error_type),
        cache_hits=sum(1 for c in calls if c.cache_hit),
        avoided_cost_usd=sum(
            (v[c.span_id].avoided_cost_usd or Decimal(0) for c in calls), Decimal(0)
        ),
        retry_cost_usd=retry_cost,
        outcome=outcome_node.outcome if outcome_node else "",
        outcome_name=outcome_node.outcome_name if outcome_node else "",
        outcome_value_usd=outcome_node.outcome_value_usd if outcome_node else None,
        quality_score=sum(qualities) / len(qualities) if qualities else None,
    )
