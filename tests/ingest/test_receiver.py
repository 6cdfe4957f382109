"""The OTLP/HTTP receiver, ``POST /v1/traces``: auth, encodings, errors, idempotent storage."""

from __future__ import annotations

import io
import json
import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from google.rpc.status_pb2 import Status
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from finops.pricing import SOURCE
from ingest import views
from ingest.models import LLMCall, Span
from tests.factories import issue_key
from tests.otlp_payloads import (
    START,
    STATUS_ERROR,
    TRACE,
    Event,
    Resource,
    SpanSpec,
    chat_span,
    gzipped,
    json_body,
    json_request,
    protobuf_body,
    span_id,
    trace_id,
)

pytestmark = pytest.mark.django_db

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _url() -> str:
    return reverse("ingest:otlp-traces")


def _post(client, body: bytes, content_type: str = PROTOBUF, key: str | None = None, **extra):
    if key is not None:
        extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {key}")
    # The test client drops Content-Type when the body is empty; exporters do not.
    return client.post(_url(), body, content_type=content_type, CONTENT_TYPE=content_type, **extra)


def _status(response) -> Status:
    """The google.rpc.Status of an error response, whatever its encoding."""
    if response["Content-Type"] == JSON:
        return Status(**json.loads(response.content))
    if response["Content-Type"] == PROTOBUF:
        return Status.FromString(response.content)
    return Status(message=response.content.decode())


def _counts() -> tuple[int, int]:
    return Span.objects.count(), LLMCall.objects.count()


def _only_call() -> LLMCall:
    (call,) = LLMCall.objects.all()
    return call


# --- success ----------------------------------------------------------------------------


def test_protobuf_export_is_answered_with_protobuf_response(client, api_key):
    response = _post(client, protobuf_body(chat_span(span_id(1))), key=api_key)

    assert (response.status_code, response["Content-Type"]) == (200, PROTOBUF)
    assert ExportTraceServiceResponse.FromString(response.content) == ExportTraceServiceResponse()


def test_json_export_is_answered_with_empty_json_object(client, api_key):
    response = _post(client, json_body(chat_span(span_id(1))), JSON, key=api_key)

    assert (response.status_code, response["Content-Type"], response.content) == (200, JSON, b"{}")


def test_llm_span_is_stored_as_priced_call(client, project, api_key):
    _post(client, protobuf_body(chat_span(span_id(1), model="gpt-4o-mini")), key=api_key)

    call = _only_call()
    assert (call.project_id, call.trace_id, call.span_id, call.parent_span_id) == (
        project.pk,
        TRACE,
        span_id(1),
        "",
    )
    assert (call.provider, call.operation, call.request_model, call.response_model) == (
        "openai",
        "chat",
        "gpt-4o-mini",
        "gpt-4o-mini",
    )
    assert (call.input_tokens, call.output_tokens, call.has_usage) == (1000, 500, True)
    # 1000 x $0.15 + 500 x $0.60 per MTok
    assert (call.cost_usd, call.price_source, call.price_note) == (Decimal("0.00045"), SOURCE, "")
    assert (call.start_time, call.duration_ms) == (START, 850.0)


def test_span_row_keeps_ids_times_status_attributes_and_events(client, project, api_key):
    span = SpanSpec(
        span_id(2),
        name="retrieve",
        parent=span_id(1),
        status_code=STATUS_ERROR,
        status_message="index offline",
        attributes={"db.system": "qdrant", "k": 8, "tags": ["a", "b"]},
        events=[Event("exception", attributes={"exception.type": "Timeout"})],
    )
    body = protobuf_body(Resource([span], attributes={"service.name": "rag"}, scope="rag.tracer"))

    _post(client, body, key=api_key)

    row = Span.objects.get()
    assert (row.project_id, row.trace_id, row.span_id, row.parent_span_id, row.name) == (
        project.pk,
        TRACE,
        span_id(2),
        span_id(1),
        "retrieve",
    )
    assert (row.kind, row.status_code, row.status_message, row.scope) == (
        1,
        2,
        "index offline",
        "rag.tracer",
    )
    assert (row.start_time, row.duration_ms) == (START, 850.0)
    assert row.attributes == {"db.system": "qdrant", "k": 8, "tags": ["a", "b"]}
    assert row.resource == {"service.name": "rag"}
    assert row.events == [
        {
            "name": "exception",
            "time_ns": int(START.timestamp()) * 10**9,
            "attributes": {"exception.type": "Timeout"},
        }
    ]
    assert LLMCall.objects.count() == 0


