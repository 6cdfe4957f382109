"""The receiver's other doors: Langfuse's Basic-auth route, /v1/metrics, chunked bodies."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ingest.models import LLMCall

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID = bytes.fromhex("eee19b7ec3c1b174")


def _llm_body() -> bytes:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = TRACE_ID, SPAN_ID, "chat gpt-4o-mini"
    span.start_time_unix_nano = 1_762_000_000_000_000_000
    span.end_time_unix_nano = 1_762_000_001_000_000_000
    for key, value in [
        ("gen_ai.provider.name", "openai"),
        ("gen_ai.request.model", "gpt-4o-mini"),
    ]:
        attribute = span.attributes.add()
        attribute.key, attribute.value.string_value = key, value
    for key, value in [("gen_ai.usage.input_tokens", 1000), ("gen_ai.usage.output_tokens", 500)]:
        attribute = span.attributes.add()
        attribute.key, attribute.value.int_value = key, value
    return request.SerializeToString()


def _basic(public: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()


@pytest.mark.django_db
@pytest.mark.parametrize("public", ["acme", "prefix"])
def test_langfuse_route_accepts_basic_auth_with_slug_or_key_prefix(
    client, project, api_key, public
):
    public = api_key[:12] if public == "prefix" else public

    response = client.post(
        reverse("ingest:langfuse-traces"),
        _llm_body(),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=_basic(public, api_key),
    )

    assert response.status_code == 200
    assert LLMCall.objects.for_project(project.pk).get().input_tokens == 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("", "missing credentials"),
        ("Basic not-base64!", "missing credentials"),
        ("wrong-secret", "invalid, revoked or non-ingest API key"),
        ("other-project", "public key must be the project's slug"),
    ],
)
def test_langfuse_route_rejects_bad_credentials(client, project, api_key, authorization, message):
    header = {
        "wrong-secret": _basic("acme", "lfo_nope"),
        "other-project": _basic("other", api_key),
    }.get(authorization, authorization)

    response = client.post(
        reverse("ingest:langfuse-traces"),
        b"{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )

    assert response.status_code == 401
    assert message in response.json()["message"]
    assert not LLMCall.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "body"), [("application/x-protobuf", b""), ("application/json", b"{}")]
)
def test_metrics_are_acknowledged_and_dropped(client, api_key, content_type, body):
    response = client.post(
        reverse("ingest:otlp-metrics"),
        b"\x0a\x00",
        content_type=content_type,
        HTTP_X_API_KEY=api_key,
    )

    assert response.status_code == 200
    assert response.content == body


@pytest.mark.django_db
def test_metrics_need_a_key(client):
    response = client.post(reverse("ingest:otlp-metrics"), b"", content_type="application/json")

    assert response.status_code == 401


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_chunked_body_without_content_length_is_read_under_gunicorn(tmp_path):
    """OTel JS exporters send Transfer-Encoding: chunked; Django alone would read b""."""
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    environ.update(LLM_FINOPS_VAR_DIR=str(tmp_path), CELERY_BROKER_URL="")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=environ, check=True, timeout=120)
    subprocess.run(
        [*manage, "create_project", "chunky", "--key", "lfo_chunky"],
        cwd=ROOT,
        env=environ,
        check=True,
        timeout=60,
        capture_output=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=environ,
    )
    try:
        status, reply = _post_chunked(port, _llm_body())
        listing = _get_json(port, "/api/v1/calls/")
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert status == 200, reply
    assert [call["input_tokens"] for call in listing["results"]] == [1000]


def _post_chunked(port: int, body: bytes) -> tuple[int, bytes]:
    for _ in range(100):  # wait for gunicorn to bind
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.connect()
            break
        except OSError:
            time.sleep(0.1)
    connection.putrequest("POST", "/v1/traces")
    connection.putheader("Content-Type", "application/x-protobuf")
    connection.putheader("Authorization", "Bearer lfo_chunky")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    for start in range(0, len(body), 40):
        piece = body[start : start + 40]
        connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    return response.status, response.read()


def _get_json(port: int, path: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Authorization": "Bearer lfo_chunky"})
    return json.loads(connection.getresponse().read())
