"""What the call detail panel shows besides messages: the request parameters a span names and
the exceptions recorded on it.

Pure. Parameters come from ``gen_ai.request.*`` (OTel GenAI, OpenLLMetry, openlit), the JSON
of ``llm.invocation_parameters`` (OpenInference), ``langfuse.observation.model.parameters``
and ``ai.settings.*`` (Vercel AI SDK); the first source to name a parameter wins. Exceptions
are the OTel ``exception`` span events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ingest.conventions import keys as k
from ingest.conventions.values import read_json

# Parameters that are not settings: the model (shown on its own), the content, tool schemas.
_NOT_PARAMETERS = frozenset(
    {"model", "messages", "input", "prompt", "system", "tools", "functions", "instructions"}
)
_JSON_SOURCES = (
    k.LLM_INVOCATION_PARAMETERS,
    k.EMBEDDING_INVOCATION_PARAMETERS,
    k.LANGFUSE_MODEL_PARAMETERS,
)
# A parameter value longer than this (a JSON schema, a stop list) is cut for display.
MAX_PARAMETER_CHARS = 200


@dataclass(frozen=True, slots=True)
class ExceptionInfo:
    """An ``exception`` span event: type, message, stack trace, time (Unix ns; 0 unknown)."""

    type: str
    message: str
    stacktrace: str
    time_ns: int = 0


def _shown(value: Any) -> Any:
    """Scalars as they are, anything else (lists, objects) as bounded text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    return text[:MAX_PARAMETER_CHARS]


def request_parameters(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The request's parameters by name (``temperature``, ``max_tokens``, ``top_p``…), sorted.

    Values are scalars or text of at most ``MAX_PARAMETER_CHARS``; the model and content
    fields are left out. {} when the span names none.
    """
    found: dict[str, Any] = {}

    def offer(name: str, value: Any) -> None:
        if name and name not in found and name not in _NOT_PARAMETERS and value is not None:
            found[name] = _shown(value)

    for key, value in attributes.items():
        if key.startswith(k.GEN_AI_REQUEST):
            offer(key[len(k.GEN_AI_REQUEST) :], value)
    parsed: dict[str, Any] = {}
    for source in _JSON_SOURCES:
        settings = read_json(attributes, source, parsed)
        if isinstance(settings, Mapping):
            for name, value in settings.items():
                offer(str(name), value)
    for key, value in attributes.items():
        if key.startswith(k.AI_SETTINGS) and not key.startswith(k.AI_SETTINGS_CONTEXT):
            offer(key[len(k.AI_SETTINGS) :], value)
    return dict(sorted(found.items()))


def _unquote(value: Any) -> str:
    return "" if value is None else str(value)


def exceptions_of(events: Iterable[Mapping[str, Any]]) -> tuple[ExceptionInfo, ...]:
    """The ``exception`` events of a span (``{name, time_ns, attributes}``), in order.

    An event repeated with the same type, message and stack trace (a library that records
    the error at two levels) is shown once.
    """
    seen: set[tuple[str, str, str]] = set()
    found = []
    for event in events:
        if event.get("name") != k.EXCEPTION_EVENT:
            continue
        attributes = event.get("attributes") or {}
        key = (
            _unquote(attributes.get(k.EXCEPTION_TYPE)),
            _unquote(attributes.get(k.EXCEPTION_MESSAGE)),
            _unquote(attributes.get(k.EXCEPTION_STACKTRACE)),
        )
        if key in seen:
            continue
        seen.add(key)
        found.append(ExceptionInfo(*key, time_ns=int(event.get("time_ns") or 0)))
    return tuple(found)


# What a span is, for the waterfall: the kind names each convention uses, lower-cased.
CATEGORY_OF_KIND = {
    "llm": "llm",
    "generation": "llm",
    "chat": "llm",
    "text_completion": "llm",
    "embedding": "embedding",
    "embeddings": "embedding",
    "tool": "tool",
    "execute_tool": "tool",
    "retriever": "retrieval",
    "retrieval": "retrieval",
    "reranker": "retrieval",
    "agent": "agent",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "chain": "step",
    "workflow": "step",
    "task": "step",
}
_KIND_KEYS = (
    k.OPENINFERENCE_SPAN_KIND,
    k.GEN_AI_OPERATION_NAME,
    k.TRACELOOP_SPAN_KIND,
    k.LANGFUSE_OBSERVATION_TYPE,
)
# Span names that say "retrieval" or "tool" when no attribute does.
_NAME_HINTS = (("retriev", "retrieval"), ("vector", "retrieval"), ("tool", "tool"))


def span_category(attributes: Mapping[str, Any], name: str, is_call: bool) -> str:
    """What a span is: "llm" (a model call, as ``is_call`` says), "embedding", "tool",
    "retrieval", "agent", "step" (a chain or workflow step) or "other" (HTTP, app code).

    Read from the span kind each convention names (OpenInference, OTel GenAI operation,
    Traceloop, Langfuse), then from hints in the span name.
    """
    for key in _KIND_KEYS:
        value = attributes.get(key)
        if isinstance(value, str) and value.strip().lower() in CATEGORY_OF_KIND:
            category = CATEGORY_OF_KIND[value.strip().lower()]
            if category != "llm" or is_call:
                return category
    if is_call:
        return "llm"
    lowered = name.lower()
    for hint, category in _NAME_HINTS:
        if hint in lowered:
            return category
    return "other"
