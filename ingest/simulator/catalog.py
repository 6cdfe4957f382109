"""What the simulated app is made of: attribute keys, customers and features, behaviour rates,
routes and error types, the model catalogue and the prompt templates.

Pure (no Django). Every rate is a probability per trace or per call; ``QUALITY`` is the mean
answer score per model, 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# Our own attribute keys. They mirror the "Our own attributes" table of DESIGN.md (plus
# citations and session id, which the table does not list yet); they are spelled here rather
# than taken from ingest.conventions while that module is being rewritten.
FINOPS_FEATURE = "finops.feature"
FINOPS_TEMPLATE = "finops.template"
FINOPS_TEMPLATE_VERSION = "finops.template.version"
FINOPS_SEGMENT = "finops.customer.segment"
FINOPS_CUSTOMER = "finops.customer.id"
FINOPS_OUTCOME = "finops.outcome"
FINOPS_OUTCOME_NAME = "finops.outcome.name"
FINOPS_ATTEMPT = "finops.attempt"
FINOPS_FALLBACK = "finops.fallback"
FINOPS_ESCALATION = "finops.escalation"  # "model" or "human"
FINOPS_CACHE_HIT = "finops.cache.hit"
FINOPS_CACHE_KIND = "finops.cache.kind"  # "exact" or "semantic"
FINOPS_QUALITY_SCORE = "finops.quality.score"
FINOPS_ROUTE = "finops.route"
FINOPS_RETRIEVAL_CHUNKS = "finops.retrieval.chunks"
FINOPS_RETRIEVAL_CITATIONS = "finops.retrieval.citations"
FINOPS_SESSION_ID = "finops.session.id"

SEGMENTS = {"enterprise": 0.35, "smb": 0.40, "free": 0.25}
FEATURES = {"support-assistant": 0.55, "document-qa": 0.35, "nightly-report": 0.10}
# Behaviour rates, tuned so 2,500 traces over 30 days show each one at least tens of times.
TURNS = {1: 0.45, 2: 0.30, 3: 0.15, 4: 0.10}  # turns per support conversation
FLAGSHIP_DIRECT_RATE = 0.6  # enterprise answers routed straight to the flagship model
ESCALATION_RATE = 0.15  # mini answers with low confidence, re-asked of the flagship
HANDOFF_RATE = 0.04  # support conversations handed to a human agent
RATE_LIMIT_RATE = 0.06  # support answers whose first attempt the provider rejects (429)
VALIDATION_FAILURE_RATE = 0.05  # answers whose output fails JSON/schema validation
FALLBACK_RATE = 0.035  # document answers whose primary provider fails (500)
CACHE_HIT_RATE = 0.12  # document questions answered from the semantic response cache
# Keeps every span of a trace, and the next turn of a conversation, before ``now``.
LATEST_START = timedelta(minutes=15)

ROUTE_MINI_FIRST = "mini-first"
ROUTE_FLAGSHIP_DIRECT = "flagship-direct"
ROUTE_SELF_HOSTED = "self-hosted"
ERROR_RATE_LIMIT = "rate_limit_exceeded"
ERROR_SERVER = "server_error"
ERROR_VALIDATION = "validation_failed"


@dataclass(frozen=True)
class Model:
    provider: str
    request: str
    response: str


MINI = Model("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18")
FLAGSHIP = Model("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929")
HAIKU = Model("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001")
REASONER = Model("openai", "gpt-5", "gpt-5-2025-08-07")
REASONER_MINI = Model("openai", "gpt-5-mini", "gpt-5-mini-2025-08-07")
EMBEDDER = Model("openai", "text-embedding-3-small", "text-embedding-3-small")
SELF_HOSTED = Model("vllm", "acme-llama-3-70b", "acme-llama-3-70b")  # no public price
QUALITY = {MINI: 0.74, FLAGSHIP: 0.88, HAIKU: 0.80, SELF_HOSTED: 0.70}  # mean answer score

TRIAGE = ("support.triage", "3")
SUPPORT_ANSWER = ("support.answer", "7")
DOCQA_EMBEDDING = ("docqa.query-embedding", "1")
DOCQA_ANSWER = ("docqa.answer", "2")


@dataclass(frozen=True)
class Customer:
    id: str
    segment: str
