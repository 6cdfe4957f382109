"""``GET /api/v1/features/{name}/``: the feature page's numbers as JSON (money as decimal
strings), the drivers adding up to the change, 400 naming a bad parameter, 404 for a feature
without data, and a schema entry."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from tests.factories import issue_key
from tests.web import feature_world as w

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(w.NOW, tick=False):
        yield


@pytest.fixture
def world(project, client):
    w.build(project, client)


@pytest.fixture
def api(client, project):
    key = issue_key(project)

    def get(name: str = w.FEATURE, **params):
        url = reverse("api:feature-detail", args=[name])
        return client.get(url, params, headers={"Authorization": f"Bearer {key}"})

    return get


def test_kpis_equal_sums_of_calls_and_traces(api, project, world):
    body = api().json()
    calls = w.calls_of(project, w.FIRST_DAY, w.LAST_DAY)
    roots = [t for t in w.traces_of(project, w.FIRST_DAY, w.LAST_DAY) if t.outcome]
    wins = [t for t in roots if t.outcome == "success"]
    kpis = body["kpis"]
    assert (body["feature"], body["start"], body["end"]) == (w.FEATURE, "2026-10-22", "2026-11-20")
    assert (body["compare_start"], body["compare_end"]) == ("2026-09-22", "2026-10-21")
    assert Decimal(kpis["spend_usd"]) == w.spend(calls)
    assert kpis["spend_usd"] == "0.8800000000"
    assert (kpis["calls"], kpis["outcomes"], kpis["successes"]) == (
        len(calls),
        len(roots),
        len(wins),
    )
    assert kpis["cost_per_outcome_usd"] == "0.2933333333"
    assert kpis["cost_per_success_usd"] == "0.4400000000"
    assert kpis["compare_spend_usd"] == "0.1200000000"
    assert kpis["outcome_value_usd"] == "15.0000000000"


def test_breakdowns_match_the_calls_and_link_to_them(api, project, world):
    body = api().json()
    calls = w.calls_of(project, w.FIRST_DAY, w.LAST_DAY)
    routes = {r["model"]: r for r in body["by_model_route"]}
    premium = [c for c in calls if c.response_model == "gpt-4o"]
    assert Decimal(routes["gpt-4o"]["spend_usd"]) == w.spend(premium)
    assert routes["gpt-4o"]["calls"] == len(premium)
    assert routes["gpt-4o"]["calls_url"].startswith(f"/p/{project.slug}/traces/?")
    templates = {r["template"]: r for r in body["by_template"]}
    assert templates["answer"]["chunks_per_call"] == "5.00"
    assert templates["review"]["chunks_per_call"] is None
    segments = {r["segment"]: r for r in body["by_segment"]}
    assert segments["smb"]["outcomes"] == 2
    reliability = {r["metric"]: r for r in body["reliability"]}
    assert reliability["App-cache hits"]["usd"] == "0.0500000000"
    assert {r["action"] for r in body["by_user_action"]} == {"answer_ticket", "summarize"}
    assert len(body["weekly"]) == 8


def test_drivers_add_up_to_the_change(api, world):
    drivers = api().json()["drivers"]
    change = Decimal(drivers["change_usd"])
    assert change == Decimal(drivers["after_usd"]) - Decimal(drivers["before_usd"])
    assert sum(Decimal(d["delta_usd"]) for d in drivers["drivers"]) == change
    assert drivers["primary"] in {d["name"] for d in drivers["drivers"]}


def test_without_compare_period_drivers_are_empty(api, world):
    body = api(compare="none").json()
    assert body["compare_start"] is None and body["kpis"]["compare_spend_usd"] is None
    assert body["drivers"]["drivers"] == [] and body["drivers"]["note"] == "no compare period"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"start": "2026-11-10", "end": "2026-11-01"}, "start"),
        ({"compare": "decade"}, "compare"),
        ({"compare": "custom", "compare_end": "2026-01-31"}, "compare_start"),
        ({"compare": "custom", "compare_start": "2026-01-01", "compare_end": "x"}, "compare_end"),
    ],
)
def test_bad_parameter_is_400_naming_it(api, world, params, field):
    response = api(**params)
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_feature_is_404(api, world):
    assert api("no-such-feature").status_code == 404


def test_feature_with_data_outside_the_range_is_200(api, world):
    response = api(start="2026-06-01", end="2026-06-30")
    assert response.status_code == 200
    assert response.json()["kpis"]["calls"] == 0


def test_unattributed_is_a_feature_name(api, project):
    w.call(project, w.T1, w.LAST_DAY, "smb", "0.4000000000", feature="")
    w.rebuild(project)
    body = api("(unattributed)").json()
    assert body["kpis"]["spend_usd"] == "0.4000000000"


def test_schema_documents_the_endpoint(viewer_client):
    schema = viewer_client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/features/{name}/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"name", "start", "end", "compare"}
    assert "FeatureDetail" in schema["components"]["schemas"]
