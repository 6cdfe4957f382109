"""The feature page: every number equals sums computed here from the stored calls and
traces (late outcome, retries, fallbacks, escalations, app-cache hits included), each links
to the calls behind it, every table downloads as CSV, and the page's queries are pinned."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from finops import sketch
from tests.web import feature_world as w

pytestmark = pytest.mark.django_db
Q = Decimal("0.1")


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(w.NOW, tick=False):
        yield


@pytest.fixture
def world(project, client):
    w.build(project, client)


@pytest.fixture
def url(project) -> str:
    return reverse("finops:feature-detail", args=[project.slug, w.FEATURE])


def _rows(response, table: str) -> dict[str, dict]:
    """``{first cell: {column key: value}}`` of a table in the page's context."""
    built = response.context["tables"][table]
    return {row.label: {c.key: c.value for c in row.cells} for row in built.rows}


def _usd(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1E-10"))


def _pct(part, whole) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Q)


def test_kpis_equal_sums_of_calls_and_traces(viewer_client, url, project, world):
    calls = w.calls_of(project, w.FIRST_DAY, w.LAST_DAY)
    roots = [t for t in w.traces_of(project, w.FIRST_DAY, w.LAST_DAY) if t.outcome]
    wins = [t for t in roots if t.outcome == "success"]
    before = w.calls_of(project, *w.PREVIOUS)
    before_roots = [t for t in w.traces_of(project, *w.PREVIOUS) if t.outcome]
    kpis = _rows(viewer_client.get(url), "kpis")

    assert kpis["Spend"]["value"] == w.spend(calls) == Decimal("0.88")
    assert kpis["Spend"]["compare"] == w.spend(before) == Decimal("0.12")
    assert kpis["Calls"]["value"] == len(calls) == 8
    assert kpis["Outcomes"]["value"] == len(roots) == 3  # T3's came late, by the API
    assert kpis["Successes"]["value"] == len(wins) == 2
    assert kpis["Cost per outcome"]["value"] == _usd(w.spend(calls) / len(roots))
    assert kpis["Cost per outcome"]["compare"] == _usd(w.spend(before) / len(before_roots))
    assert kpis["Cost per outcome"]["change_pct"] == Decimal("144.4")  # 0.29333 / 0.12 - 1
    assert kpis["Cost per success"]["value"] == _usd(w.spend(calls) / len(wins))
    assert kpis["Success rate"]["value"] == _pct(len(wins), len(roots))
    value = sum(t.outcome_value_usd or 0 for t in roots)
    assert value == Decimal("15")
    assert kpis["Value per dollar"]["value"] == (value / w.spend(calls)).quantize(Decimal("0.01"))


def test_model_routes_equal_sums_of_their_calls(viewer_client, url, project, world):
    routes = _rows(viewer_client.get(url), "routes")
    all_calls = w.calls_of(project, w.FIRST_DAY, w.LAST_DAY)
    assert set(routes) == {"gpt-4o", "gpt-4o-mini"}
    for model, route in (("gpt-4o", "premium"), ("gpt-4o-mini", "cheap")):
        mine = [c for c in all_calls if c.response_model == model and c.route == route]
        row = routes[model]
        assert row["route"] == route
        assert row["spend_usd"] == w.spend(mine)
        assert row["calls"] == len(mine)
        assert row["share_of_spend_pct"] == _pct(w.spend(mine), w.spend(all_calls))
        scored = [c.quality_score for c in mine if c.quality_score is not None]
        assert row["quality"] == (round(sum(scored) / len(scored), 3) if scored else None)
        assert row["retry_rate_pct"] == _pct(sum(c.is_retry for c in mine), len(mine))
        assert row["fallback_rate_pct"] == _pct(sum(c.is_fallback for c in mine), len(mine))
        escalated = sum(c.escalation == "model" for c in mine)
        assert row["escalation_rate_pct"] == _pct(escalated, len(mine))
        cached = sum(c.cache_read_tokens > 0 for c in mine)
        assert row["prompt_cache_rate_pct"] == _pct(cached, len(mine))
        assert row["cache_hits"] == sum(c.cache_hit for c in mine)
        assert row["avoided_cost_usd"] == sum(c.avoided_cost_usd or 0 for c in mine)
        for key, q in (("p50_ms", 0.5), ("p95_ms", 0.95)):
            true = w.nearest_rank([c.duration_ms for c in mine], q)
            assert abs(row[key] - true) <= true * sketch.MAX_RELATIVE_ERROR + 1
    assert routes["gpt-4o"]["quality"] == 0.7
    assert routes["gpt-4o-mini"]["avoided_cost_usd"] == Decimal("0.05")


