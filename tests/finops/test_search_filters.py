"""Every trace-search filter against the known data set (tests/finops/search_data.py): the
expected calls of each filter were read off that table by hand."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from finops.search.calls import capped_count, filter_calls
from finops.search.params import parse_search
from ingest.models import LLMCall
from tests.finops import search_data as data

pytestmark = pytest.mark.django_db

ALL = set(data.NAMES)


def N(names: str) -> set[str]:
    return set(names.split())


# (query string, expected call names)
CASES = [
    ("start=2026-11-01&end=2026-11-03", ALL - N("c13 c15")),
    ("start=2026-11-02", N("c08 c09 c10 c11 c12 c14 c15 c21 c22 c23 c24")),
    ("end=2026-11-01T06:00:00Z", N("c01 c02 c03 c04 c05 c06 c13")),
    ("start=2026-11-01T06:00:00%2B01:00&end=2026-11-01T07:00:00%2B01:00", N("c06")),
    ("feature=support", N("c01 c02 c03 c04 c05 c13 c14 c15 c16 c17 c18")),
    ("feature=(unattributed)", N("c08")),
    ("template=answer", N("c01 c02 c03 c04 c13 c14 c15 c16 c17 c18")),
    ("template=answer&template_version=2", N("c02 c03 c04 c16 c17 c18")),
    ("template=(unattributed)", N("c05 c08 c24")),
    ("segment=enterprise", N("c04 c05 c11 c12 c20 c21 c22")),
    ("segment=(unattributed)", N("c06 c08")),
    ("customer=cust-3", N("c07 c09 c10")),
    ("session=sess-1", N("c01 c02 c03")),
    ("model=gpt-4o", N("c06 c07 c09 c10")),
    ("model=gpt-4o-mini", N("c01 c02 c03 c13 c14 c15 c17 c19 c20 c21")),
    ("model=gpt-4o-2024-08-06", N("c16")),
    ("request_model=gpt-4o", N("c06 c07 c09 c10 c16")),
    ("provider=anthropic", N("c04 c05 c18")),
    ("route=premium", N("c04 c06 c07 c09 c10 c16 c18 c23 c24")),
    ("route=(unattributed)", N("c05 c08 c22")),
    ("status=error", N("c02 c09 c17")),
    ("status=ok", ALL - N("c02 c09 c17")),
    ("error_type=TimeoutError", N("c09")),
    ("is_retry=1", N("c03 c10 c18")),
    ("is_retry=0", ALL - N("c03 c10 c18")),
    ("is_fallback=true", N("c04 c18")),
    ("escalation=model", N("c05 c23")),
    ("escalation=human", N("c06")),
    ("escalation=any", N("c05 c06 c23")),
    ("escalation=none", ALL - N("c05 c06 c23")),
    ("cache_hit=1", N("c07")),
    ("min_cost=0.02", N("c04 c06 c10 c18 c21 c23 c24")),
    ("max_cost=0.0001", N("c07 c08 c19 c20")),
    ("min_cost=0.001&max_cost=0.002", N("c01 c03 c11 c12 c13")),
    ("min_latency_ms=5000", N("c09 c17 c23 c24")),
    ("max_latency_ms=80", N("c02 c07 c08")),
    ("min_input_tokens=8000", N("c11 c12 c23 c24")),
    ("max_input_tokens=0", N("c02 c07")),
    ("min_output_tokens=1000", N("c04 c18 c23 c24")),
    ("max_output_tokens=0", N("c02 c07 c08 c09 c17")),
    (f"trace_id={data.trace_id_of('c16')}", N("c16 c17 c18")),
    (f"trace_id={data.trace_id_of('c16').upper()}", N("c16 c17 c18")),
    (f"span_id={data.span_id_of('c04')}", N("c04")),
    ("attr=app.experiment=B", N("c01 c06")),
    ("attr=gen_ai.request.temperature=0", N("c01 c16")),
    ("attr=gen_ai.request.temperature=0.7", N("c04")),
    ("attr=app.beta=true", N("c04")),
    ("attr=app.experiment=A&attr=gen_ai.request.temperature=0", N("c16")),
    ("attr=app.experiment=C", set()),
    ("q=refund", N("c01 c06")),
    ("q=REFUND+POLICY", N("c01")),
    ("q=within+14+days", N("c01")),
    ("q=Plaza&feature=search", N("c06")),
    ("q=refund&start=2026-11-01T04:00:00Z", N("c06")),
    ("q=no+such+words", set()),
    ("q=100%25", set()),
    ("feature=support&status=ok&min_cost=0.01", N("c04 c16 c18")),
    ("feature=search&start=2026-11-02", N("c09 c10")),
    ("segment=smb&is_retry=1&provider=openai", N("c03 c10")),
]  # fmt: skip


@pytest.fixture
def calls(project, other_project):
    return data.build(project, other_project)


def _search(query: str):
    pairs = parse_qsl(query, keep_blank_values=True)
    params = {key: value for key, value in pairs if key != "attr"}
    search, errors = parse_search(params, [value for key, value in pairs if key == "attr"])
    assert errors == {}
    return search


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[case[0] for case in CASES])
def test_filter_finds_exactly_the_expected_calls(calls, project, query, expected):
    found = filter_calls(LLMCall.objects.for_project(project.pk), _search(query))
    assert data.names_of(calls, found) == expected


def test_no_filter_finds_every_call_of_the_project_only(calls, project):
    found = filter_calls(LLMCall.objects.for_project(project.pk), _search(""))
    assert data.names_of(calls, found) == ALL


@pytest.mark.parametrize(
    ("cap", "expected"), [(5, (5, True)), (23, (23, True)), (24, (24, False)), (100, (24, False))]
)
def test_capped_count_stops_at_the_cap(calls, project, cap, expected):
    assert capped_count(LLMCall.objects.for_project(project.pk), cap) == expected


def test_capped_count_of_a_filter_counts_its_calls(calls, project):
    qs = filter_calls(LLMCall.objects.for_project(project.pk), _search("feature=support"))
    assert capped_count(qs, 10_000) == (11, False)
