"""The three features of the simulated app, one trace per user action: multi-turn support
conversations, document questions and the nightly report; and when each trace starts.

Pure (no Django). Each flow draws from ``self.rng`` in a fixed order: reordering the draws
changes every span a seed produces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ingest.simulator.catalog import (
    CACHE_HIT_RATE,
    DOCQA_ANSWER,
    DOCQA_EMBEDDING,
    EMBEDDER,
    ESCALATION_RATE,
    FINOPS_ATTEMPT,
    FINOPS_CACHE_HIT,
    FINOPS_CACHE_KIND,
    FINOPS_ESCALATION,
    FINOPS_QUALITY_SCORE,
    FINOPS_RETRIEVAL_CHUNKS,
    FINOPS_RETRIEVAL_CITATIONS,
    FINOPS_ROUTE,
    FINOPS_TEMPLATE,
    FINOPS_TEMPLATE_VERSION,
    FLAGSHIP,
    FLAGSHIP_DIRECT_RATE,
    HAIKU,
    HANDOFF_RATE,
    LATEST_START,
    MINI,
    QUALITY,
    RATE_LIMIT_RATE,
    REASONER,
    REASONER_MINI,
    ROUTE_FLAGSHIP_DIRECT,
    ROUTE_MINI_FIRST,
    ROUTE_SELF_HOSTED,
    SELF_HOSTED,
    SUPPORT_ANSWER,
    TRIAGE,
    TURNS,
    Customer,
)
from ingest.simulator.spans import SpanEmitter, _Usage


@dataclass
class _Conversation:
    """A support conversation: ``turns`` traces sharing one session id."""

    session_id: str
    customer: Customer
    turns: int
    handoff: bool
    done: int = 0
    escalated: bool = False
    last_end: datetime | None = None


class FeatureFlows(SpanEmitter):
    """The flows of ``SimulatedApp``, which sets the attributes declared here."""

    now: datetime
    days: int
    customers: list[Customer]
    _conversation: _Conversation | None

    # --- time and people ---------------------------------------------------------------

    def _when(self, feature: str) -> datetime:
        """A start time: more traffic on recent days (growth) and on weekdays, business hours;
        the nightly report runs between 01:00 and 04:00 UTC."""
        offsets = list(range(self.days))
        weights = [
            (1.0 + 0.6 * (self.days - d) / max(self.days, 1))
            * (0.45 if (self.now - timedelta(days=d)).weekday() >= 5 else 1.0)
            for d in offsets
        ]
        day = self.rng.choices(offsets, weights=weights)[0]
        base = (self.now - timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        hour = self.rng.uniform(1, 4) if feature == "nightly-report" else self.rng.gauss(14, 3.5)
        moment = base + timedelta(hours=min(max(hour, 0.0), 23.9))
        if moment > self.now - LATEST_START:  # today, too late: move it into the past hours
            moment = self.now - timedelta(minutes=self.rng.uniform(15, 600))
        return moment

    def _session_id(self) -> str:
        self.summary.sessions += 1
        return f"sess-{self.rng.getrandbits(64):016x}"

    def _next_turn(self) -> tuple[_Conversation, datetime]:
        """The conversation the next support trace belongs to, and when it starts: the open
        conversation's next turn a few minutes later, or the first turn of a new one."""
        conv = self._conversation
        if conv is not None and conv.last_end is not None and conv.done < conv.turns:
            start = conv.last_end + timedelta(minutes=self.rng.uniform(0.5, 6))
            if start <= self.now - LATEST_START:
                return conv, start
        conv = _Conversation(
            session_id=self._session_id(),
            customer=self.rng.choice(self.customers),
            turns=self._pick(TURNS),
            handoff=self.rng.random() < HANDOFF_RATE,
        )
        self._conversation = conv
        return conv, self._when("support-assistant")

    # --- the three features ------------------------------------------------------------

    def _support_answer(self) -> None:
        """One turn of a support conversation: triage with the mini model, answer with the
        mini model (or the flagship for some enterprise customers), escalate low-confidence
        answers to the flagship, and on the last turn of some conversations hand off to a
        human. The outcome is recorded on the conversation's last turn."""
        rng = self.rng
        conv, start = self._next_turn()
        conv.done += 1
        root, ctx = self._root("POST /support/answer", start, conv.customer, conv.session_id)
        chunks = rng.randint(4, 8)
        retrieval = {FINOPS_RETRIEVAL_CHUNKS: chunks}
        t = self._step(ctx, "retrieve knowledge-base", start, rng.uniform(30, 120), retrieval)
        triage = _Usage(rng.randint(600, 900), rng.randint(15, 60))
        t = self._llm(ctx, t, MINI, TRIAGE, triage)
        direct = conv.customer.segment == "enterprise" and rng.random() < FLAGSHIP_DIRECT_RATE
        system_prompt = 1800
        history = rng.randint(600, 1800) + 900 * (conv.done - 1)  # grows with each turn
        prompt = _Usage(
            system_prompt + history + chunks * 180,
            cache_read=system_prompt if rng.random() < 0.7 else 0,
        )
        low_confidence = not direct and rng.random() < ESCALATION_RATE
        t = self._answer(
            ctx,
            t,
            FLAGSHIP if direct else MINI,
            SUPPORT_ANSWER,
            prompt,
            chunks=chunks,
            route=ROUTE_FLAGSHIP_DIRECT if direct else ROUTE_MINI_FIRST,
            output=(180, 620),
            rate_limit_rate=RATE_LIMIT_RATE,
            low_confidence=low_confidence,
        )
        if low_confidence:
            t = self._escalate(ctx, t, _Usage(prompt.input, cache_write=system_prompt), chunks)
            conv.escalated = True
        last = conv.done == conv.turns
        if last and conv.handoff:  # a human agent takes over: a ticket, no model call
            handoff = {FINOPS_ESCALATION: "human"}
            t = self._step(ctx, "handoff human-agent", t, rng.uniform(40, 200), handoff)
            self.summary.human_escalations += 1
        conv.last_end = t
        self._finish(root, t, self._support_outcome(conv) if last else None)

    def _escalate(self, ctx, t: datetime, prompt: _Usage, chunks: int) -> datetime:
        """The cascade's second step: the same template asked of the flagship model."""
        rng = self.rng
        marks = {
            FINOPS_ESCALATION: "model",
            FINOPS_ATTEMPT: 1,
            FINOPS_ROUTE: ROUTE_MINI_FIRST,
            FINOPS_RETRIEVAL_CHUNKS: chunks,
            FINOPS_RETRIEVAL_CITATIONS: rng.randint(1, min(chunks, 4)),
            FINOPS_QUALITY_SCORE: self._quality(QUALITY[FLAGSHIP]),
        }
        usage = replace(prompt, output=rng.randint(250, 700))
        self.summary.model_escalations += 1
        return self._llm(ctx, t, FLAGSHIP, SUPPORT_ANSWER, usage, marks=marks)

    def _support_outcome(self, conv: _Conversation) -> tuple[bool, str]:
        """Escalated and handed-off conversations are resolved more often."""
        rate = 0.86 if conv.customer.segment == "enterprise" else 0.76
        if conv.handoff:
            rate = 0.95
        elif conv.escalated:
            rate = min(rate + 0.08, 0.95)
        return self.rng.random() < rate, "ticket_resolved"

    def _document_qa(self) -> None:
        """Embed the question; answer from the semantic cache when a close question was
        answered before, else retrieve chunks and answer with Haiku (or the self-hosted
        model), falling back to another provider when the primary one fails."""
        rng = self.rng
        start = self._when("document-qa")
        customer = rng.choice(self.customers)
        root, ctx = self._root("POST /docs/ask", start, customer, self._session_id())
        query = _Usage(rng.randint(20, 90))
        t = self._llm(ctx, start, EMBEDDER, DOCQA_EMBEDDING, query, operation="embeddings")
        if rng.random() < CACHE_HIT_RATE:  # the cached answer is served: no model call
            hit = {
                FINOPS_CACHE_HIT: True,
                FINOPS_CACHE_KIND: "semantic",
                FINOPS_TEMPLATE: DOCQA_ANSWER[0],
                FINOPS_TEMPLATE_VERSION: DOCQA_ANSWER[1],
            }
            t = self._step(ctx, "semantic-cache lookup", t, rng.uniform(4, 15), hit)
            self.summary.cache_hits += 1
            self._finish(root, t, (rng.random() < 0.88, "question_answered"))
            return
        miss = {FINOPS_CACHE_HIT: False}
        t = self._step(ctx, "semantic-cache lookup", t, rng.uniform(4, 15), miss)
        chunks = rng.randint(3, 12)
        retrieval = {FINOPS_RETRIEVAL_CHUNKS: chunks}
        t = self._step(ctx, "vector search", t, rng.uniform(15, 70), retrieval)
        self_hosted = rng.random() < 0.02
        warm = rng.random() < 0.55
        prompt = _Usage(
            1200 + chunks * rng.randint(250, 450),
            cache_read=1200 if warm else 0,
            cache_write=0 if warm else 1200,
        )
        t = self._answer(
            ctx,
            t,
            SELF_HOSTED if self_hosted else HAIKU,
            DOCQA_ANSWER,
            prompt,
            chunks=chunks,
            route=ROUTE_SELF_HOSTED if self_hosted else ROUTE_MINI_FIRST,
            output=(120, 520),
            fallback_to=HAIKU if self_hosted else MINI,
        )
        self._finish(root, t, (rng.random() < 0.81, "question_answered"))

    def _nightly_report(self) -> None:
        rng = self.rng
        start = self._when("nightly-report")
        paying = [cust for cust in self.customers if cust.segment != "free"]
        root, ctx = self._root("job reports.generate", start, rng.choice(paying))
        t = start
        for _ in range(rng.randint(3, 5)):
            output = rng.randint(800, 2400)
            reasoning = int(output * rng.uniform(0.3, 0.6))
            section = _Usage(rng.randint(4000, 12000), output, reasoning=reasoning)
            t = self._llm(ctx, t, REASONER, ("report.section", "4"), section)
        summary = _Usage(rng.randint(3000, 6000), rng.randint(300, 700))
        t = self._llm(ctx, t, REASONER_MINI, ("report.summary", "1"), summary)
        self._finish(root, t, (rng.random() < 0.95, "report_delivered"))
