"""Explicit ``finops.*`` marks and outcomes (ingest/conventions/marks.py).

Attribute keys are spelled out here on purpose: the payloads are what libraries send, and a
test that used the module's own constants could not catch a misspelt constant.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from ingest.conventions import CallMarks, OutcomeMark, evaluation_score, extract_marks, outcome_of

NO_MARKS = CallMarks(
    attempt=None,
    resend_count=None,
    is_fallback=False,
    escalation="",
    cache_hit=False,
    cache_kind="",
    quality_score=None,
    retrieval_chunks=None,
    retrieval_citations=None,
)


def test_every_mark_is_read():
    attributes = {
        "finops.attempt": 2,
        "http.request.resend_count": 1,
        "finops.fallback": True,
        "finops.escalation": "human",
        "finops.cache.hit": "true",
        "finops.cache.kind": "semantic",
        "finops.quality.score": 0.75,
        "finops.retrieval.chunks": 8,
        "finops.retrieval.citations": "3",
    }

    assert extract_marks(attributes) == CallMarks(
        attempt=2,
        resend_count=1,
        is_fallback=True,
        escalation="human",
        cache_hit=True,
        cache_kind="semantic",
        quality_score=0.75,
        retrieval_chunks=8,
        retrieval_citations=3,
    )


def test_span_without_marks_has_none():
    assert extract_marks({"gen_ai.request.model": "gpt-4o"}) == NO_MARKS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(True, True), ("true", True), ("TRUE", True), (1, True), ("1", True)],
        *[(False, False), ("false", False), (0, False), ("yes please", False), (2, False)],
    ],
    ids=repr,
)
def test_boolean_marks_accept_bools_strings_and_ones(value, expected):
    marks = extract_marks({"finops.fallback": value, "finops.cache.hit": value})

    assert (marks.is_fallback, marks.cache_hit) == (expected, expected)


@pytest.mark.parametrize(
    ("attributes", "field", "expected"),
    [
        ({"finops.attempt": "3"}, "attempt", 3),
        ({"finops.attempt": 2.0}, "attempt", 2),
        ({"finops.attempt": 2.5}, "attempt", None),
        ({"finops.attempt": -1}, "attempt", None),
        ({"finops.attempt": True}, "attempt", None),
        ({"finops.escalation": "Model"}, "escalation", "model"),
        ({"finops.escalation": "manager"}, "escalation", ""),
        ({"finops.cache.kind": "fuzzy"}, "cache_kind", ""),
        ({"finops.quality.score": "0.5"}, "quality_score", 0.5),
        ({"finops.quality.score": 1.5}, "quality_score", None),
        ({"finops.quality.score": math.nan}, "quality_score", None),
        ({"finops.retrieval.chunks": "many"}, "retrieval_chunks", None),
    ],
    ids=repr,
)
def test_out_of_range_marks_count_as_absent(attributes, field, expected):
    assert getattr(extract_marks(attributes), field) == expected


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {
                "finops.outcome": "success",
                "finops.outcome.name": "ticket_resolved",
                "finops.outcome.value": "12.50",
            },
            OutcomeMark(success=True, name="ticket_resolved", value_usd=Decimal("12.50")),
            id="success-with-value",
        ),
        pytest.param(
            {"finops.outcome": "Failure", "finops.outcome.value": 0.1},
            OutcomeMark(success=False, name="", value_usd=Decimal("0.1")),
            id="failure-float-value",
        ),
        pytest.param(
            {"finops.outcome": True},
            OutcomeMark(success=True, name="", value_usd=None),
            id="boolean",
        ),
        pytest.param(
            {"finops.outcome": "pending", "finops.outcome.value": "NaN"},
            OutcomeMark(success=None, name="", value_usd=None),
            id="unknown-outcome-unreadable-value",
        ),
        pytest.param(
            {"finops.outcome": "success", "finops.outcome.value": 10**12},
            OutcomeMark(success=True, name="", value_usd=None),
            id="implausible-value",
        ),
    ],
)
def test_outcome_is_read_from_the_span(attributes, expected):
    assert outcome_of(attributes) == expected


@pytest.mark.parametrize(
    "attributes", [{}, {"finops.outcome": ""}, {"finops.outcome.name": "ticket_resolved"}], ids=repr
)
def test_no_outcome_without_finops_outcome(attributes):
    assert outcome_of(attributes) is None


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"gen_ai.evaluation.score.value": 0.75}, 0.75),
        ({"gen_ai.evaluation.score.value": 4.0, "gen_ai.evaluation.score.label": "pass"}, 1.0),
        ({"gen_ai.evaluation.score.value": 4.0}, None),  # a 1-5 scale: range unknown
        ({"gen_ai.evaluation.score.label": "incorrect"}, 0.0),
        ({"gen_ai.evaluation.score.label": "meh"}, None),
        ({}, None),
    ],
)
def test_evaluation_score_reads_unit_scores_and_pass_fail_labels(attributes, expected):
    assert evaluation_score(attributes) == expected
