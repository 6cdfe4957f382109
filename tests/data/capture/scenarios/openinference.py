"""openinference-instrumentation-openai + openinference-instrumentation-anthropic (Arize).

Documented setup: an OTel SDK TracerProvider with an OTLP exporter, then
``OpenAIInstrumentor().instrument(tracer_provider=...)`` and the Anthropic one likewise.
The anthropic SDK also traces itself whenever a global SDK TracerProvider exists (its own
``com.anthropic.sdk.python`` spans); that is left on here, as in a default install, so the
fixtures show the "one call, two spans" shape. Set ANTHROPIC_OPEN_TELEMETRY=false to turn it off.
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
from opentelemetry import trace

shutdown = setup_otel_sdk("capture-openinference", logs=False, metrics=False)

from openinference.instrumentation.anthropic import AnthropicInstrumentor
from openinference.instrumentation.openai import OpenAIInstrumentor

OpenAIInstrumentor().instrument(tracer_provider=trace.get_tracer_provider())
AnthropicInstrumentor().instrument(tracer_provider=trace.get_tracer_provider())

run_openai(openai_client())
run_anthropic(anthropic_client())
shutdown()
