"""Message content of an LLM span: the input messages and the output, from wherever the
instrumentation put them, and the same as one bounded line of text for search.

Pure. Content lives in one of three places (tests/data/otlp/FINDINGS.md): span attributes
(OTel GenAI ``gen_ai.input.messages`` / ``gen_ai.output.messages`` JSON, the older indexed
``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*``, OpenInference ``llm.input_messages.N.*`` and
``input.value`` / ``output.value``, Langfuse ``langfuse.observation.input`` / ``output``, the
Vercel AI SDK's ``ai.prompt`` / ``ai.response.text``), span events (``gen_ai.user.message``,
``gen_ai.choice``, ``gen_ai.content.prompt``…) or ``/v1/logs`` records of the same events
(otel-openai-v2's default mode; openlit's ``gen_ai.client.inference.operation.details``, whose
values are Python reprs, not JSON). Readers are tried in order; the first that finds messages
wins, for the input and the output separately. Nothing here raises on odd shapes: an
unreadable value is shown as its text.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ingest.conventions import keys as k

# Values larger than this are not parsed (shown as text); a prompt is rarely near it.
_MAX_PARSE_CHARS = 2_000_000
# searchable_text's default bound: enough for the question, the answer and a system prompt.
SEARCHABLE_CHARS = 8_000


@dataclass(frozen=True, slots=True)
class Message:
    """One message: ``role`` (system, user, assistant, tool…) and its text."""

    role: str
    text: str


@dataclass(frozen=True, slots=True)
class Content:
    """A span's messages; ``*_source`` names where they were found ("" when not found)."""

    input: tuple[Message, ...] = ()
    output: tuple[Message, ...] = ()
    input_source: str = ""
    output_source: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.input and not self.output


# --- values to messages ------------------------------------------------------------------


def _load(value: Any) -> Any:
    """A JSON (or Python-repr, as openlit logs) string parsed; anything else as it is."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if len(text) < 2 or text[0] not in "[{" or len(text) > _MAX_PARSE_CHARS:
        return value
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return str(value)


def _tool_call(call: Mapping) -> str:
    """``name(arguments)`` of a tool call in any of the shapes seen (OpenAI, semconv, AI SDK)."""
    function = call.get("function") if isinstance(call.get("function"), Mapping) else call
    name = function.get("name") or call.get("toolName") or "tool"
    arguments = function.get("arguments", call.get("args", call.get("input", "")))
    if not isinstance(arguments, str):
        arguments = _compact(arguments)
    return f"{name}({arguments})"


def _text(content: Any) -> str:
    """The text of message content: a string, a list of parts, or one part."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        return "\n".join(t for t in (_text(part) for part in content) if t)
    if isinstance(content, Mapping):
        kind = content.get("type", "")
        if kind in ("tool_call", "function_call", "tool-call") or "function" in content:
            return _tool_call(content)
        if kind == "tool_call_response":
            return _text(content.get("response", content.get("result")))
        for key in ("content", "text", "output_text", "value"):
            if key in content:
                return _text(content[key])
        return _compact(content)
    return str(content)


def _message(item: Mapping, role: str) -> Message | None:
    """One message from a mapping with role and parts / content / text / tool calls."""
    if isinstance(item.get("message"), Mapping):  # a gen_ai.choice body, an OpenAI choice
        return _message(item["message"], role)
    role = str(item.get("role") or role)
    if "parts" in item:
        text = _text(item["parts"])
    elif "content" in item:
        text = _text(item["content"])
    else:
        text = _text(item.get("text", ""))
    calls = item.get("tool_calls") or item.get("toolCalls")
    if isinstance(calls, list):
        called = [_tool_call(c) for c in calls if isinstance(c, Mapping)]
        text = "\n".join(t for t in (text, *called) if t)
    return Message(role, text) if text else None


def _system(value: Any) -> list[Message]:
    text = _text(value)
    return [Message("system", text)] if text else []


def _from_mapping(value: Mapping, role: str) -> list[Message]:
    """Messages of a request or response object (OpenAI, Anthropic, Responses, AI SDK)."""
    if "messages" in value:
        return _system(value.get("system")) + messages_of(value["messages"], "user")
    if "prompt" in value and not value.get("role"):  # AI SDK ai.prompt {system, prompt}
        return _system(value.get("system")) + messages_of(value["prompt"], "user")
    if "input" in value and not value.get("role"):  # Responses / embeddings request
        return _system(value.get("instructions")) + messages_of(value["input"], "user")
    if isinstance(value.get("choices"), list):
        return messages_of(value["choices"], "assistant")
    if isinstance(value.get("output"), list) and not value.get("role"):  # Responses response
        return messages_of(
            [o for o in value["output"] if isinstance(o, Mapping) and o.get("type") != "reasoning"],
            "assistant",
        )
    message = _message(value, role)
    return [message] if message else []


