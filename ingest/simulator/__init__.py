"""A simulated LLM application, instrumented with the real OpenTelemetry SDK.

No model is called: each user action produces the spans a real app would export (a root span
for the action with our ``finops.*`` attribution, retrieval, cache and hand-off spans, and
LLM-call spans with OTel GenAI attributes and realistic token counts), timestamped over the
chosen days. Spans leave through whatever span exporter the caller gives, normally the real
``OTLPSpanExporter`` over HTTP. Ids come from a seeded generator, so the same seed re-sends
the same spans, which the receiver de-duplicates.

The app shows every behaviour the product tracks: a mini-first support cascade that escalates
to the flagship model or to a human, validation and rate-limit retries, provider fallbacks,
semantic-cache hits, quality scores, retrieval citations, routes and multi-turn sessions.
``SimulationSummary`` counts what was emitted, the ground truth ingestion is compared with.

- ``catalog``: attribute keys, segments and features, behaviour rates, models and templates;
- ``spans``: root, step and model-call spans, and the retry loop around an answer;
- ``flows``: the three features (support conversations, document questions, nightly report);
- ``app``: ``SimulatedApp`` (provider, seeded ids, exporting processor, run loop) and
  ``SimulationSummary``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.simulator.app import (
    EXPORT_BATCH,
    BufferedExportProcessor,
    SeededIdGenerator,
    SimulatedApp,
    SimulationSummary,
)
from ingest.simulator.catalog import *  # noqa: F403  (keys, rates, models: importable as before)
from ingest.simulator.catalog import FEATURES, SEGMENTS

__all__: Sequence[str] = [
    "EXPORT_BATCH",
    "FEATURES",
    "SEGMENTS",
    "BufferedExportProcessor",
    "SeededIdGenerator",
    "SimulatedApp",
    "SimulationSummary",
]
