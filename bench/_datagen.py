"""Rows of the 10-million-call benchmark data set, one UTC day at a time (pure, seeded).

``Day(spec, prices, first_day, day_index, project_id).rows()`` returns the ``LLMCall``,
``Trace`` and ``Span`` rows of one day as lines of PostgreSQL text ``COPY`` in the column
orders of ``bench/_datalines.py``. The same spec, seed and day always
give the same lines, so days can be generated in any order and in parallel.

The traffic: 50 features (Zipf-weighted), each with two of 20 prompt templates (a new template
version every 30 days or so), 5 segments, 1,000 customers (Zipf), 10 real models on five
routes (``ROUTES``: primary, escalation and fallback model), retries after rate limits,
provider fallbacks, escalations to a bigger model and to a human, semantic app-cache hits,
errors, prompt-cache reads, retrieval, quality scores and trace outcomes. Enterprise
conversations get longer and escalations more frequent over the 90 days, so "why it moved"
has drivers to find. Spans (a root per trace and a span per call carrying the OTel GenAI
``gen_ai.input.messages`` / ``gen_ai.output.messages`` text) are written for the last
``span_days`` days only; one trace in ``agent_every`` of those is an agent trace of 50 spans.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

import _datalines as lines
from _datalines import hash_str


@dataclass(frozen=True)
class Spec:
    calls: int = 10_000_000
    days: int = 90
    features: int = 50
    templates: int = 20
    segments: int = 5
    customers: int = 1_000
    span_days: int = 7
    agent_every: int = 500
    seed: int = 1

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Model:
    provider: str
    request: str
    response: str
    base_ms: float  # typical latency before output tokens
    ms_per_output: float
    reasoning: bool = False


MODELS = {
    m.request: m
    for m in (
        Model("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 450, 9),
        Model("openai", "gpt-4o", "gpt-4o-2024-08-06", 700, 14),
        Model("openai", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", 500, 9),
        Model("openai", "gpt-5", "gpt-5-2025-08-07", 2500, 18, True),
        Model("openai", "gpt-5-mini", "gpt-5-mini-2025-08-07", 1200, 10, True),
        Model("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 1100, 16),
        Model("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", 500, 8),
        Model("gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash", 450, 5),
        Model("gcp.gemini", "gemini-2.5-pro", "gemini-2.5-pro", 1500, 12),
        Model("openai", "text-embedding-3-small", "text-embedding-3-small", 60, 0),
    )
}
EMBEDDER = "text-embedding-3-small"
# route: (primary, escalation, fallback)
ROUTES = {
    "mini-first": ("gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5"),
    "flagship-direct": ("claude-sonnet-4-5", "", "gpt-4o"),
    "balanced": ("gpt-4.1-mini", "gpt-4o", "gemini-2.5-flash"),
    "gemini-first": ("gemini-2.5-flash", "gemini-2.5-pro", "gpt-4o-mini"),
    "reasoning": ("gpt-5-mini", "gpt-5", "claude-sonnet-4-5"),
}
DOMAINS = (  # noqa: SIM905
    "support billing docs sales legal hr search code data email"
).split()
TASKS = (  # noqa: SIM905
    "assistant summarize extract classify draft"
).split()
SEGMENTS = ("enterprise", "mid-market", "smb", "free", "internal")
SEGMENT_WEIGHTS = (0.25, 0.25, 0.25, 0.2, 0.05)


def features(spec: Spec) -> list[str]:
    return [f"{d}-{t}" for t in TASKS for d in DOMAINS][: spec.features]


def templates(spec: Spec) -> list[str]:
    kinds = ("answer", "extract")
    return [f"{d}.{k}" for k in kinds for d in DOMAINS][: spec.templates]


def customers(spec: Spec) -> list[tuple[str, str]]:
    rng = random.Random(spec.seed)
    segs = SEGMENTS[: spec.segments]
    weights = SEGMENT_WEIGHTS[: spec.segments]
    return [(f"cust-{i:04d}", rng.choices(segs, weights)[0]) for i in range(spec.customers)]


def _zipf(n: int, s: float) -> list[float]:
    cum, total = [], 0.0
    for i in range(n):
        total += 1 / (i + 1) ** s
        cum.append(total)
    return cum


@dataclass
class _Call:
    model: Model
    start: datetime
    duration_ms: float
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    cost: int | None = 0  # 1e-10 USD, None = unpriced
    error: str = ""
    template: str = ""
    attempt: int = 1
    is_retry: bool = False
    is_fallback: bool = False
    escalation: str = ""
    cache_hit: bool = False
    avoided: int | None = None
    quality: float | None = None
    chunks: int | None = None
    citations: int | None = None
    operation: str = "chat"
    prompt: str = ""


class Day:
    """The generator of one UTC day (``day_index`` 0 … days-1 from ``first_day``)."""

    def __init__(
        self,
        spec: Spec,
        prices: dict[str, tuple[int, int, int, int]],
        first_day: date,
        day_index: int,
        project_id: int,
    ) -> None:
        self.spec, self.prices, self.index = spec, prices, day_index
        self.project = str(project_id)
        self.day = first_day + timedelta(days=day_index)
        self.midnight = datetime.combine(self.day, datetime.min.time(), tzinfo=UTC)
        self.rng = random.Random(spec.seed * 1_000_003 + day_index)
        self.features = features(spec)
        self.templates = templates(spec)
        self.customers = customers(spec)
        self.feature_cum = _zipf(len(self.features), 0.9)
        self.customer_cum = _zipf(len(self.customers), 1.0)
        self.progress = day_index / max(spec.days - 1, 1)  # 0 … 1: drifts over the period
        self.with_spans = day_index >= spec.days - spec.span_days
        base, extra = divmod(spec.calls, spec.days)
        self.quota = base + (1 if day_index < extra else 0)

    def rows(self) -> tuple[list[str], list[str], list[str]]:
        calls, traces, spans = [], [], []
        n = made = 0
        while made < self.quota:
            trace_calls, trace = self._trace(n)
            trace_calls = trace_calls[: self.quota - made]
            made += len(trace_calls)
            trace_id = f"{self.spec.seed:04x}{self.index:04x}{n:024x}"
            calls += [
                lines.call_line(self, trace_id, trace, i, c) for i, c in enumerate(trace_calls)
            ]
            traces.append(lines.trace_line(self, trace_id, trace, trace_calls))
            if self.with_spans:
                spans += lines.span_lines(self, trace_id, trace, trace_calls, n)
            n += 1
        return calls, traces, spans

    # --- one trace ---------------------------------------------------------------------------

    def _trace(self, n: int) -> tuple[list[_Call], dict]:
        rng = self.rng
        fi = rng.choices(range(len(self.features)), cum_weights=self.feature_cum)[0]
        customer, segment = self.customers[
            rng.choices(range(len(self.customers)), cum_weights=self.customer_cum)[0]
        ]
        route = list(ROUTES)[fi % len(ROUTES)]
        if segment == "enterprise" and rng.random() < 0.3:
            route = "flagship-direct"
        start = self.midnight + timedelta(seconds=rng.random() * 86_300)
        turns = rng.choices((1, 2, 3, 4, 6), (0.4, 0.25, 0.15, 0.12, 0.08))[0]
        if segment == "enterprise" and rng.random() < 0.3 * self.progress:
            turns += 2  # enterprise conversations grow longer over the period
        t = start + timedelta(milliseconds=rng.uniform(2, 30))
        calls: list[_Call] = []
        if fi % 4 == 0:  # retrieval features embed the question first
            calls.append(self._embed(t))
            t = calls[-1].start + timedelta(milliseconds=calls[-1].duration_ms + 5)
        primary_t = self.templates[fi % len(self.templates)]
        second_t = self.templates[(fi * 3 + 7) % len(self.templates)]
        for turn in range(turns):
            template = primary_t if turn % 3 != 2 else second_t
            for call in self._answer(route, template, turn, fi, segment, t):
                calls.append(call)
                t = call.start + timedelta(milliseconds=call.duration_ms + rng.uniform(1, 40))
        human = rng.random() < 0.01 + 0.01 * self.progress * (segment == "enterprise")
        if human:
            calls[-1].escalation = "human"
        r = rng.random()
        rate = 0.55 + 0.4 * ((fi * 37) % 10) / 10
        outcome = "" if r < 0.25 else ("success" if rng.random() < rate else "failure")
        trace = {
            "feature": self.features[fi],
            "segment": segment,
            "customer": customer,
            "route": route,
            "session": f"sess-{customer}-{self.index}-{n % 7}" if turns > 1 else "",
            "action": f"POST /api/{self.features[fi].replace('-', '/')}/{_verb(turns)}",
            "start": start,
            "end": t + timedelta(milliseconds=rng.uniform(2, 40)),
            "outcome": outcome,
            "value": 5000000000 if outcome == "success" and fi % 5 == 0 else None,
            "human": int(human),
            "agent": self.with_spans and n % self.spec.agent_every == 0,
        }
        return calls, trace

    def _embed(self, t: datetime) -> _Call:
        tokens = int(self.rng.uniform(8, 120))
        model = MODELS[EMBEDDER]
        call = _Call(model, t, self.rng.uniform(30, 120), input=tokens, operation="embeddings")
        call.cost = self._cost(call)
        return call

    def _answer(self, route, template, turn, fi, segment, t) -> list[_Call]:
        rng = self.rng
        primary, bigger, fallback = ROUTES[route]
        model = MODELS[primary]
        if rng.random() < 0.06:  # answered from the semantic app cache
            call = self._usage(
                _Call(model, t, rng.uniform(3, 25), template=template), turn, segment
            )
            avoided = self._cost(call)
            call.input = call.output = call.cache_read = call.cache_write = call.reasoning = 0
            call.cost, call.avoided, call.cache_hit = 0, avoided, True
            return [call]
        out: list[_Call] = []
        r = rng.random()
        if r < 0.05:  # rate limited, retried
            out.append(self._failed(model, t, "rate_limit_exceeded", template))
        elif r < 0.08:  # provider error, fallback to another provider
            out.append(self._failed(model, t, "server_error", template))
            model = MODELS[fallback]
        elif r < 0.095:
            out.append(self._failed(model, t, rng.choice(("timeout", "content_filter")), template))
            return out
        if out:
            t = out[-1].start + timedelta(milliseconds=out[-1].duration_ms + rng.uniform(50, 400))
        call = self._usage(
            _Call(model, t, 0, template=template, attempt=len(out) + 1), turn, segment
        )
        call.is_retry = bool(out) and model.request == primary
        call.is_fallback = bool(out) and model.request != primary
        self._finish(call, fi)
        out.append(call)
        escalate = 0.06 + 0.08 * self.progress * (segment == "enterprise")
        if bigger and rng.random() < escalate:
            t = call.start + timedelta(milliseconds=call.duration_ms + rng.uniform(5, 50))
            big = self._usage(_Call(MODELS[bigger], t, 0, template=template), turn, segment)
            big.escalation = "model"
            self._finish(big, fi)
            out.append(big)
        return out

    def _failed(self, model: Model, t: datetime, error: str, template: str) -> _Call:
        ms = self.rng.uniform(80, 900) if error != "timeout" else 30_000.0
        return _Call(model, t, ms, cost=None, error=error, template=template)

    def _usage(self, call: _Call, turn: int, segment: str) -> _Call:
        rng = self.rng
        size = 400 + 350 * (hash_str(call.template) % 10)
        call.input = int(size * math.exp(rng.gauss(0, 0.6))) + 450 * turn
        if rng.random() < 0.002:
            call.input += rng.randint(20_000, 60_000)  # a pasted document: the > $0.10 calls
        if rng.random() < 0.45:
            call.cache_read = int(call.input * rng.uniform(0.3, 0.9))
        elif call.model.provider == "anthropic" and rng.random() < 0.2:
            call.cache_write = min(1024, call.input)
        call.output = int(180 * math.exp(rng.gauss(0, 0.7))) + 1
        if call.model.reasoning:
            call.reasoning = int(call.output * rng.uniform(0.5, 3))
            call.output += call.reasoning
        return call

    def _finish(self, call: _Call, fi: int) -> None:
        rng, m = self.rng, call.model
        call.cost = self._cost(call)
        call.duration_ms = (m.base_ms + m.ms_per_output * call.output) * math.exp(
            rng.gauss(0, 0.35)
        )
        if rng.random() < 0.25:
            call.quality = round(min(1.0, max(0.0, rng.gauss(0.8, 0.12))), 3)
        if fi % 4 == 0:
            call.chunks = rng.randint(3, 12)
            call.citations = rng.randint(0, call.chunks)

    def _cost(self, call: _Call) -> int:
        p_in, p_out, p_read, p_write = self.prices[call.model.request]
        fresh = call.input - call.cache_read - call.cache_write
        return (
            fresh * p_in
            + call.output * p_out
            + call.cache_read * p_read
            + (call.cache_write * p_write)
        )


def _verb(turns: int) -> str:
    return "chat" if turns > 1 else "run"