@pytest.mark.parametrize(
    ("encode", "content_type"),
    [(protobuf_body, PROTOBUF), (json_body, JSON)],
    ids=["protobuf", "json"],
)
def test_gzip_export_is_stored(client, api_key, encode, content_type):
    body = gzipped(encode(chat_span(span_id(1)), chat_span(span_id(2))))

    response = _post(client, body, content_type, key=api_key, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 200
    assert _counts() == (2, 2)


def test_json_with_charset_parameter_is_accepted(client, api_key):
    response = _post(
        client, json_body(chat_span(span_id(1))), "application/json; charset=utf-8", key=api_key
    )

    assert (response.status_code, _counts()) == (200, (1, 1))


def test_snake_case_json_export_is_stored(client, api_key):
    response = _post(client, json_body(chat_span(span_id(1)), snake_case=True), JSON, key=api_key)

    assert (response.status_code, _only_call().cost_usd) == (200, Decimal("0.00045"))


def test_x_api_key_header_authenticates(client, api_key):
    response = _post(client, protobuf_body(chat_span(span_id(1))), HTTP_X_API_KEY=api_key)

    assert (response.status_code, _counts()) == (200, (1, 1))


# --- partial success --------------------------------------------------------------------


def _batch_with_one_bad_span() -> list[SpanSpec]:
    return [chat_span(span_id(1)), SpanSpec(span_id(2), name="bad", trace_id="0" * 32)]


def test_rejected_span_is_reported_in_protobuf_partial_success(client, api_key):
    response = _post(client, protobuf_body(*_batch_with_one_bad_span()), key=api_key)

    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert (response.status_code, partial.rejected_spans) == (200, 1)
    assert partial.error_message == (
        "span 'bad': invalid trace id '00000000000000000000000000000000': "
        "expected 16 bytes, not all zero"
    )
    assert _counts() == (1, 1)


def test_rejected_span_is_reported_in_json_partial_success_as_string(client, api_key):
    response = _post(client, json_body(*_batch_with_one_bad_span()), JSON, key=api_key)

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "partialSuccess": {
            "rejectedSpans": "1",
            "errorMessage": "span 'bad': invalid trace id '00000000000000000000000000000000': "
            "expected 16 bytes, not all zero",
        }
    }
    assert _counts() == (1, 1)


@pytest.mark.parametrize("start_ns", ["-5", "253370764800000000000"], ids=["negative", "year-9999"])
def test_json_span_with_time_out_of_range_is_rejected(client, api_key, start_ns):
    request = json_request(chat_span(span_id(1)), SpanSpec(span_id(2), name="late"))
    request["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["startTimeUnixNano"] = start_ns

    response = _post(client, json.dumps(request).encode(), JSON, key=api_key)

    assert json.loads(response.content)["partialSuccess"] == {
        "rejectedSpans": "1",
        "errorMessage": f"span 'late': timestamp {start_ns} ns is out of range",
    }
    assert _counts() == (1, 1)


def test_latest_protobuf_time_is_stored(client, api_key):
    # fixed64 nanoseconds end in the year 2554, inside what the database can hold.
    _post(
        client,
        protobuf_body(SpanSpec(span_id(1), start_ns=2**64 - 1, end_ns=2**64 - 1)),
        key=api_key,
    )

    assert Span.objects.get().start_time.year == 2554


# --- authentication ---------------------------------------------------------------------


def test_missing_key_is_401(client, project):
    response = _post(client, protobuf_body(chat_span(span_id(1))))

    assert (response.status_code, _status(response)) == (
        401,
        Status(
            code=16,
            message="missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
        ),
    )
    assert _counts() == (0, 0)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param({"HTTP_AUTHORIZATION": "Bearer lfo_not-a-real-key"}, id="wrong-bearer"),
        pytest.param({"HTTP_X_API_KEY": "lfo_not-a-real-key"}, id="wrong-x-api-key"),
        pytest.param({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, id="basic-scheme"),
    ],
)
def test_wrong_key_is_401(client, api_key, header):
    response = _post(client, protobuf_body(chat_span(span_id(1))), **header)

    assert response.status_code == 401
    assert _counts() == (0, 0)


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param({"revoked_at": START}, id="revoked"),
        pytest.param({"can_ingest": False}, id="read-only"),
    ],
)
def test_key_without_ingest_right_is_401(client, project, flags):
    key = issue_key(project, **flags)

    response = _post(client, json_body(chat_span(span_id(1))), JSON, key=key)

    assert (response.status_code, json.loads(response.content)) == (
        401,
        {"code": 16, "message": "invalid, revoked or non-ingest API key"},
    )
    assert _counts() == (0, 0)


