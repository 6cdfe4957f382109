"""A tiny OTLP/HTTP receiver on 127.0.0.1 that keeps every export body it is sent.

Stdlib only. Accepts POST /v1/traces, /v1/logs, /v1/metrics and /api/public/otel/v1/traces
(Langfuse's path), undoes gzip/deflate, keeps the body with its content type and a few request
facts (auth scheme, user agent, chunked or not), and answers 200 with an empty export response
of the same content type (an empty protobuf message is zero bytes; JSON is ``{}``).

Run standalone:  python capture_server.py --port 14318 --out /tmp/otlp-bodies
(standalone it writes each body to ``--out`` as NNN-<path-slug>.<pb|json>).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATHS = ("/v1/traces", "/v1/logs", "/v1/metrics", "/api/public/otel/v1/traces")


def slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "root"


def extension(content_type: str) -> str:
    return "json" if "json" in (content_type or "") else "pb"


class Capture:
    def __init__(self, out_dir: str | None = None) -> None:
        self.lock = threading.Lock()
        self.bodies: list[dict] = []
        self.out_dir = out_dir

    def reset(self) -> None:
        with self.lock:
            self.bodies.clear()

    def add(self, item: dict) -> None:
        with self.lock:
            item["seq"] = len(self.bodies) + 1
            self.bodies.append(item)
            if self.out_dir:
                os.makedirs(self.out_dir, exist_ok=True)
                name = f"{item['seq']:03d}-{slug(item['path'])}.{extension(item['content_type'])}"
                with open(os.path.join(self.out_dir, name), "wb") as fh:
                    fh.write(item["body"])

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.bodies)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        parts = []
        while True:
            size_line = handler.rfile.readline().strip()
            size = int(size_line.split(b";", 1)[0] or b"0", 16)
            if size == 0:
                while handler.rfile.readline().strip():  # trailers
                    pass
                break
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()  # CRLF after each chunk
        return b"".join(parts)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


class Handler(BaseHTTPRequestHandler):
    server_version = "OtlpCapture/1.0"
    protocol_version = "HTTP/1.1"
    capture: Capture

    def log_message(self, format, *args):
        pass

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        raw = _read_body(self)
        content_type = (
            (self.headers.get("Content-Type") or "application/x-protobuf").split(";")[0].strip()
        )
        if path not in PATHS:
            return self._reply(404, "text/plain", b"unknown OTLP path\n")
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding == "gzip":
            body = gzip.decompress(raw)
        elif encoding == "deflate":
            body = zlib.decompress(raw)
        else:
            body = raw
        auth = self.headers.get("Authorization") or ""
        self.capture.add(
            {
                "time": time.time(),
                "path": path,
                "content_type": content_type,
                "content_encoding": encoding,
                "chunked": "chunked" in (self.headers.get("Transfer-Encoding") or "").lower(),
                "auth_scheme": auth.split(" ", 1)[0] if auth else None,
                "user_agent": self.headers.get("User-Agent"),
                "body": body,
            }
        )
        if "json" in content_type:
            self._reply(200, "application/json", b"{}")
        else:
            self._reply(200, "application/x-protobuf", b"")

    def do_GET(self):
        self._reply(200, "text/plain", b"otlp capture server\n")


def make_server(port: int = 0, host: str = "127.0.0.1", out_dir: str | None = None):
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the capture server only listens on loopback")
    capture = Capture(out_dir)
    handler = type("BoundHandler", (Handler,), {"capture": capture})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server, capture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=14318)
    parser.add_argument("--out", default="otlp-bodies")
    args = parser.parse_args()
    server, _ = make_server(args.port, out_dir=args.out)
    print(f"capture server on http://127.0.0.1:{server.server_address[1]} → {args.out}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
