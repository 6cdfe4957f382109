"""What every capture scenario shares: endpoints, OTel SDK setup, and the fixed set of calls.

A scenario script runs inside its library's own virtualenv (see ``capture.py``), imports this
module (from scenarios/_shared/), sets up its instrumentation the library's documented way,
then calls :func:`run_openai` and/or :func:`run_anthropic`. Each app-level scenario runs inside
an application span named ``app.<scenario>`` so that a retry, or a failure and its fallback,
share one trace as they would in a real app. The scenario name also travels to the fake provider
as the ``X-Fake-Scenario`` header, which is how the provider knows to answer 429 or 500 and how
``truth.json`` names each call.

Environment (set by ``capture.py``):
  FAKE_PROVIDER_URL   e.g. http://127.0.0.1:18080   (the fake OpenAI / Anthropic)
  OTLP_ENDPOINT       e.g. http://127.0.0.1:14318   (the capture server)
"""

from __future__ import annotations

import contextlib
import os
import sys

FAKE_PROVIDER_URL = os.environ.get("FAKE_PROVIDER_URL", "http://127.0.0.1:18080")
OTLP_ENDPOINT = os.environ.get("OTLP_ENDPOINT", "http://127.0.0.1:14318")

for _url in (FAKE_PROVIDER_URL, OTLP_ENDPOINT):
    if not _url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        sys.exit(f"refusing to talk to a non-loopback address: {_url}")

OPENAI_BASE_URL = FAKE_PROVIDER_URL + "/v1"
ANTHROPIC_BASE_URL = FAKE_PROVIDER_URL  # the anthropic client appends /v1/messages itself

SYSTEM_PROMPT = "You are a terse geography assistant. " * 40  # long, cacheable prefix
QUESTION = "What is the capital of France?"

APP_TRACER = "capture.app"


def setup_otel_sdk(service_name: str, *, logs: bool = True, metrics: bool = True):
    """The OTel SDK's documented setup: global providers exporting OTLP/HTTP protobuf.

    Returns a ``shutdown()`` that flushes and shuts everything down.
    """
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": service_name, "deployment.environment": "capture"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=OTLP_ENDPOINT + "/v1/traces"))
    )
    trace.set_tracer_provider(tracer_provider)
    shutdowns = [tracer_provider]

    if logs:
        from opentelemetry._logs import set_logger_provider
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(endpoint=OTLP_ENDPOINT + "/v1/logs"))
        )
        set_logger_provider(logger_provider)
        shutdowns.append(logger_provider)
        try:  # older SDKs route GenAI events through a separate EventLoggerProvider
            from opentelemetry._events import set_event_logger_provider
            from opentelemetry.sdk._events import EventLoggerProvider

            set_event_logger_provider(EventLoggerProvider(logger_provider))
        except ImportError:
            pass

    if metrics:
        from opentelemetry import metrics as otel_metrics
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=OTLP_ENDPOINT + "/v1/metrics"),
            export_interval_millis=60_000,
        )
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
        otel_metrics.set_meter_provider(meter_provider)
        shutdowns.append(meter_provider)

    def shutdown() -> None:
        for provider in shutdowns:
            with contextlib.suppress(Exception):
                provider.force_flush()
        for provider in shutdowns:
            with contextlib.suppress(Exception):
                provider.shutdown()

    return shutdown


@contextlib.contextmanager
def otel_app_span(scenario: str):
    """The application's own span around one scenario (global OTel tracer)."""
    from opentelemetry import trace

    tracer = trace.get_tracer(APP_TRACER)
    with tracer.start_as_current_span(
        f"app.{scenario}",
        attributes={"finops.feature": f"capture-{scenario}", "app.scenario": scenario},
    ):
        yield


def headers(scenario: str) -> dict:
    return {"X-Fake-Scenario": scenario}


