"""The OTLP/gRPC receiver: ``TraceService/Export`` on the same ingest path as ``/v1/traces``.

The method is registered without a request deserializer, so the handler gets the raw
``ExportTraceServiceRequest`` bytes that gRPC received (already un-gzipped by gRPC itself) and
hands them to ``services.ingest_otlp_traces`` exactly as the HTTP receiver does: one decoder,
one normaliser, one store. The response is ``otlp.encode_response``'s bytes, unserialised too.

Status codes follow the OTLP spec and mirror the HTTP receiver's 401/400/413/503:
UNAUTHENTICATED, INVALID_ARGUMENT, RESOURCE_EXHAUSTED and UNAVAILABLE (which exporters retry).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import grpc
from django.conf import settings
from django.db import DatabaseError, OperationalError, close_old_connections
from django.utils.datastructures import CaseInsensitiveMapping
from google.protobuf.duration_pb2 import Duration
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from finops.models import ApiKey, Project
from ingest import otlp, services

log = logging.getLogger(__name__)

# Names from the proto service definition, not spelled out by hand.
_SERVICE = trace_service_pb2.DESCRIPTOR.services_by_name["TraceService"]
SERVICE_NAME = _SERVICE.full_name
EXPORT_METHOD = f"/{SERVICE_NAME}/{_SERVICE.methods_by_name['Export'].name}"

# Same delay as the HTTP receiver's Retry-After; OTel exporters read it from this trailer.
_RETRY_AFTER_S = 5
_RETRY_INFO_KEY = "google.rpc.retryinfo-bin"


def build_server(address: str, max_workers: int) -> tuple[grpc.Server, int]:
    """A stopped gRPC server bound to ``address`` ("host:port"), and the port it bound.

    Port 0 picks a free port, hence the second value. Raises ``RuntimeError`` when the
    address cannot be bound. Handlers run in a pool of ``max_workers`` threads, each with its
    own database connection.
    """
    handler = grpc.method_handlers_generic_handler(
        SERVICE_NAME,
        {
            # No (de)serializers: the request arrives as bytes and the reply leaves as bytes.
            "Export": grpc.unary_unary_rpc_method_handler(
                export, request_deserializer=None, response_serializer=None
            )
        },
    )
    server = grpc.server(
        ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="otlp-grpc"),
        handlers=[handler],
        options=[
            # gRPC answers RESOURCE_EXHAUSTED itself above this size (after decompression).
            ("grpc.max_receive_message_length", settings.OTLP_MAX_BODY_BYTES),
            # gRPC sets SO_REUSEPORT by default on Linux, so a second receiver would silently
            # share the port with the first instead of failing to start.
            ("grpc.so_reuseport", 0),
        ],
    )
    port = server.add_insecure_port(address)
    if not port:  # older grpcio returns 0 instead of raising
        raise RuntimeError(f"cannot bind {address}")
    return server, port


def export(body: bytes, context: grpc.ServicerContext) -> bytes:
    """``TraceService/Export``: raw request bytes in, raw ``ExportTraceServiceResponse`` out."""
    # Handlers run on pool threads that outlive a request, so do per thread what Django's
    # request_started/request_finished signals do per HTTP request.
    close_old_connections()
    try:
        return _export(body, context)
    finally:
        close_old_connections()


def _export(body: bytes, context: grpc.ServicerContext) -> bytes:
    raw_key = ApiKey.raw_from_headers(_headers(context.invocation_metadata()))
    if not raw_key:
        context.abort(
            grpc.StatusCode.UNAUTHENTICATED,
            "missing API key: send metadata 'authorization: Bearer <key>' or 'x-api-key: <key>'",
        )
    try:
        project = Project.objects.for_api_key(raw_key, ingest=True)
        if project is None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid, revoked or non-ingest API key")
        if not body:
            # Zero bytes is a valid, empty ExportTraceServiceRequest in protobuf (the HTTP
            # receiver rejects an empty body as a misconfigured client); nothing to store.
            return otlp.encode_response(otlp.DecodedBatch(spans=[]), otlp.PROTOBUF)
        result = services.ingest_otlp_traces(project.pk, body, otlp.PROTOBUF)
    except otlp.BodyTooLarge as exc:
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
    except otlp.OtlpDecodeError as exc:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    except (OperationalError, DatabaseError):
        # Nothing was committed; tell the exporter to retry later instead of losing the batch.
        log.exception("OTLP/gRPC ingest failed on the database")
        retry = RetryInfo(retry_delay=Duration(seconds=_RETRY_AFTER_S))
        context.set_trailing_metadata([(_RETRY_INFO_KEY, retry.SerializeToString())])
        context.abort(grpc.StatusCode.UNAVAILABLE, "storage unavailable, retry later")
    return otlp.encode_response(result.batch, otlp.PROTOBUF)


def _headers(metadata: Sequence[tuple[str, str | bytes]] | None) -> CaseInsensitiveMapping:
    """Text metadata as the header mapping ``ApiKey.raw_from_headers`` reads.

    gRPC metadata keys are lower-case ("authorization"); the mapping makes them match the
    HTTP header spelling. Binary (``-bin``) entries carry no credentials and are skipped.
    """
    return CaseInsensitiveMapping(
        {key: value for key, value in metadata or () if isinstance(value, str)}
    )
