"""PostgreSQL text ``COPY`` lines of the benchmark data set's rows (``bench/_datagen.py``):
``LLMCall``, ``Trace`` and ``Span`` rows in the column orders below; span attributes as the
OTel GenAI conventions put prompts and completions (``gen_ai.input.messages``,
``gen_ai.output.messages``, JSON strings)."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache

CALL_COLUMNS = (  # noqa: SIM905
    "project_id trace_id span_id parent_span_id start_time duration_ms provider operation "
    "request_model response_model input_tokens output_tokens cache_read_tokens "
    "cache_write_tokens reasoning_tokens has_usage cost_usd price_source price_note error_type "
    "feature template template_version segment customer route session family "
    "cache_write_1h_tokens max_tokens finish_reason service_tier is_streaming attempt is_retry "
    "is_fallback escalation cache_hit cache_kind avoided_cost_usd quality_score "
    "retrieval_chunks retrieval_citations flags"
).split()
TRACE_COLUMNS = (  # noqa: SIM905
    "project_id trace_id root_span_id root_name start_time duration_ms feature segment customer "
    "session cost_usd unpriced_calls calls retries fallbacks model_escalations "
    "human_escalations errors cache_hits avoided_cost_usd retry_cost_usd outcome outcome_name "
    "outcome_value_usd quality_score last_span_at needs_finalize finalized_at"
).split()
SPAN_COLUMNS = (  # noqa: SIM905
    "project_id trace_id span_id parent_span_id name kind start_time end_time duration_ms "
    "status_code status_message scope flags attributes resource events received_at"
).split()

NULL = "\\N"
# Prices are kept in units of 1e-10 USD per token (the cost column's scale), so a call's cost
# is an exact integer sum; bench/_dataset.py fills them from finops.pricing.
UNIT = 10**10

WORDS = (  # noqa: SIM905
    "account invoice order shipment refund password login error report dashboard contract "
    "clause policy customer ticket priority latency database query schema table migration "
    "deploy release feature request summary meeting email reply draft translate english "
    "german pricing plan upgrade downgrade subscription renewal cancel payment card bank "
    "transfer warehouse delivery address label tracking return damaged missing late weekly "
    "monthly quarterly revenue forecast pipeline lead opportunity discount approval manager "
    "team onboarding training document section page paragraph table chart export import csv "
    "api key token limit quota usage cost budget alert incident outage status page review"
).split()
# Phrases the search benchmark looks for; each is in about 1 % of prompts.
PHRASES = ("refund for a damaged order", "reset my password", "cancel the enterprise plan")


def call_line(day, trace_id: str, trace: dict, i: int, c) -> str:
    m = c.model
    version = str(1 + (day.index + hash_str(c.template) % 30) // 30)
    priced = c.cost is not None
    return "\t".join(
        (
            day.project,
            trace_id,
            f"{i + 1:016x}",
            "0" * 16,
            c.start.isoformat(),
            f"{c.duration_ms:.1f}",
            m.provider,
            c.operation,
            m.request,
            m.response,
            str(c.input),
            str(c.output),
            str(c.cache_read),
            str(c.cache_write),
            str(c.reasoning),
            "t" if priced else "f",
            money(c.cost),
            "genai-prices" if priced else "",
            "" if priced else "no usage reported",
            c.error,
            trace["feature"],
            c.template,
            version if c.template else "",
            trace["segment"],
            trace["customer"],
            trace["route"],
            trace["session"],
            "otel-genai",
            "0",
            NULL,
            "" if c.error else ("stop" if c.operation == "chat" else ""),
            "",
            "f",
            str(c.attempt),
            tf(c.is_retry),
            tf(c.is_fallback),
            c.escalation,
            tf(c.cache_hit),
            "semantic" if c.cache_hit else "",
            money(c.avoided),
            NULL if c.quality is None else str(c.quality),
            NULL if c.chunks is None else str(c.chunks),
            NULL if c.citations is None else str(c.citations),
            "",
        )
    )


def trace_line(day, trace_id: str, trace: dict, calls: list) -> str:
    priced = [c.cost for c in calls if c.cost is not None]
    extra = [
        c.cost for c in calls if c.cost and (c.is_retry or c.is_fallback or c.escalation == "model")
    ]
    end = trace["end"]
    return "\t".join(
        (
            day.project,
            trace_id,
            "0" * 16,
            trace["action"],
            trace["start"].isoformat(),
            f"{(end - trace['start']).total_seconds() * 1000:.1f}",
            trace["feature"],
            trace["segment"],
            trace["customer"],
            trace["session"],
            money(sum(priced)),
            str(len(calls) - len(priced)),
            str(len(calls)),
            str(sum(c.is_retry for c in calls)),
            str(sum(c.is_fallback for c in calls)),
            str(sum(c.escalation == "model" for c in calls)),
            str(trace["human"]),
            str(sum(bool(c.error) for c in calls)),
            str(sum(c.cache_hit for c in calls)),
            money(sum(c.avoided or 0 for c in calls)),
            money(sum(extra)),
            trace["outcome"],
            f"{trace['feature']}.resolved" if trace["outcome"] else "",
            money(trace["value"]),
            NULL,
            end.isoformat(),
            "f",
            (end + timedelta(minutes=1)).isoformat(),
        )
    )


def span_lines(day, trace_id: str, trace: dict, calls: list, n: int) -> list[str]:
    root = "0" * 16
    end = trace["end"]
    lines = [
        _span(
            day.project,
            trace_id,
            root,
            "",
            trace["action"],
            2,
            trace["start"],
            end,
            {
                "finops.feature": trace["feature"],
                "finops.customer.segment": trace["segment"],
                "finops.customer.id": trace["customer"],
                "http.route": trace["action"],
                **({"finops.outcome": trace["outcome"]} if trace["outcome"] else {}),
            },
        )
    ]
    for i, c in enumerate(calls):
        lines.append(
            _span(
                day.project,
                trace_id,
                f"{i + 1:016x}",
                root,
                f"{c.operation} {c.model.request}",
                3,
                c.start,
                c.start + timedelta(milliseconds=c.duration_ms),
                _genai_attributes(day, c, trace),
                error=c.error,
            )
        )
    if trace["agent"]:  # tool and retrieval steps up to 50 spans
        t = trace["start"]
        for k in range(len(lines), 50):
            ms = day.rng.uniform(2, 200)
            name = ("execute_tool search_orders", "retrieve documents", "execute_tool crm")[k % 3]
            lines.append(
                _span(
                    day.project,
                    trace_id,
                    f"{0xA000 + k:016x}",
                    root,
                    name,
                    1,
                    t,
                    t + timedelta(milliseconds=ms),
                    {"gen_ai.tool.name": name},
                )
            )
            t += timedelta(milliseconds=ms / 3)
    return lines


def _genai_attributes(day, c, trace: dict) -> dict:
    rng = day.rng
    words = " ".join(rng.choices(WORDS, k=rng.randint(12, 60)))
    if rng.random() < 0.03:
        words = f"{words[:80]} {rng.choice(PHRASES)} {words[80:]}"
    prompt = [
        {
            "role": "system",
            "parts": [{"type": "text", "content": f"You are the {trace['feature']} assistant."}],
        },
        {
            "role": "user",
            "parts": [{"type": "text", "content": f"Customer {trace['customer']}: {words}"}],
        },
    ]
    answer = " ".join(rng.choices(WORDS, k=rng.randint(10, 50)))
    attrs = {
        "gen_ai.operation.name": c.operation,
        "gen_ai.provider.name": c.model.provider,
        "gen_ai.request.model": c.model.request,
        "gen_ai.response.model": c.model.response,
        "gen_ai.usage.input_tokens": c.input,
        "gen_ai.usage.output_tokens": c.output,
        "finops.template": c.template,
        "gen_ai.input.messages": json.dumps(prompt),
    }
    if not c.error:
        attrs["gen_ai.output.messages"] = json.dumps(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": answer}],
                    "finish_reason": "stop",
                }
            ]
        )
    return attrs


def _span(project, trace_id, span_id, parent, name, kind, start, end, attrs, error="") -> str:
    ms = (end - start).total_seconds() * 1000
    return "\t".join(
        (
            project,
            trace_id,
            span_id,
            parent,
            name,
            str(kind),
            start.isoformat(),
            end.isoformat(),
            f"{ms:.1f}",
            "2" if error else "0",
            error,
            "bench",
            "",
            _json(attrs),
            '{"service.name": "bench-app"}',
            "[]",
            end.isoformat(),
        )
    )


def _json(value) -> str:
    # Text COPY: a backslash starts an escape, so JSON's own backslashes are doubled.
    return json.dumps(value, separators=(",", ":")).replace("\\", "\\\\")


def money(units: int | None) -> str:
    """1e-10 USD units as a numeric literal; None as COPY NULL."""
    if units is None:
        return NULL
    whole, frac = divmod(units, UNIT)
    return f"{whole}.{frac:010d}"


def tf(value: bool) -> str:
    return "t" if value else "f"


@cache
def hash_str(text: str) -> int:
    """A stable small hash (Python's ``hash`` of a str changes per process)."""
    h = 0
    for ch in text:
        h = (h * 31 + ord(ch)) & 0xFFFFFF
    return h
