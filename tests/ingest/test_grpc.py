"""The OTLP/gRPC receiver, served in-process and fed by the real OTel gRPC exporter."""

from __future__ import annotations

import gzip
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
from django.db import OperationalError, connections
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ingest import conventions, store
from ingest.grpc_server import EXPORT_METHOD, build_server
from ingest.models import LLMCall, Span
from tests.factories import issue_key
from tests.otlp_payloads import START_NS, SpanSpec, chat_span, protobuf_body, span_id

# The server's pool threads need committed rows, and committed rows need a flush afterwards.
pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
Metadata = tuple[tuple[str, str], ...]
TIMEOUT_S = 5  # the exporter retries UNAVAILABLE with backoff; keep a failure fast


@contextmanager
def _serving() -> Iterator[str]:
    """Serve the receiver on a free loopback port and yield its ``host:port``."""
    server, port = build_server("127.0.0.1:0", max_workers=2)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None).wait()


@pytest.fixture(autouse=True)
def _close_pool_connections(monkeypatch):
    # Pool threads outlive a request; with CONN_MAX_AGE 0 their close_old_connections() closes
    # the connection after each export (as Django's test server does), so no thread holds the
    # PostgreSQL test database open when it is flushed and dropped.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)


@pytest.fixture
def target(transactional_db) -> Iterator[str]:
    with _serving() as address:
        yield address


def _exporter(target: str, key: str, **options) -> OTLPSpanExporter:
    return OTLPSpanExporter(
        endpoint=target,
        insecure=True,
        headers={"authorization": f"Bearer {key}"},
        timeout=TIMEOUT_S,
        **options,
    )