def log(msg: str) -> None:
    print(f"[scenario] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# OpenAI
# ---------------------------------------------------------------------------------------------
def openai_client(cls=None, **kwargs):
    if cls is None:
        from openai import OpenAI as cls
    return cls(base_url=OPENAI_BASE_URL, api_key="sk-fake-capture", max_retries=2, **kwargs)


def run_openai(
    client, *, app_span=otel_app_span, responses: bool = True, embeddings: bool = True
) -> None:
    import openai

    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": QUESTION},
    ]

    with app_span("chat"):
        r = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            max_tokens=512,
            temperature=0.2,
            extra_headers=headers("chat"),
        )
        log(f"chat → {r.model} {r.usage.prompt_tokens}/{r.usage.completion_tokens}")

    with app_span("chat-stream"):
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            max_tokens=512,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=headers("chat-stream"),
        )
        text = "".join((c.choices[0].delta.content or "") for c in stream if c.choices)
        log(f"chat-stream → {text!r}")

    if embeddings:
        with app_span("embeddings"):
            e = client.embeddings.create(
                model="text-embedding-3-small",
                input="capital of France",
                extra_headers=headers("embeddings"),
            )
            log(f"embeddings → {e.model} {e.usage.prompt_tokens}")

    if responses:
        with app_span("responses"):
            r = client.responses.create(
                model="gpt-4o-mini",
                instructions="You are terse.",
                input=QUESTION,
                max_output_tokens=512,
                extra_headers=headers("responses"),
            )
            log(f"responses → {r.model} {r.usage.input_tokens}/{r.usage.output_tokens}")

    with app_span("ratelimit-retry"):
        # The provider answers 429 once; the client's own retry (max_retries=2) then succeeds.
        r = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            max_tokens=512,
            extra_headers=headers("ratelimit-retry"),
        )
        log(f"ratelimit-retry → {r.model}")

    with app_span("fallback"):
        try:
            client.with_options(max_retries=0).chat.completions.create(
                model="gpt-4o",
                messages=messages,
                max_tokens=512,
                extra_headers=headers("fallback:error-500"),
            )
            raise SystemExit("expected a 500 from the fake provider")
        except openai.APIStatusError as exc:
            log(f"error-500 → {exc.status_code}; falling back to gpt-4o-mini")
        r = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            max_tokens=512,
            extra_headers=headers("fallback"),
        )
        log(f"fallback → {r.model}")


# ---------------------------------------------------------------------------------------------
# Anthropic
# ---------------------------------------------------------------------------------------------
def anthropic_client(cls=None, **kwargs):
    if cls is None:
        from anthropic import Anthropic as cls
    return cls(base_url=ANTHROPIC_BASE_URL, api_key="sk-ant-fake-capture", max_retries=2, **kwargs)


def run_anthropic(client, *, app_span=otel_app_span, failures: bool = True) -> None:
    import anthropic

    system = [{"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}]
    messages = [{"role": "user", "content": QUESTION}]

    with app_span("anthropic-cache"):
        m = client.messages.create(
            model="claude-haiku-4-5",
            system=system,
            messages=messages,
            max_tokens=1024,
            extra_headers=headers("anthropic-cache"),
        )
        log(f"anthropic-cache → {m.model} {m.usage}")

    with app_span("anthropic-stream"):
        stream = client.messages.create(
            model="claude-haiku-4-5",
            system=system,
            messages=messages,
            max_tokens=1024,
            stream=True,
            extra_headers=headers("anthropic-stream"),
        )
        kinds = [event.type for event in stream]
        log(f"anthropic-stream → {len(kinds)} events")

    if not failures:
        return

    with app_span("anthropic-ratelimit-retry"):
        m = client.messages.create(
            model="claude-haiku-4-5",
            system=system,
            messages=messages,
            max_tokens=1024,
            extra_headers=headers("anthropic-ratelimit-retry"),
        )
        log(f"anthropic-ratelimit-retry → {m.model}")

    with app_span("anthropic-fallback"):
        try:
            client.with_options(max_retries=0).messages.create(
                model="claude-sonnet-4-5",
                system=system,
                messages=messages,
                max_tokens=1024,
                extra_headers=headers("anthropic-fallback:error-500"),
            )
            raise SystemExit("expected a 500 from the fake provider")
        except anthropic.APIStatusError as exc:
            log(f"anthropic error-500 → {exc.status_code}; falling back to claude-haiku-4-5")
        m = client.messages.create(
            model="claude-haiku-4-5",
            system=system,
            messages=messages,
            max_tokens=1024,
            extra_headers=headers("anthropic-fallback"),
        )
        log(f"anthropic-fallback → {m.model}")
