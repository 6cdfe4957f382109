"""``SimulatedApp``: the tracer provider, the seeded ids, the exporting processor and the run
loop of the simulated app; ``SimulationSummary``: what a run emitted.

Pure (no Django). Ids and the resource's instance id come from generators seeded with the run's
seed, so the same seed re-sends the same spans.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator

from ingest import conventions as c
from ingest.simulator.catalog import FEATURES, SEGMENTS, Customer
from ingest.simulator.flows import FeatureFlows, _Conversation

EXPORT_BATCH = 512


@dataclass
class SimulationSummary:
    """What the simulation emitted, to compare with what the receiver stored.

    ``llm_calls`` counts model calls (spans with GenAI usage, or failed provider calls);
    ``failed_calls`` those with status ERROR; ``rejected_outputs`` priced calls whose output
    failed validation (status OK); ``retries`` calls with ``finops.attempt`` ≥ 2. Cache hits
    and human hand-offs are spans, not model calls. ``outcomes`` counts roots that carry
    ``finops.outcome``: every trace except support turns, where only a conversation's last
    turn does (a conversation cut short by the end of the run or by ``now`` has none).
    ``sessions`` counts distinct ``finops.session.id`` values (support conversations and
    document questions). ``by_feature`` counts traces per feature, ``calls_by_feature``
    model calls.
    """

    traces: int = 0
    spans: int = 0
    llm_calls: int = 0
    spans_exported: int = 0
    spans_failed: int = 0
    by_feature: Counter = field(default_factory=Counter)
    calls_by_feature: Counter = field(default_factory=Counter)
    failed_calls: int = 0
    rejected_outputs: int = 0
    retries: int = 0
    fallbacks: int = 0
    model_escalations: int = 0
    human_escalations: int = 0
    cache_hits: int = 0
    sessions: int = 0
    outcomes: int = 0
    successes: int = 0


class SeededIdGenerator(IdGenerator):
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def generate_span_id(self) -> int:
        return self._rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._rng.getrandbits(128) or 1


class BufferedExportProcessor(SpanProcessor):
    """Exports ended spans in batches of ``EXPORT_BATCH``, synchronously and in order.

    The SDK's BatchSpanProcessor drops spans when its queue is full, which a simulation that
    produces a month of traffic in seconds would hit; this one never drops and counts results.
    """

    def __init__(self, exporter: SpanExporter, summary: SimulationSummary) -> None:
        self._exporter = exporter
        self._summary = summary
        self._buffer: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self._summary.spans += 1
        self._buffer.append(span)
        if len(self._buffer) >= EXPORT_BATCH:
            self.force_flush()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        batch, self._buffer = self._buffer, []
        if not batch:
            return True
        ok = self._exporter.export(batch) == SpanExportResult.SUCCESS
        if ok:
            self._summary.spans_exported += len(batch)
        else:
            self._summary.spans_failed += len(batch)
        return ok

    def shutdown(self) -> None:
        self.force_flush()
        self._exporter.shutdown()


class SimulatedApp(FeatureFlows):
    """Generates ``traces`` user actions spread over the ``days`` days before ``now``."""

    def __init__(self, exporter: SpanExporter, *, now: datetime, days: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.days = days
        self.summary = SimulationSummary()
        resource = Resource.create(
            {
                c.SERVICE_NAME: "acme-support-app",
                "service.version": "2.14.0",
                "deployment.environment.name": "production",
                # the SDK would add a random id per process; a seeded one keeps re-runs identical
                "service.instance.id": str(
                    uuid.UUID(int=random.Random(seed).getrandbits(128), version=4)
                ),
            }
        )
        self.provider = TracerProvider(
            resource=resource, id_generator=SeededIdGenerator(random.Random(seed * 7919 + 1))
        )
        self.processor = BufferedExportProcessor(exporter, self.summary)
        self.provider.add_span_processor(self.processor)
        self.tracer = self.provider.get_tracer("acme.support.app", "2.14.0")
        self.customers = self._customers(60)
        self._conversation: _Conversation | None = None
        self._feature = ""  # feature of the trace being generated, for calls_by_feature

    def run(self, traces: int, progress: Callable[[int], None] | None = None) -> SimulationSummary:
        flows = {
            "support-assistant": self._support_answer,
            "document-qa": self._document_qa,
            "nightly-report": self._nightly_report,
        }
        for i in range(traces):
            feature = self._pick(FEATURES)
            self._feature = feature
            flows[feature]()
            self.summary.traces += 1
            self.summary.by_feature[feature] += 1
            if progress:
                progress(i + 1)
        self.provider.shutdown()
        return self.summary

    def _customers(self, count: int) -> list[Customer]:
        return [Customer(f"cust-{i:04d}", self._pick(SEGMENTS)) for i in range(1, count + 1)]
