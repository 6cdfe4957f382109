"""The anthropic SDK's own OpenTelemetry tracing (no instrumentation library).

The SDK (2.x) starts a ``com.anthropic.sdk.python`` span per API call whenever a global SDK
TracerProvider is set; nothing else is needed. Content capture is on here
(ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE=content), as an engineer debugging costs would
run it.
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

os.environ.setdefault("ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE", "content")

from _common import anthropic_client, run_anthropic, setup_otel_sdk

shutdown = setup_otel_sdk("capture-anthropic-sdk", logs=False, metrics=False)

run_anthropic(anthropic_client())
shutdown()
