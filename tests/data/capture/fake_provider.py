"""A fake LLM provider on 127.0.0.1 that answers like OpenAI and Anthropic, with KNOWN usage.

Stdlib only. Used by ``capture.py`` to drive the real ``openai`` / ``anthropic`` clients (and the
real instrumentation libraries wrapped around them) without any network access. Every request
it answers is written to a journal; the journal is the *truth* the captured OTLP fixtures are
checked against (requested model, response model, the exact usage numbers returned, streamed
or not, failed or not).

Endpoints
  POST /v1/chat/completions   OpenAI Chat Completions (JSON, or SSE when ``stream`` is true;
                              a final usage chunk only when ``stream_options.include_usage``)
  POST /v1/embeddings         OpenAI Embeddings
  POST /v1/responses          OpenAI Responses (JSON, or SSE ``response.*`` events)
  POST /v1/messages           Anthropic Messages (JSON, or SSE with message_start / message_delta)
  GET  /_journal              the journal as JSON
  POST /_reset                clear the journal and the once-only scenario state

Scenarios are chosen per request by the ``X-Fake-Scenario: <scenario>[:<behaviour>]`` header;
the scenario name is recorded in the journal. Special behaviours:
  a scenario containing ``ratelimit``  the first request for a given (scenario, model) gets 429
                       with ``retry-after-ms: 20``; the client's own retry then succeeds
  behaviour ``error-500``  always 500 (the app is expected to fall back to another model)
Anything else (or no header) is a normal, successful call. Model names work too: a requested
model ending in ``-fail500`` always gets 500, one ending in ``-ratelimit-once`` gets 429 once.

Run standalone:  python fake_provider.py --port 18080
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------------------------------------
# Known usage. Tests compare ingested numbers against these (via truth.json).
# ---------------------------------------------------------------------------------------------
OPENAI_CHAT_USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1000, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 120,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
OPENAI_EMBEDDING_USAGE = {"prompt_tokens": 42, "total_tokens": 42}
OPENAI_RESPONSES_USAGE = {
    "input_tokens": 1200,
    "input_tokens_details": {"cached_tokens": 1000},
    "output_tokens": 300,
    "output_tokens_details": {"reasoning_tokens": 120},
    "total_tokens": 1500,
}
# Anthropic: input_tokens EXCLUDES cache reads and writes (total input = 100 + 1000 + 200).
ANTHROPIC_USAGE = {
    "input_tokens": 100,
    "cache_creation_input_tokens": 200,
    "cache_read_input_tokens": 1000,
    "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 300,
    "service_tier": "standard",
}

# Requested model → the dated name a real provider answers with.
RESPONSE_MODELS = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "o4-mini": "o4-mini-2025-04-16",
    "text-embedding-3-small": "text-embedding-3-small",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
}

REPLY_TEXT = "Sure: the capital of France is Paris."
EMBEDDING_DIM = 8


def response_model(requested: str) -> str:
    base = requested
    for suffix in ("-fail500", "-ratelimit-once"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return RESPONSE_MODELS.get(base, base)


def normalized(provider: str, endpoint: str, usage: dict | None) -> dict | None:
    """The usage in the ingester's terms: input is the TOTAL input (cache included)."""
    if usage is None:
        return None
    if provider == "anthropic":
        read = usage.get("cache_read_input_tokens") or 0
        write = usage.get("cache_creation_input_tokens") or 0
        return {
            "input_tokens": usage["input_tokens"] + read + write,
            "output_tokens": usage["output_tokens"],
            "cache_read_tokens": read,
            "cache_write_tokens": write,
            "reasoning_tokens": 0,
        }
    if endpoint == "embeddings":
        return {
            "input_tokens": usage["prompt_tokens"],
            "output_tokens": 0,
            "cache_read_tokens": 0,
            "cache_write_tokens": 0,
            "reasoning_tokens": 0,
        }
    if endpoint == "responses":
        return {
            "input_tokens": usage["input_tokens"],
            "output_tokens": usage["output_tokens"],
            "cache_read_tokens": usage["input_tokens_details"]["cached_tokens"],
            "cache_write_tokens": 0,
            "reasoning_tokens": usage["output_tokens_details"]["reasoning_tokens"],
        }
    return {
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
        "cache_read_tokens": usage["prompt_tokens_details"]["cached_tokens"],
        "cache_write_tokens": 0,
        "reasoning_tokens": usage["completion_tokens_details"]["reasoning_tokens"],
    }


