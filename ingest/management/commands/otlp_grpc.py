"""``manage.py otlp_grpc``: serve the OTLP/gRPC trace receiver until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.grpc_server import EXPORT_METHOD, build_server

# In-flight exports get this long to finish on shutdown (the OTel exporters' default timeout).
_GRACE_S = 10
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Serve the OTLP/gRPC trace receiver (TraceService/Export), the gRPC twin of "
        "POST /v1/traces, until interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on")
        parser.add_argument(
            "--port", type=int, default=4317, help="Port to listen on (0: any free port)"
        )
        parser.add_argument(
            "--workers", type=int, default=8, help="Threads handling exports concurrently"
        )

    def handle(self, *args, host: str, port: int, workers: int, **options) -> None:
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if not 0 <= port <= 65535:
            raise CommandError("--port must be between 0 and 65535")
        bracketed = f"[{host}]" if ":" in host else host  # IPv6 literals need brackets
        try:
            server, bound = build_server(f"{bracketed}:{port}", workers)
        except RuntimeError as exc:
            raise CommandError(f"cannot listen on {bracketed}:{port}: {exc}") from None
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}
        server.start()
        try:
            self.stdout.write(
                f"OTLP/gRPC receiver listening on {bracketed}:{bound} ({EXPORT_METHOD}, "
                f"{workers} workers). Quit with CONTROL-C."
            )
            self.stdout.flush()  # supervisors and tests read the address from a pipe
            stop.wait()
        finally:
            server.stop(_GRACE_S).wait()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("OTLP/gRPC receiver stopped.")