def _ended_spans() -> list[ReadableSpan]:
    """A request span with one child chat span (gpt-4o-mini, 1000 in / 100 out), both ended
    at fixed times so the price does not depend on today's date."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({conventions.SERVICE_NAME: "support-bot"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.ingest.test_grpc")
    root = tracer.start_span(
        "answer ticket",
        start_time=START_NS,
        attributes={conventions.FINOPS_FEATURE: "support-assistant"},
    )
    chat = tracer.start_span(
        "chat gpt-4o-mini",
        context=trace.set_span_in_context(root),
        kind=trace.SpanKind.CLIENT,
        start_time=START_NS + 1_000_000,
        attributes={
            conventions.GEN_AI_OPERATION_NAME: "chat",
            conventions.GEN_AI_PROVIDER_NAME: "openai",
            conventions.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            conventions.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
            conventions.GEN_AI_USAGE_INPUT_TOKENS: 1000,
            conventions.GEN_AI_USAGE_OUTPUT_TOKENS: 100,
        },
    )
    chat.end(end_time=START_NS + 851_000_000)
    root.end(end_time=START_NS + 900_000_000)
    provider.shutdown()
    return list(memory.get_finished_spans())


def _raw_export(target: str, body: bytes, metadata: Metadata = (), **options) -> bytes:
    """Send ``body`` unserialised, as a misbehaving client could."""
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(
            EXPORT_METHOD, request_serializer=None, response_deserializer=None
        )
        return call(body, metadata=metadata, timeout=TIMEOUT_S, **options)


def _stub_export(
    target: str, request: ExportTraceServiceRequest, metadata: Metadata = ()
) -> ExportTraceServiceResponse:
    with grpc.insecure_channel(target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        return stub.Export(request, metadata=metadata, timeout=TIMEOUT_S)


def _bearer(key: str) -> Metadata:
    return (("authorization", f"Bearer {key}"),)


def test_llm_span_exported_over_grpc_is_stored_priced(target, project, api_key):
    result = _exporter(target, api_key).export(_ended_spans())

    assert result is SpanExportResult.SUCCESS
    call = LLMCall.objects.for_project(project.pk).get()
    assert (call.provider, call.request_model, call.response_model) == (
        "openai",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    )
    assert (call.input_tokens, call.output_tokens) == (1000, 100)
    assert call.cost_usd == Decimal("0.00021")
    assert call.feature == "support-assistant"
    assert Span.objects.for_project(project.pk).count() == 2


def test_reexported_spans_are_not_stored_twice(target, project, api_key):
    spans = _ended_spans()
    exporter = _exporter(target, api_key)
    exporter.export(spans)

    result = exporter.export(spans)

    assert result is SpanExportResult.SUCCESS
    assert Span.objects.for_project(project.pk).count() == 2
    assert LLMCall.objects.for_project(project.pk).count() == 1


def test_gzip_compressed_export_is_stored(target, project, api_key):
    exporter = _exporter(target, api_key, compression=grpc.Compression.Gzip)

    result = exporter.export(_ended_spans())

    assert result is SpanExportResult.SUCCESS
    assert LLMCall.objects.for_project(project.pk).get().cost_usd == Decimal("0.00021")


def test_x_api_key_metadata_authenticates(target, project, api_key):
    exporter = OTLPSpanExporter(
        endpoint=target, insecure=True, headers={"x-api-key": api_key}, timeout=TIMEOUT_S
    )

    assert exporter.export(_ended_spans()) is SpanExportResult.SUCCESS
    assert LLMCall.objects.for_project(project.pk).count() == 1


def test_wrong_key_export_fails_and_stores_nothing(target, project):
    result = _exporter(target, "lfo_wrong").export(_ended_spans())

    assert result is SpanExportResult.FAILURE
    assert not Span.objects.exists()


def test_wrong_key_is_unauthenticated(target, project):
    request = ExportTraceServiceRequest()

    with pytest.raises(grpc.RpcError) as error:
        _stub_export(target, request, metadata=_bearer("lfo_wrong"))

    assert error.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.value.details() == "invalid, revoked or non-ingest API key"


def test_read_only_key_is_unauthenticated(target, project):
    read_only = issue_key(project, can_ingest=False)

    with pytest.raises(grpc.RpcError) as error:
        _raw_export(target, protobuf_body(chat_span(span_id(1))), metadata=_bearer(read_only))

    assert error.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert not Span.objects.exists()


def test_missing_key_is_unauthenticated_with_how_to_send_one(target):
    with pytest.raises(grpc.RpcError) as error:
        _stub_export(target, ExportTraceServiceRequest())

    assert error.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "authorization: Bearer <key>" in error.value.details()


def test_garbage_body_is_invalid_argument_with_decoder_message(target, project, api_key):
    with pytest.raises(grpc.RpcError) as error:
        _raw_export(target, b"\xff\xff\xff not protobuf", metadata=_bearer(api_key))

    assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid protobuf ExportTraceServiceRequest" in error.value.details()
    assert not Span.objects.exists()


def test_bad_span_is_reported_as_partial_success(target, project, api_key):
    body = protobuf_body(chat_span(span_id(1)), SpanSpec(span_id="0" * 16, name="broken"))

    reply = _raw_export(target, body, metadata=_bearer(api_key))

    response = ExportTraceServiceResponse.FromString(reply)
    assert response.partial_success.rejected_spans == 1
    assert "invalid span id" in response.partial_success.error_message
    assert Span.objects.for_project(project.pk).get().span_id == span_id(1)


def test_empty_request_is_accepted(target, project, api_key):
    request = ExportTraceServiceRequest()

    response = _stub_export(target, request, metadata=_bearer(api_key))

    assert not response.HasField("partial_success")
    assert not Span.objects.exists()


@pytest.mark.parametrize("compression", [grpc.Compression.NoCompression, grpc.Compression.Gzip])
def test_body_over_limit_is_resource_exhausted(settings, project, api_key, compression):
    settings.OTLP_MAX_BODY_BYTES = 2048
    spans = [chat_span(span_id(n), finops__feature="x" * 100) for n in range(1, 40)]
    body = protobuf_body(*spans)
    assert len(body) > 2048 and len(gzip.compress(body)) < 2048

    with _serving() as target, pytest.raises(grpc.RpcError) as error:
        _raw_export(target, body, metadata=_bearer(api_key), compression=compression)

    assert error.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert not Span.objects.exists()


def test_database_error_is_unavailable_with_retry_delay(target, project, api_key, monkeypatch):
    def unavailable(*args: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(store, "store_spans_and_calls", unavailable)

    with pytest.raises(grpc.RpcError) as error:
        _raw_export(target, protobuf_body(chat_span(span_id(1))), metadata=_bearer(api_key))

    assert error.value.code() is grpc.StatusCode.UNAVAILABLE
    trailers = dict(error.value.trailing_metadata())
    assert RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"]).retry_delay.seconds == 5


def test_exporter_gives_up_on_unavailable_within_its_timeout(target, project, api_key, monkeypatch):
    def unavailable(*args: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(store, "store_spans_and_calls", unavailable)

    result = _exporter(target, api_key).export(_ended_spans())

    assert result is SpanExportResult.FAILURE
    assert not Span.objects.exists()


LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_command_prints_address_and_stops_on_signal(stop_signal: signal.Signals):
    command = [sys.executable, "manage.py", "otlp_grpc", "--port", "0", "--workers", "1"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            port = LISTENING.search(process.stdout.readline()).group(1)
            with pytest.raises(grpc.RpcError) as error:
                _stub_export(f"127.0.0.1:{port}", ExportTraceServiceRequest())
            process.send_signal(stop_signal)
            out, _ = process.communicate(timeout=TIMEOUT_S)
        finally:
            process.kill()

    assert error.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert process.returncode == 0
    assert "receiver stopped" in out
