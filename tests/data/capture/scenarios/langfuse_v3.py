"""langfuse 3.x, the first OTel-based Python SDK (still widely deployed; see langfuse.py for v5).

Documented v3 setup: ``Langfuse(public_key, secret_key, host)`` (host = the capture server),
which installs the global TracerProvider and exports OTLP/HTTP protobuf to
``<host>/api/public/otel/v1/traces`` with Basic auth. v3 exports every span on the provider
unless its scope is in ``blocked_instrumentation_scopes``. OpenAI goes through the
``langfuse.openai`` drop-in; Anthropic calls are traced by the anthropic SDK itself (global
TracerProvider); the last scenario wraps one Anthropic call in a manual
``start_as_current_generation`` with ``usage_details``. Trace attributes come from
``span.update_trace(...)``.
"""

# Imports must follow the sys.path fix below.
# ruff: noqa: E402

import os
import sys

# This file is named after its library: keep its folder off sys.path (it would shadow the real
# package, even a namespace package found earlier) and import the shared helpers from _shared/.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, os.path.join(_HERE, "_shared"))

import contextlib

from _common import (
    OTLP_ENDPOINT,
    QUESTION,
    anthropic_client,
    headers,
    log,
    openai_client,
    run_anthropic,
    run_openai,
)
from langfuse import Langfuse

langfuse = Langfuse(
    public_key="pk-lf-capture",
    secret_key="sk-lf-capture",
    host=OTLP_ENDPOINT,
    environment="capture",
    release="capture-1",
)

from langfuse.openai import OpenAI


@contextlib.contextmanager
def app_span(scenario: str):
    with langfuse.start_as_current_span(
        name=f"app.{scenario}", input={"scenario": scenario}
    ) as span:
        span.update_trace(
            name=f"app.{scenario}",
            user_id="customer-42",
            session_id="session-capture",
            metadata={"feature": f"capture-{scenario}", "segment": "enterprise"},
            tags=["capture", scenario],
        )
        yield


run_openai(openai_client(OpenAI), app_span=app_span)
anthropic = anthropic_client()
run_anthropic(anthropic, app_span=app_span)

with (
    app_span("anthropic-manual-generation"),
    langfuse.start_as_current_generation(
        name="anthropic.messages.create",
        model="claude-haiku-4-5",
        input=[{"role": "user", "content": QUESTION}],
        model_parameters={"max_tokens": 1024},
    ) as generation,
):
    m = anthropic.messages.create(
        model="claude-haiku-4-5",
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=1024,
        extra_headers=headers("anthropic-manual-generation"),
    )
    generation.update(
        model=m.model,
        output=m.content[0].text,
        usage_details={
            "input": m.usage.input_tokens,
            "output": m.usage.output_tokens,
            "cache_read_input_tokens": m.usage.cache_read_input_tokens,
            "cache_creation_input_tokens": m.usage.cache_creation_input_tokens,
        },
    )
    log(f"anthropic-manual-generation → {m.model}")

langfuse.flush()
langfuse.shutdown()