def test_templates_segments_and_actions_equal_sums(viewer_client, url, project, world):
    response = viewer_client.get(url)
    calls = w.calls_of(project, w.FIRST_DAY, w.LAST_DAY)
    templates = _rows(response, "templates")
    for name in ("answer", "review", "summary"):
        mine = [c for c in calls if c.template == name]
        row = templates[name]
        assert (row["spend_usd"], row["calls"]) == (w.spend(mine), len(mine))
        tokens_in = sum(c.input_tokens for c in mine)
        assert row["input_per_call"] == (Decimal(tokens_in) / len(mine)).quantize(Decimal("0.01"))
    answer = [c for c in calls if c.template == "answer" and c.retrieval_chunks is not None]
    chunks = sum(c.retrieval_chunks for c in answer)
    assert templates["answer"]["chunks_per_call"] == Decimal(chunks) / len(answer) == 5
    cited = sum(c.retrieval_citations for c in answer)
    assert templates["answer"]["citations_used_pct"] == _pct(cited, chunks)

    segments = _rows(response, "segments")
    traces = w.traces_of(project, w.FIRST_DAY, w.LAST_DAY)
    for name in ("enterprise", "smb"):
        mine = [c for c in calls if c.segment == name]
        roots = [t for t in traces if t.segment == name and t.outcome]
        assert segments[name]["spend_usd"] == w.spend(mine)
        assert segments[name]["outcomes"] == len(roots)
        assert segments[name]["cost_per_outcome_usd"] == _usd(w.spend(mine) / len(roots))

    actions = _rows(response, "actions")
    for name in ("answer_ticket", "summarize"):
        mine = [t for t in traces if t.root_name == name]
        assert actions[name]["traces"] == len(mine)
        escalated = sum(t.human_escalations for t in mine)
        assert actions[name]["human_escalation_rate_pct"] == _pct(escalated, len(mine))
        true = w.nearest_rank([t.duration_ms for t in mine], 0.95)
        assert abs(actions[name]["p95_ms"] - true) <= true * sketch.MAX_RELATIVE_ERROR + 1


def test_reliability_rates_count_calls_and_traces(viewer_client, url, project, world):
    rows = _rows(viewer_client.get(url), "reliability")
    calls = w.calls_of(project, w.FIRST_DAY, w.LAST_DAY)
    traces = w.traces_of(project, w.FIRST_DAY, w.LAST_DAY)
    n = len(calls)
    assert rows["Retries"]["count"] == sum(c.is_retry for c in calls) == 1
    assert rows["Retries"]["rate_pct"] == _pct(1, n)
    retry_spend = w.spend([c for c in calls if c.is_retry or c.is_fallback or c.escalation])
    assert rows["Retries"]["usd"] == retry_spend == Decimal("0.55")
    assert rows["Fallbacks"]["count"] == sum(c.is_fallback for c in calls) == 1
    assert rows["Model escalations"]["count"] == 1
    human = sum(t.human_escalations for t in traces)
    assert rows["Human escalations"]["count"] == human == 1
    assert rows["Human escalations"]["rate_pct"] == _pct(human, len(traces))
    assert rows["Human escalations"]["per"] == "trace"
    assert rows["Errors"]["count"] == sum(bool(c.error_type) for c in calls) == 1
    assert rows["Prompt-cache hits"]["rate_pct"] == _pct(1, n)
    assert rows["App-cache hits"]["count"] == sum(c.cache_hit for c in calls) == 1
    assert rows["App-cache hits"]["usd"] == Decimal("0.05")


def test_daily_chart_points_link_to_that_days_calls(viewer_client, url, project, world):
    html = viewer_client.get(url).content.decode()
    fig = json.loads(re.search(r'id="fig-cost-per-outcome"[^>]*>(.*?)</script>', html).group(1))
    line = fig["data"][0]
    assert len(line["x"]) == 30
    index = line["x"].index("2026-11-05")
    day = w.calls_of(project, date(2026, 11, 5), date(2026, 11, 5))
    roots = [t for t in w.traces_of(project, date(2026, 11, 5), date(2026, 11, 5)) if t.outcome]
    assert line["y"][index] == float(w.spend(day) / len(roots)) == 0.4
    assert line["y"][0] is None  # no outcome that day: a gap, not $0
    link = urlsplit(line["customdata"][index])
    assert link.path == reverse("finops:traces", args=[project.slug])
    assert parse_qs(link.query) == {
        "start": ["2026-11-05"],
        "end": ["2026-11-05"],
        "feature": [w.FEATURE],
    }
    listed = viewer_client.get(line["customdata"][index]).context["rows"]
    assert sorted(c.span_id for c in listed) == sorted(c.span_id for c in day)