def test_key_of_other_project_stores_into_that_project_only(client, project, other_project):
    key = issue_key(other_project)

    _post(client, protobuf_body(chat_span(span_id(1))), key=key)

    assert (
        Span.objects.for_project(other_project.pk).count(),
        LLMCall.objects.for_project(other_project.pk).count(),
    ) == (1, 1)
    assert (
        Span.objects.for_project(project.pk).count(),
        LLMCall.objects.for_project(project.pk).count(),
    ) == (0, 0)


def test_same_span_ids_in_two_projects_are_stored_apart(client, project, other_project):
    body = protobuf_body(chat_span(span_id(1)))

    _post(client, body, key=issue_key(project))
    _post(client, body, key=issue_key(other_project))

    assert sorted(LLMCall.objects.values_list("project__slug", "span_id")) == [
        ("acme", span_id(1)),
        ("other", span_id(1)),
    ]


# --- refused requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/protobuf", "application/x-www-form-urlencoded"]
)
def test_unsupported_content_type_is_415(client, api_key, content_type):
    response = _post(client, protobuf_body(chat_span(span_id(1))), content_type, key=api_key)

    assert (response.status_code, response["Content-Type"]) == (415, "text/plain")
    assert response.content.decode() == (
        f"unsupported Content-Type '{content_type}': "
        "send application/x-protobuf or application/json"
    )
    assert _counts() == (0, 0)


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_are_405(client, api_key, method):
    response = getattr(client, method)(_url(), HTTP_AUTHORIZATION=f"Bearer {api_key}")

    assert response.status_code == 405


@pytest.fixture
def stored(client, api_key) -> tuple[int, int]:
    """One batch already stored, so a refused request can be shown to store nothing."""
    _post(client, protobuf_body(chat_span(span_id(0xFF), trace=trace_id(0xFF))), key=api_key)
    return _counts()


BAD_BODIES = [
    pytest.param(
        b"", PROTOBUF, "empty body: expected an OTLP ExportTraceServiceRequest", id="empty-protobuf"
    ),
    pytest.param(
        b"", JSON, "empty body: expected an OTLP ExportTraceServiceRequest", id="empty-json"
    ),
    pytest.param(
        protobuf_body(chat_span(span_id(1)), chat_span(span_id(2)))[:-5],
        PROTOBUF,
        "body is not a valid protobuf ExportTraceServiceRequest: ",
        id="truncated-protobuf",
    ),
    pytest.param(b'{"resourceSpans": [', JSON, "body is not valid JSON: ", id="truncated-json"),
    pytest.param(b"<xml/>", JSON, "body is not valid JSON: ", id="not-json"),
    pytest.param(
        b"[1, 2]", JSON, "JSON body must be an object with a resourceSpans list", id="json-array"
    ),
    pytest.param(
        b'"hello"', JSON, "JSON body must be an object with a resourceSpans list", id="json-string"
    ),
    pytest.param(
        b'{"resourceSpans": "all"}', JSON, "resourceSpans must be a list", id="rs-not-list"
    ),
    pytest.param(
        json.dumps(
            {"resourceSpans": [json_request(chat_span(span_id(1)))["resourceSpans"][0], 7]}
        ).encode(),
        JSON,
        "each resourceSpans entry must be an object",
        id="valid-then-bad-entry",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "message"), BAD_BODIES)
def test_unreadable_body_is_400_and_stores_nothing(
    client, api_key, stored, body, content_type, message
):
    response = _post(client, body, content_type, key=api_key)

    status = _status(response)
    assert (response.status_code, response["Content-Type"], status.code) == (400, content_type, 3)
    assert status.message.startswith(message)
    assert _counts() == stored


@pytest.mark.parametrize("content_type", [PROTOBUF, JSON])
def test_truncated_gzip_is_400(client, api_key, stored, content_type):
    body = gzipped(protobuf_body(chat_span(span_id(1))))[:-12]

    response = _post(client, body, content_type, key=api_key, HTTP_CONTENT_ENCODING="gzip")

    assert (response.status_code, _status(response).message) == (400, "gzip body is truncated")
    assert _counts() == stored


