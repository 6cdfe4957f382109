"""The OTLP/HTTP receiver. Only the receiver lives here; pages live in ``finops.views``."""

from __future__ import annotations

import base64
import logging
import threading

from django.conf import settings
from django.db import DatabaseError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from finops.models import ApiKey
from ingest import otlp, services

log = logging.getLogger(__name__)

_RETRY_AFTER_S = "5"
# Backpressure: beyond this many exports in flight in one process, answer 429 at once rather
# than queue on the database; exporters retry after Retry-After.
_in_flight = threading.BoundedSemaphore(settings.OTLP_MAX_CONCURRENT_REQUESTS)


_MISSING_KEY = "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'"
_MISSING_BASIC = "missing credentials: send 'Authorization: Basic base64(<project slug>:<API key>)'"


@csrf_exempt
@require_POST
def otlp_traces(request: HttpRequest) -> HttpResponse:
    """``POST /v1/traces``: an OTLP ``ExportTraceServiceRequest`` as protobuf or JSON."""
    return _receive_traces(request, ApiKey.raw_from_headers(request.headers), _MISSING_KEY)


@csrf_exempt
@require_POST
def langfuse_otel_traces(request: HttpRequest) -> HttpResponse:
    """``POST /api/public/otel/v1/traces``, where the Langfuse SDK exports unchanged.

    Langfuse authenticates with Basic auth (public key : secret key): the secret is our API
    key, the public key must name its project (slug) or the key (its prefix).
    """
    public, secret = _basic_credentials(request)
    return _receive_traces(request, secret, _MISSING_BASIC, public_key=public)


@csrf_exempt
@require_POST
def otlp_logs(request: HttpRequest) -> HttpResponse:
    """``POST /v1/logs``: GenAI log records (``gen_ai.*`` events) are attached to their span
    by trace and span id; other records are acknowledged and dropped."""
    content_type = request.content_type.lower()
    raw_key = ApiKey.raw_from_headers(request.headers)
    key = _ingest_key(raw_key) if raw_key else None
    if key is None:
        return _error(401, _MISSING_KEY if not raw_key else _BAD_KEY, content_type, code=16)
    if content_type not in otlp.CONTENT_TYPES:
        return _error(415, _unsupported(content_type), content_type)
    body = _read_body(request, settings.OTLP_MAX_BODY_BYTES)
    if body is None:
        return _error(413, f"body exceeds {settings.OTLP_MAX_BODY_BYTES} bytes", content_type)
    try:
        services.ingest_otlp_logs(
            key.project_id, body, content_type, request.headers.get("Content-Encoding", "")
        )
    except otlp.BodyTooLarge as exc:
        return _error(413, str(exc), content_type, code=8)
    except otlp.OtlpDecodeError as exc:
        return _error(400, str(exc), content_type)
    except (OperationalError, DatabaseError):
        log.exception("OTLP log ingest failed on the database")
        response = _error(503, "storage unavailable, retry later", content_type, code=14)
        response["Retry-After"] = _RETRY_AFTER_S
        return response
    # An empty message is a valid ExportLogsServiceResponse in both encodings.
    return HttpResponse(b"{}" if content_type == otlp.JSON else b"", content_type=content_type)


@csrf_exempt
@require_POST
def otlp_metrics(request: HttpRequest) -> HttpResponse:
    """``POST /v1/metrics``: authenticated, acknowledged and dropped.

    OpenLIT and Traceloop export metrics next to traces; answering 404 would fill their logs
    with errors. Costs come from spans, so the metrics are not needed.
    """
    content_type = request.content_type.lower()
    raw_key = ApiKey.raw_from_headers(request.headers)
    if not raw_key or _ingest_key(raw_key) is None:
        return _error(401, _MISSING_KEY if not raw_key else _BAD_KEY, content_type, code=16)
    if content_type not in otlp.CONTENT_TYPES:
        return _error(415, _unsupported(content_type), content_type)
    # An empty message is a valid ExportMetricsServiceResponse in both encodings.
    return HttpResponse(b"{}" if content_type == otlp.JSON else b"", content_type=content_type)


_BAD_KEY = "invalid, revoked or non-ingest API key"


def _unsupported(content_type: str) -> str:
    return (
        f"unsupported Content-Type {content_type!r}: "
        "send application/x-protobuf or application/json"
    )


def _ingest_key(raw_key: str) -> ApiKey | None:
    return (
        ApiKey.objects.matching(raw_key).filter(can_ingest=True).select_related("project").first()
    )


def _basic_credentials(request: HttpRequest) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return "", ""
    public, _, secret = decoded.partition(":")
    return public, secret


def _receive_traces(
    request: HttpRequest, raw_key: str, missing: str, public_key: str | None = None
) -> HttpResponse:
    content_type = request.content_type.lower()
    if not raw_key:
        return _error(401, missing, content_type, code=16)
    key = _ingest_key(raw_key)
    if key is None:
        return _error(401, _BAD_KEY, content_type, code=16)
    project = key.project
    if public_key is not None and public_key not in (project.slug, key.prefix):
        return _error(
            401,
            "the public key must be the project's slug or the API key's prefix",
            content_type,
            code=16,
        )
    if content_type not in otlp.CONTENT_TYPES:
        return _error(415, _unsupported(content_type), content_type)
    if not _in_flight.acquire(blocking=False):
        response = _error(429, "too many concurrent exports, retry later", content_type, code=8)
        response["Retry-After"] = _RETRY_AFTER_S
        return response
    try:
        return _ingest(request, key.project, content_type)
    finally:
        _in_flight.release()


def _ingest(request: HttpRequest, project, content_type: str) -> HttpResponse:
    body = _read_body(request, settings.OTLP_MAX_BODY_BYTES)
    if body is None:
        limit = settings.OTLP_MAX_BODY_BYTES
        return _error(413, f"body exceeds {limit} bytes", content_type, code=8)
    encoding = request.headers.get("Content-Encoding", "")
    try:
        result = services.ingest_otlp_traces(project.pk, body, content_type, encoding)
    except otlp.BodyTooLarge as exc:
        return _error(413, str(exc), content_type, code=8)
    except otlp.OtlpDecodeError as exc:
        return _error(400, str(exc), content_type)
    except (OperationalError, DatabaseError):
        # Nothing was committed; tell the exporter to retry later instead of losing the batch.
        log.exception("OTLP ingest failed on the database for project %s", project.slug)
        response = _error(503, "storage unavailable, retry later", content_type, code=14)
        response["Retry-After"] = _RETRY_AFTER_S
        return response
    return HttpResponse(otlp.encode_response(result.batch, content_type), content_type=content_type)


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The request body, or None when it exceeds ``limit`` bytes.

    Exporters that send ``Transfer-Encoding: chunked`` give no Content-Length, and Django then
    reads the body as empty (Django ticket #35838); read the WSGI stream to its end instead,
    which works where the server (gunicorn) has de-chunked it.
    """
    length = request.META.get("CONTENT_LENGTH")
    if length:
        try:
            if int(length) > limit:
                return None
        except ValueError:
            return None
        return request.read()
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        data = request.META["wsgi.input"].read(limit + 1)
        return None if len(data) > limit else data
    return request.read()


def _error(status: int, message: str, content_type: str, code: int = 3) -> HttpResponse:
    # Unknown content types get a plain-text message the operator can read in exporter logs.
    reply_type = content_type if content_type in otlp.CONTENT_TYPES else "text/plain"
    return HttpResponse(
        otlp.encode_error(message, content_type, code), status=status, content_type=reply_type
    )
