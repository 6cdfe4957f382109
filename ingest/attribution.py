"""Attribution of LLM calls to feature, template, segment and customer.

Pure. A call inherits each dimension from the nearest span up its parent chain that sets it,
then from its resource. Children are exported before their parents, so this is re-run for a
trace whenever more of its spans arrive; a missing ancestor simply ends the walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DIMENSIONS = ("feature", "template", "template_version", "segment", "customer", "route")


@dataclass(frozen=True, slots=True)
class SpanNode:
    """What attribution needs of one span: its parent and the dimensions it sets itself."""

    span_id: str
    parent_span_id: str
    own: Mapping[str, str] = field(default_factory=dict)
    resource: Mapping[str, str] = field(default_factory=dict)


def resolve(nodes: Mapping[str, SpanNode], span_id: str) -> dict[str, str]:
    """Every dimension of ``DIMENSIONS`` for ``span_id`` ("" when nothing in reach sets it).

    ``nodes`` maps span id → node for the spans of one trace known so far.
    """
    found: dict[str, str] = {}
    seen: set[str] = set()
    current = nodes.get(span_id)
    start = current
    while current is not None and current.span_id not in seen and len(found) < len(DIMENSIONS):
        seen.add(current.span_id)  # a malformed trace may loop; walk each span once
        for dimension, value in current.own.items():
            found.setdefault(dimension, value)
        current = nodes.get(current.parent_span_id) if current.parent_span_id else None
    if start is not None:
        for dimension, value in start.resource.items():
            found.setdefault(dimension, value)
    return {dimension: found.get(dimension, "") for dimension in DIMENSIONS}
