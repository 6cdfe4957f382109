"""finops.sketch: fixed log buckets that merge by addition (pure, no database)."""

from __future__ import annotations

import ast
import math
import random
from pathlib import Path

import pytest

from finops import sketch


@pytest.mark.parametrize(
    ("ms", "bucket"),
    [
        (-5.0, 0),
        (0.0, 0),
        (9.999, 0),
        (float("nan"), 0),
        (10.0, 1),
        (12.499, 1),
        (12.5, 2),
        (15.625, 3),
        (100.0, 11),
        (1000.0, 21),
        (60_000.0, 39),
        (1e12, sketch.BUCKETS - 1),
    ],
)
def test_bucket_of_follows_the_log_bounds(ms, bucket):
    assert sketch.bucket_of(ms) == bucket


def test_every_bucket_holds_its_lower_bound_and_not_the_next():
    for index in range(1, sketch.BUCKETS - 1):
        low, high = sketch.lower_bound_ms(index), sketch.lower_bound_ms(index + 1)

        assert sketch.bucket_of(low) == index
        assert sketch.bucket_of(math.nextafter(high, 0)) == index
        assert high == pytest.approx(low * sketch.GROWTH)


def test_from_durations_counts_per_bucket_and_drops_trailing_zeros():
    assert sketch.from_durations([1.0, 5.0, 11.0, 13.0, 13.5]) == [2, 1, 2]
    assert sketch.from_durations([]) == []


def test_from_counts_matches_from_durations():
    durations = [3.0, 10.0, 250.0, 250.1, 9_000.0]
    counts: dict[int, int] = {}
    for ms in durations:
        counts[sketch.bucket_of(ms)] = counts.get(sketch.bucket_of(ms), 0) + 1

    assert sketch.from_counts(counts) == sketch.from_durations(durations)


def test_merge_adds_counts_of_unequal_lengths():
    assert sketch.merge([1, 0, 2], [0, 3]) == [1, 3, 2]
    assert sketch.merge([], [0, 1]) == [0, 1]
    assert sketch.merge([1, 0, 0], []) == [1]


def test_merge_of_parts_equals_sketch_of_the_whole():
    rng = random.Random(7)
    durations = [rng.lognormvariate(6, 1.2) for _ in range(3_000)]
    parts = [durations[i::3] for i in range(3)]

    merged = sketch.merge_all(sketch.from_durations(p) for p in parts)

    assert merged == sketch.from_durations(durations)
    assert sketch.count(merged) == 3_000


@pytest.mark.parametrize("q", [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0])
def test_quantile_of_merged_sketches_is_within_one_bucket_of_the_exact_percentile(q):
    # Latencies of three routes (log-normal, medians ~400 ms, ~1.1 s and ~3 s), sketched
    # per route and merged, against the exact nearest-rank percentile of all of them.
    rng = random.Random(2026)
    routes = [[rng.lognormvariate(mu, 0.6) for _ in range(4_000)] for mu in (6.0, 7.0, 8.0)]
    merged = sketch.merge_all(sketch.from_durations(r) for r in routes)
    ordered = sorted(ms for r in routes for ms in r)
    exact = ordered[max(1, math.ceil(q * len(ordered))) - 1]

    estimate = sketch.quantile(merged, q)

    assert abs(estimate - exact) / exact <= sketch.MAX_RELATIVE_ERROR + 1e-12
    assert sketch.MAX_RELATIVE_ERROR < 0.12


def test_quantile_of_an_empty_sketch_is_none():
    assert sketch.quantile([], 0.5) is None


def test_quantile_outside_zero_to_one_is_an_error():
    with pytest.raises(ValueError, match="between 0 and 1"):
        sketch.quantile([1], 1.5)


def test_quantile_of_sub_base_and_open_ended_buckets():
    assert sketch.quantile([4], 0.5) == sketch.BASE_MS / 2
    top = sketch.from_durations([1e12])

    assert sketch.quantile(top, 0.5) == sketch.BOUNDS_MS[-1]


def test_sketch_module_is_pure():
    # STYLE §4: pure modules import no Django (tests/test_layers.py lists the others).
    tree = ast.parse(Path(sketch.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}

    assert not {name for name in imported if name and name.split(".")[0] == "django"}
