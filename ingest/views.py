"""The OTLP/HTTP receiver. Only the receiver lives here; pages live in ``finops.views``."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from finops.models import ApiKey, Project
from ingest import otlp, services

log = logging.getLogger(__name__)

_RETRY_AFTER_S = "5"


@csrf_exempt
@require_POST
def otlp_traces(request: HttpRequest) -> HttpResponse:
    """``POST /v1/traces``: an OTLP ``ExportTraceServiceRequest`` as protobuf or JSON."""
    content_type = request.content_type.lower()
    raw_key = ApiKey.raw_from_headers(request.headers)
    if not raw_key:
        return _error(
            401,
            "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
            content_type,
            code=16,
        )
    project = Project.objects.for_api_key(raw_key, ingest=True)
    if project is None:
        return _error(401, "invalid, revoked or non-ingest API key", content_type, code=16)
    if content_type not in otlp.CONTENT_TYPES:
        return _error(
            415,
            f"unsupported Content-Type {content_type!r}: "
            "send application/x-protobuf or application/json",
            content_type,
        )
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
