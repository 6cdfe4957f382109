"""A simulated LLM application, instrumented with the real OpenTelemetry SDK.

No model is called: each user action produces the spans a real app would export (a root span
for the action with our ``finops.*`` attribution, retrieval and tool spans, and LLM-call spans
with OTel GenAI attributes and realistic token counts), timestamped over the chosen days.
Spans leave through whatever span exporter the caller gives, normally the real
``OTLPSpanExporter`` over HTTP. Ids come from a seeded generator, so the same seed re-sends
the same spans, which the receiver de-duplicates.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from ingest import conventions as c

EXPORT_BATCH = 512
SEGMENTS = {"enterprise": 0.35, "smb": 0.40, "free": 0.25}
FEATURES = {"support-assistant": 0.55, "document-qa": 0.35, "nightly-report": 0.10}


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


@dataclass
class SimulationSummary:
    """What the simulation emitted, to compare with what the receiver stored."""

    traces: int = 0
    spans: int = 0
    llm_calls: int = 0
    spans_exported: int = 0
    spans_failed: int = 0
    by_feature: Counter = field(default_factory=Counter)


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
            }
        )
        self.provider = TracerProvider(
            resource=resource, id_generator=SeededIdGenerator(random.Random(seed * 7919 + 1))
        )
        self.processor = BufferedExportProcessor(exporter, self.summary)
        self.provider.add_span_processor(self.processor)
        self.tracer = self.provider.get_tracer("acme.support.app", "2.14.0")
        self.customers = self._customers(60)

    def run(self, traces: int, progress: Callable[[int], None] | None = None) -> SimulationSummary:
        flows = {
            "support-assistant": self._support_answer,
            "document-qa": self._document_qa,
            "nightly-report": self._nightly_report,
        }
        for i in range(traces):
            feature = self._pick(FEATURES)
            flows[feature](self._when(feature))
            self.summary.traces += 1
            self.summary.by_feature[feature] += 1
            if progress:
                progress(i + 1)
        self.provider.shutdown()
        return self.summary

    # --- time and people ---------------------------------------------------------------

    def _customers(self, count: int) -> list[Customer]:
        return [Customer(f"cust-{i:04d}", self._pick(SEGMENTS)) for i in range(1, count + 1)]

    def _pick(self, weights: dict[str, float]) -> str:
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
        if moment >= self.now:  # today, later than now: move it into the past hours
            moment = self.now - timedelta(minutes=self.rng.uniform(1, 600))
        return moment

    # --- spans -------------------------------------------------------------------------

    def _root(self, name: str, start: datetime, feature: str, customer: Customer):
        span = self.tracer.start_span(
            name,
            kind=SpanKind.SERVER,
            start_time=_ns(start),
            attributes={
                c.FINOPS_FEATURE: feature,
                c.FINOPS_SEGMENT: customer.segment,
                c.FINOPS_CUSTOMER: customer.id,
            },
        )
        return span, trace.set_span_in_context(span)

    def _step(self, ctx, name: str, start: datetime, duration_ms: float, **attrs) -> datetime:
        span = self.tracer.start_span(name, context=ctx, start_time=_ns(start), attributes=attrs)
        end = start + timedelta(milliseconds=duration_ms)
        span.end(end_time=_ns(end))
        self.summary.spans += 1
        return end

    def _llm(
        self,
        ctx,
        start: datetime,
        model: Model,
        template: tuple[str, str],
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read: int = 0,
        cache_write: int = 0,
        reasoning: int = 0,
        operation: str = "chat",
        error: str = "",
    ) -> datetime:
        attrs: dict[str, object] = {
            c.GEN_AI_OPERATION_NAME: operation,
            c.GEN_AI_PROVIDER_NAME: model.provider,
            c.GEN_AI_REQUEST_MODEL: model.request,
            c.FINOPS_TEMPLATE: template[0],
            c.FINOPS_TEMPLATE_VERSION: template[1],
        }
        if operation == "chat":
            attrs["gen_ai.request.max_tokens"] = 4096
        if error:
            latency = self.rng.uniform(80, 600)
            attrs[c.ERROR_TYPE] = error
        else:
            attrs[c.GEN_AI_RESPONSE_MODEL] = model.response
            attrs[c.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
            attrs[c.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
            if cache_read:
                attrs[c.GEN_AI_USAGE_CACHE_READ] = cache_read
            if cache_write:
                attrs[c.GEN_AI_USAGE_CACHE_WRITE] = cache_write
            if reasoning:
                attrs[c.GEN_AI_USAGE_REASONING] = reasoning
            if operation == "chat":
                attrs["gen_ai.response.finish_reasons"] = ["stop"]
            latency = 250 + input_tokens * 0.02 + output_tokens * self.rng.uniform(8, 16)
        span = self.tracer.start_span(
            f"{operation} {model.request}",
            context=ctx,
            kind=SpanKind.CLIENT,
            start_time=_ns(start),
            attributes=attrs,
        )
        if error:
            span.set_status(Status(StatusCode.ERROR, error))
        end = start + timedelta(milliseconds=latency)
        span.end(end_time=_ns(end))
        self.summary.spans += 1
        self.summary.llm_calls += 1
        return end

    def _finish(self, root, end: datetime, success: bool, outcome: str) -> None:
        root.set_attribute(c.FINOPS_OUTCOME, "success" if success else "failure")
        root.set_attribute("finops.outcome.name", outcome)
        root.end(end_time=_ns(end + timedelta(milliseconds=self.rng.uniform(5, 40))))
        self.summary.spans += 1

    # --- the three features ------------------------------------------------------------

    def _support_answer(self, start: datetime) -> None:
        rng = self.rng
        customer = rng.choice(self.customers)
        root, ctx = self._root("POST /support/answer", start, "support-assistant", customer)
        t = self._step(
            ctx,
            "retrieve knowledge-base",
            start,
            rng.uniform(30, 120),
            **{"finops.retrieval.chunks": rng.randint(4, 8)},
        )
        t = self._llm(
            ctx,
            t,
            MINI,
            ("support.triage", "3"),
            input_tokens=rng.randint(600, 900),
            output_tokens=rng.randint(15, 60),
        )
        flagship = customer.segment == "enterprise" and rng.random() < 0.6
        model = FLAGSHIP if flagship else MINI
        if rng.random() < 0.06:  # a rate-limited first attempt, retried by the app
            t = self._llm(
                ctx,
                t,
                model,
                ("support.answer", "7"),
                input_tokens=0,
                output_tokens=0,
                error="rate_limit_exceeded",
            )
        system_prompt = 1800
        history = rng.randint(600, 4200)
        t = self._llm(
            ctx,
            t,
            model,
            ("support.answer", "7"),
            input_tokens=system_prompt + history,
            output_tokens=rng.randint(180, 620),
            cache_read=system_prompt if rng.random() < 0.7 else 0,
        )
        success = rng.random() < (0.86 if customer.segment == "enterprise" else 0.76)
        self._finish(root, t, success, "ticket_resolved")

    def _document_qa(self, start: datetime) -> None:
        rng = self.rng
        customer = rng.choice(self.customers)
        root, ctx = self._root("POST /docs/ask", start, "document-qa", customer)
        t = self._llm(
            ctx,
            start,
            EMBEDDER,
            ("docqa.query-embedding", "1"),
            input_tokens=rng.randint(20, 90),
            output_tokens=0,
            operation="embeddings",
        )
        chunks = rng.randint(3, 12)
        t = self._step(
            ctx, "vector search", t, rng.uniform(15, 70), **{"finops.retrieval.chunks": chunks}
        )
        model = SELF_HOSTED if rng.random() < 0.02 else HAIKU
        context_tokens = 1200 + chunks * rng.randint(250, 450)
        warm = rng.random() < 0.55
        t = self._llm(
            ctx,
            t,
            model,
            ("docqa.answer", "2"),
            input_tokens=context_tokens,
            output_tokens=rng.randint(120, 520),
            cache_read=1200 if warm else 0,
            cache_write=0 if warm else 1200,
        )
        self._finish(root, t, rng.random() < 0.81, "question_answered")

    def _nightly_report(self, start: datetime) -> None:
        rng = self.rng
        paying = [cust for cust in self.customers if cust.segment != "free"]
        customer = rng.choice(paying)
        root, ctx = self._root("job reports.generate", start, "nightly-report", customer)
        t = start
        for _ in range(rng.randint(3, 5)):
            output = rng.randint(800, 2400)
            t = self._llm(
                ctx,
                t,
                REASONER,
                ("report.section", "4"),
                input_tokens=rng.randint(4000, 12000),
                output_tokens=output,
                reasoning=int(output * rng.uniform(0.3, 0.6)),
            )
        t = self._llm(
            ctx,
            t,
            REASONER_MINI,
            ("report.summary", "1"),
            input_tokens=rng.randint(3000, 6000),
            output_tokens=rng.randint(300, 700),
        )
        self._finish(root, t, rng.random() < 0.95, "report_delivered")


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1000


__all__: Sequence[str] = ["FEATURES", "SEGMENTS", "SimulatedApp", "SimulationSummary"]
