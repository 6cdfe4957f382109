"""Attribution carriers: where apps and libraries put feature, template, segment, customer,
route and session on a span.

Pure. Sources per dimension, most specific first: our ``finops.*`` keys, the project's own key
aliases, ``app.*`` (often baggage copied onto spans), Traceloop association properties and
workflow name, the AI SDK's telemetry metadata, OpenInference's ``metadata`` JSON and prompt
template, then Langfuse's trace metadata, prompt, user, session and trace name.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from ingest.conventions import keys as k
from ingest.conventions.values import MAX_LABEL, Candidate, read_json

DIMENSIONS = ("feature", "template", "template_version", "segment", "customer", "route", "session")

# Our own key for each dimension: always the most specific source.
FINOPS_KEYS = {
    "feature": k.FINOPS_FEATURE,
    "template": k.FINOPS_TEMPLATE,
    "template_version": k.FINOPS_TEMPLATE_VERSION,
    "segment": k.FINOPS_SEGMENT,
    "customer": k.FINOPS_CUSTOMER,
    "route": k.FINOPS_ROUTE,
    "session": k.FINOPS_SESSION_ID,
}
# The names a dimension goes by in free-form carriers (app.<name>, traceloop.association.
# properties.<name>, ai.telemetry.metadata.<name>, OpenInference and Langfuse metadata).
CARRIER_NAMES = {
    "feature": ("feature",),
    "template": ("template", "template_name"),
    "template_version": ("template.version", "template_version"),
    "segment": ("customer.segment", "segment", "customer_segment"),
    "customer": ("customer.id", "customer_id"),
    "route": ("route",),
    "session": ("session.id", "session_id"),
}
# Fixed keys, per carrier, that stand for a dimension.
_TRACELOOP_KEYS = {"feature": (k.TRACELOOP_WORKFLOW_NAME,)}
_VERCEL_KEYS = {"feature": (k.AI_TELEMETRY_FUNCTION_ID,)}
_OPENINFERENCE_KEYS = {
    "template": (k.LLM_PROMPT_TEMPLATE,),  # the template text: only when no name is given
    "template_version": (k.LLM_PROMPT_TEMPLATE_VERSION,),
}
_LANGFUSE_KEYS = {
    "feature": (k.LANGFUSE_TRACE_NAME,),  # the trace's name: the weakest hint of all
    "template": (k.LANGFUSE_PROMPT_NAME,),
    "template_version": (k.LANGFUSE_PROMPT_VERSION,),
    "customer": (k.LANGFUSE_USER_ID, k.ENDUSER_ID, k.USER_ID),
    "session": (k.LANGFUSE_SESSION_ID, k.SESSION_ID),
}


def _prefixed(prefix: str, dimension: str) -> tuple[str, ...]:
    return tuple(prefix + name for name in CARRIER_NAMES[dimension])


def _generic(dimension: str) -> tuple[Candidate, ...]:
    """Every source of ``dimension`` after finops.* and aliases, most specific first."""
    metadata = tuple((k.OPENINFERENCE_METADATA, name) for name in CARRIER_NAMES[dimension])
    return (
        *_prefixed(k.APP_PREFIX, dimension),
        *_prefixed(k.TRACELOOP_PROPERTIES, dimension),
        *_TRACELOOP_KEYS.get(dimension, ()),
        *_prefixed(k.AI_TELEMETRY_METADATA, dimension),
        *_prefixed(k.AI_SETTINGS_CONTEXT, dimension),
        *_VERCEL_KEYS.get(dimension, ()),
        *metadata,
        *_OPENINFERENCE_KEYS.get(dimension, ()),
        *_prefixed(k.LANGFUSE_OBSERVATION_METADATA, dimension),
        *_prefixed(k.LANGFUSE_TRACE_METADATA, dimension),
        *_LANGFUSE_KEYS.get(dimension, ()),
    )


SOURCES: dict[str, tuple[Candidate, ...]] = {d: _generic(d) for d in DIMENSIONS}
# The same sources as an index, key → (dimension, rank): a span is read by looking up its few
# keys, not by probing every source of every dimension. Aliases rank between the two.
_ALIAS_RANK = 1
_GENERIC_RANK = 1_000_000


def _index() -> tuple[dict[str, tuple[str, int]], dict[str, list[tuple[str, str, int]]]]:
    """key → (dimension, rank) for plain keys; JSON key → [(field, dimension, rank)]."""
    ranks = {key: (dimension, 0) for dimension, key in FINOPS_KEYS.items()}
    in_json: dict[str, list[tuple[str, str, int]]] = {}
    for dimension, sources in SOURCES.items():
        for rank, source in enumerate(sources, start=_GENERIC_RANK):
            if isinstance(source, str):
                assert source not in ranks, f"{source} names two dimensions"
                ranks[source] = (dimension, rank)
            else:
                in_json.setdefault(source[0], []).append((source[1], dimension, rank))
    return ranks, in_json


_RANKS, _JSON_SOURCES = _index()
_KEYS = frozenset(_RANKS) | frozenset(_JSON_SOURCES)


def attribution_of(
    attributes: Mapping[str, Any], aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The attribution dimensions set on one span or resource, absent ones left out.

    ``aliases`` maps extra attribute keys to dimensions (``{"app.tenant_tier": "segment"}``);
    they rank below ``finops.*`` and above every generic carrier, in the order given. Values
    are labels: numbers as text, JSON-encoded strings (Langfuse v5 metadata) decoded, empty
    values skipped.
    """
    best: dict[str, tuple[int, str]] = {}  # dimension → (rank, value)

    def offer(dimension: str, rank: int, raw: Any, source: str) -> None:
        if dimension in best and best[dimension][0] <= rank:
            return
        value = _value(raw)
        if value:
            is_text = source == k.LLM_PROMPT_TEMPLATE
            best[dimension] = (rank, _template_label(value) if is_text else value[:MAX_LABEL])

    for key in _KEYS.intersection(attributes):
        carried = read_json(attributes, key, {}) if key in _JSON_SOURCES else None
        if isinstance(carried, Mapping):
            for field, dimension, rank in _JSON_SOURCES[key]:
                offer(dimension, rank, carried.get(field), key)
        if key in _RANKS:
            dimension, rank = _RANKS[key]
            offer(dimension, rank, attributes[key], key)
    for rank, (key, dimension) in enumerate((aliases or {}).items(), start=_ALIAS_RANK):
        if dimension in FINOPS_KEYS and key in attributes:
            offer(dimension, rank, attributes[key], key)
    return {d: best[d][1] for d in DIMENSIONS if d in best}


def _value(value: Any) -> str:
    """An attribute value as dimension text; "" for absent, empty or structured values."""
    if value is None or isinstance(value, Mapping | list | tuple):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer():
            return str(int(value))
    value = str(value).strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded.strip() if isinstance(decoded, str) else value
    return value


def _template_label(template: str) -> str:
    """A prompt template's text as a label. Long templates that share their first
    ``MAX_LABEL`` characters (a common preamble) must stay apart: cut, plus a digest."""
    if len(template) <= MAX_LABEL:
        return template
    digest = hashlib.sha256(template.encode()).hexdigest()[:12]
    return f"{template[: MAX_LABEL - 13]}#{digest}"
