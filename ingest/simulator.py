"""A simulated LLM application, instrumented with the real OpenTelemetry SDK.

No model is called: each user action produces the spans a real app would export (a root span
for the action with our ``finops.*`` attribution, retrieval, cache and hand-off spans, and
LLM-call spans with OTel GenAI attributes and realistic token counts), timestamped over the
chosen days. Spans leave through whatever span exporter the caller gives, normally the real
``OTLPSpanExporter`` over HTTP. Ids come from a seeded generator, so the same seed re-sends
the same spans, which the receiver de-duplicates.

The app shows every behaviour the product tracks: a mini-first support cascade that escalates
to the flagship model or to a human, validation and rate-limit retries, provider fallbacks,
semantic-cache hits, quality scores, retrieval citations, routes and multi-turn sessions.
``SimulationSummary`` counts what was emitted, the ground truth ingestion is compared with.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from ingest import conventions as c

# Our own attribute keys. They mirror the "Our own attributes" table of DESIGN.md (plus
# citations and session id, which the table does not list yet); they are spelled here rather
# than taken from ingest.conventions while that module is being rewritten.
FINOPS_FEATURE = "finops.feature"
FINOPS_TEMPLATE = "finops.template"
FINOPS_TEMPLATE_VERSION = "finops.template.version"
FINOPS_SEGMENT = "finops.customer.segment"
FINOPS_CUSTOMER = "finops.customer.id"
FINOPS_OUTCOME = "finops.outcome"
FINOPS_OUTCOME_NAME = "finops.outcome.name"
FINOPS_ATTEMPT = "finops.attempt"
FINOPS_FALLBACK = "finops.fallback"
FINOPS_ESCALATION = "finops.escalation"  # "model" or "human"
FINOPS_CACHE_HIT = "finops.cache.hit"
FINOPS_CACHE_KIND = "finops.cache.kind"  # "exact" or "semantic"
FINOPS_QUALITY_SCORE = "finops.quality.score"
FINOPS_ROUTE = "finops.route"
FINOPS_RETRIEVAL_CHUNKS = "finops.retrieval.chunks"
FINOPS_RETRIEVAL_CITATIONS = "finops.retrieval.citations"
FINOPS_SESSION_ID = "finops.session.id"

_T = TypeVar("_T")
EXPORT_BATCH = 512
SEGMENTS = {"enterprise": 0.35, "smb": 0.40, "free": 0.25}
FEATURES = {"support-assistant": 0.55, "document-qa": 0.35, "nightly-report": 0.10}
# Behaviour rates, tuned so 2,500 traces over 30 days show each one at least tens of times.
TURNS = {1: 0.45, 2: 0.30, 3: 0.15, 4: 0.10}  # turns per support conversation
FLAGSHIP_DIRECT_RATE = 0.6  # enterprise answers routed straight to the flagship model
ESCALATION_RATE = 0.15  # mini answers with low confidence, re-asked of the flagship
HANDOFF_RATE = 0.04  # support conversations handed to a human agent
RATE_LIMIT_RATE = 0.06  # support answers whose first attempt the provider rejects (429)
VALIDATION_FAILURE_RATE = 0.05  # answers whose output fails JSON/schema validation
FALLBACK_RATE = 0.035  # document answers whose primary provider fails (500)
CACHE_HIT_RATE = 0.12  # document questions answered from the semantic response cache
# Keeps every span of a trace, and the next turn of a conversation, before ``now``.
LATEST_START = timedelta(minutes=15)

ROUTE_MINI_FIRST = "mini-first"
ROUTE_FLAGSHIP_DIRECT = "flagship-direct"
ROUTE_SELF_HOSTED = "self-hosted"
ERROR_RATE_LIMIT = "rate_limit_exceeded"
ERROR_SERVER = "server_error"
ERROR_VALIDATION = "validation_failed"


@dataclass(frozen=True)
class Model:
    provider: str
    request: str
    response: str


MINI = Model("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18")
FLAGSHIP = Model("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929")
HAIKU = Model("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001")
REASONER = Model("openai", "gpt-5", "gpt-5-2025-08-07")
REASONER_MINI = Model("openai", "gpt-5-mini", "gpt-5-mini-2025-08-07")
EMBEDDER = Model("openai", "text-embedding-3-small", "text-embedding-3-small")
SELF_HOSTED = Model("vllm", "acme-llama-3-70b", "acme-llama-3-70b")  # no public price
QUALITY = {MINI: 0.74, FLAGSHIP: 0.88, HAIKU: 0.80, SELF_HOSTED: 0.70}  # mean answer score

TRIAGE = ("support.triage", "3")
SUPPORT_ANSWER = ("support.answer", "7")
DOCQA_EMBEDDING = ("docqa.query-embedding", "1")
DOCQA_ANSWER = ("docqa.answer", "2")


@dataclass
class SimulationSummary:
    """What the simulation emitted, to compare with what the receiver stored.

    ``llm_calls`` counts model calls (spans with GenAI usage, or failed provider calls);
    ``failed_calls`` those with status ERROR; ``rejected_outputs`` priced calls whose output
    failed validation (status OK); ``retries`` calls with ``finops.attempt`` ≥ 2. Cache hits
    and human hand-offs are spans, not model calls. ``outcomes`` counts roots that carry
    ``finops.outcome``: every trace except support turns, where only a conversation's last
    turn does (a conversation cut short by the end of the run or by ``now`` has none).
    ``sessions`` counts distinct ``finops.session.id`` values (support conversations and
    document questions). ``by_feature`` counts traces per feature, ``calls_by_feature``
    model calls.
    """

    traces: int = 0
    spans: int = 0
    llm_calls: int = 0
    spans_exported: int = 0
    spans_failed: int = 0
    by_feature: Counter = field(default_factory=Counter)
    calls_by_feature: Counter = field(default_factory=Counter)
    failed_calls: int = 0
    rejected_outputs: int = 0
    retries: int = 0
    fallbacks: int = 0
    model_escalations: int = 0
    human_escalations: int = 0
    cache_hits: int = 0
    sessions: int = 0
    outcomes: int = 0
    successes: int = 0


class SeededIdGenerator(IdGenerator):
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def generate_span_id(self) -> int:
        return self._rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._rng.getrandbits(128) or 1


class BufferedExportProcessor(SpanProcessor):
    """Exports ended spans in batches of ``EXPORT_BATCH``, synchronously and in order.

    The SDK's BatchSpanProcessor drops spans when its queue is full, which a simulation that
    produces a month of traffic in seconds would hit; this one never drops and counts results.
    """

    def __init__(self, exporter: SpanExporter, summary: SimulationSummary) -> None:
        self._exporter = exporter
        self._summary = summary
        self._buffer: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self._summary.spans += 1
        self._buffer.append(span)
        if len(self._buffer) >= EXPORT_BATCH:
            self.force_flush()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        batch, self._buffer = self._buffer, []
        if not batch:
            return True
        ok = self._exporter.export(batch) == SpanExportResult.SUCCESS
        if ok:
            self._summary.spans_exported += len(batch)
        else:
            self._summary.spans_failed += len(batch)
        return ok

    def shutdown(self) -> None:
        self.force_flush()
        self._exporter.shutdown()


@dataclass(frozen=True)
class Customer:
    id: str
    segment: str


@dataclass
class _Conversation:
    """A support conversation: ``turns`` traces sharing one session id."""

    session_id: str
    customer: Customer
    turns: int
    handoff: bool
    done: int = 0
    escalated: bool = False
    last_end: datetime | None = None


@dataclass(frozen=True)
class _Usage:
    """Token counts of one call; ``input`` is the whole prompt, cached tokens included."""

    input: int
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0


class SimulatedApp:
    """Generates ``traces`` user actions spread over the ``days`` days before ``now``."""

    def __init__(self, exporter: SpanExporter, *, now: datetime, days: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.days = days
        self.summary = SimulationSummary()
        resource = Resource.create(
            {
                c.SERVICE_NAME: "acme-support-app",
                "service.version": "2.14.0",
                "deployment.environment.name": "production",
                # the SDK would add a random id per process; a seeded one keeps re-runs identical
                "service.instance.id": str(
                    uuid.UUID(int=random.Random(seed).getrandbits(128), version=4)
                ),
            }
        )
        self.provider = TracerProvider(
            resource=resource, id_generator=SeededIdGenerator(random.Random(seed * 7919 + 1))
        )
        self.processor = BufferedExportProcessor(exporter, self.summary)
        self.provider.add_span_processor(self.processor)
        self.tracer = self.provider.get_tracer("acme.support.app", "2.14.0")
        self.customers = self._customers(60)
        self._conversation: _Conversation | None = None
        self._feature = ""  # feature of the trace being generated, for calls_by_feature

    def run(self, traces: int, progress: Callable[[int], None] | None = None) -> SimulationSummary:
        flows = {
            "support-assistant": self._support_answer,
            "document-qa": self._document_qa,
            "nightly-report": self._nightly_report,
        }
        for i in range(traces):
            feature = self._pick(FEATURES)
            self._feature = feature
            flows[feature]()
            self.summary.traces += 1
            self.summary.by_feature[feature] += 1
            if progress:
                progress(i + 1)
        self.provider.shutdown()
        return self.summary

    # --- time and people ---------------------------------------------------------------

    def _customers(self, count: int) -> list[Customer]:
        return [Customer(f"cust-{i:04d}", self._pick(SEGMENTS)) for i in range(1, count + 1)]

    def _pick(self, weights: dict[_T, float]) -> _T:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _when(self, feature: str) -> datetime:
        """A start time: more traffic on recent days (growth) and on weekdays, business hours;
        the nightly report runs between 01:00 and 04:00 UTC."""
        offsets = list(range(self.days))
        weights = [
            (1.0 + 0.6 * (self.days - d) / max(self.days, 1))
            * (0.45 if (self.now - timedelta(days=d)).weekday() >= 5 else 1.0)
            for d in offsets
        ]
        day = self.rng.choices(offsets, weights=weights)[0]
        base = (self.now - timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        hour = self.rng.uniform(1, 4) if feature == "nightly-report" else self.rng.gauss(14, 3.5)
        moment = base + timedelta(hours=min(max(hour, 0.0), 23.9))
        if moment > self.now - LATEST_START:  # today, too late: move it into the past hours
            moment = self.now - timedelta(minutes=self.rng.uniform(15, 600))
        return moment

    def _session_id(self) -> str:
        self.summary.sessions += 1
        return f"sess-{self.rng.getrandbits(64):016x}"

    def _next_turn(self) -> tuple[_Conversation, datetime]:
        """The conversation the next support trace belongs to, and when it starts: the open
        conversation's next turn a few minutes later, or the first turn of a new one."""
        conv = self._conversation
        if conv is not None and conv.last_end is not None and conv.done < conv.turns:
            start = conv.last_end + timedelta(minutes=self.rng.uniform(0.5, 6))
            if start <= self.now - LATEST_START:
                return conv, start
        conv = _Conversation(
            session_id=self._session_id(),
            customer=self.rng.choice(self.customers),
            turns=self._pick(TURNS),
            handoff=self.rng.random() < HANDOFF_RATE,
        )
        self._conversation = conv
        return conv, self._when("support-assistant")

    # --- spans -------------------------------------------------------------------------

    def _root(self, name: str, start: datetime, customer: Customer, session: str = ""):
        attrs = {
            FINOPS_FEATURE: self._feature,
            FINOPS_SEGMENT: customer.segment,
            FINOPS_CUSTOMER: customer.id,
        }
        if session:
            attrs[FINOPS_SESSION_ID] = session
        span = self.tracer.start_span(
            name, kind=SpanKind.SERVER, start_time=_ns(start), attributes=attrs
        )
        return span, trace.set_span_in_context(span)

    def _step(self, ctx, name: str, start: datetime, duration_ms: float, attrs: dict) -> datetime:
        span = self.tracer.start_span(name, context=ctx, start_time=_ns(start), attributes=attrs)
        end = start + timedelta(milliseconds=duration_ms)
        span.end(end_time=_ns(end))
        return end

    def _llm(
        self,
        ctx,
        start: datetime,
        model: Model,
        template: tuple[str, str],
        usage: _Usage | None,
        *,
        operation: str = "chat",
        error: str = "",
        marks: dict | None = None,
    ) -> datetime:
        """One model call. With ``error`` it is a failed provider call (status ERROR, no usage);
        ``marks`` are further attributes (attempt, route, quality…)."""
        attrs: dict[str, object] = {
            c.GEN_AI_OPERATION_NAME: operation,
            c.GEN_AI_PROVIDER_NAME: model.provider,
            c.GEN_AI_REQUEST_MODEL: model.request,
            FINOPS_TEMPLATE: template[0],
            FINOPS_TEMPLATE_VERSION: template[1],
        }
        if operation == "chat":
            attrs["gen_ai.request.max_tokens"] = 4096
        if error or usage is None:
            latency = self.rng.uniform(80, 600)
            attrs[c.ERROR_TYPE] = error
        else:
            attrs[c.GEN_AI_RESPONSE_MODEL] = model.response
            attrs[c.GEN_AI_USAGE_INPUT_TOKENS] = usage.input
            attrs[c.GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output
            optional = {
                c.GEN_AI_USAGE_CACHE_READ: usage.cache_read,
                c.GEN_AI_USAGE_CACHE_WRITE: usage.cache_write,
                c.GEN_AI_USAGE_REASONING: usage.reasoning,
            }
            attrs.update({key: value for key, value in optional.items() if value})
            if operation == "chat":
                attrs["gen_ai.response.finish_reasons"] = ["stop"]
            latency = 250 + usage.input * 0.02 + usage.output * self.rng.uniform(8, 16)
        attrs.update(marks or {})
        span = self.tracer.start_span(
            f"{operation} {model.request}",
            context=ctx,
            kind=SpanKind.CLIENT,
            start_time=_ns(start),
            attributes=attrs,
        )
        if error:
            span.set_status(Status(StatusCode.ERROR, error))
            self.summary.failed_calls += 1
        end = start + timedelta(milliseconds=latency)
        span.end(end_time=_ns(end))
        self.summary.llm_calls += 1
        self.summary.calls_by_feature[self._feature] += 1
        return end

    def _quality(self, mean: float) -> float:
        return round(min(max(self.rng.gauss(mean, 0.07), 0.0), 1.0), 3)

    def _answer(
        self,
        ctx,
        t: datetime,
        model: Model,
        template: tuple[str, str],
        prompt: _Usage,
        *,
        chunks: int,
        route: str,
        output: tuple[int, int],
        rate_limit_rate: float = 0.0,
        fallback_to: Model | None = None,
        low_confidence: bool = False,
    ) -> datetime:
        """An answer call inside the app's retry loop: a rate-limited (429) first attempt is
        retried, a 500 falls back to ``fallback_to`` (another provider), an output that fails
        validation is priced, rejected and asked again. ``finops.attempt`` counts per model."""
        rng, marks = self.rng, {FINOPS_ROUTE: route, FINOPS_RETRIEVAL_CHUNKS: chunks}
        attempt = 1
        if rng.random() < rate_limit_rate:
            first = marks | {FINOPS_ATTEMPT: 1}
            t = self._llm(ctx, t, model, template, None, error=ERROR_RATE_LIMIT, marks=first)
            attempt = 2
        if fallback_to is not None and attempt == 1 and rng.random() < FALLBACK_RATE:
            first = marks | {FINOPS_ATTEMPT: 1}
            t = self._llm(ctx, t, model, template, None, error=ERROR_SERVER, marks=first)
            model, marks = fallback_to, marks | {FINOPS_FALLBACK: True}
            prompt = _Usage(prompt.input)  # the other provider has nothing of it cached
            self.summary.fallbacks += 1
        if rng.random() < VALIDATION_FAILURE_RATE:
            rejected = {
                FINOPS_ATTEMPT: attempt,
                c.ERROR_TYPE: ERROR_VALIDATION,
                FINOPS_QUALITY_SCORE: round(rng.uniform(0.05, 0.35), 3),
            }
            usage = replace(prompt, output=rng.randint(*output))
            t = self._llm(ctx, t, model, template, usage, marks=marks | rejected)
            self.summary.rejected_outputs += 1
            self.summary.retries += attempt >= 2
            attempt += 1
            # the retry reads from the provider's cache what the rejected attempt wrote
            prompt = replace(
                prompt, cache_read=prompt.cache_read + prompt.cache_write, cache_write=0
            )
        final = {
            FINOPS_ATTEMPT: attempt,
            FINOPS_QUALITY_SCORE: self._quality(0.52 if low_confidence else QUALITY[model]),
            FINOPS_RETRIEVAL_CITATIONS: rng.randint(0, min(chunks, 4)),
        }
        usage = replace(prompt, output=rng.randint(*output))
        t = self._llm(ctx, t, model, template, usage, marks=marks | final)
        self.summary.retries += attempt >= 2
        return t

    def _finish(self, root, end: datetime, outcome: tuple[bool, str] | None) -> None:
        if outcome is not None:
            success, name = outcome
            root.set_attribute(FINOPS_OUTCOME, "success" if success else "failure")
            root.set_attribute(FINOPS_OUTCOME_NAME, name)
            self.summary.outcomes += 1
            self.summary.successes += success
        root.end(end_time=_ns(end + timedelta(milliseconds=self.rng.uniform(5, 40))))

    # --- the three features ------------------------------------------------------------

    def _support_answer(self) -> None:
        """One turn of a support conversation: triage with the mini model, answer with the
        mini model (or the flagship for some enterprise customers), escalate low-confidence
        answers to the flagship, and on the last turn of some conversations hand off to a
        human. The outcome is recorded on the conversation's last turn."""
        rng = self.rng
        conv, start = self._next_turn()
        conv.done += 1
        root, ctx = self._root("POST /support/answer", start, conv.customer, conv.session_id)
        chunks = rng.randint(4, 8)
        retrieval = {FINOPS_RETRIEVAL_CHUNKS: chunks}
        t = self._step(ctx, "retrieve knowledge-base", start, rng.uniform(30, 120), retrieval)
        triage = _Usage(rng.randint(600, 900), rng.randint(15, 60))
        t = self._llm(ctx, t, MINI, TRIAGE, triage)
        direct = conv.customer.segment == "enterprise" and rng.random() < FLAGSHIP_DIRECT_RATE
        system_prompt = 1800
        history = rng.randint(600, 1800) + 900 * (conv.done - 1)  # grows with each turn
        prompt = _Usage(
            system_prompt + history + chunks * 180,
            cache_read=system_prompt if rng.random() < 0.7 else 0,
        )
        low_confidence = not direct and rng.random() < ESCALATION_RATE
        t = self._answer(
            ctx,
            t,
            FLAGSHIP if direct else MINI,
            SUPPORT_ANSWER,
            prompt,
            chunks=chunks,
            route=ROUTE_FLAGSHIP_DIRECT if direct else ROUTE_MINI_FIRST,
            output=(180, 620),
            rate_limit_rate=RATE_LIMIT_RATE,
            low_confidence=low_confidence,
        )
        if low_confidence:
            t = self._escalate(ctx, t, _Usage(prompt.input, cache_write=system_prompt), chunks)
            conv.escalated = True
        last = conv.done == conv.turns
        if last and conv.handoff:  # a human agent takes over: a ticket, no model call
            handoff = {FINOPS_ESCALATION: "human"}
            t = self._step(ctx, "handoff human-agent", t, rng.uniform(40, 200), handoff)
            self.summary.human_escalations += 1
        conv.last_end = t
        self._finish(root, t, self._support_outcome(conv) if last else None)

    def _escalate(self, ctx, t: datetime, prompt: _Usage, chunks: int) -> datetime:
        """The cascade's second step: the same template asked of the flagship model."""
        rng = self.rng
        marks = {
            FINOPS_ESCALATION: "model",
            FINOPS_ATTEMPT: 1,
            FINOPS_ROUTE: ROUTE_MINI_FIRST,
            FINOPS_RETRIEVAL_CHUNKS: chunks,
            FINOPS_RETRIEVAL_CITATIONS: rng.randint(1, min(chunks, 4)),
            FINOPS_QUALITY_SCORE: self._quality(QUALITY[FLAGSHIP]),
        }
        usage = replace(prompt, output=rng.randint(250, 700))
        self.summary.model_escalations += 1
        return self._llm(ctx, t, FLAGSHIP, SUPPORT_ANSWER, usage, marks=marks)

    def _support_outcome(self, conv: _Conversation) -> tuple[bool, str]:
        """Escalated and handed-off conversations are resolved more often."""
        rate = 0.86 if conv.customer.segment == "enterprise" else 0.76
        if conv.handoff:
            rate = 0.95
        elif conv.escalated:
            rate = min(rate + 0.08, 0.95)
        return self.rng.random() < rate, "ticket_resolved"

    def _document_qa(self) -> None:
        """Embed the question; answer from the semantic cache when a close question was
        answered before, else retrieve chunks and answer with Haiku (or the self-hosted
        model), falling back to another provider when the primary one fails."""
        rng = self.rng
        start = self._when("document-qa")
        customer = rng.choice(self.customers)
        root, ctx = self._root("POST /docs/ask", start, customer, self._session_id())
        query = _Usage(rng.randint(20, 90))
        t = self._llm(ctx, start, EMBEDDER, DOCQA_EMBEDDING, query, operation="embeddings")
        if rng.random() < CACHE_HIT_RATE:  # the cached answer is served: no model call
            hit = {
                FINOPS_CACHE_HIT: True,
                FINOPS_CACHE_KIND: "semantic",
                FINOPS_TEMPLATE: DOCQA_ANSWER[0],
                FINOPS_TEMPLATE_VERSION: DOCQA_ANSWER[1],
            }
            t = self._step(ctx, "semantic-cache lookup", t, rng.uniform(4, 15), hit)
            self.summary.cache_hits += 1
            self._finish(root, t, (rng.random() < 0.88, "question_answered"))
            return
        miss = {FINOPS_CACHE_HIT: False}
        t = self._step(ctx, "semantic-cache lookup", t, rng.uniform(4, 15), miss)
        chunks = rng.randint(3, 12)
        retrieval = {FINOPS_RETRIEVAL_CHUNKS: chunks}
        t = self._step(ctx, "vector search", t, rng.uniform(15, 70), retrieval)
        self_hosted = rng.random() < 0.02
        warm = rng.random() < 0.55
        prompt = _Usage(
            1200 + chunks * rng.randint(250, 450),
            cache_read=1200 if warm else 0,
            cache_write=0 if warm else 1200,
        )
        t = self._answer(
            ctx,
            t,
            SELF_HOSTED if self_hosted else HAIKU,
            DOCQA_ANSWER,
            prompt,
            chunks=chunks,
            route=ROUTE_SELF_HOSTED if self_hosted else ROUTE_MINI_FIRST,
            output=(120, 520),
            fallback_to=HAIKU if self_hosted else MINI,
        )
        self._finish(root, t, (rng.random() < 0.81, "question_answered"))

    def _nightly_report(self) -> None:
        rng = self.rng
        start = self._when("nightly-report")
        paying = [cust for cust in self.customers if cust.segment != "free"]
        root, ctx = self._root("job reports.generate", start, rng.choice(paying))
        t = start
        for _ in range(rng.randint(3, 5)):
            output = rng.randint(800, 2400)
            reasoning = int(output * rng.uniform(0.3, 0.6))
            section = _Usage(rng.randint(4000, 12000), output, reasoning=reasoning)
            t = self._llm(ctx, t, REASONER, ("report.section", "4"), section)
        summary = _Usage(rng.randint(3000, 6000), rng.randint(300, 700))
        t = self._llm(ctx, t, REASONER_MINI, ("report.summary", "1"), summary)
        self._finish(root, t, (rng.random() < 0.95, "report_delivered"))


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1000


__all__: Sequence[str] = ["FEATURES", "SEGMENTS", "SimulatedApp", "SimulationSummary"]
