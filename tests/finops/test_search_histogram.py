"""Latency bins of the Traces page: equal-width bins of sampled latencies, and log-spaced
bins of a merged rollup sketch (pure, no DB)."""

from __future__ import annotations

from itertools import pairwise

from finops import sketch
from finops.search.histogram import Bin, latency_bins, sketch_bins


def test_sketch_bins_span_the_first_to_the_last_used_bucket():
    durations = [12.0, 13.0, 100.0]
    bins = sketch_bins(sketch.from_durations(durations))
    assert sum(b.count for b in bins) == 3
    assert bins[0].low_ms <= 12.0 < bins[0].high_ms
    assert bins[-1].low_ms <= 100.0 < bins[-1].high_ms
    # Adjacent, no gaps: each bin starts where the previous ended.
    assert all(a.high_ms == b.low_ms for a, b in pairwise(bins))


def test_sketch_bins_of_fast_calls_start_at_zero():
    assert sketch_bins(sketch.from_durations([1.0, 2.0])) == [Bin(0.0, 10.0, 2)]


def test_sketch_bins_open_ended_last_bucket_gets_a_finite_end():
    (only,) = sketch_bins(sketch.from_durations([1e12]))
    assert only.count == 1 and only.high_ms == only.low_ms * sketch.GROWTH


def test_sketch_bins_of_an_empty_sketch_are_empty():
    assert sketch_bins([]) == []


def test_latency_bins_count_every_value():
    bins = latency_bins([1.0, 5.0, 9.0, 40.0], bins=4)
    assert sum(b.count for b in bins) == 4 and bins[0].low_ms == 1.0
