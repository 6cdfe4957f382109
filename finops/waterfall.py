"""Trace waterfall layout, cost shares and attempt chains: plain functions over plain rows.

Pure. ``layout`` orders spans depth-first (children by start time) and places each bar as a
percentage of the trace's time; ``trace_cost`` splits a trace's cost into the part spent on
retries, fallbacks and escalations; ``attempt_neighbours`` finds the previous and next attempt
of the same request (retries and fallbacks of one call site).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

HUNDRED = Decimal(100)
# The narrowest bar drawn, in % of the trace, so a 1 ms span is still visible and clickable.
MIN_WIDTH_PCT = 0.4


@dataclass(frozen=True, slots=True)
class Node:
    """A span's place in its trace: ids and times (aware)."""

    span_id: str
    parent_span_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Placed:
    """Where ``nodes[index]`` goes: row order, nesting depth, bar offset and width in % of
    the trace's duration; ``orphan`` when its parent is not (yet) in the trace."""

    index: int
    depth: int
    offset_pct: float
    width_pct: float
    orphan: bool = False


def _children(nodes: Sequence[Node]) -> tuple[list[int], dict[str, list[int]], set[int]]:
    """(root indexes, parent id → child indexes, orphan indexes), each sorted by start."""
    ids = {node.span_id for node in nodes}
    roots: list[int] = []
    orphans: set[int] = set()
    children: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        parent = node.parent_span_id
        if parent and parent in ids and parent != node.span_id:
            children.setdefault(parent, []).append(i)
        else:
            roots.append(i)
            if parent:
                orphans.add(i)

    def by_start(i: int) -> tuple:
        return (nodes[i].start, nodes[i].span_id)

    roots.sort(key=by_start)
    for kids in children.values():
        kids.sort(key=by_start)
    return roots, children, orphans


def layout(nodes: Sequence[Node]) -> list[Placed]:
    """Every node once, depth-first from the roots (spans without a parent in the trace,
    earliest first), children by start time; offsets and widths in % of the trace from its
    first start to its last end. A cycle in the parent links cannot loop: each span is
    placed once, and spans only reachable through a cycle are placed as roots.
    """
    if not nodes:
        return []
    start = min(node.start for node in nodes)
    total = max((max(node.end for node in nodes) - start).total_seconds(), 1e-9)
    roots, children, orphans = _children(nodes)
    placed: list[Placed] = []
    seen: set[int] = set()

    def visit(i: int, depth: int) -> None:
        stack = [(i, depth)]
        while stack:
            index, level = stack.pop()
            if index in seen:
                continue
            seen.add(index)
            node = nodes[index]
            offset = (node.start - start).total_seconds() / total * 100
            width = max((node.end - node.start).total_seconds() / total * 100, MIN_WIDTH_PCT)
            width = min(width, max(100 - offset, MIN_WIDTH_PCT))
            placed.append(Placed(index, level, round(offset, 3), round(width, 3), index in orphans))
            kids = children.get(node.span_id, [])
            stack.extend((kid, level + 1) for kid in reversed(kids))

    for root in roots:
        visit(root, 0)
    for i in range(len(nodes)):  # only reachable through a cycle
        if i not in seen:
            visit(i, 0)
    return placed


@dataclass(frozen=True, slots=True)
class CallCost:
    """What the cost split needs of a call: its cost (None = unpriced) and its marks."""

    cost_usd: Decimal | None
    is_retry: bool = False
    is_fallback: bool = False
    escalation: str = ""


@dataclass(frozen=True, slots=True)
class Share:
    """``cost_usd`` (USD) of the trace spent on one kind of extra call; ``pct`` of the total
    (None when the trace cost nothing)."""

    label: str
    calls: int
    cost_usd: Decimal
    pct: Decimal | None


@dataclass(frozen=True, slots=True)
class TraceCost:
    total_usd: Decimal
    unpriced_calls: int
    shares: tuple[Share, ...]


def trace_cost(calls: Iterable[CallCost]) -> TraceCost:
    """A trace's cost (priced calls, USD) and the shares spent on retries, fallbacks and
    escalations (a call that is both a fallback and an escalation counts in both)."""
    calls = list(calls)
    total = sum((c.cost_usd for c in calls if c.cost_usd is not None), Decimal(0))
    kinds = (
        ("Retries", lambda c: c.is_retry),
        ("Fallbacks", lambda c: c.is_fallback),
        ("Escalations", lambda c: bool(c.escalation)),
    )
    shares = []
    for label, is_kind in kinds:
        matching = [c for c in calls if is_kind(c)]
        cost = sum((c.cost_usd for c in matching if c.cost_usd is not None), Decimal(0))
        pct = (cost / total * HUNDRED).quantize(Decimal("0.1")) if total else None
        shares.append(Share(label, len(matching), cost, pct))
    unpriced = sum(1 for c in calls if c.cost_usd is None)
    return TraceCost(total, unpriced, tuple(shares))


@dataclass(frozen=True, slots=True)
class Attempt:
    """A call as one attempt of a request: the call site is (parent span, template or,
    without one, operation)."""

    span_id: str
    parent_span_id: str
    site: str
    start: datetime
    is_extra: bool  # a retry, a fallback or an escalation


def attempt_neighbours(calls: Sequence[Attempt], span_id: str) -> tuple[str, str]:
    """(previous, next) attempt's span id of the call ``span_id`` ("" when none): the calls
    of the same call site in start order, when at least one of them is a retry, fallback or
    escalation (two unrelated calls of one site are not attempts of each other)."""
    this = next((c for c in calls if c.span_id == span_id), None)
    if this is None:
        return "", ""
    chain = sorted(
        (c for c in calls if (c.parent_span_id, c.site) == (this.parent_span_id, this.site)),
        key=lambda c: (c.start, c.span_id),
    )
    if len(chain) < 2 or not any(c.is_extra for c in chain):
        return "", ""
    at = chain.index(this)
    previous = chain[at - 1].span_id if at > 0 else ""
    following = chain[at + 1].span_id if at + 1 < len(chain) else ""
    return previous, following
