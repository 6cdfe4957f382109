"""Tenant isolation, generated from the URL conf: every route added later is checked too.

Project A is ``acme`` (with distinctive data), project B is ``other``. For each route:
logged out, it refuses; a member of B only, or an API key of B, cannot read A; and nothing
A owns (trace ids, feature names, project name) ever appears in a response body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import SlugConverter, StringConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from finops.models import Budget, Project
from tests.factories import LLMCallFactory, MembershipFactory, SpanFactory, UserFactory, issue_key

pytestmark = pytest.mark.django_db

A_FEATURE = "acme-secret-roadmap-feature"
A_TRACE_IDS = ("a0c0e0a0c0e0a0c0e0a0c0e0a0c0e001", "a0c0e0a0c0e0a0c0e0a0c0e0a0c0e002")
B_TRACE_ID = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b001"

# Routes that read no project's data: other tenants may get a 200, but never A's data.
# Anything not listed here must be scoped to one project and refuse project A to outsiders.
PROJECT_FREE = {
    "finops:home": "lists the user's own projects",
    "api-schema": "the OpenAPI document",
    "api-docs": "Swagger UI over the OpenAPI document",
}
# API routes that only accept POST are checked with a POST of this body (B's own trace id, so
# an echo of it is no leak): a write must be as scoped as a read.
WRITE_BODIES = {
    "api:outcome-create": {
        "trace_id": B_TRACE_ID,
        "name": "ticket_resolved",
        "success": True,
        "idempotency_key": "isolation-1",
    },
    "api:score-create": {
        "trace_id": B_TRACE_ID,
        "name": "relevance",
        "value": 0.5,
        "source": "eval",
    },
}
SKIPPED_PREFIXES = ("admin/", settings.STATIC_URL.lstrip("/"))
SKIPPED_NAMES = {"login", "logout"}


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "finops:overview"
    pattern: str  # the whole path pattern, e.g. "p/<slug:slug>/"
    params: tuple[tuple[str, type], ...]  # (kwarg name, converter class); regex groups: None

    @property
    def kind(self) -> str:
        if self.name.startswith("ingest:"):
            return "receiver"
        return "api" if self.pattern.startswith("api/") else "page"


def _walk(patterns, prefix: str = "", namespaces: tuple[str, ...] = (), params=()):
    for entry in patterns:
        pattern = entry.pattern
        here = params + _params_of(pattern)
        path = prefix + str(pattern)
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, path, spaces, here)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else f"<unnamed {path}>"
            yield Route(name=name, pattern=path, params=here)


def _params_of(pattern) -> tuple[tuple[str, type], ...]:
    if isinstance(pattern, RoutePattern):
        return tuple((key, type(conv)) for key, conv in pattern.converters.items())
    if isinstance(pattern, RegexPattern) and pattern.regex.groups:
        return tuple((f"regex group {i}", type(None)) for i in range(pattern.regex.groups))
    return ()


def _collect_routes() -> list[Route]:
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.pattern.startswith(SKIPPED_PREFIXES) and route.name not in SKIPPED_NAMES
    ]


ROUTES = _collect_routes()
ROUTE_IDS = [route.name for route in ROUTES]


def _url(route: Route, slug: str, query: str = "") -> str:
    """The route's URL with every parameter filled from the project ``slug``; fails loudly
    on a parameter this test does not know how to fill, so a new route cannot slip past."""
    kwargs = {}
    for key, converter in route.params:
        if converter is SlugConverter and key == "slug":
            kwargs[key] = slug
        elif converter is StringConverter and key == "name":
            # A feature: A's secret one in A; in another project its calls without a feature.
            kwargs[key] = A_FEATURE if slug == "acme" else "(unattributed)"
        elif key == "budget_id":  # a budget of the project the URL names
            kwargs[key] = _budget_id(slug)
        elif key == "trace_id":  # a trace of the project the URL names (B: its own call's)
            kwargs[key] = B_TRACE_ID if slug == "other" else A_TRACE_IDS[0]
        else:
            pytest.fail(
                f"route {route.name} ({route.pattern}) has parameter {key!r} "
                f"({converter.__name__}): teach tests/web/test_isolation.py:_url to fill it "
                "with a row of the project under test"
            )
    if route.name.startswith("<unnamed"):
        pytest.fail(f"route {route.pattern} has no name: name every route (STYLE §6)")
    return reverse(route.name, kwargs=kwargs) + (f"?{query}" if query else "")


def _budget_id(slug: str) -> int:
    """A's secret budget (made by ``a_secrets``), or a plain one of the project."""
    project = Project.objects.get(slug=slug)
    budget = Budget.objects.filter(project=project).order_by("-name").first()
    if budget is None:
        budget = Budget.objects.create(project=project, name="Plain", amount_usd=Decimal("10"))
    return budget.pk


def _needs_project_scope(route: Route) -> bool:
    if route.name in PROJECT_FREE:
        return False
    if route.kind == "page" and not route.params:
        pytest.fail(
            f"page {route.name} ({route.pattern}) has no <slug>, so its project cannot be "
            "checked: add it to PROJECT_FREE if it shows no project data, or scope it"
        )
    return True


