"""Explicit marks an app sets on a span: retry, fallback, escalation, app cache, quality,
retrieval, and the business outcome of a trace.

Pure. Values are read leniently (booleans as bool, "true"/"false" or 1/0; numbers as numbers or
numeric strings); anything unreadable counts as not set, never as an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ingest.conventions import keys as k
from ingest.conventions.values import flag, label, whole

ESCALATIONS = ("model", "human")
CACHE_KINDS = ("exact", "semantic")
OUTCOMES = {"success": True, "failure": False}
# An outcome worth a billion dollars or more is a unit mistake, not a value.
MAX_VALUE_USD = Decimal(10) ** 9


@dataclass(frozen=True, slots=True)
class CallMarks:
    """The explicit marks on one span; None / False / "" where the app set none."""

    attempt: int | None  # finops.attempt
    resend_count: int | None  # http.request.resend_count
    is_fallback: bool  # finops.fallback
    escalation: str  # finops.escalation: "model" | "human" | ""
    cache_hit: bool  # finops.cache.hit
    cache_kind: str  # finops.cache.kind: "exact" | "semantic" | ""
    quality_score: float | None  # finops.quality.score in [0, 1]
    retrieval_chunks: int | None  # finops.retrieval.chunks
    retrieval_citations: int | None  # finops.retrieval.citations


@dataclass(frozen=True, slots=True)
class OutcomeMark:
    """A business outcome declared on a span (usually the root)."""

    success: bool | None  # finops.outcome "success" → True, "failure" → False, else None
    name: str  # finops.outcome.name
    value_usd: Decimal | None  # finops.outcome.value


def extract_marks(attributes: Mapping[str, Any]) -> CallMarks:
    """The explicit retry / fallback / escalation / cache / quality / retrieval marks of a span.

    Whole numbers must be non-negative integers (2, 2.0 or "2"); an escalation or cache kind
    outside its known values, or a quality score outside [0, 1], is treated as absent.
    """
    return CallMarks(
        attempt=whole(attributes.get(k.FINOPS_ATTEMPT)),
        resend_count=whole(attributes.get(k.HTTP_RESEND_COUNT)),
        is_fallback=flag(attributes.get(k.FINOPS_FALLBACK)) is True,
        escalation=_choice(attributes.get(k.FINOPS_ESCALATION), ESCALATIONS),
        cache_hit=flag(attributes.get(k.FINOPS_CACHE_HIT)) is True,
        cache_kind=_choice(attributes.get(k.FINOPS_CACHE_KIND), CACHE_KINDS),
        quality_score=_score(attributes.get(k.FINOPS_QUALITY_SCORE)),
        retrieval_chunks=whole(attributes.get(k.FINOPS_RETRIEVAL_CHUNKS)),
        retrieval_citations=whole(attributes.get(k.FINOPS_RETRIEVAL_CITATIONS)),
    )


def outcome_of(attributes: Mapping[str, Any]) -> OutcomeMark | None:
    """The outcome a span declares, or None when it sets no ``finops.outcome``.

    ``success`` is None for a value other than success / failure (or a flag such as true / 1);
    the value is USD as ``Decimal`` (None when absent, not finite, or implausibly large).
    """
    outcome = attributes.get(k.FINOPS_OUTCOME)
    if outcome is None or outcome == "":
        return None
    if isinstance(outcome, str):
        word = outcome.strip().lower()
        success = OUTCOMES[word] if word in OUTCOMES else flag(word)
    else:
        success = flag(outcome)
    return OutcomeMark(
        success=success,
        name=label(attributes.get(k.FINOPS_OUTCOME_NAME)),
        value_usd=_usd(attributes.get(k.FINOPS_OUTCOME_VALUE)),
    )


# Evaluation labels that read as a pass or a fail when the score has no 0..1 value.
_PASS_LABELS = frozenset({"pass", "passed", "correct", "relevant", "true", "yes", "good"})
_FAIL_LABELS = frozenset({"fail", "failed", "incorrect", "not_relevant", "false", "no", "bad"})


def evaluation_score(attributes: Mapping[str, Any]) -> float | None:
    """The 0..1 quality of a ``gen_ai.evaluation.result`` event's attributes, or None.

    A score value in [0, 1] is used as is; other scales (a 1 to 5 rating) cannot be read as a
    fraction without the evaluator's range, so a pass/fail label decides (1.0 / 0.0) instead.
    """
    score = _score(attributes.get(k.GEN_AI_EVALUATION_SCORE_VALUE))
    if score is not None:
        return score
    label = str(attributes.get(k.GEN_AI_EVALUATION_SCORE_LABEL) or "").strip().lower()
    if label in _PASS_LABELS:
        return 1.0
    if label in _FAIL_LABELS:
        return 0.0
    return None


def _choice(value: Any, allowed: tuple[str, ...]) -> str:
    word = value.strip().lower() if isinstance(value, str) else ""
    return word if word in allowed else ""


def _score(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        score = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return score if 0.0 <= score <= 1.0 else None  # NaN fails both comparisons


def _usd(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)  # the shortest decimal that round-trips, not the binary expansion
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or abs(amount) >= MAX_VALUE_USD:
        return None
    return amount
