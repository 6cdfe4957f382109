"""Latency sketches: counts in fixed log-spaced buckets, so sketches merge by addition.

A sketch is a plain ``list[int]``: ``sketch[i]`` counts the durations in bucket ``i``, and
trailing empty buckets are dropped so a JSON column stays small. Bucket 0 holds everything
under ``BASE_MS``; bucket ``i >= 1`` holds ``[BASE_MS * GROWTH**(i-1), BASE_MS * GROWTH**i)``;
the last bucket (``BUCKETS - 1``) is open-ended. Because every row uses the same bounds, the
sketch of a union of rows is the element-wise sum of their sketches: p50/p95 by route are
right at any zoom (day, week, any filter), unlike averaged percentiles.

A quantile read from a sketch is the geometric middle of its bucket, so its relative error is
at most ``sqrt(GROWTH) - 1`` (11.8 %) for durations of at least ``BASE_MS``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable

BASE_MS = 10.0
GROWTH = 1.25
# 64 buckets: the last finite bound is 10 ms * 1.25^62 ≈ 10,200 s (2.8 hours).
BUCKETS = 64
# Lower bounds of buckets 1 … BUCKETS-1; a duration's bucket is how many bounds are <= it.
# PostgreSQL's width_bucket(x, thresholds) has the same meaning, so SQL can use these too.
BOUNDS_MS: tuple[float, ...] = tuple(BASE_MS * GROWTH**i for i in range(BUCKETS - 1))
MAX_RELATIVE_ERROR = math.sqrt(GROWTH) - 1

Sketch = list[int]


def bucket_of(ms: float) -> int:
    """The bucket index (0 … BUCKETS-1) of a duration in milliseconds.

    Durations under ``BASE_MS``, negative ones and NaN go to bucket 0; anything beyond the
    last bound goes to the last bucket.
    """
    if not ms >= BASE_MS:  # also catches NaN
        return 0
    return bisect_right(BOUNDS_MS, ms)


def lower_bound_ms(index: int) -> float:
    """The smallest duration (ms) of bucket ``index``; 0 for bucket 0."""
    return 0.0 if index <= 0 else BOUNDS_MS[index - 1]


def from_counts(counts: dict[int, int]) -> Sketch:
    """A sketch from ``{bucket index: count}`` (as a GROUP BY over bucket indexes gives)."""
    if not counts:
        return []
    sketch = [0] * (_clamp(max(counts)) + 1)
    for index, count in counts.items():
        sketch[_clamp(index)] += count
    return _trim(sketch)


def from_durations(durations_ms: Iterable[float]) -> Sketch:
    """The sketch of some durations (ms)."""
    sketch = [0] * BUCKETS
    for ms in durations_ms:
        sketch[bucket_of(ms)] += 1
    return _trim(sketch)


def merge(a: Sketch, b: Sketch) -> Sketch:
    """The sketch of the union of two sketches' durations (element-wise sum)."""
    if len(a) < len(b):
        a, b = b, a
    merged = list(a)
    for index, count in enumerate(b):
        merged[index] += count
    return _trim(merged)


def merge_all(sketches: Iterable[Sketch]) -> Sketch:
    """The sketch of the union of many sketches."""
    merged: Sketch = []
    for sketch in sketches:
        merged = merge(merged, sketch)
    return merged


def count(sketch: Sketch) -> int:
    """How many durations the sketch holds."""
    return sum(sketch)


def quantile(sketch: Sketch, q: float) -> float | None:
    """The ``q``-quantile (0 <= q <= 1) of the sketch's durations, in ms; None when empty.

    Nearest rank: the bucket holding the ``ceil(q * n)``-th smallest duration (the smallest
    one for q = 0), reported as the geometric middle of that bucket (``BASE_MS / 2`` for
    bucket 0, the last bucket's lower bound for the open-ended last bucket).
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q!r} is not between 0 and 1")
    total = count(sketch)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for index, n in enumerate(sketch):
        seen += n
        if seen >= rank:
            return _middle_ms(index)
    raise AssertionError("unreachable: rank <= total")


def _middle_ms(index: int) -> float:
    if index == 0:
        return BASE_MS / 2
    if index >= BUCKETS - 1:
        return BOUNDS_MS[-1]
    return BOUNDS_MS[index - 1] * math.sqrt(GROWTH)


def _clamp(index: int) -> int:
    return min(max(index, 0), BUCKETS - 1)


def _trim(sketch: Sketch) -> Sketch:
    end = len(sketch)
    while end and sketch[end - 1] == 0:
        end -= 1
    return sketch[:end]
