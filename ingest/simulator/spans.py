"""The spans every flow of the simulated app is built from: a root per user action, plain
steps, model calls (``_llm``) and the app's retry loop around an answer (``_answer``).

Pure (no Django). Times are timezone-aware datetimes, turned into Unix nanoseconds for the SDK;
durations and latencies are milliseconds. Every random draw comes from ``self.rng``, in a fixed
order, so a seed always yields the same spans.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from ingest import conventions as c
from ingest.simulator.catalog import (
    ERROR_RATE_LIMIT,
    ERROR_SERVER,
    ERROR_VALIDATION,
    FALLBACK_RATE,
    FINOPS_ATTEMPT,
    FINOPS_CUSTOMER,
    FINOPS_FALLBACK,
    FINOPS_FEATURE,
    FINOPS_OUTCOME,
    FINOPS_OUTCOME_NAME,
    FINOPS_QUALITY_SCORE,
    FINOPS_RETRIEVAL_CHUNKS,
    FINOPS_RETRIEVAL_CITATIONS,
    FINOPS_ROUTE,
    FINOPS_SEGMENT,
    FINOPS_SESSION_ID,
    FINOPS_TEMPLATE,
    FINOPS_TEMPLATE_VERSION,
    QUALITY,
    VALIDATION_FAILURE_RATE,
    Customer,
    Model,
)

if TYPE_CHECKING:  # app.py builds on this module; the import is for annotations only
    from ingest.simulator.app import SimulationSummary

_T = TypeVar("_T")


@dataclass(frozen=True)
class _Usage:
    """Token counts of one call; ``input`` is the whole prompt, cached tokens included."""

    input: int
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0


class SpanEmitter:
    """Span helpers of ``SimulatedApp``, which sets the attributes declared here."""

    rng: random.Random
    summary: SimulationSummary
    tracer: trace.Tracer
    _feature: str  # feature of the trace being generated, for calls_by_feature

    def _pick(self, weights: dict[_T, float]) -> _T:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

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


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1000
