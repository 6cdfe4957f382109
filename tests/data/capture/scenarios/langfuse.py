"""langfuse (the OTel-based Python SDK, v3 and later; this venv has the newest, v5).

Documented setup: ``Langfuse(public_key, secret_key, base_url)`` (its host pointed at the
capture server), which installs the global TracerProvider and exports OTLP/HTTP protobuf,
gzip, to ``<base_url>/api/public/otel/v1/traces`` with Basic auth. OpenAI goes through the
``langfuse.openai`` drop-in client. Anthropic has no Langfuse wrapper: the anthropic SDK's
own spans (it traces itself once a global TracerProvider exists) carry ``gen_ai.*`` attributes,
which Langfuse's default span filter exports; one extra scenario wraps a call in a manual
``generation`` observation with ``usage_details``, the documented way for other providers (so
that call has two spans with usage). App spans are Langfuse observations with
``propagate_attributes`` (trace name, user id, metadata, tags).
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
from langfuse import Langfuse, propagate_attributes

langfuse = Langfuse(
    public_key="pk-lf-capture",
    secret_key="sk-lf-capture",
    base_url=OTLP_ENDPOINT,
    environment="capture",
    release="capture-1",
)

from langfuse.openai import OpenAI


@contextlib.contextmanager
def app_span(scenario: str):
    with (
        langfuse.start_as_current_observation(
            name=f"app.{scenario}", as_type="span", input={"scenario": scenario}
        ),
        propagate_attributes(
            trace_name=f"app.{scenario}",
            user_id="customer-42",
            session_id="session-capture",
            metadata={"feature": f"capture-{scenario}", "segment": "enterprise"},
            tags=["capture", scenario],
        ),
    ):
        yield


run_openai(openai_client(OpenAI), app_span=app_span)
anthropic = anthropic_client()
run_anthropic(anthropic, app_span=app_span)

with (
    app_span("anthropic-manual-generation"),
    langfuse.start_as_current_observation(
        name="anthropic.messages.create",
        as_type="generation",
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