def test_unsupported_content_encoding_is_400(client, api_key, stored):
    response = _post(
        client, protobuf_body(chat_span(span_id(1))), key=api_key, HTTP_CONTENT_ENCODING="br"
    )

    assert (response.status_code, _status(response).message) == (
        400,
        "unsupported Content-Encoding 'br': send gzip or identity",
    )
    assert _counts() == stored


def test_body_over_limit_is_413(client, api_key, settings):
    settings.OTLP_MAX_BODY_BYTES = 1024
    body = protobuf_body(*(chat_span(span_id(n)) for n in range(1, 40)))
    assert len(body) > 1024

    response = _post(client, body, key=api_key)

    assert (response.status_code, _status(response)) == (
        413,
        Status(code=8, message="body exceeds 1024 bytes"),
    )
    assert _counts() == (0, 0)


def test_body_of_exactly_the_limit_is_accepted(client, api_key, settings):
    body = protobuf_body(chat_span(span_id(1)))
    settings.OTLP_MAX_BODY_BYTES = len(body)

    assert _post(client, body, key=api_key).status_code == 200


def test_chunked_body_over_limit_is_413(project, api_key, settings):
    # Chunked bodies (OTel JS exporters) come without Content-Length; the limit still holds.
    settings.OTLP_MAX_BODY_BYTES = 1024
    body = protobuf_body(*(chat_span(span_id(n)) for n in range(1, 40)))
    request = RequestFactory().post(
        _url(),
        body,
        content_type=PROTOBUF,
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    del request.META["CONTENT_LENGTH"]
    request.META["wsgi.input"] = io.BytesIO(body)

    assert views.otlp_traces(request).status_code == 413


def test_gzip_bomb_is_413(client, api_key, settings):
    settings.OTLP_MAX_DECOMPRESSED_BYTES = 64 * 1024
    bomb = gzipped(b"\0" * (10 * 1024 * 1024))

    response = _post(client, bomb, key=api_key, HTTP_CONTENT_ENCODING="gzip")

    assert (response.status_code, _status(response).message) == (
        413,
        "decompressed body exceeds 65536 bytes",
    )
    assert _counts() == (0, 0)


# --- idempotence and attribution --------------------------------------------------------


def test_resent_batch_is_not_double_counted(client, api_key):
    body = protobuf_body(
        chat_span(span_id(1)), chat_span(span_id(2), model="gpt-4o"), SpanSpec(span_id(3))
    )
    _post(client, body, key=api_key)

    response = _post(client, body, key=api_key)

    assert (response.status_code, _counts()) == (200, (3, 2))
    totals = LLMCall.objects.totals()
    # gpt-4o-mini 0.00045 + gpt-4o (1000 x $2.50 + 500 x $10 per MTok) 0.0075
    assert (totals["calls"], totals["spend_usd"]) == (2, Decimal("0.00795"))


def test_same_span_twice_in_one_body_is_stored_once(client, api_key):
    body = protobuf_body(chat_span(span_id(1)), chat_span(span_id(1)))

    _post(client, body, key=api_key)

    assert (_counts(), LLMCall.objects.totals()["spend_usd"]) == ((1, 1), Decimal("0.00045"))


def test_late_parent_attributes_its_children(client, api_key):
    _post(client, protobuf_body(chat_span(span_id(2), parent=span_id(1))), key=api_key)
    assert (_only_call().feature, _only_call().segment) == ("", "")
    parent = SpanSpec(
        span_id(1),
        name="handle ticket",
        attributes={"finops.feature": "ticket-triage", "finops.customer.segment": "enterprise"},
    )

    _post(client, json_body(parent), JSON, key=api_key)

    assert (_only_call().feature, _only_call().segment) == ("ticket-triage", "enterprise")


def test_grandparent_attributes_arriving_last_reach_the_call(client, api_key):
    _post(client, protobuf_body(chat_span(span_id(3), parent=span_id(2))), key=api_key)
    _post(client, protobuf_body(SpanSpec(span_id(2), parent=span_id(1))), key=api_key)

    _post(
        client,
        protobuf_body(SpanSpec(span_id(1), attributes={"app.feature": "search"})),
        key=api_key,
    )

    assert _only_call().feature == "search"


def test_resource_attributes_attribute_calls(client, api_key):
    resource = {
        "service.name": "kb",
        "finops.feature": "kb-search",
        "finops.customer.segment": "smb",
    }

    _post(
        client, protobuf_body(Resource([chat_span(span_id(1))], attributes=resource)), key=api_key
    )

    call = _only_call()
    assert (call.feature, call.segment, call.customer) == ("kb-search", "smb", "")


def test_call_attributes_win_over_parent_and_resource(client, api_key):
    call = chat_span(span_id(2), parent=span_id(1), finops__feature="summarise", user__id="u-7")
    parent = SpanSpec(
        span_id(1), attributes={"finops.feature": "ticket-triage", "finops.customer.id": "c-1"}
    )

    _post(
        client,
        protobuf_body(Resource([call, parent], attributes={"finops.feature": "gateway"})),
        key=api_key,
    )

    assert (_only_call().feature, _only_call().customer) == ("summarise", "u-7")


# --- calls that cannot be priced --------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "model", "note"),
    [
        ("vllm", "meta-llama/Llama-3.1-70B-Instruct", "no prices for provider 'vllm'"),
        ("openai", "acme-llama-70b", "no price for model 'acme-llama-70b'"),
    ],
)
def test_unknown_model_is_stored_unpriced(client, api_key, provider, model, note):
    _post(client, protobuf_body(chat_span(span_id(1), provider=provider, model=model)), key=api_key)

    call = _only_call()
    assert (call.cost_usd, call.price_note, call.price_source, call.has_usage) == (
        None,
        note,
        "",
        True,
    )
    assert (call.input_tokens, call.output_tokens) == (1000, 500)
    assert LLMCall.objects.totals()["unpriced"] == 1


