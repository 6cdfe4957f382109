"""Attribute names the ingester reads, and the mapping from span attributes to LLM-call fields,
explicit marks, outcomes and attribution dimensions.

Pure (no Django). Every OTel attribute key the project reads is a constant in ``keys`` (STYLE
§11), re-exported here; the mappings are tables of candidate keys per field and family, first
present key wins, so a new convention or a renamed attribute is a line in a table:

- ``families``: one table per attribute family (OTel GenAI and its dialects, OpenInference,
  Langfuse, the Vercel AI SDK); ``calls`` applies them: ``extract_call`` → ``CallFields``;
- ``marks``: ``finops.*`` retry / fallback / escalation / cache / quality marks and outcomes;
- ``carriers``: where feature, template, segment, customer, route and session travel.
"""

from __future__ import annotations

from ingest.conventions.calls import STATUS_ERROR, CallFields, extract_call
from ingest.conventions.carriers import CARRIER_NAMES, DIMENSIONS, FINOPS_KEYS, attribution_of
from ingest.conventions.families import FAMILIES, MODEL_PREFIX_PROVIDERS, OPERATIONS, Family
from ingest.conventions.keys import *  # noqa: F403  (every attribute key, as module constants)
from ingest.conventions.marks import (
    CallMarks,
    OutcomeMark,
    evaluation_score,
    extract_marks,
    outcome_of,
)
from ingest.conventions.values import MAX_LABEL, MAX_TOKENS, first

__all__ = [
    "CARRIER_NAMES",
    "DIMENSIONS",
    "FAMILIES",
    "FINOPS_KEYS",
    "MAX_LABEL",
    "MAX_TOKENS",
    "MODEL_PREFIX_PROVIDERS",
    "OPERATIONS",
    "STATUS_ERROR",
    "CallFields",
    "CallMarks",
    "Family",
    "OutcomeMark",
    "attribution_of",
    "evaluation_score",
    "extract_call",
    "extract_marks",
    "first",
    "outcome_of",
]
