"""Where attribution travels (ingest/conventions/carriers.py): ``attribution_of`` picks the
most specific carrier of each dimension, aliases included.

Attribute keys are spelled out here on purpose: the payloads are what libraries send, and a
test that used the module's own constants could not catch a misspelt constant.
"""

from __future__ import annotations

import json

import pytest

from ingest.conventions import DIMENSIONS, MAX_LABEL, attribution_of


def test_dimensions_are_the_shared_list():
    assert DIMENSIONS == (
        "feature",
        "template",
        "template_version",
        "segment",
        "customer",
        "route",
        "session",
    )


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({"finops.feature": "triage"}, {"feature": "triage"}, id="finops-feature"),
        pytest.param({"app.feature": "triage"}, {"feature": "triage"}, id="app-feature"),
        pytest.param(
            {"app.feature": "old", "finops.feature": "triage"},
            {"feature": "triage"},
            id="finops-over-app",
        ),
        pytest.param(
            {"finops.feature": "", "app.feature": "triage"},
            {"feature": "triage"},
            id="empty-skipped",
        ),
        pytest.param({"user.id": "u1"}, {"customer": "u1"}, id="user-id"),
        pytest.param(
            {"enduser.id": "e1", "user.id": "u1"}, {"customer": "e1"}, id="enduser-over-user"
        ),
        pytest.param(
            {"finops.customer.id": "c1", "enduser.id": "e1", "user.id": "u1"},
            {"customer": "c1"},
            id="finops-customer-over-enduser",
        ),
        pytest.param(
            {
                "finops.template": "reply",
                "finops.template.version": 3,
                "finops.customer.segment": "enterprise",
                "finops.route": "cheap-first",
                "finops.session.id": "s1",
            },
            {
                "template": "reply",
                "template_version": "3",
                "segment": "enterprise",
                "route": "cheap-first",
                "session": "s1",
            },
            id="other-dimensions",
        ),
        pytest.param(
            {
                "app.template": "reply",
                "app.segment": "smb",
                "app.customer.id": "c9",
                "app.route": "fast",
                "app.session.id": "s2",
            },
            {
                "template": "reply",
                "segment": "smb",
                "customer": "c9",
                "route": "fast",
                "session": "s2",
            },
            id="app-dimensions",
        ),
        pytest.param(
            {"app.customer.segment": "enterprise", "app.segment": "smb"},
            {"segment": "enterprise"},
            id="app-customer-segment-over-app-segment",
        ),
        pytest.param(
            {
                "traceloop.workflow.name": "support-flow",
                "traceloop.association.properties.customer_id": "c7",
                "traceloop.association.properties.segment": "free",
            },
            {"feature": "support-flow", "customer": "c7", "segment": "free"},
            id="traceloop",
        ),
        pytest.param(
            {
                "traceloop.association.properties.feature": "triage",
                "traceloop.workflow.name": "support-flow",
            },
            {"feature": "triage"},
            id="traceloop-property-over-workflow",
        ),
        pytest.param(
            {"ai.telemetry.metadata.feature": "summarise", "ai.telemetry.functionId": "fn"},
            {"feature": "summarise"},
            id="vercel-metadata",
        ),
        pytest.param(
            {
                "metadata": json.dumps({"feature": "qa", "segment": "smb", "customer_id": 7}),
                "llm.prompt_template.template": "Answer {question}",
                "llm.prompt_template.version": "v2",
                "session.id": "s3",
            },
            {
                "feature": "qa",
                "segment": "smb",
                "customer": "7",
                "template": "Answer {question}",
                "template_version": "v2",
                "session": "s3",
            },
            id="openinference-metadata-json",
        ),
        pytest.param(
            {
                "metadata": json.dumps({"template": "answer-v1"}),
                "llm.prompt_template.template": "Answer {question}",
            },
            {"template": "answer-v1"},
            id="openinference-template-name-over-text",
        ),
        pytest.param(
            {
                "langfuse.trace.metadata.feature": '"capture-chat"',
                "langfuse.trace.metadata.segment": '"enterprise"',
                "langfuse.trace.name": "app.chat",
                "langfuse.prompt.name": "answer",
                "langfuse.prompt.version": 4,
                "user.id": "customer-42",
                "session.id": "session-capture",
            },
            {
                "feature": "capture-chat",
                "segment": "enterprise",
                "template": "answer",
                "template_version": "4",
                "customer": "customer-42",
                "session": "session-capture",
            },
            id="langfuse-v5-json-encoded",
        ),
        pytest.param(
            {"langfuse.trace.metadata.feature": "capture-chat", "langfuse.trace.name": "app.x"},
            {"feature": "capture-chat"},
            id="langfuse-v3-plain",
        ),
        pytest.param(
            {"langfuse.trace.name": "app.chat", "langfuse.user.id": "u5", "user.id": "u6"},
            {"feature": "app.chat", "customer": "u5"},
            id="langfuse-trace-name-as-last-resort",
        ),
        pytest.param(
            {
                "langfuse.trace.metadata.feature": '"d"',
                "metadata": json.dumps({"feature": "c"}),
                "traceloop.workflow.name": "b",
                "app.feature": "a",
            },
            {"feature": "a"},
            id="app-over-traceloop-over-metadata-over-langfuse",
        ),
        pytest.param(
            {"metadata": "not json", "app.feature": ["a", "b"], "app.route": {"x": 1}},
            {},
            id="unreadable-carriers",
        ),
        pytest.param({"service.name": "bot", "gen_ai.request.model": "gpt-4o"}, {}, id="none"),
    ],
)
def test_attribution_of_picks_most_specific_key(attributes, expected):
    assert attribution_of(attributes) == expected


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({"app.tenant_tier": "gold"}, {"segment": "gold"}, id="alias"),
        pytest.param(
            {"app.tenant_tier": "gold", "app.segment": "smb"},
            {"segment": "gold"},
            id="alias-over-app",
        ),
        pytest.param(
            {"app.tenant_tier": "gold", "finops.customer.segment": "enterprise"},
            {"segment": "enterprise"},
            id="finops-over-alias",
        ),
        pytest.param(
            {"app.tenant_tier": "", "tier": "silver"}, {"segment": "silver"}, id="aliases-in-order"
        ),
        pytest.param({"x.unknown": "y"}, {}, id="alias-to-unknown-dimension-ignored"),
    ],
)
def test_aliases_rank_between_finops_and_generic_carriers(attributes, expected):
    aliases = {"app.tenant_tier": "segment", "tier": "segment", "x.unknown": "colour"}

    assert attribution_of(attributes, aliases) == expected


def test_long_template_text_keeps_distinct_templates_apart():
    preamble = "You are a helpful assistant. " * 20
    first = attribution_of({"llm.prompt_template.template": preamble + "Summarise {doc}"})
    second = attribution_of({"llm.prompt_template.template": preamble + "Translate {doc}"})

    assert len(first["template"]) == MAX_LABEL
    assert first["template"] != second["template"]