def test_failed_call_without_usage_is_stored_unpriced_with_error_type(client, api_key):
    span = chat_span(
        span_id(1),
        model="gpt-4o",
        input_tokens=None,
        output_tokens=None,
        error__type="RateLimitError",
    )
    span.status_code = STATUS_ERROR

    _post(client, protobuf_body(span), key=api_key)

    call = _only_call()
    assert (call.cost_usd, call.has_usage, call.error_type, call.price_note) == (
        None,
        False,
        "RateLimitError",
        "no usage reported",
    )
    assert (call.input_tokens, call.output_tokens) == (0, 0)


def test_anthropic_input_excluding_cache_is_priced_on_the_total(client, api_key):
    span = chat_span(
        span_id(1),
        provider="anthropic",
        model="claude-sonnet-4-5",
        input_tokens=100,
        output_tokens=50,
        gen_ai__usage__cache_read__input_tokens=1000,
        gen_ai__usage__cache_creation__input_tokens=200,
    )

    _post(client, protobuf_body(span), key=api_key)

    call = _only_call()
    assert (call.input_tokens, call.cache_read_tokens, call.cache_write_tokens) == (1300, 1000, 200)
    # 100 x $3 + 1000 x $0.30 + 200 x $3.75 + 50 x $15 per MTok
    assert call.cost_usd == Decimal("0.0021")


# --- bugs: every span is stored or reported, and no input is a server error -------------


def _accounted_for(response, sent: int) -> bool:
    """Every span sent is either stored or counted as rejected in partial_success."""
    if response.status_code != 200:
        return False
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    return Span.objects.count() + partial.rejected_spans == sent


@pytest.mark.parametrize(
    "span",
    [
        pytest.param(SpanSpec(span_id(1), attributes={"score": math.nan}), id="nan-attribute"),
        pytest.param(SpanSpec(span_id(1), attributes={"score": math.inf}), id="infinite-attribute"),
        pytest.param(SpanSpec(span_id(1), kind=-1), id="negative-kind"),
    ],
)
def test_span_the_database_cannot_hold_is_stored_or_rejected(client, api_key, span):
    response = _post(client, protobuf_body(span, SpanSpec(span_id(2))), key=api_key)

    assert _accounted_for(response, sent=2)


@pytest.mark.parametrize(
    "span",
    [
        pytest.param(SpanSpec(span_id(1), name="chat\x00"), id="nul-in-name"),
        pytest.param(SpanSpec(span_id(1), attributes={"prompt": "a\x00b"}), id="nul-in-attribute"),
        pytest.param(SpanSpec(span_id(1), status_code=40_000), id="status-beyond-smallint"),
    ],
)
def test_span_postgres_cannot_hold_is_stored_or_rejected(client, api_key, span):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores these values")

    response = _post(client, protobuf_body(span, SpanSpec(span_id(2))), key=api_key)

    assert _accounted_for(response, sent=2)


