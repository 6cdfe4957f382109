from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from finops.models import ApiKey, Membership, Project
from ingest.models import LLMCall, Span


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("password")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    slug = factory.Sequence(lambda n: f"project-{n}")
    name = factory.LazyAttribute(lambda p: p.slug.replace("-", " ").title())


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    role = Membership.Role.VIEWER


def issue_key(project: Project, **flags) -> str:
    """Create an API key for ``project`` and return its raw value."""
    key, raw = ApiKey.issue(project, name="test")
    if flags:
        ApiKey.objects.filter(pk=key.pk).update(**flags)
    return raw


def _hex(n: int) -> str:
    return secrets.token_hex(n)


class SpanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Span

    project = factory.SubFactory(ProjectFactory)
    trace_id = factory.LazyFunction(lambda: _hex(16))
    span_id = factory.LazyFunction(lambda: _hex(8))
    name = "span"
    start_time = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    end_time = datetime(2026, 11, 1, 12, 0, 1, tzinfo=UTC)
    duration_ms = 1000.0


class LLMCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LLMCall

    project = factory.SubFactory(ProjectFactory)
    trace_id = factory.LazyFunction(lambda: _hex(16))
    span_id = factory.LazyFunction(lambda: _hex(8))
    start_time = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    duration_ms = 850.0
    provider = "openai"
    operation = "chat"
    request_model = "gpt-4o-mini"
    response_model = "gpt-4o-mini"
    input_tokens = 1000
    output_tokens = 200
    cost_usd = Decimal("0.000270")
    price_source = "genai-prices test"
    feature = "support-assistant"
    segment = "smb"