def messages_of(value: Any, role: str) -> list[Message]:
    """Messages in any shape seen: JSON text, a list of messages or parts, one message, a
    request or response body, or plain text (one message of ``role``)."""
    value = _load(value)
    if value is None or value == "":
        return []
    if isinstance(value, Mapping):
        return _from_mapping(value, role)
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, Mapping) and not _is_message(v) for v in value):
            text = _text(value)  # a list of parts (an Anthropic system prompt): one message
            return [Message(role, text)] if text else []
        found: list[Message] = []
        for item in value:
            found += messages_of(item, role) if isinstance(item, Mapping) else _plain(item, role)
        return found
    return _plain(value, role)


def _is_message(item: Mapping) -> bool:
    return any(key in item for key in ("role", "message", "parts", "messages", "choices"))


def _plain(value: Any, role: str) -> list[Message]:
    text = _text(value)
    return [Message(role, text)] if text else []


# --- readers: attributes --------------------------------------------------------------------


def _indexed(attributes: Mapping[str, Any], prefix: str, role: str) -> list[Message]:
    """Messages spread over indexed keys: ``<prefix>N.role`` / ``.content`` (older semconv)
    or ``<prefix>N.message.role`` / ``.content`` / ``.contents.M.message_content.text`` /
    ``.tool_calls.M.tool_call.function.name`` (OpenInference)."""
    groups: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        if not key.startswith(prefix):
            continue
        index, _, rest = key[len(prefix) :].partition(".")
        if index.isdigit() and rest:
            groups.setdefault(int(index), {})[rest.removeprefix("message.")] = value
    found = []
    for _, fields in sorted(groups.items()):
        parts = [_text(fields[f]) for f in sorted(fields, key=_natural) if _is_text_field(f)]
        calls = _indexed_calls(fields)
        text = "\n".join(t for t in (*parts, *calls) if t)
        if text:
            found.append(Message(str(fields.get("role") or role), text))
    return found


def _natural(field: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in field.split("."))


def _is_text_field(field: str) -> bool:
    return field == "content" or (field.startswith("contents.") and field.endswith(".text"))


def _indexed_calls(fields: Mapping[str, Any]) -> list[str]:
    calls: dict[str, dict[str, Any]] = {}
    for field, value in fields.items():
        if field.startswith("tool_calls."):
            index, _, rest = field[len("tool_calls.") :].partition(".")
            calls.setdefault(index, {})[rest.rpartition(".")[2]] = value
    return [_tool_call(calls[i]) for i in sorted(calls, key=lambda i: int(i) if i.isdigit() else 0)]


def _json_attribute(key: str, role: str) -> Callable[[Mapping[str, Any]], list[Message]]:
    def read(attributes: Mapping[str, Any]) -> list[Message]:
        return messages_of(attributes.get(key), role)

    read.__name__ = key
    return read


def _input_messages(attributes: Mapping[str, Any]) -> list[Message]:
    """``gen_ai.input.messages``, with ``gen_ai.system_instructions`` first when separate."""
    found = messages_of(attributes.get(k.GEN_AI_INPUT_MESSAGES), "user")
    if found and not any(m.role == "system" for m in found):
        found = _system(_load(attributes.get(k.GEN_AI_SYSTEM_INSTRUCTIONS))) + found
    return found


def _old_prompt(attributes: Mapping[str, Any]) -> list[Message]:
    return _indexed(attributes, k.GEN_AI_PROMPT + ".", "user")


def _old_completion(attributes: Mapping[str, Any]) -> list[Message]:
    return _indexed(attributes, k.GEN_AI_COMPLETION + ".", "assistant")


def _openinference_input(attributes: Mapping[str, Any]) -> list[Message]:
    return _indexed(attributes, k.LLM_INPUT_MESSAGES, "user")


def _openinference_output(attributes: Mapping[str, Any]) -> list[Message]:
    return _indexed(attributes, k.LLM_OUTPUT_MESSAGES, "assistant")


def _ai_response(attributes: Mapping[str, Any]) -> list[Message]:
    """The AI SDK's answer: its text, else its object, plus its tool calls."""
    text = attributes.get(k.AI_RESPONSE_TEXT) or attributes.get(k.AI_RESPONSE_OBJECT) or ""
    calls = _load(attributes.get(k.AI_RESPONSE_TOOL_CALLS))
    called = (
        [_tool_call(c) for c in calls if isinstance(c, Mapping)] if isinstance(calls, list) else []
    )
    joined = "\n".join(t for t in (_text(text), *called) if t)
    return [Message("assistant", joined)] if joined else []