def test_table_rows_and_kpis_link_to_the_calls_behind_them(viewer_client, url, project, world):
    response = viewer_client.get(url)
    routes = response.context["tables"]["routes"].rows
    query = parse_qs(urlsplit(routes[0].url).query)
    assert query["model"] == ["gpt-4o"] and query["route"] == ["premium"]
    assert query["feature"] == [w.FEATURE]
    reliability = {row.label: row.url for row in response.context["tables"]["reliability"].rows}
    assert parse_qs(urlsplit(reliability["Retries"]).query)["is_retry"] == ["1"]
    assert parse_qs(urlsplit(reliability["Human escalations"]).query)["escalation"] == ["human"]
    assert parse_qs(urlsplit(reliability["App-cache hits"]).query)["cache_hit"] == ["1"]
    html = response.content.decode()
    assert 'data-kpi="Cost per outcome"' in html
    assert html.count('title="The calls behind this number"') > 30


def test_page_queries_are_pinned(viewer_client, url, world, django_assert_num_queries):
    # session, user, project; 5 call groupings + sketches; outcome rows; 2 compare aggregates
    with django_assert_num_queries(11):
        assert viewer_client.get(url).status_code == 200
    with django_assert_num_queries(9):
        assert viewer_client.get(url, {"compare": "none"}).status_code == 200


def test_every_table_downloads_as_csv(viewer_client, url, world):
    page = viewer_client.get(url)
    for name, table in page.context["tables"].items():
        response = viewer_client.get(url, {"format": "csv", "table": name})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows == table.csv_rows()
        assert f'href="?start=2026-10-22&amp;end=2026-11-20&amp;format=csv&amp;table={name}"' in (
            page.content.decode()
        )
    routes = list(csv.DictReader(io.StringIO(
        viewer_client.get(url, {"format": "csv", "table": "routes"}).content.decode()
    )))  # fmt: skip
    assert routes[0]["spend_usd"] == "0.8500000000"


def test_unknown_csv_table_is_400_naming_the_tables(viewer_client, url, world):
    response = viewer_client.get(url, {"format": "csv", "table": "nope"})
    assert response.status_code == 400
    assert b"kpis, reliability, daily, routes, templates, segments, actions" in response.content


def test_template_filter_narrows_spend_and_says_outcomes_are_the_features(
    viewer_client, url, project, world
):
    response = viewer_client.get(url, {"template": "review"})
    kpis = _rows(response, "kpis")
    review = [c for c in w.calls_of(project, w.FIRST_DAY, w.LAST_DAY) if c.template == "review"]
    assert kpis["Spend"]["value"] == w.spend(review) == Decimal("0.25")
    assert kpis["Outcomes"]["value"] == 3  # the feature's, not the template's
    assert 'id="outcomes-note"' in response.content.decode()
    assert 'id="outcomes-note"' not in viewer_client.get(url).content.decode()


def test_filter_problems_are_shown(viewer_client, url, world):
    response = viewer_client.get(url, {"start": "yesterday", "compare": "decade"})
    html = response.content.decode()
    assert "Dates must look like 2026-11-01" in html
    assert "Unknown compare-to &#x27;decade&#x27;" in html


def test_unknown_feature_shows_what_to_send(viewer_client, project, world):
    response = viewer_client.get(reverse("finops:feature-detail", args=[project.slug, "nope"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'finops.feature = "nope"' in html and "POST /api/v1/outcomes" in html


def test_feature_with_data_elsewhere_says_widen_the_range(viewer_client, url, world):
    response = viewer_client.get(url, {"start": "2026-06-01", "end": "2026-06-30"})
    assert "has data at other times" in response.content.decode()


def test_unattributed_feature_page_shows_calls_without_feature(viewer_client, project):
    w.call(project, w.T1, w.LAST_DAY, "smb", "0.4000000000", feature="")
    w.rebuild(project)
    url = reverse("finops:feature-detail", args=[project.slug, "(unattributed)"])
    response = viewer_client.get(url)
    assert _rows(response, "kpis")["Spend"]["value"] == Decimal("0.4")
    link = response.context["tables"]["routes"].rows[0].url
    assert parse_qs(urlsplit(link).query)["feature"] == ["(unattributed)"]


def test_features_page_links_each_row_to_its_feature_page(viewer_client, project, world):
    features = reverse("finops:features", args=[project.slug])
    html = viewer_client.get(features).content.decode()
    assert f'<a href="{w.FEATURE}/">{w.FEATURE}</a>' in html
    target = viewer_client.get(features + f"{w.FEATURE}/")
    assert target.status_code == 200 and target.context["name"] == w.FEATURE


def test_member_of_other_project_gets_404(client, project, other_project, world):
    from tests.factories import MembershipFactory, UserFactory

    bob = MembershipFactory(user=UserFactory(username="bob"), project=other_project).user
    client.force_login(bob)
    response = client.get(reverse("finops:feature-detail", args=[project.slug, w.FEATURE]))
    assert response.status_code == 404
