"""The project overview page and the home page that leads to it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from finops import rollups
from ingest.models import LLMCall, Trace
from tests.factories import LLMCallFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# The default range: the 30 UTC days ending today, both inclusive.
FIRST_DAY, LAST_DAY = date(2026, 10, 22), date(2026, 11, 20)
PLOTLY = "vendor/plotly.min.js"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def overview_url(project) -> str:
    return reverse("finops:overview", kwargs={"slug": project.slug})


def _rebuild(project) -> None:
    """The overview reads the daily rollups: build them from the stored calls and traces."""
    first, last = rollups.data_days(project.pk)
    rollups.rebuild(project.pk, first, last)


@pytest.fixture
def calls(project) -> list:
    """Calls on both edges of the default range, one just before it, and an unpriced one."""
    rows = [
        LLMCallFactory(
            project=project,
            start_time=datetime(2026, 10, 22, 0, 0, tzinfo=UTC),
            cost_usd=Decimal("1.2345670000"),
            input_tokens=1000,
            output_tokens=200,
            feature="search",
        ),
        LLMCallFactory(
            project=project,
            start_time=datetime(2026, 11, 5, 9, 30, tzinfo=UTC),
            cost_usd=Decimal("1234.0001000000"),
            input_tokens=1_500_000,
            output_tokens=250_000,
            feature="support-assistant",
        ),
        LLMCallFactory(
            project=project,
            start_time=datetime(2026, 11, 20, 11, 59, tzinfo=UTC),
            cost_usd=Decimal("0.5000000000"),
            input_tokens=3000,
            output_tokens=700,
            feature="support-assistant",
        ),
        LLMCallFactory(
            project=project,
            start_time=datetime(2026, 11, 6, tzinfo=UTC),
            cost_usd=None,
            provider="acme-labs",
            request_model="acme-llm-9",
            response_model="",
            price_note="unknown model acme-llm-9",
            input_tokens=100,
            output_tokens=10,
        ),
        LLMCallFactory(
            project=project,
            start_time=datetime(2026, 10, 21, 23, 59, 59, tzinfo=UTC),
            cost_usd=Decimal("100"),
            input_tokens=9999,
            output_tokens=9999,
        ),
    ]
    _rebuild(project)
    return rows


def _expected_totals(rows, first: date, last: date) -> dict:
    inside = [row for row in rows if first <= row.start_time.date() <= last]
    return {
        "calls": len(inside),
        "spend_usd": sum((row.cost_usd for row in inside if row.cost_usd is not None), Decimal(0)),
        "tokens": sum(row.input_tokens + row.output_tokens for row in inside),
        "unpriced": sum(1 for row in inside if row.cost_usd is None),
    }


def _kpi(html: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}">([^<]*)<', html)
    assert match, f"no KPI {name!r} on the page"
    return match.group(1)


def _money(amount: Decimal) -> str:
    return f"${amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def test_totals_in_context_equal_sums_of_calls_in_range(viewer_client, overview_url, calls):
    expected = _expected_totals(calls, FIRST_DAY, LAST_DAY)
    totals = viewer_client.get(overview_url).context["totals"]
    assert totals["calls"] == expected["calls"] == 4
    assert totals["spend_usd"] == expected["spend_usd"] == Decimal("1235.734667")
    assert totals["input_tokens"] + totals["output_tokens"] == expected["tokens"]
    assert totals["unpriced"] == expected["unpriced"] == 1


def test_totals_are_rendered_in_kpis(viewer_client, overview_url, calls):
    expected = _expected_totals(calls, FIRST_DAY, LAST_DAY)
    html = viewer_client.get(overview_url).content.decode()
    assert _kpi(html, "spend") == _money(expected["spend_usd"]) == "$1,235.73"
    assert _kpi(html, "calls") == f"{expected['calls']:,}"
    assert _kpi(html, "tokens") == f"{expected['tokens']:,}" == "1,755,010"
    assert _kpi(html, "unpriced") == f"{expected['unpriced']:,}"


def test_default_range_is_last_30_days(viewer_client, overview_url):
    response = viewer_client.get(overview_url)
    period = response.context["period"]
    assert (period.first, period.last, period.days, period.problem) == (
        FIRST_DAY,
        LAST_DAY,
        30,
        "",
    )
    assert 'name="start" value="2026-10-22"' in response.content.decode()
    assert 'name="end" value="2026-11-20"' in response.content.decode()


def test_call_before_range_is_excluded(viewer_client, overview_url, project):
    LLMCallFactory(project=project, start_time=datetime(2026, 10, 22, tzinfo=UTC))
    LLMCallFactory(project=project, start_time=datetime(2026, 10, 21, 23, 59, 59, tzinfo=UTC))
    _rebuild(project)
    assert viewer_client.get(overview_url).context["totals"]["calls"] == 1


def test_start_and_end_in_url_are_honoured(viewer_client, overview_url, calls):
    response = viewer_client.get(overview_url, {"start": "2026-10-21", "end": "2026-11-05"})
    period = response.context["period"]
    assert (period.first, period.last, period.problem) == (
        date(2026, 10, 21),
        date(2026, 11, 5),
        "",
    )
    expected = _expected_totals(calls, date(2026, 10, 21), date(2026, 11, 5))
    totals = response.context["totals"]
    assert (totals["calls"], totals["spend_usd"]) == (expected["calls"], expected["spend_usd"])
    assert (expected["calls"], expected["spend_usd"]) == (3, Decimal("1335.2346670"))
    assert _kpi(response.content.decode(), "spend") == "$1,335.23"


@pytest.mark.parametrize(
    "params",
    [{"start": "2026-13-45"}, {"start": "yesterday"}, {"end": "2026-11-20T00:00"}],
    ids=["impossible-date", "word", "datetime"],
)
def test_invalid_date_shows_message_and_falls_back_to_default(viewer_client, overview_url, params):
    response = viewer_client.get(overview_url, params)
    period = response.context["period"]
    assert (period.first, period.last) == (FIRST_DAY, LAST_DAY)
    message = "Dates must look like 2026-11-01; showing the last 30 days."
    assert period.problem == message
    assert f'role="status">{message}<' in response.content.decode()


def test_empty_project_shows_otlp_setup(viewer_client, overview_url):
    response = viewer_client.get(overview_url)
    html = response.content.decode()
    assert response.context["has_any_call"] is False
    assert 'id="empty-state"' in html
    assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://testserver/v1/traces\n" in html
    assert 'id="kpi-spend"' not in html


def test_calls_only_outside_range_show_widen_range_state(viewer_client, overview_url, project):
    LLMCallFactory(project=project, start_time=datetime(2026, 1, 15, tzinfo=UTC))
    _rebuild(project)
    html = viewer_client.get(overview_url).content.decode()
    assert "No calls between Oct. 22, 2026 and Nov. 20, 2026" in html
    assert "Widen the date range above." in html
    assert 'id="empty-state"' not in html
    assert "data-chart" not in html


def test_unpriced_calls_are_counted_and_listed(viewer_client, overview_url, project):
    for _ in range(2):
        LLMCallFactory(
            project=project,
            start_time=datetime(2026, 11, 19, tzinfo=UTC),
            cost_usd=None,
            provider="acme-labs",
            request_model="acme-llm-9",
            response_model="",
            price_note="unknown model acme-llm-9",
        )
    LLMCallFactory(project=project, start_time=datetime(2026, 11, 19, tzinfo=UTC))  # priced
    _rebuild(project)
    response = viewer_client.get(overview_url)
    assert response.context["totals"]["unpriced"] == 2
    link = "/p/acme/traces/?start=2026-10-22&end=2026-11-20&model=acme-llm-9"
    assert response.context["unpriced_models"] == [
        {"model": "acme-llm-9", "calls": 2, "calls_url": link}
    ]
    html = response.content.decode()
    assert _kpi(html, "unpriced") == "2"
    assert (
        '<tr><td>acme-llm-9</td><td class="num">'
        f'<a href="{link.replace("&", "&amp;")}">2</a></td></tr>'
    ) in html


def test_unpriced_calls_do_not_add_to_spend(viewer_client, overview_url, project):
    LLMCallFactory(project=project, start_time=NOW, cost_usd=Decimal("0.25"))
    LLMCallFactory(project=project, start_time=NOW, cost_usd=None, price_note="no usage")
    _rebuild(project)
    response = viewer_client.get(overview_url)
    assert response.context["totals"]["spend_usd"] == Decimal("0.25")
    assert response.context["features"] == [
        {"feature": "support-assistant", "calls": 2, "spend_usd": Decimal("0.25")}
    ]
    assert _kpi(response.content.decode(), "spend") == "$0.25"


def test_spend_chart_has_one_point_per_day_of_range(viewer_client, overview_url, calls):
    fig = viewer_client.get(overview_url).context["spend_fig"]
    (trace,) = fig["data"]
    assert (trace["x"][0], trace["x"][-1]) == ("2026-10-22", "2026-11-20")
    assert len(trace["x"]) == len(trace["y"]) == 30
    assert dict(zip(trace["x"], trace["y"], strict=True))["2026-11-05"] == 1234.0001


def test_overview_query_count_is_pinned(
    viewer_client, overview_url, calls, django_assert_num_queries
):
    # session, user, project; call totals, by feature, by day, unpriced models; outcomes.
    with django_assert_num_queries(8):
        assert viewer_client.get(overview_url).status_code == 200


def test_home_redirects_to_single_project(viewer_client, overview_url):
    response = viewer_client.get(reverse("finops:home"))
    assert response.status_code == 302
    assert response.url == overview_url


def test_home_without_projects_shows_not_a_member(client):
    client.force_login(UserFactory(username="dave"))
    response = client.get(reverse("finops:home"))
    assert response.status_code == 200
    assert "You are not a member of any project yet" in response.content.decode()


def test_home_with_two_projects_lists_both(viewer_client, alice):
    MembershipFactory(user=alice, project=ProjectFactory(slug="zeta", name="Zeta Labs"))
    response = viewer_client.get(reverse("finops:home"))
    assert response.status_code == 200
    assert [p.slug for p in response.context["projects"]] == ["acme", "zeta"]


def test_plotly_bundle_is_found_by_staticfiles():
    path = finders.find(PLOTLY)
    assert path is not None
    with open(path, "rb") as bundle:
        assert b"plotly.js" in bundle.read(2000)


def test_plotly_bundle_is_served(client):
    response = client.get(static(PLOTLY))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"plotly.js" in b"".join(response.streaming_content)[:2000]


def test_page_loads_scripts_from_own_static_only(viewer_client, overview_url, calls):
    html = viewer_client.get(overview_url).content.decode()
    tags = re.findall(r"<script\b([^>]*)>", html)
    sources = [m.group(1) for tag in tags if (m := re.search(r'\bsrc="([^"]*)"', tag))]
    assert sources == [static(PLOTLY), static("js/charts.js")]
    assert not [s for s in sources if "cdn" in s.lower() or "//" in s]
    # No inline code: the only script blocks without src are json_script figure data.
    inline = [tag for tag in tags if "src=" not in tag]
    assert inline == [
        ' id="fig-spend" type="application/json"',
        ' id="fig-features" type="application/json"',
    ]


def test_reliability_panel_counts_marked_calls_and_trace_outcomes(viewer_client, project):
    now = timezone.now()
    LLMCallFactory(project=project, start_time=now, is_retry=True, cost_usd=Decimal("0.25"))
    LLMCallFactory(project=project, start_time=now, is_fallback=True)
    LLMCallFactory(project=project, start_time=now, escalation="model")
    LLMCallFactory(
        project=project,
        start_time=now,
        cache_hit=True,
        cost_usd=Decimal(0),
        avoided_cost_usd=Decimal("0.5"),
    )
    Trace.objects.create(
        project=project,
        trace_id="a" * 32,
        start_time=now,
        last_span_at=now,
        outcome="success",
        human_escalations=1,
    )
    Trace.objects.create(
        project=project, trace_id="b" * 32, start_time=now, last_span_at=now, outcome="failure"
    )
    _rebuild(project)

    response = viewer_client.get(reverse("finops:overview", args=[project.slug]))

    totals, traces = response.context["totals"], response.context["traces"]
    assert (totals["retries"], totals["fallbacks"], totals["model_escalations"]) == (1, 1, 1)
    assert (totals["cache_hits"], totals["avoided_usd"]) == (1, Decimal("0.5"))
    # Spend on retries, fallbacks and escalations to a pricier model, from the stored calls.
    marked = LLMCall.objects.filter(project=project).exclude(
        is_retry=False, is_fallback=False, escalation=""
    )
    assert totals["retry_spend_usd"] == sum(c.cost_usd for c in marked) == Decimal("0.25054")
    assert (traces["outcomes"], traces["successes"], traces["human_escalations"]) == (2, 1, 1)
    assert 'id="kpi-escalations">1 / 1<' in response.content.decode()


def test_calls_without_rollups_do_not_show(viewer_client, overview_url, project):
    # The overview reads rollups only: calls that were never rolled up are not counted.
    LLMCallFactory(project=project, start_time=NOW)
    response = viewer_client.get(overview_url)
    assert response.context["totals"]["calls"] == 0
    assert response.context["has_any_call"] is False
