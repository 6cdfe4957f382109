"""A known data set for trace search: 24 calls in project ``acme`` (and one in ``other``) whose
fields are written out here, so each filter's expected ids can be read off the table by hand.

Days: D0 = 2026-11-01, D1 = 2026-11-02, D2 = 2026-11-03 (UTC). Names are "c01".."c24".
Spans exist for c01, c04, c06 and c16 only (attribute and text searches read them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ingest.models import Escalation
from ingest.texts import store_call_texts
from tests.factories import LLMCallFactory, SpanFactory

D0 = datetime(2026, 11, 1, tzinfo=UTC)
_ID = "{:032x}"
# name: (start, feature, template, version, segment, customer, session, provider,
#        request_model, response_model, route, error_type, cost, duration_ms, in, out)
_ROWS = {
    "c01": (1, "support", "answer", "1", "smb", "cust-1", "sess-1", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "", "0.0010", 400, 1000, 100),
    "c02": (2, "support", "answer", "2", "smb", "cust-1", "sess-1", "openai",
            "gpt-4o-mini", "", "cheap", "RateLimitError", None, 50, 0, 0),
    "c03": (2, "support", "answer", "2", "smb", "cust-1", "sess-1", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "", "0.0010", 420, 1000, 100),
    "c04": (3, "support", "answer", "2", "enterprise", "cust-2", "sess-2", "anthropic",
            "claude-sonnet-4-5", "claude-sonnet-4-5", "premium", "", "0.0300", 2500, 5000, 1000),
    "c05": (4, "support", "", "", "enterprise", "cust-2", "", "anthropic",
            "claude-haiku-4-5", "claude-haiku-4-5", "", "", "0.0050", 900, 3000, 400),
    "c06": (5, "search", "rank", "1", "", "", "", "openai",
            "gpt-4o", "gpt-4o", "premium", "", "0.0200", 1500, 4000, 500),
    "c07": (6, "search", "rank", "1", "smb", "cust-3", "sess-3", "openai",
            "gpt-4o", "gpt-4o", "premium", "", "0", 5, 0, 0),
    "c08": (25, "", "", "", "", "", "", "openai",
            "text-embedding-3-small", "text-embedding-3-small", "", "", "0.00001", 80, 500, 0),
    "c09": (26, "search", "rank", "2", "smb", "cust-3", "", "openai",
            "gpt-4o", "", "premium", "TimeoutError", None, 30000, 4000, 0),
    "c10": (27, "search", "rank", "2", "smb", "cust-3", "", "openai",
            "gpt-4o", "gpt-4o", "premium", "", "0.0200", 1600, 4000, 500),
    "c11": (28, "summarize", "digest", "1", "enterprise", "cust-4", "sess-4", "google",
            "gemini-2.5-flash", "gemini-2.5-flash", "cheap", "", "0.0020", 1200, 8000, 300),
    "c12": (53, "summarize", "digest", "1", "enterprise", "cust-4", "sess-4", "google",
            "gemini-2.5-flash", "gemini-2.5-flash", "cheap", "", "0.0020", 1200, 8000, 300),
    "c13": (-1, "support", "answer", "1", "smb", "cust-1", "", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "", "0.0010", 400, 1000, 100),
    "c14": (71.99, "support", "answer", "1", "smb", "cust-5", "", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "", "0.0009", 380, 900, 100),
    "c15": (72, "support", "answer", "1", "smb", "cust-5", "", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "", "0.0009", 380, 900, 100),
    "c16": (7, "support", "answer", "2", "smb", "cust-6", "", "openai",
            "gpt-4o", "gpt-4o-2024-08-06", "premium", "", "0.0150", 1800, 3000, 600),
    "c17": (8, "support", "answer", "2", "smb", "cust-6", "", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "APIConnectionError", None, 10000, 1000, 0),
    "c18": (9, "support", "answer", "2", "smb", "cust-6", "", "anthropic",
            "claude-sonnet-4-5", "claude-sonnet-4-5", "premium", "", "0.0300", 2600, 5000, 1000),
    "c19": (10, "triage", "classify", "3", "smb", "cust-7", "sess-7", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "", "0.0001", 200, 300, 5),
    "c20": (11, "triage", "classify", "3", "enterprise", "cust-8", "sess-8", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "", "0.0001", 210, 300, 5),
    "c21": (30, "triage", "classify", "3", "enterprise", "cust-8", "sess-8", "openai",
            "gpt-4o-mini", "gpt-4o-mini", "cheap", "", "0.1200", 250, 300, 5),
    "c22": (31, "triage", "classify", "3", "enterprise", "cust-8", "", "mistral",
            "mistral-large", "mistral-large", "", "", "0.0040", 700, 2000, 150),
    "c23": (32, "summarize", "digest", "2", "smb", "cust-9", "", "google",
            "gemini-2.5-pro", "gemini-2.5-pro", "premium", "", "0.0500", 6000, 20000, 2000),
    "c24": (33, "summarize", "", "", "smb", "cust-9", "", "google",
            "gemini-2.5-pro", "gemini-2.5-pro", "premium", "", "0.0450", 5500, 18000, 1800),
}  # fmt: skip
# Flags: retries, fallbacks, escalations, app-cache hits (everything else is False / "").
_FLAGS = {
    "c03": {"is_retry": True, "attempt": 2},
    "c04": {"is_fallback": True},
    "c05": {"escalation": Escalation.MODEL},
    "c06": {"escalation": Escalation.HUMAN},
    "c07": {"cache_hit": True},
    "c10": {"is_retry": True, "attempt": 2},
    "c18": {"is_fallback": True, "is_retry": True, "attempt": 3},
    "c23": {"escalation": Escalation.MODEL, "quality_score": 0.9},
}
# Spans of the calls that have one: attributes as OTLP delivers them (typed).
SPAN_ATTRIBUTES = {
    "c01": {
        "gen_ai.request.temperature": 0,
        "app.experiment": "B",
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", '
        '"content": "What is your refund policy for damaged parcels?"}]}]',
        "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "text", '
        '"content": "Refunds are issued within 14 days."}]}]',
    },
    "c04": {"gen_ai.request.temperature": 0.7, "app.experiment": "A", "app.beta": True},
    "c06": {
        "app.experiment": "B",
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "Rank these hotels near the Refund Office",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "1. Grand 2. Plaza",
    },
    "c16": {"app.experiment": "A", "gen_ai.request.temperature": 0},
}
NAMES = sorted(_ROWS)
OTHER_PROJECT_CALL = "c99"


def trace_id_of(name: str) -> str:
    """Each call has its own trace, except c02+c03 (a retry) and c16..c18 (one trace)."""
    number = {"c03": 2, "c17": 16, "c18": 16}.get(name, int(name[1:]))
    return _ID.format(number)


def span_id_of(name: str) -> str:
    return f"{int(name[1:]):016x}"


def build(project, other_project) -> dict[str, object]:
    """Create the calls (and their spans); returns ``{name: LLMCall}``."""
    calls = {}
    for name, row in _ROWS.items():
        hours, feature, template, version, segment, customer, session, provider = row[:8]
        request_model, response_model, route, error_type, cost, ms, tokens_in, tokens_out = row[8:]
        calls[name] = LLMCallFactory(
            project=project,
            trace_id=trace_id_of(name),
            span_id=span_id_of(name),
            start_time=D0 + timedelta(hours=hours),
            feature=feature,
            template=template,
            template_version=version,
            segment=segment,
            customer=customer,
            session=session,
            provider=provider,
            request_model=request_model,
            response_model=response_model,
            route=route,
            error_type=error_type,
            cost_usd=None if cost is None else Decimal(cost),
            duration_ms=float(ms),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            **_FLAGS.get(name, {}),
        )
        if name in SPAN_ATTRIBUTES:
            SpanFactory(
                project=project,
                trace_id=trace_id_of(name),
                span_id=span_id_of(name),
                start_time=D0 + timedelta(hours=hours),
                attributes=SPAN_ATTRIBUTES[name],
            )
    # What finalize does for these calls: write their searchable text from their spans.
    store_call_texts(project.pk, calls.values())
    calls[OTHER_PROJECT_CALL] = LLMCallFactory(
        project=other_project, feature="support", start_time=D0 + timedelta(hours=1)
    )
    SpanFactory(
        project=other_project,
        trace_id=calls[OTHER_PROJECT_CALL].trace_id,
        span_id=calls[OTHER_PROJECT_CALL].span_id,
        attributes=SPAN_ATTRIBUTES["c01"],
    )
    store_call_texts(other_project.pk, [calls[OTHER_PROJECT_CALL]])
    return calls


def names_of(calls: dict, rows) -> set[str]:
    """The names of ``rows`` (LLMCall instances or API dicts with span_id)."""
    by_key = {(c.trace_id, c.span_id): name for name, c in calls.items()}
    found = set()
    for row in rows:
        key = (
            (row["trace_id"], row["span_id"])
            if isinstance(row, dict)
            else (row.trace_id, row.span_id)
        )
        found.add(by_key[key])
    return found
