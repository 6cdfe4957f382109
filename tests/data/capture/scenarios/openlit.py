"""openlit: one ``openlit.init()`` sets up tracing, log events and metrics, and instruments
every library it knows (here openai and anthropic; openlit pins openai<3 and anthropic<1).

Documented setup: ``openlit.init(otlp_endpoint=...)`` (OTLP/HTTP protobuf). openlit would fetch
its pricing table from GitHub at start-up; ``pricing_json`` points it at a small local file
instead, so nothing leaves the machine (its ``gen_ai.usage.cost`` then uses these prices).
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

import json
import tempfile

import openlit
from _common import OTLP_ENDPOINT, anthropic_client, openai_client, run_anthropic, run_openai

PRICING = {
    "chat": {
        "gpt-4o-mini": {"promptPrice": 0.00015, "completionPrice": 0.0006},
        "gpt-4o": {"promptPrice": 0.0025, "completionPrice": 0.01},
        "claude-haiku-4-5": {
            "promptPrice": 0.001,
            "completionPrice": 0.005,
            "cacheReadPrice": 0.0001,
            "cacheCreationPrice": 0.00125,
        },
        "claude-sonnet-4-5": {"promptPrice": 0.003, "completionPrice": 0.015},
    },
    "embeddings": {"text-embedding-3-small": 0.00002},
}
pricing_file = os.path.join(tempfile.mkdtemp(prefix="openlit-pricing-"), "pricing.json")
with open(pricing_file, "w") as fh:
    json.dump(PRICING, fh)

openlit.init(
    otlp_endpoint=OTLP_ENDPOINT,
    application_name="capture-openlit",
    environment="capture",
    pricing_json=pricing_file,
)

run_openai(openai_client())
run_anthropic(anthropic_client())

# openlit has no shutdown(): flush and shut the global providers it installed.
from opentelemetry import _logs, metrics, trace

for provider in (
    trace.get_tracer_provider(),
    _logs.get_logger_provider(),
    metrics.get_meter_provider(),
):
    for method in ("force_flush", "shutdown"):
        fn = getattr(provider, method, None)
        if fn:
            try:
                fn()
            except Exception as exc:
                print(f"[scenario] {type(provider).__name__}.{method}: {exc}")
