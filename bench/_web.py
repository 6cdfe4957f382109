"""Server time of pages and API calls, in process: the helpers of bench/dashboard.py and
bench/search.py.

Requests go through Django's test ``Client`` (the whole middleware stack, URL resolution,
view, ORM queries against PostgreSQL and template rendering; no socket and no WSGI server),
as a logged-in project member, or with the project's API key for ``/api/``. Server time is
the wall time of ``client.get`` around one request; a warm-up request per URL goes first.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment


@dataclass
class Timing:
    name: str
    url: str
    status: int = 0
    queries: int = 0
    kb: float = 0.0
    times_ms: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms) if self.times_ms else math.nan

    @property
    def p95_ms(self) -> float:
        """Nearest rank: the ceil(0.95 n)-th smallest (the 19th of 20)."""
        if not self.times_ms:
            return math.nan
        ordered = sorted(self.times_ms)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


def member_client(username: str) -> Client:
    from django.contrib.auth import get_user_model

    setup_test_environment()  # lets the test client's "testserver" host through
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def measure(
    client: Client, name: str, url: str, requests: int, headers: dict | None = None
) -> Timing:
    """``requests`` timed GETs of ``url`` after one warm-up (which also counts queries)."""
    timing = Timing(name, url)
    headers = headers or {}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    timing.status, timing.queries = response.status_code, len(queries)
    timing.kb = len(_body(response)) / 1024
    if response.status_code != 200:
        timing.note = f"HTTP {response.status_code}"
        return timing
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        _body(response)
        timing.times_ms.append((time.perf_counter() - started) * 1000)
    return timing


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def print_table(timings: list[Timing], target_ms: float, requests: int) -> None:
    header = (
        f"{'':34} {'HTTP':>4} {'queries':>7} {'KB':>6} {'median ms':>9} {'p95 ms':>7} "
        f"{'p95/target':>10}"
    )
    print(header)
    print("-" * len(header))
    for t in timings:
        if not t.times_ms:
            print(f"{t.name:34} {t.status or '-':>4}   ({t.note})")
            continue
        ratio = t.p95_ms / target_ms
        verdict = "met" if ratio < 1 else "MISSED"
        print(
            f"{t.name:34} {t.status:>4} {t.queries:>7} {t.kb:>6.0f} {t.median_ms:>9.1f} "
            f"{t.p95_ms:>7.1f} {ratio:>9.2f}x  {verdict}"
        )
    print(
        f"({requests} requests each after one warm-up; p95 = nearest rank; target p95 < "
        f"{target_ms:.0f} ms; server time in process with Django's test Client)"
    )