_Reader = Callable[[Mapping[str, Any]], list[Message]]
# Attribute readers, most specific first; input.value / output.value (OpenInference's raw
# request and response) come after the events, as the last resort.
INPUT_READERS: tuple[tuple[str, _Reader], ...] = (
    (k.GEN_AI_INPUT_MESSAGES, _input_messages),
    ("llm.input_messages", _openinference_input),
    ("gen_ai.prompt.N", _old_prompt),
    (k.AI_PROMPT_MESSAGES, _json_attribute(k.AI_PROMPT_MESSAGES, "user")),
    (k.AI_PROMPT, _json_attribute(k.AI_PROMPT, "user")),
    (k.LANGFUSE_INPUT, _json_attribute(k.LANGFUSE_INPUT, "user")),
)
OUTPUT_READERS: tuple[tuple[str, _Reader], ...] = (
    (k.GEN_AI_OUTPUT_MESSAGES, _json_attribute(k.GEN_AI_OUTPUT_MESSAGES, "assistant")),
    ("llm.output_messages", _openinference_output),
    ("gen_ai.completion.N", _old_completion),
    (k.AI_RESPONSE_TEXT, _ai_response),
    (k.LANGFUSE_OUTPUT, _json_attribute(k.LANGFUSE_OUTPUT, "assistant")),
)
_LAST_INPUT = (k.INPUT_VALUE, _json_attribute(k.INPUT_VALUE, "user"))
_LAST_OUTPUT = (k.OUTPUT_VALUE, _json_attribute(k.OUTPUT_VALUE, "assistant"))


def _first(readers: Iterable[tuple[str, _Reader]], attributes: Mapping[str, Any]):
    for source, read in readers:
        found = read(attributes)
        if found:
            return tuple(found), source
    return (), ""


# --- readers: span events and log records -------------------------------------------------


def _records_content(records: Iterable[tuple[str, Any]]) -> tuple[list[Message], list[Message]]:
    """(input, output) messages of GenAI events, each ``(event name, body or attributes)``."""
    inputs: list[Message] = []
    outputs: list[Message] = []
    for name, body in records:
        if name == k.GEN_AI_EVENT_OPERATION_DETAILS and isinstance(body, Mapping):
            inputs += _first(INPUT_READERS, body)[0]
            outputs += _first(OUTPUT_READERS, body)[0]
        elif name == k.GEN_AI_EVENT_CHOICE:
            outputs += messages_of(body, "assistant")
        elif name == k.GEN_AI_EVENT_CONTENT_PROMPT and isinstance(body, Mapping):
            inputs += messages_of(body.get(k.GEN_AI_PROMPT), "user")
        elif name == k.GEN_AI_EVENT_CONTENT_COMPLETION and isinstance(body, Mapping):
            outputs += messages_of(body.get(k.GEN_AI_COMPLETION), "assistant")
        elif name.startswith("gen_ai.") and name.endswith(k.GEN_AI_EVENT_MESSAGE_SUFFIX):
            role = name[len("gen_ai.") : -len(k.GEN_AI_EVENT_MESSAGE_SUFFIX)]
            inputs += messages_of(body, role)
    return inputs, outputs


def _event_records(events: Iterable[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    return [(str(e.get("name", "")), e.get("attributes") or {}) for e in events]


def _log_records(logs: Iterable[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """Log records as ``{event_name, body, attributes}``; the body, else the attributes."""
    records = []
    for log in logs:
        body = log.get("body")
        records.append((str(log.get("event_name", "")), body if body else log.get("attributes")))
    return records


# --- public -------------------------------------------------------------------------------


def extract_content(
    attributes: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]] = (),
    logs: Iterable[Mapping[str, Any]] = (),
) -> Content:
    """The input and output messages of one span.

    ``events`` are the span's events as stored (``{name, time_ns, attributes}``), ``logs`` its
    GenAI log records (``{event_name, body, attributes}``, oldest first). Attributes win, then
    span events, then log records, then OpenInference's raw ``input.value`` / ``output.value``.
    """
    inputs, input_source = _first(INPUT_READERS, attributes)
    outputs, output_source = _first(OUTPUT_READERS, attributes)
    for source, records in (("span events", _event_records(events)), ("logs", _log_records(logs))):
        if inputs and outputs:
            break
        found_in, found_out = _records_content(records)
        if not inputs and found_in:
            inputs, input_source = tuple(found_in), source
        if not outputs and found_out:
            outputs, output_source = tuple(found_out), source
    if not inputs:
        inputs, input_source = _first((_LAST_INPUT,), attributes)
    if not outputs:
        outputs, output_source = _first((_LAST_OUTPUT,), attributes)
    return Content(inputs, outputs, input_source, output_source)


def searchable_text(
    attributes: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]] = (),
    logs: Iterable[Mapping[str, Any]] = (),
    limit: int = SEARCHABLE_CHARS,
) -> str:
    """The span's prompt and answer as one line of text, at most ``limit`` characters.

    Whitespace is collapsed; non-system input messages come before system ones (the question
    matters more than a long preamble), then the output. When the whole does not fit, the
    output keeps at least half of ``limit``. "" when the span carries no content.
    """
    content = extract_content(attributes, events, logs)
    ordered = [m for m in content.input if m.role != "system"]
    ordered += [m for m in content.input if m.role == "system"]
    prompt = " ".join(" ".join(m.text.split()) for m in ordered)
    answer = " ".join(" ".join(m.text.split()) for m in content.output)
    answer = answer[: max(limit // 2, limit - len(prompt) - 1)]
    prompt = prompt[: max(limit - len(answer) - 1, 0)]
    return f"{prompt} {answer}".strip()[:limit]
