"""``manage.py simulate``: send realistic simulated LLM traffic through the real OTLP exporter."""

from __future__ import annotations

import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from tqdm import tqdm

from finops.models import ApiKey, Project
from ingest.simulator import SimulatedApp


class Command(BaseCommand):
    help = (
        "Simulate an OpenTelemetry-instrumented LLM application and export its spans over "
        "OTLP/HTTP to /v1/traces: a running server (--endpoint) or an in-process one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Slug of the receiving project")
        parser.add_argument("--days", type=int, default=30, help="Spread traffic over N days")
        parser.add_argument("--traces", type=int, default=2000, help="User actions to simulate")
        parser.add_argument("--seed", type=int, default=7, help="Same seed, same spans and ids")
        parser.add_argument(
            "--endpoint",
            help="Base URL of a running server, e.g. http://127.0.0.1:8000 (default: serve "
            "the receiver in-process on a free local port)",
        )
        parser.add_argument("--key", help="Ingest API key (default: a temporary key)")

    def handle(self, *args, project, days, traces, seed, endpoint, key, **options):
        if days < 1 or traces < 1:
            raise CommandError("--days and --traces must be at least 1")
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"no project {project!r}: create it with create_project {project}")
        temporary = None
        if not key:
            temporary, key = ApiKey.issue(target, name="simulate (temporary)")
        try:
            with _receiver(endpoint) as base_url:
                url = base_url.rstrip("/") + "/v1/traces"
                _preflight(url, key)
                summary = self._simulate(url, key, days, traces, seed, options["verbosity"])
        finally:
            if temporary is not None:
                temporary.delete()
        if summary.spans_failed:
            raise CommandError(
                f"{summary.spans_failed} of {summary.spans} spans were not accepted by {url}; "
                "see the exporter's log lines above"
            )
        features = ", ".join(f"{n} {name}" for name, n in sorted(summary.by_feature.items()))
        self.stdout.write(
            f"Sent {summary.traces} traces ({features}): {summary.spans} spans, "
            f"{summary.llm_calls} LLM calls, {summary.cache_hits} app-cache hits, to {url}."
        )

    def _simulate(self, url, key, days, traces, seed, verbosity):
        exporter = OTLPSpanExporter(
            endpoint=url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )
        app = SimulatedApp(exporter, now=timezone.now(), days=days, seed=seed)
        bar = tqdm(
            total=traces,
            unit="trace",
            file=sys.stderr,
            disable=verbosity == 0,
            desc="simulate",
            mininterval=0.5,
        )
        started = time.monotonic()
        summary = app.run(traces, progress=lambda done: bar.update(done - bar.n))
        bar.close()
        if verbosity > 1:
            rate = summary.spans / max(time.monotonic() - started, 1e-9)
            self.stdout.write(f"{rate:,.0f} spans/s end to end")
        return summary


def _preflight(url: str, key: str) -> None:
    """Send an empty export first, so a wrong key or URL fails with a clear message."""
    request = urllib.request.Request(
        url,
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30):
            return
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        raise CommandError(f"{url} answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(f"cannot reach {url}: {exc}") from None


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # one line per export batch is noise here
        pass


@contextmanager
def _receiver(endpoint: str | None):
    """Yield the base URL to export to: ``endpoint``, or an in-process server on a free port."""
    if endpoint:
        yield endpoint
        return
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        close_old_connections()
