"""opentelemetry-instrumentation-openai-v2 (the OpenTelemetry project's own OpenAI instrumentation).

Documented setup: the OTel SDK's global tracer / logger / meter providers, then
``OpenAIInstrumentor().instrument()``. Message content is on
(``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``); with the default (legacy v1.30)
semantic conventions content goes out as log-record events, with
``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`` (the ``-latest`` variant in
capture.py) it uses the newest attribute names.
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

os.environ.setdefault("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")

from _common import openai_client, run_openai, setup_otel_sdk

shutdown = setup_otel_sdk("capture-otel-openai-v2")

from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

OpenAIInstrumentor().instrument()

# 2.4b0 instruments chat completions and embeddings only (not the Responses API).
run_openai(openai_client(), responses=False)
shutdown()
