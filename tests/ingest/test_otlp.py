"""Decoding OTLP trace exports: protobuf, OTLP/JSON, gzip, and the responses we send back."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from ingest.otlp import (
    JSON,
    PROTOBUF,
    BodyTooLarge,
    DecodedBatch,
    OtlpDecodeError,
    SpanRecord,
    decode,
    decompress,
    encode_error,
    encode_response,
)
from tests.otlp_payloads import (
    DURATION_NS,
    KIND_CLIENT,
    START_NS,
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

DATA = Path(__file__).resolve().parent.parent / "data"
LIMIT = 1_000_000

ENCODINGS = [
    pytest.param(protobuf_body, PROTOBUF, id="protobuf"),
    pytest.param(json_body, JSON, id="json"),
]


def _decode(encode, content_type, *resources) -> DecodedBatch:
    return decode(encode(*resources), content_type)


def _json(request: dict) -> bytes:
    return json.dumps(request).encode()


def _first_span(request: dict) -> dict:
    return request["resourceSpans"][0]["scopeSpans"][0]["spans"][0]


def _full_span() -> Resource:
    span = SpanSpec(
        span_id(2),
        name="chat gpt-4o",
        parent=span_id(1),
        kind=KIND_CLIENT,
        status_code=STATUS_ERROR,
        status_message="rate limited",
        attributes={"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 12},
        events=[
            Event("gen_ai.choice", START_NS + 5, {"index": 0, "finish_reason": "stop"}),
            Event("exception", START_NS + 9, {"exception.type": "RateLimitError"}),
        ],
    )
    return Resource([span], attributes={"service.name": "support-bot"}, scope="openai_v2")


FULL_RECORD = SpanRecord(
    trace_id=TRACE,
    span_id=span_id(2),
    parent_span_id=span_id(1),
    name="chat gpt-4o",
    kind=3,
    start_ns=START_NS,
    end_ns=START_NS + DURATION_NS,
    status_code=2,
    status_message="rate limited",
    attributes={"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 12},
    resource={"service.name": "support-bot"},
    scope="openai_v2",
    events=[
        {
            "name": "gen_ai.choice",
            "time_ns": START_NS + 5,
            "attributes": {"index": 0, "finish_reason": "stop"},
        },
        {
            "name": "exception",
            "time_ns": START_NS + 9,
            "attributes": {"exception.type": "RateLimitError"},
        },
    ],
)


# --- whole spans ------------------------------------------------------------------------


@pytest.mark.parametrize(("encode", "content_type"), ENCODINGS)
def test_span_decodes_to_record_with_every_field(encode, content_type):
    batch = _decode(encode, content_type, _full_span())

    assert batch.spans == [FULL_RECORD]
    assert (batch.rejected, batch.errors) == (0, [])


def test_snake_case_json_decodes_like_camel_case():
    batch = decode(json_body(_full_span(), snake_case=True), JSON)

    assert batch.spans == [FULL_RECORD]


def test_snake_case_helper_really_sends_snake_case_keys():
    request = json_request(_full_span(), snake_case=True)

    assert sorted(request["resource_spans"][0]) == ["resource", "scope_spans"]
    assert "start_time_unix_nano" in request["resource_spans"][0]["scope_spans"][0]["spans"][0]


@pytest.mark.parametrize(("encode", "content_type"), ENCODINGS)
@pytest.mark.parametrize("encoding", ["gzip", "GZIP", " gzip "])
def test_gzip_body_decodes_like_plain_body(encode, content_type, encoding):
    raw = decompress(gzipped(encode(_full_span())), encoding, LIMIT)

    assert decode(raw, content_type).spans == [FULL_RECORD]


@pytest.mark.parametrize("encoding", ["", "identity", "Identity"])
def test_identity_encoding_returns_body_unchanged(encoding):
    assert decompress(b"\x0a\x00", encoding, LIMIT) == b"\x0a\x00"


def test_spans_keep_their_own_resource_and_scope():
    first = Resource([SpanSpec(span_id(1))], attributes={"service.name": "a"}, scope="s1")
    second = Resource([SpanSpec(span_id(2))], attributes={"service.name": "b"}, scope="s2")

    batch = decode(protobuf_body(first, second), PROTOBUF)

    assert [(s.span_id, s.resource, s.scope) for s in batch.spans] == [
        (span_id(1), {"service.name": "a"}, "s1"),
        (span_id(2), {"service.name": "b"}, "s2"),
    ]


# --- attribute values -------------------------------------------------------------------

ATTRIBUTE_VALUES = [
    pytest.param("support", "support", id="string"),
    pytest.param("", "", id="empty-string"),
    pytest.param(42, 42, id="int"),
    pytest.param(-7, -7, id="negative-int"),
    pytest.param(2**62 + 1, 2**62 + 1, id="int64-beyond-double-precision"),
    pytest.param(0.25, 0.25, id="double"),
    pytest.param(True, True, id="bool-true"),
    pytest.param(False, False, id="bool-false"),
    pytest.param(["stop", "length"], ["stop", "length"], id="array"),
    pytest.param([1, "a", True, 0.5], [1, "a", True, 0.5], id="mixed-array"),
    pytest.param({"tier": "gold", "seats": 12}, {"tier": "gold", "seats": 12}, id="kvlist"),
    pytest.param(
        {"tags": ["a", "b"], "inner": {"x": 1}},
        {"tags": ["a", "b"], "inner": {"x": 1}},
        id="nested",
    ),
    pytest.param(None, None, id="empty-value"),
]


@pytest.mark.parametrize(("encode", "content_type"), ENCODINGS)
@pytest.mark.parametrize(("value", "expected"), ATTRIBUTE_VALUES)
def test_attribute_value_decodes_to_python_value(encode, content_type, value, expected):
    batch = _decode(encode, content_type, SpanSpec(span_id(1), attributes={"k": value}))

    assert batch.spans[0].attributes == {"k": expected}


@pytest.mark.parametrize(("encode", "content_type"), ENCODINGS)
def test_resource_attribute_values_decode_like_span_attributes(encode, content_type):
    values = {"n": 3, "d": 1.5, "b": True, "l": ["x"], "m": {"k": "v"}}

    batch = _decode(encode, content_type, Resource([SpanSpec(span_id(1))], attributes=values))

    assert batch.spans[0].resource == values


def test_protobuf_bytes_value_decodes_to_hex():
    batch = decode(protobuf_body(SpanSpec(span_id(1), attributes={"b": b"\x01\xff"})), PROTOBUF)

    assert batch.spans[0].attributes == {"b": "01ff"}


def test_bytes_value_decodes_the_same_in_both_encodings():
    span = SpanSpec(span_id(1), attributes={"b": b"\x01\xff"})

    from_json = decode(json_body(span), JSON).spans[0].attributes
    from_protobuf = decode(protobuf_body(span), PROTOBUF).spans[0].attributes

    assert from_json == from_protobuf


# --- OTLP/JSON specifics ----------------------------------------------------------------


def test_json_payload_from_file_decodes_hex_ids_and_string_int64():
    batch = decode((DATA / "otlp_json_openai_chat.json").read_bytes(), JSON)

    (span,) = batch.spans
    assert (span.trace_id, span.span_id, span.parent_span_id) == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "eee19b7ec3c1b173",
    )
    assert (span.start_ns, span.end_ns) == (1_793_534_400_000_000_000, 1_793_534_400_850_000_000)
    assert (span.kind, span.status_code, span.scope) == (
        3,
        1,
        "opentelemetry.instrumentation.openai_v2",
    )
    assert span.attributes["gen_ai.usage.input_tokens"] == 1000
    assert span.attributes["server.port"] == 443
    assert span.attributes["gen_ai.request.temperature"] == 0.2
    assert span.attributes["gen_ai.response.finish_reasons"] == ["stop"]
    assert span.attributes["stream"] is False
    assert span.resource == {
        "service.name": "support-bot",
        "finops.feature": "ticket-triage",
        "process.pid": 4242,
    }
    assert span.events == [
        {
            "name": "gen_ai.choice",
            "time_ns": 1_793_534_400_100_000_000,
            "attributes": {"index": 0, "finish_reason": "stop"},
        }
    ]


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("SPAN_KIND_CLIENT", {"code": "STATUS_CODE_ERROR"}, (3, 2)),
        ("SPAN_KIND_SERVER", {"code": "STATUS_CODE_OK"}, (2, 1)),
        ("3", {"code": "2"}, (3, 2)),
        (5, {}, (5, 0)),
    ],
)
def test_json_enum_accepts_integers_and_names(kind, status, expected):
    request = json_request(SpanSpec(span_id(1)))
    _first_span(request).update(kind=kind, status=status)

    span = decode(_json(request), JSON).spans[0]

    assert (span.kind, span.status_code) == expected


def test_json_enum_name_of_the_wrong_enum_rejects_the_span():
    request = json_request(SpanSpec(span_id(1)))
    _first_span(request)["kind"] = "STATUS_CODE_OK"

    batch = decode(_json(request), JSON)

    assert (batch.spans, batch.rejected) == ([], 1)
    assert batch.errors == ["span 'span': unknown enum value 'STATUS_CODE_OK'"]


def test_json_absent_optional_fields_take_protobuf_defaults():
    body = _json(
        {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": TRACE, "spanId": span_id(1)}]}]}]}
    )

    assert decode(body, JSON).spans == [
        SpanRecord(
            trace_id=TRACE,
            span_id=span_id(1),
            parent_span_id="",
            name="",
            kind=0,
            start_ns=0,
            end_ns=0,
            status_code=0,
            status_message="",
            attributes={},
            resource={},
            scope="",
            events=[],
        )
    ]


@pytest.mark.parametrize("body", [b"{}", b'{"resourceSpans": []}', b'{"resourceSpans": null}'])
def test_json_without_spans_decodes_to_empty_batch(body):
    assert decode(body, JSON) == DecodedBatch(spans=[])


# --- ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(("encode", "content_type"), ENCODINGS)
def test_all_zero_parent_id_means_root(encode, content_type):
    batch = _decode(encode, content_type, SpanSpec(span_id(1), parent="0" * 16))

    assert batch.spans[0].parent_span_id == ""


BAD_IDS = [
    pytest.param({"trace_id": "ab" * 8}, id="short-trace-id"),
    pytest.param({"trace_id": "0" * 32}, id="all-zero-trace-id"),
    pytest.param({"span_id": "0" * 16}, id="all-zero-span-id"),
    pytest.param({"span_id": "ab" * 4}, id="short-span-id"),
    pytest.param({"parent": "ab" * 9}, id="long-parent-id"),
]


@pytest.mark.parametrize(("encode", "content_type"), ENCODINGS)
@pytest.mark.parametrize("bad", BAD_IDS)
def test_span_with_malformed_id_is_rejected_and_rest_of_batch_kept(encode, content_type, bad):
    fields = {"span_id": span_id(2), "name": "bad", **bad}
    batch = _decode(
        encode,
        content_type,
        SpanSpec(span_id(1), name="good"),
        SpanSpec(**fields),
        SpanSpec(span_id(3)),
    )

    assert [s.span_id for s in batch.spans] == [span_id(1), span_id(3)]
    assert batch.rejected == 1


def test_rejected_span_error_names_the_span_and_the_id():
    batch = decode(protobuf_body(SpanSpec(span_id(1), name="bad", trace_id="0" * 32)), PROTOBUF)

    assert batch.errors == [
        "span 'bad': invalid trace id '00000000000000000000000000000000': "
        "expected 16 bytes, not all zero"
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("traceId", "zz" * 16),
        ("spanId", "EEE19B7EC3C1B17G"),
        ("parentSpanId", "not-hex!"),
        ("spanId", 12),
    ],
)
def test_json_span_with_non_hex_id_is_rejected(field, value):
    request = json_request(SpanSpec(span_id(1)), SpanSpec(span_id(2), name="kept"))
    _first_span(request)[field] = value

    batch = decode(_json(request), JSON)

    assert ([s.name for s in batch.spans], batch.rejected) == (["kept"], 1)


def test_json_base64_ids_are_rejected_not_misread():
    # protobuf's canonical JSON mapping would send base64; OTLP/JSON requires hex.
    request = json_request(SpanSpec(span_id(1)))
    _first_span(request)["traceId"] = "AAAAAAAAAAAAAAAAAAAAoQ=="

    batch = decode(_json(request), JSON)

    assert (batch.spans, batch.rejected) == ([], 1)


def test_rejection_messages_are_bounded_to_five():
    spans = [SpanSpec(span_id(n), trace_id="0" * 32) for n in range(1, 8)]

    batch = decode(protobuf_body(*spans), PROTOBUF)

    assert (batch.rejected, len(batch.errors)) == (7, 5)


def test_json_span_with_bad_time_is_rejected():
    request = json_request(SpanSpec(span_id(1)), SpanSpec(span_id(2)))
    _first_span(request)["startTimeUnixNano"] = "yesterday"

    batch = decode(_json(request), JSON)

    assert ([s.span_id for s in batch.spans], batch.rejected) == ([span_id(2)], 1)


# --- bodies that cannot be read at all --------------------------------------------------


@pytest.mark.parametrize("content_type", [PROTOBUF, JSON])
def test_empty_body_raises(content_type):
    with pytest.raises(
        OtlpDecodeError, match=r"^empty body: expected an OTLP ExportTraceServiceRequest$"
    ):
        decode(b"", content_type)


def test_unsupported_content_type_raises():
    with pytest.raises(OtlpDecodeError, match=r"^unsupported content type 'text/plain'$"):
        decode(b"x", "text/plain")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\xff\xff\xff", id="garbage"),
        pytest.param(protobuf_body(chat_span(span_id(1)))[:-7], id="truncated"),
    ],
)
def test_invalid_protobuf_raises(body):
    with pytest.raises(
        OtlpDecodeError, match=r"^body is not a valid protobuf ExportTraceServiceRequest"
    ):
        decode(body, PROTOBUF)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"{", "^body is not valid JSON", id="truncated"),
        pytest.param(b"\xff\xfe{}", "^body is not valid JSON", id="not-utf8"),
        pytest.param(b"[]", "^JSON body must be an object with a resourceSpans list$", id="array"),
        pytest.param(b'"spans"', "^JSON body must be an object", id="string"),
        pytest.param(b'{"resourceSpans": {}}', "^resourceSpans must be a list$", id="rs-object"),
        pytest.param(
            b'{"resourceSpans": [1]}', "^each resourceSpans entry must be an object$", id="rs-item"
        ),
        pytest.param(
            b'{"resourceSpans": [{"scopeSpans": 5}]}',
            "^scopeSpans must be a list of objects$",
            id="ss",
        ),
        pytest.param(
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [1]}]}]}',
            "^spans must be a list of objects$",
            id="spans",
        ),
        pytest.param(
            b'{"resourceSpans": [{"resource": []}]}', "^resource must be an object$", id="resource"
        ),
    ],
)
def test_unreadable_json_raises_with_reason(body, message):
    with pytest.raises(OtlpDecodeError, match=message):
        decode(body, JSON)


# --- Content-Encoding -------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd"])
def test_unsupported_content_encoding_raises(encoding):
    with pytest.raises(
        OtlpDecodeError,
        match=rf"^unsupported Content-Encoding '{encoding}': send gzip or identity$",
    ):
        decompress(b"x", encoding, LIMIT)


def test_gzip_bomb_raises_body_too_large():
    bomb = gzip.compress(b"\0" * (50 * LIMIT))

    with pytest.raises(BodyTooLarge, match=rf"^decompressed body exceeds {LIMIT} bytes$"):
        decompress(bomb, "gzip", LIMIT)


def test_gzip_body_of_exactly_the_limit_is_accepted():
    assert decompress(gzip.compress(b"a" * LIMIT), "gzip", LIMIT) == b"a" * LIMIT


def test_gzip_body_one_byte_over_the_limit_raises():
    with pytest.raises(BodyTooLarge):
        decompress(gzip.compress(b"a" * (LIMIT + 1)), "gzip", LIMIT)


def test_truncated_gzip_raises():
    body = gzipped(protobuf_body(chat_span(span_id(1))))

    with pytest.raises(OtlpDecodeError, match=r"^gzip body is truncated$"):
        decompress(body[: len(body) // 2], "gzip", LIMIT)


def test_gzip_encoding_on_plain_body_raises():
    with pytest.raises(OtlpDecodeError, match=r"^body is not valid gzip: "):
        decompress(protobuf_body(chat_span(span_id(1))), "gzip", LIMIT)


def test_multi_member_gzip_body_is_fully_decompressed():
    first, second = protobuf_body(SpanSpec(span_id(1))), protobuf_body(SpanSpec(span_id(2)))

    raw = decompress(gzip.compress(first) + gzip.compress(second), "gzip", LIMIT)

    assert [s.span_id for s in decode(raw, PROTOBUF).spans] == [span_id(1), span_id(2)]


# --- malformed values that must be rejected, not crash ----------------------------------


def _with_attribute(value: dict) -> bytes:
    request = json_request(SpanSpec(span_id(1)), SpanSpec(span_id(2), name="kept"))
    _first_span(request)["attributes"].append({"key": "bad", "value": value})
    return _json(request)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"intValue": "many"}, id="int-not-a-number"),
        pytest.param({"doubleValue": "half"}, id="double-not-a-number"),
        pytest.param({"mysteryValue": 1}, id="unknown-type"),
    ],
)
def test_span_with_unreadable_attribute_value_is_rejected(value):
    batch = decode(_with_attribute(value), JSON)

    assert ([s.name for s in batch.spans], batch.rejected) == (["kept"], 1)


def _mutated_json(mutate) -> bytes:
    request = json_request(SpanSpec(span_id(1)), SpanSpec(span_id(2), name="kept"))
    mutate(request)
    return _json(request)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda r: _first_span(r).update(status="ok"), id="status-string"),
        pytest.param(lambda r: _first_span(r).update(status=[1]), id="status-list"),
        pytest.param(
            lambda r: _first_span(r)["attributes"].append(
                {"key": "a", "value": {"arrayValue": "x"}}
            ),
            id="arrayValue-string",
        ),
        pytest.param(
            lambda r: _first_span(r)["attributes"].append(
                {"key": "a", "value": {"kvlistValue": [1]}}
            ),
            id="kvlistValue-list",
        ),
        pytest.param(
            lambda r: _first_span(r).update(startTimeUnixNano=math.inf), id="time-infinity"
        ),
        pytest.param(lambda r: _first_span(r).update(kind=math.inf), id="kind-infinity"),
        pytest.param(
            lambda r: _first_span(r)["attributes"].append(
                {"key": "a", "value": {"intValue": math.inf}}
            ),
            id="intValue-infinity",
        ),
    ],
)
def test_json_span_with_malformed_structure_is_rejected(mutate):
    batch = decode(_mutated_json(mutate), JSON)

    assert ([s.name for s in batch.spans], batch.rejected) == (["kept"], 1)


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param({"attributes": [{"key": "n", "value": {"intValue": "x"}}]}, id="bad-int"),
        pytest.param({"attributes": 5}, id="attributes-not-list"),
        pytest.param({"attributes": [{"value": {}}]}, id="no-key"),
    ],
)
def test_json_resource_with_malformed_attributes_raises_decode_error(resource):
    request = json_request(SpanSpec(span_id(1)))
    request["resourceSpans"][0]["resource"] = resource

    with pytest.raises(OtlpDecodeError):
        decode(_json(request), JSON)


# --- responses --------------------------------------------------------------------------


def test_json_response_to_full_success_is_empty_object():
    assert encode_response(DecodedBatch(spans=[]), JSON) == b"{}"


def test_json_response_to_partial_success_counts_rejected_as_string():
    batch = DecodedBatch(spans=[], rejected=2, errors=["span 'a': bad", "span 'b': bad"])

    assert json.loads(encode_response(batch, JSON)) == {
        "partialSuccess": {"rejectedSpans": "2", "errorMessage": "span 'a': bad; span 'b': bad"}
    }


def test_protobuf_response_to_full_success_has_no_partial_success():
    response = ExportTraceServiceResponse.FromString(
        encode_response(DecodedBatch(spans=[]), PROTOBUF)
    )

    assert response.HasField("partial_success") is False


def test_protobuf_response_to_partial_success_reports_rejected_spans():
    batch = DecodedBatch(spans=[], rejected=1, errors=["span 'a': bad"])

    response = ExportTraceServiceResponse.FromString(encode_response(batch, PROTOBUF))

    assert (response.partial_success.rejected_spans, response.partial_success.error_message) == (
        1,
        "span 'a': bad",
    )


def test_json_error_body_is_a_json_status():
    assert json.loads(encode_error("bad body", JSON)) == {"code": 3, "message": "bad body"}


def test_protobuf_error_body_is_a_protobuf_status():
    body = encode_error("bad key", PROTOBUF, code=16)

    assert Status.FromString(body) == Status(code=16, message="bad key")


def test_error_body_for_unknown_content_type_is_plain_text():
    assert encode_error("bad body", "text/plain") == b"bad body"


def test_trace_ids_of_other_traces_are_kept_apart():
    batch = decode(
        protobuf_body(
            SpanSpec(span_id(1), trace_id=trace_id(1)), SpanSpec(span_id(1), trace_id=trace_id(2))
        ),
        PROTOBUF,
    )

    assert [(s.trace_id, s.span_id) for s in batch.spans] == [
        (trace_id(1), span_id(1)),
        (trace_id(2), span_id(1)),
    ]
