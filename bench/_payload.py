"""Realistic OTLP trace exports for the ingest benchmark, encoded before any timing starts.

Each trace is a root server span carrying the ``finops.*`` attribution and 3 to 6 LLM calls with
OTel GenAI usage, exported children first (as a BatchSpanProcessor does: children end before
their parent). Spans are cut into requests of ``spans_per_request`` regardless of trace
boundaries, so a trace may straddle two requests, as it does with a real exporter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

# (provider, requested model, response model, cache style): what real apps call today.
MODELS = [
    ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai"),
    ("openai", "gpt-4o", "gpt-4o-2024-08-06", "openai"),
    ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", "anthropic"),
    ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic"),
    ("gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash", ""),
]
FEATURES = ["support-assistant", "report-writer", "search-answers", "email-triage"]
SEGMENTS = ["enterprise", "pro", "free"]
TEMPLATES = ["classify-intent", "retrieve-rewrite", "answer-draft", "answer-check", "summarise"]
RESOURCE = {
    "service.name": "support-api",
    "service.version": "2026.11.3",
    "deployment.environment.name": "production",
    "telemetry.sdk.name": "opentelemetry",
    "telemetry.sdk.language": "python",
    "telemetry.sdk.version": "1.45.2",
    "host.name": "api-7f9c6d-2xk4p",
    "process.pid": 4242,
}


@dataclass(frozen=True)
class Load:
    """Pre-encoded request bodies and what they hold.

    Every trace id starts with ``prefix`` (8 random bytes), so ``renumbered`` makes a fresh
    copy of the load (new trace ids, hence new rows) by byte replacement instead of encoding
    200,000 spans again.
    """

    bodies: list[bytes]
    spans: int
    calls: int
    traces: int
    prefix: bytes

    def renumbered(self, seed: int) -> Load:
        prefix = random.Random(seed).getrandbits(64).to_bytes(8, "big")
        bodies = [body.replace(self.prefix, prefix) for body in self.bodies]
        return Load(bodies, self.spans, self.calls, self.traces, prefix)


def _value(value) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        out = AnyValue()
        out.array_value.values.extend(_value(v) for v in value)
        return out
    return AnyValue(string_value=str(value))


def _attributes(attrs: dict) -> list[KeyValue]:
    return [KeyValue(key=k, value=_value(v)) for k, v in attrs.items()]


def _llm_span(rng: random.Random, trace_id: bytes, parent: bytes, start_ns: int) -> Span:
    provider, requested, responded, cache = rng.choice(MODELS)
    uncached = rng.randint(200, 6000)
    output = rng.randint(20, 900)
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": requested,
        "gen_ai.request.max_tokens": 1024,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.response.model": responded,
        "gen_ai.response.id": f"resp_{rng.getrandbits(64):016x}",
        "gen_ai.response.finish_reasons": ["stop"],
        "server.address": f"api.{provider.split('.')[-1]}.com",
        "server.port": 443,
        "finops.template": rng.choice(TEMPLATES),
        "finops.template.version": str(rng.randint(1, 4)),
    }
    cache_read = rng.choice([0, 0, 1024, 2048]) if cache else 0
    cache_write = rng.choice([0, 0, 0, 512]) if cache == "anthropic" else 0
    # OTel GenAI input is the whole prompt, cached tokens included.
    attrs["gen_ai.usage.input_tokens"] = uncached + cache_read + cache_write
    attrs["gen_ai.usage.output_tokens"] = output
    if cache_read:
        attrs["gen_ai.usage.cache_read.input_tokens"] = cache_read
    if cache_write:
        attrs["gen_ai.usage.cache_creation.input_tokens"] = cache_write
    duration_ns = rng.randint(300, 4000) * 1_000_000
    return Span(
        trace_id=trace_id,
        span_id=rng.getrandbits(64).to_bytes(8, "big"),
        parent_span_id=parent,
        name=f"chat {requested}",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + duration_ns,
        attributes=_attributes(attrs),
        status=Status(code=Status.STATUS_CODE_UNSET),
    )


def _trace(rng: random.Random, now_ns: int, prefix: bytes) -> list[tuple[str, Span]]:
    """One trace, children first: (scope, span) pairs."""
    trace_id = prefix + rng.getrandbits(64).to_bytes(8, "big")
    root_id = rng.getrandbits(64).to_bytes(8, "big")
    start = now_ns - rng.randint(5, 60) * 1_000_000_000
    out, cursor = [], start + 2_000_000
    for _ in range(rng.randint(3, 6)):
        span = _llm_span(rng, trace_id, root_id, cursor)
        cursor = span.end_time_unix_nano + 1_000_000
        out.append(("opentelemetry.instrumentation.openai_v2", span))
    root_attrs = {
        "http.request.method": "POST",
        "http.route": "/v1/answer",
        "url.path": "/v1/answer",
        "http.response.status_code": 200,
        "finops.feature": rng.choice(FEATURES),
        "finops.customer.segment": rng.choice(SEGMENTS),
        "finops.customer.id": f"cust-{rng.randint(1, 5000):05d}",
        "finops.route": rng.choice(["default", "cheap-first"]),
        "finops.outcome": rng.choice(["success", "success", "success", "failure"]),
    }
    root = Span(
        trace_id=trace_id,
        span_id=root_id,
        name="POST /v1/answer",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=start,
        end_time_unix_nano=cursor + 1_000_000,
        attributes=_attributes(root_attrs),
        status=Status(code=Status.STATUS_CODE_OK),
    )
    out.append(("opentelemetry.instrumentation.django", root))
    return out


def _spans(rng: random.Random, count: int, prefix: bytes) -> Iterator[tuple[str, Span]]:
    now_ns = time.time_ns()
    made = 0
    while made < count:
        for item in _trace(rng, now_ns, prefix):
            if made == count:
                return
            made += 1
            yield item


def build_load(
    span_count: int,
    spans_per_request: int = 500,
    seed: int = 0,
    resource_extra: dict | None = None,
) -> Load:
    """Encode ``span_count`` spans as protobuf ``ExportTraceServiceRequest`` bodies."""
    rng = random.Random(seed)
    prefix = rng.getrandbits(64).to_bytes(8, "big")
    resource = {**RESOURCE, **(resource_extra or {})}
    bodies, calls, traces = [], 0, set()
    batch: list[tuple[str, Span]] = []

    def flush() -> None:
        request = ExportTraceServiceRequest()
        rs: ResourceSpans = request.resource_spans.add()
        rs.resource.attributes.extend(_attributes(resource))
        by_scope: dict[str, ScopeSpans] = {}
        for scope, span in batch:
            if scope not in by_scope:
                by_scope[scope] = rs.scope_spans.add()
                by_scope[scope].scope.name = scope
            by_scope[scope].spans.append(span)
        bodies.append(request.SerializeToString())
        batch.clear()

    for scope, span in _spans(rng, span_count, prefix):
        batch.append((scope, span))
        traces.add(span.trace_id)
        calls += span.kind == Span.SPAN_KIND_CLIENT
        if len(batch) == spans_per_request:
            flush()
    if batch:
        flush()
    return Load(bodies, span_count, calls, len(traces), prefix)
