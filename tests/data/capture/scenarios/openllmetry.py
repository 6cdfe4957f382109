"""opentelemetry-instrumentation-openai + opentelemetry-instrumentation-anthropic (OpenLLMetry).

These are the Traceloop instrumentors used on their own with the OTel SDK (the documented
"use the instrumentations without the Traceloop SDK" path): global tracer / logger / meter
providers exporting OTLP/HTTP protobuf, then ``Instrumentor().instrument()``. Prompts are
captured (TRACELOOP_TRACE_CONTENT defaults to true). The anthropic SDK's own tracing is left
on (see openinference.py).
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

from _common import anthropic_client, openai_client, run_anthropic, run_openai, setup_otel_sdk

shutdown = setup_otel_sdk("capture-openllmetry")

from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.instrumentation.openai import OpenAIInstrumentor

OpenAIInstrumentor().instrument()
AnthropicInstrumentor().instrument()

run_openai(openai_client())
run_anthropic(anthropic_client())
shutdown()
