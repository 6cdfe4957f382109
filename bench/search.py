"""Search benchmark (issue 6): the server time of typical trace searches and of opening a
50-span trace, at 10 million LLM calls.

    .venv/bin/python bench/search.py [--requests 20] [--fresh] [--calls 10000000] [--jobs 2]

Uses the data set of bench/_dataset.py in PostgreSQL database ``llmf_bench`` (loaded on
first use; ``--fresh`` reloads): 10 M calls over 90 days, spans and call text (prompts and
completions as the OTel GenAI conventions carry them) for the last 7 days, and agent traces
of 50 spans. Each search is the Traces page (``finops:traces``) as a logged-in admin, in
process through Django's test Client: one warm-up, then ``--requests`` GETs; prints median,
p95 (target < 300 ms) and the ratio to the target. "page 50" follows the page's own next
links 49 times first (untimed) and then times the 50th page's URL.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import _dataset  # noqa: E402
from _dataset import Spec  # noqa: E402

TARGET_MS = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per search")
    parser.add_argument("--fresh", action="store_true", help="reload the data set")
    parser.add_argument("--calls", type=int, default=Spec.calls)
    parser.add_argument("--jobs", type=int, default=2, help="processes loading the data set")
    args = parser.parse_args()
    spec = Spec(calls=args.calls)
    data = _dataset.ensure(spec, fresh=args.fresh, jobs=args.jobs)
    print(
        f"data set: {data.calls:,} calls, {data.traces:,} traces, {data.spans:,} spans, "
        f"{data.first_day} … {data.last_day}",
        flush=True,
    )
    from _web import measure, member_client, print_table
    from django.urls import reverse

    client = member_client(_dataset.USERNAME)
    traces = reverse("finops:traces", args=[_dataset.SLUG])
    timings = []
    for name, params in _searches(data):
        timing = measure(client, name, f"{traces}?{urlencode(params)}", args.requests)
        timings.append(timing)
        _progress(timing)
    url = _page_url(client, traces, {**_days(data, 90)}, 50)
    timings.append(measure(client, "page 50 (cursor), 90 days by time", url, args.requests))
    _progress(timings[-1])
    trace_id = _agent_trace(spec)
    url = reverse("finops:trace-detail", args=[_dataset.SLUG, trace_id])
    timings.append(measure(client, "open a 50-span trace", url, args.requests))
    _progress(timings[-1])
    print()
    print(f"search benchmark at {data.calls:,} calls ({data.first_day} … {data.last_day})")
    print_table(timings, TARGET_MS, args.requests)


def _days(data, days: int) -> dict[str, str]:
    first = data.last_day - timedelta(days=days - 1)
    return {"start": first.isoformat(), "end": data.last_day.isoformat()}


def _searches(data) -> list[tuple[str, dict]]:
    week, month, all_days = _days(data, 7), _days(data, 30), _days(data, 90)
    return [
        ("feature, 7 days, by cost", {**week, "feature": "support-assistant", "sort": "-cost"}),
        ("model + error, 90 days", {**all_days, "model": "gpt-4o-mini", "status": "error"}),
        ("customer, 90 days", {**all_days, "customer": "cust-0042"}),
        ("phrase in prompts, 7 days", {**week, "q": "refund for a damaged order"}),
        ("phrase in prompts, 90 days", {**all_days, "q": "reset my password"}),
        ("cost > $0.10, 90 days", {**all_days, "min_cost": "0.10"}),
        ("retries only, 90 days", {**all_days, "is_retry": "1"}),
        ("escalations to a model, 30 days", {**month, "escalation": "model"}),
        (
            "segment + template, 30 d, by latency",
            {**month, "segment": "enterprise", "template": "support.answer", "sort": "-latency"},
        ),
    ]


def _page_url(client, base: str, params: dict, page: int) -> str:
    """The URL of page ``page`` of a search, reached through each page's next link."""
    url = f"{base}?{urlencode(params)}"
    for _ in range(page - 1):
        response = client.get(url)
        next_url = response.context["next_url"]
        if not next_url:
            raise RuntimeError(f"the search has fewer than {page} pages")
        url = f"{base}{next_url}"
    return url


def _agent_trace(spec: Spec) -> str:
    """The first agent trace (50 spans) of the last day: trace number 0 (see _datagen)."""
    return f"{spec.seed:04x}{spec.days - 1:04x}{0:024x}"


def _progress(timing) -> None:
    print(
        f"  {timing.name}: median {timing.median_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms, "
        f"{timing.queries} queries {timing.note}",
        flush=True,
    )


if __name__ == "__main__":
    main()