def test_absurd_token_count_is_stored_readably_or_rejected(client, api_key):
    body = protobuf_body(
        chat_span(span_id(1), model="gpt-4o", input_tokens=10**16), chat_span(span_id(2))
    )

    response = _post(client, body, key=api_key)

    assert _accounted_for(response, sent=2)
    assert Decimal("0.00045") in [call.cost_usd for call in LLMCall.objects.all()]


def test_infinite_token_count_is_not_a_server_error(client, api_key):
    span = chat_span(span_id(1), input_tokens=None, gen_ai__usage__input_tokens=math.inf)

    response = _post(client, protobuf_body(span), key=api_key)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(
            lambda r: r["resourceSpans"][0]["scopeSpans"][0]["spans"][0].update(status="ok"),
            id="status",
        ),
        pytest.param(
            lambda r: r["resourceSpans"][0]["resource"].update(
                attributes=[{"key": "n", "value": {"intValue": "x"}}]
            ),
            id="resource",
        ),
    ],
)
def test_malformed_json_is_not_a_server_error(client, api_key, mutate):
    request = json_request(chat_span(span_id(1)))
    mutate(request)

    response = _post(client, json.dumps(request).encode(), JSON, key=api_key)

    assert response.status_code in (200, 400)


# --- fuzzing: no body is a server error -------------------------------------------------

FUZZ = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

VALID_SPANS = [
    Resource(
        [
            chat_span(
                span_id(2),
                parent=span_id(1),
                gen_ai__usage__cache_read__input_tokens=200,
                gen_ai__request__temperature=0.2,
                gen_ai__response__finish_reasons=["stop"],
            ),
            SpanSpec(
                span_id(1),
                name="handle ticket",
                attributes={"finops.feature": "triage", "meta": {"tier": "gold", "seats": 3}},
                events=[Event("ok", attributes={"n": 1})],
            ),
        ],
        attributes={"service.name": "bot", "finops.customer.segment": "smb"},
    )
]
VALID_PROTOBUF = protobuf_body(*VALID_SPANS)
VALID_JSON = json_body(*VALID_SPANS)


@st.composite
def bit_flipped(draw, body: bytes) -> bytes:
    data = bytearray(body)
    for bit in draw(st.lists(st.integers(0, len(data) * 8 - 1), min_size=1, max_size=8)):
        data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


@st.composite
def truncated(draw, body: bytes) -> bytes:
    return body[: draw(st.integers(0, len(body) - 1))]


FUZZ_BODIES = st.one_of(
    st.tuples(st.binary(max_size=512), st.sampled_from([PROTOBUF, JSON])),
    st.tuples(bit_flipped(VALID_PROTOBUF), st.just(PROTOBUF)),
    st.tuples(truncated(VALID_PROTOBUF), st.just(PROTOBUF)),
    st.tuples(truncated(VALID_JSON), st.just(JSON)),
)


@FUZZ
@given(case=FUZZ_BODIES, gzip_it=st.booleans())
def test_random_and_bit_flipped_bodies_are_never_a_server_error(client, api_key, case, gzip_it):
    body, content_type = case
    headers = {"HTTP_CONTENT_ENCODING": "gzip"} if gzip_it else {}

    response = _post(
        client, gzipped(body) if gzip_it else body, content_type, key=api_key, **headers
    )

    assert response.status_code < 500


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _paths(value, (*prefix, index))


JSON_PATHS = list(_paths(json.loads(VALID_JSON)))[1:]


@st.composite
def mutated_json(draw) -> bytes:
    request = json.loads(VALID_JSON)
    for path in draw(st.lists(st.sampled_from(JSON_PATHS), min_size=1, max_size=3)):
        parent = request
        try:
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced part of this path
    return json.dumps(request).encode()


@FUZZ
@example(body=VALID_JSON.replace(b'"status": {"code": 0, "message": ""}', b'"status": "ok"', 1))
@given(body=st.one_of(mutated_json(), bit_flipped(VALID_JSON)))
def test_mutated_json_is_never_a_server_error(client, api_key, body):
    response = _post(client, body, JSON, key=api_key)

    assert response.status_code < 500