def _call(client, route: Route, url: str, **headers):
    """GET the route, or POST its sample body if it only accepts POST."""
    view_class = getattr(resolve(url.split("?")[0]).func, "view_class", None)
    if view_class is not None and hasattr(view_class, "post") and not hasattr(view_class, "get"):
        if route.name not in WRITE_BODIES:
            pytest.fail(f"POST-only route {route.name}: add a sample body to WRITE_BODIES")
        body = WRITE_BODIES[route.name]
        return client.post(url, body, content_type="application/json", headers=headers)
    return client.get(url, headers=headers)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def a_secrets(project) -> tuple[str, ...]:
    """Rows of project A that must never reach anyone outside A; returns the strings to hunt."""
    now = timezone.now()
    for i, trace_id in enumerate(A_TRACE_IDS):
        LLMCallFactory(
            project=project,
            trace_id=trace_id,
            feature=A_FEATURE,
            start_time=now - timedelta(hours=1 + i),
            cost_usd=Decimal("1.2500"),
        )
        SpanFactory(project=project, trace_id=trace_id, name=f"{A_FEATURE}-root")
    Budget.objects.create(
        project=project,
        name=f"{A_FEATURE} budget",
        scope="feature",
        scope_value=A_FEATURE,
        amount_usd=Decimal("100"),
    )
    return (*A_TRACE_IDS, A_FEATURE, project.name)


@pytest.fixture
def b_call(other_project):
    """One call in project B, so B's readers have something of their own to see."""
    return LLMCallFactory(
        project=other_project,
        trace_id=B_TRACE_ID,
        feature="other-feature",
        start_time=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def b_member(other_project, b_call):
    """A user who is a member of project B only."""
    return MembershipFactory(user=UserFactory(username="bob"), project=other_project).user


def _assert_no_secrets(response, secrets: tuple[str, ...]) -> None:
    body = response.content.decode(errors="replace")
    leaked = [s for s in secrets if s in body]
    assert not leaked, f"{response.request['PATH_INFO']} leaked {leaked}"


def test_url_conf_walk_finds_the_known_routes():
    names = set(ROUTE_IDS)
    assert {"finops:home", "finops:overview", "api:call-list", "ingest:otlp-traces"} <= names
    assert len(names) == len(ROUTE_IDS), "two routes share a name"
    assert not any(name.startswith("admin:") for name in names)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_logged_out_request_is_refused(client, project, route):
    url = _url(route, project.slug)
    if route.kind == "receiver":
        response = client.post(url, b"", content_type="application/x-protobuf")
        assert response.status_code == 401
    elif route.kind == "api":
        assert _call(client, route, url).status_code in (401, 403)
    else:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(resolve_url(settings.LOGIN_URL) + "?next=")


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_member_of_other_project_cannot_read_project(client, project, a_secrets, b_member, route):
    client.force_login(b_member)
    if route.kind == "receiver":
        # A session is no ingest credential, whatever projects the user belongs to.
        response = client.post(_url(route, project.slug), b"", content_type="application/json")
        assert response.status_code == 401
        return
    query = f"project={project.slug}" if route.kind == "api" else ""
    if _needs_project_scope(route):
        response = _call(client, route, _url(route, project.slug, query))
        assert response.status_code in (403, 404)
    else:
        response = client.get(_url(route, project.slug, query), follow=True)
    _assert_no_secrets(response, a_secrets)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "api"], ids=lambda r: r.name)
def test_member_of_other_project_reads_only_own_data_without_project_param(
    client, a_secrets, b_member, other_project, route
):
    client.force_login(b_member)
    response = _call(client, route, _url(route, other_project.slug))
    assert response.status_code in (200, 201, 405)
    _assert_no_secrets(response, a_secrets)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "api"], ids=lambda r: r.name)
def test_api_key_of_other_project_cannot_read_project(
    client, project, other_project, a_secrets, b_call, route
):
    key = issue_key(other_project)
    url = _url(route, project.slug, f"project={project.slug}")
    response = _call(client, route, url, Authorization=f"Bearer {key}")
    if _needs_project_scope(route):
        assert response.status_code in (403, 404)
    _assert_no_secrets(response, a_secrets)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "api"], ids=lambda r: r.name)
def test_api_key_of_other_project_reads_only_own_data_without_project_param(
    client, other_project, a_secrets, b_call, route
):
    key = issue_key(other_project)
    response = _call(client, route, _url(route, other_project.slug), Authorization=f"Bearer {key}")
    assert response.status_code in (200, 201, 405)
    _assert_no_secrets(response, a_secrets)


def test_api_key_of_other_project_lists_its_own_calls(client, other_project, a_secrets, b_call):
    # Positive control for the absence checks above: B's key does read B's data.
    key = issue_key(other_project)
    response = client.get(reverse("api:call-list"), headers={"x-api-key": key})
    assert [row["trace_id"] for row in response.json()["results"]] == [B_TRACE_ID]