class FakeProvider:
    """Journal and once-only state shared by the request handlers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.journal: list[dict] = []
        self.seen_once: set[tuple[str, str]] = set()

    def reset(self) -> None:
        with self.lock:
            self.journal.clear()
            self.seen_once.clear()

    def record(self, entry: dict) -> None:
        with self.lock:
            entry["seq"] = len(self.journal) + 1
            self.journal.append(entry)

    def first_time(self, key: tuple[str, str]) -> bool:
        with self.lock:
            if key in self.seen_once:
                return False
            self.seen_once.add(key)
            return True


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeLLMProvider/1.0"
    protocol_version = "HTTP/1.1"
    state: FakeProvider  # set on the subclass made by make_server

    def log_message(self, format, *args):
        pass

    # ------------------------------------------------------------------ plumbing
    def _read_json(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {}

    def _send_json(self, status: int, payload: dict, extra_headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra_headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _start_sse(self, request_id: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("x-request-id", request_id)
        self.send_header("request-id", request_id)
        self.end_headers()
        self.close_connection = True

    def _sse(self, data: dict | str, event: str | None = None) -> None:
        chunk = ""
        if event:
            chunk += f"event: {event}\n"
        chunk += "data: " + (data if isinstance(data, str) else json.dumps(data)) + "\n\n"
        self.wfile.write(chunk.encode())
        self.wfile.flush()

    # ------------------------------------------------------------------ routing
    def do_GET(self):
        if self.path.rstrip("/") == "/_journal":
            with self.state.lock:
                payload = {"calls": copy.deepcopy(self.state.journal)}
            return self._send_json(200, payload)
        if self.path.rstrip("/") in ("", "/health"):
            return self._send_json(200, {"ok": True})
        self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/_reset":
            self._read_json()
            self.state.reset()
            return self._send_json(200, {"ok": True})
        routes = {
            "/v1/chat/completions": ("openai", "chat", self._chat),
            "/v1/embeddings": ("openai", "embeddings", self._embeddings),
            "/v1/responses": ("openai", "responses", self._responses),
            "/v1/messages": ("anthropic", "messages", self._messages),
        }
        if path not in routes:
            self._read_json()
            return self._send_json(404, {"error": {"message": f"no route {path}"}})
        provider, endpoint, answer = routes[path]
        req = self._read_json()
        requested = str(req.get("model") or "")
        scenario, _, behaviour = (self.headers.get("X-Fake-Scenario") or "normal").partition(":")
        streamed = bool(req.get("stream"))
        entry = {
            "time": time.time(),
            "path": path,
            "provider": provider,
            "endpoint": endpoint,
            "scenario": scenario,
            "behaviour": behaviour or None,
            "requested_model": requested,
            "response_model": None,
            "streamed": streamed,
            "status": 200,
            "failed": False,
            "error_type": None,
            "usage": None,
            "expected": None,
        }
        if behaviour == "error-500" or requested.endswith("-fail500"):
            entry.update(status=500, failed=True, error_type="server_error")
            self.state.record(entry)
            return self._error(provider, 500, "api_error", "The server had an error (fake).")
        once_429 = "ratelimit" in scenario or requested.endswith("-ratelimit-once")
        if once_429 and self.state.first_time((scenario, requested)):
            entry.update(status=429, failed=True, error_type="rate_limit_error")
            self.state.record(entry)
            return self._error(provider, 429, "rate_limit_error", "Rate limit reached (fake).")
        entry["response_model"] = response_model(requested)
        usage = answer(req, entry)
        entry["usage"] = usage
        entry["expected"] = normalized(provider, endpoint, usage)
        self.state.record(entry)
        return None

    def _error(self, provider: str, status: int, kind: str, message: str) -> None:
        headers = {"retry-after-ms": "20", "retry-after": "0"} if status == 429 else {}
        if provider == "anthropic":
            payload = {"type": "error", "error": {"type": kind, "message": message}}
            headers["request-id"] = "req_" + uuid.uuid4().hex[:24]
        else:
            code = "rate_limit_exceeded" if status == 429 else None
            payload = {"error": {"message": message, "type": kind, "param": None, "code": code}}
            headers["x-request-id"] = "req_" + uuid.uuid4().hex[:24]
        # Tell the clients not to keep the connection (simpler, and what proxies often do).
        headers["Connection"] = "close"
        self.close_connection = True
        self._send_json(status, payload, headers)

    # ------------------------------------------------------------------ OpenAI chat
    def _chat(self, req: dict, entry: dict) -> dict | None:
        model = entry["response_model"]
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        usage = copy.deepcopy(OPENAI_CHAT_USAGE)
        if not req.get("stream"):
            self._send_json(
                200,
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": REPLY_TEXT,
                                "refusal": None,
                                "annotations": [],
                            },
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                    "service_tier": "default",
                    "system_fingerprint": "fp_fake0001",
                },
                {"x-request-id": "req_" + uuid.uuid4().hex[:24]},
            )
            return usage
        include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
        entry["include_usage"] = include_usage
        self._start_sse("req_" + uuid.uuid4().hex[:24])
        base = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake0001",
        }

        def chunk(delta: dict, finish: str | None) -> dict:
            body = dict(
                base,
                choices=[{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            )
            if include_usage:
                body["usage"] = None
            return body

        self._sse(chunk({"role": "assistant", "content": "", "refusal": None}, None))
        for word in REPLY_TEXT.split(" "):
            self._sse(chunk({"content": word + " "}, None))
        self._sse(chunk({}, "stop"))
        if include_usage:
            self._sse(dict(base, choices=[], usage=usage))
        self._sse("[DONE]")
        return usage if include_usage else None

    # ------------------------------------------------------------------ OpenAI embeddings
    def _embeddings(self, req: dict, entry: dict) -> dict:
        inputs = req.get("input")
        count = (
            len(inputs) if isinstance(inputs, list) and inputs and isinstance(inputs[0], str) else 1
        )
        usage = copy.deepcopy(OPENAI_EMBEDDING_USAGE)
        if req.get("encoding_format") == "base64":
            import base64
            import struct

            vector = base64.b64encode(
                struct.pack(f"<{EMBEDDING_DIM}f", *([0.125] * EMBEDDING_DIM))
            ).decode()
        else:
            vector = [0.125] * EMBEDDING_DIM
        self._send_json(
            200,
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": vector} for i in range(count)
                ],
                "model": entry["response_model"],
                "usage": usage,
            },
        )
        return usage

    # ------------------------------------------------------------------ OpenAI responses
    def _responses(self, req: dict, entry: dict) -> dict:
        rid = "resp_" + uuid.uuid4().hex[:24]
        msg_id = "msg_" + uuid.uuid4().hex[:24]
        usage = copy.deepcopy(OPENAI_RESPONSES_USAGE)
        created = int(time.time())
        message = {
            "id": msg_id,
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [
                {"type": "output_text", "text": REPLY_TEXT, "annotations": [], "logprobs": []}
            ],
        }

        def response(status: str, output: list, use: dict | None) -> dict:
            return {
                "id": rid,
                "object": "response",
                "created_at": created,
                "status": status,
                "error": None,
                "incomplete_details": None,
                "instructions": req.get("instructions"),
                "max_output_tokens": req.get("max_output_tokens"),
                "model": entry["response_model"],
                "output": output,
                "parallel_tool_calls": True,
                "previous_response_id": None,
                "reasoning": {"effort": None, "summary": None},
                "service_tier": "default",
                "store": True,
                "temperature": req.get("temperature", 1.0),
                "text": {"format": {"type": "text"}},
                "tool_choice": "auto",
                "tools": [],
                "top_p": 1.0,
                "truncation": "disabled",
                "usage": use,
                "user": None,
                "metadata": {},
            }

        if not req.get("stream"):
            self._send_json(200, response("completed", [message], usage))
            return usage
        self._start_sse("req_" + uuid.uuid4().hex[:24])
        seq = 0

        def event(kind: str, **fields) -> None:
            nonlocal seq
            self._sse(dict(type=kind, sequence_number=seq, **fields), event=kind)
            seq += 1

        event("response.created", response=response("in_progress", [], None))
        event("response.in_progress", response=response("in_progress", [], None))
        empty = dict(message, status="in_progress", content=[])
        event("response.output_item.added", output_index=0, item=empty)
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        event(
            "response.content_part.added",
            item_id=msg_id,
            output_index=0,
            content_index=0,
            part=part,
        )
        for word in REPLY_TEXT.split(" "):
            event(
                "response.output_text.delta",
                item_id=msg_id,
                output_index=0,
                content_index=0,
                delta=word + " ",
                logprobs=[],
            )
        event(
            "response.output_text.done",
            item_id=msg_id,
            output_index=0,
            content_index=0,
            text=REPLY_TEXT,
            logprobs=[],
        )
        event(
            "response.content_part.done",
            item_id=msg_id,
            output_index=0,
            content_index=0,
            part=message["content"][0],
        )
        event("response.output_item.done", output_index=0, item=message)
        event("response.completed", response=response("completed", [message], usage))
        return usage

    # ------------------------------------------------------------------ Anthropic messages
    def _messages(self, req: dict, entry: dict) -> dict:
        mid = "msg_" + uuid.uuid4().hex[:24]
        model = entry["response_model"]
        usage = copy.deepcopy(ANTHROPIC_USAGE)
        if not req.get("stream"):
            self._send_json(
                200,
                {
                    "id": mid,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [{"type": "text", "text": REPLY_TEXT}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": usage,
                },
                {"request-id": "req_" + uuid.uuid4().hex[:24]},
            )
            return usage
        self._start_sse("req_" + uuid.uuid4().hex[:24])
        start_usage = dict(usage, output_tokens=1)
        self._sse(
            {
                "type": "message_start",
                "message": {
                    "id": mid,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            },
            event="message_start",
        )
        self._sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            event="content_block_start",
        )
        self._sse({"type": "ping"}, event="ping")
        for word in REPLY_TEXT.split(" "):
            self._sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": word + " "},
                },
                event="content_block_delta",
            )
        self._sse({"type": "content_block_stop", "index": 0}, event="content_block_stop")
        # As documented: message_delta carries the cumulative output_tokens only.
        self._sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
            event="message_delta",
        )
        self._sse({"type": "message_stop"}, event="message_stop")
        return usage


def make_server(port: int = 0, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, FakeProvider]:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the fake provider only listens on loopback")
    state = FakeProvider()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()
    server, _ = make_server(args.port)
    print(f"fake provider on http://127.0.0.1:{server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
