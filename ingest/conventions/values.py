"""Reading attribute values: labels, token counts, flags, and paths into JSON-string attributes.

Pure. Attribute values arrive as whatever the exporter sent: str, int, float, bool, lists, and
JSON text inside strings (OpenInference invocation parameters, Langfuse usage details, the AI
SDK's provider metadata). These helpers turn them into plain values or None, never raising.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from typing import Any

# Field lengths in the database; longer values are cut rather than rejected.
MAX_LABEL = 200
# No single call reads a trillion tokens; larger counts are corrupt data, not usage.
MAX_TOKENS = 10**12
# JSON attributes larger than this are content (prompts, vectors), never usage: not parsed.
_MAX_JSON_CHARS = 64_000

# A candidate names where a value lives: a plain attribute key, or a path into a JSON object
# held as a string in an attribute: (attribute key, field, nested field, ...).
Candidate = str | tuple[str, ...]

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def first(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first key of ``keys`` present (and not None or "") in ``attributes``."""
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None


def read_json(attributes: Mapping[str, Any], key: str, parsed: dict[str, Any]) -> Any:
    """The attribute ``key`` parsed as JSON (a mapping value is taken as is), memoised in
    ``parsed``; None when absent, too large or not JSON."""
    if key in parsed:
        return parsed[key]
    value = attributes.get(key)
    if isinstance(value, str) and len(value) <= _MAX_JSON_CHARS:
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    elif not isinstance(value, Mapping):
        value = None
    parsed[key] = value
    return value


def first_of(
    attributes: Mapping[str, Any], candidates: tuple[Candidate, ...], parsed: dict[str, Any]
) -> Any:
    """The value of the first candidate that is present, not None or "" (first present wins)."""
    for candidate in candidates:
        if type(candidate) is str:  # the common case, kept inline: this runs per span
            value = attributes.get(candidate)
        else:
            value = read_json(attributes, candidate[0], parsed)
            for part in candidate[1:]:
                value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None and value != "":
            return value
    return None


def is_present(
    attributes: Mapping[str, Any], candidates: tuple[Candidate, ...], parsed: dict[str, Any]
) -> bool:
    """Whether any candidate has a value (see ``first_of``)."""
    return first_of(attributes, candidates, parsed) is not None


def label(value: Any) -> str:
    """A value as a label: "" for None, text cut to ``MAX_LABEL``."""
    return "" if value is None else str(value)[:MAX_LABEL]


def text(value: Any) -> str:
    """A string attribute as a label, undoing JSON encoding (Langfuse v5 sends ``"\\"x\\""``)
    and taking the first item of a list (``gen_ai.response.finish_reasons``)."""
    if value is None:
        return ""
    if type(value) is str:
        if len(value) < 2 or value[0] not in '"[' or value[-1] not in '"]':
            return value[:MAX_LABEL]  # the common case, first: this runs per span and field
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if isinstance(value, dict):
        return ""
    return label(value)


def tokens(value: Any) -> int | None:
    """A token count, or None when absent or not a plausible count (text, NaN, ±inf, > 10^12).

    Negative counts are clamped to 0; fractions are truncated.
    """
    if type(value) is int:  # the common case, first
        return None if value > MAX_TOKENS else max(value, 0)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number > MAX_TOKENS:
        return None
    return max(int(number), 0)


def whole(value: Any) -> int | None:
    """A non-negative whole number (attempt, resend count, chunks), or None."""
    number = tokens(value)
    if number is None or float(value) != number:
        return None
    return number


def flag(value: Any) -> bool | None:
    """A boolean: bools, "true"/"false" (any case), 1/0; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None
