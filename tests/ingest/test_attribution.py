"""Inheriting feature, template, segment and customer from ancestors (ingest/attribution.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingest.attribution import DIMENSIONS, SpanNode, resolve

NOTHING = dict.fromkeys(DIMENSIONS, "")


def _nodes(*nodes: SpanNode) -> dict[str, SpanNode]:
    return {node.span_id: node for node in nodes}


def test_call_without_attribution_anywhere_gets_every_dimension_empty():
    nodes = _nodes(SpanNode("root", ""), SpanNode("llm", "root"))

    assert resolve(nodes, "llm") == NOTHING


def test_own_attribute_wins_over_ancestors():
    nodes = _nodes(
        SpanNode("root", "", own={"feature": "support"}),
        SpanNode("llm", "root", own={"feature": "triage"}),
    )

    assert resolve(nodes, "llm") == NOTHING | {"feature": "triage"}


def test_nearest_ancestor_wins():
    nodes = _nodes(
        SpanNode("root", "", own={"feature": "support", "segment": "smb"}),
        SpanNode("step", "root", own={"feature": "triage"}),
        SpanNode("llm", "step"),
    )

    assert resolve(nodes, "llm") == NOTHING | {"feature": "triage", "segment": "smb"}


def test_each_dimension_comes_from_its_own_nearest_setter():
    nodes = _nodes(
        SpanNode("root", "", own={"customer": "c-9", "template": "ignored-too-far"}),
        SpanNode("agent", "root", own={"template": "reply", "template_version": "4"}),
        SpanNode("tool", "agent", own={"route": "cheap"}),
        SpanNode("llm", "tool"),
    )

    assert resolve(nodes, "llm") == {
        "feature": "",
        "template": "reply",
        "template_version": "4",
        "segment": "",
        "customer": "c-9",
        "route": "cheap",
        "session": "",
    }


def test_resource_fills_dimensions_no_span_sets():
    nodes = _nodes(
        SpanNode("root", "", own={"segment": "enterprise"}),
        SpanNode("llm", "root", resource={"feature": "billing-bot", "segment": "from-resource"}),
    )

    assert resolve(nodes, "llm") == NOTHING | {"feature": "billing-bot", "segment": "enterprise"}


def test_only_the_calls_own_resource_is_used():
    nodes = _nodes(
        SpanNode("root", "", resource={"feature": "gateway"}),
        SpanNode("llm", "root", resource={}),
    )

    assert resolve(nodes, "llm") == NOTHING


def test_missing_ancestor_ends_the_walk():
    nodes = _nodes(
        SpanNode("root", "", own={"feature": "unreachable"}),
        SpanNode("step", "not-yet-arrived"),
        SpanNode("llm", "step", own={"route": "fast"}),
    )

    assert resolve(nodes, "llm") == NOTHING | {"route": "fast"}


def test_late_parent_attributes_its_children():
    before = _nodes(SpanNode("llm", "root"))
    after = before | _nodes(SpanNode("root", "", own={"feature": "triage"}))

    assert (resolve(before, "llm")["feature"], resolve(after, "llm")["feature"]) == ("", "triage")


def test_parent_cycle_terminates():
    nodes = _nodes(
        SpanNode("a", "b", own={"feature": "loop"}),
        SpanNode("b", "c"),
        SpanNode("c", "a", own={"feature": "far", "segment": "smb"}),
    )

    assert resolve(nodes, "a") == NOTHING | {"feature": "loop", "segment": "smb"}


def test_span_that_is_its_own_parent_terminates():
    nodes = _nodes(SpanNode("a", "a", own={"customer": "c1"}))

    assert resolve(nodes, "a") == NOTHING | {"customer": "c1"}


def test_unknown_span_gets_every_dimension_empty():
    assert resolve(_nodes(SpanNode("root", "", own={"feature": "x"})), "missing") == NOTHING


# --- invariants -------------------------------------------------------------------------

IDS = st.sampled_from(["a", "b", "c", "d", "e", "f"])
LABELS = st.dictionaries(st.sampled_from(DIMENSIONS), st.text(max_size=5), max_size=3)
PARENTS = st.one_of(st.just(""), IDS, st.just("gone"))


@st.composite
def traces(draw) -> dict[str, SpanNode]:
    ids = draw(st.sets(IDS, min_size=1))
    return {
        sid: SpanNode(sid, draw(PARENTS), own=draw(LABELS), resource=draw(LABELS))
        for sid in sorted(ids)
    }


@given(nodes=traces(), start=st.one_of(IDS, st.just("gone")))
def test_resolve_of_random_parent_map_returns_every_dimension(nodes, start):
    resolved = resolve(nodes, start)

    assert list(resolved) == list(DIMENSIONS)
    assert all(isinstance(value, str) for value in resolved.values())
    node = nodes.get(start)
    if node is not None:
        for dimension, value in node.own.items():
            assert resolved[dimension] == value  # the call's own attribute always wins
        offered = [n.own.get(d) for n in nodes.values() for d in DIMENSIONS]
        offered += list(node.resource.values())
        assert all(value in offered for value in resolved.values() if value)
