"""Forecast benchmark (issue 7): finops.forecast against plain run rates and statsmodels' ETS.

    .venv/bin/python bench/forecast.py [--trials 100] [--sm-trials 40] [--no-statsmodels]

Synthetic months (30 days, 8 weeks of history before them, log-normal daily noise of 12 %):
flat, growing +20 %/month (the simulator's cost drift), weekends at 30 %, a one-day spike of
6x in the first 6 days, a step of +50 % on day 12, and "sim" (growth, weekends at 45 %,
noise 20 %: like the demo). For each series, cut-off (7, 14, 21 complete days) and method it
prints the median absolute % error of the period total, the coverage of the 80 % range and
its median width, and the time per forecast. statsmodels runs in ``bench/.statsmodels-venv``
(created on first use, its install time and size printed), fed the same series as JSON, so
the project itself does not depend on it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from finops.forecast import forecast_period, weekday_factors  # noqa: E402

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".statsmodels-venv"  # in .gitignore
STATSMODELS = "statsmodels==0.15.0"
FIRST = date(2026, 6, 1)
DAYS = 30
HISTORY = 56
CUTOFFS = (7, 14, 21)
KINDS = ("flat", "growing", "weekly", "spike", "step", "sim")


def month(kind: str, rng: random.Random) -> list[float]:
    """HISTORY + DAYS daily values of one synthetic series; index HISTORY is FIRST."""
    base = rng.uniform(50, 2000)
    noise = 0.2 if kind == "sim" else 0.12
    spike_at = HISTORY + rng.randrange(0, 6)  # in the first 6 days: seen at every cut-off
    values = []
    for i in range(HISTORY + DAYS):
        day = FIRST + timedelta(days=i - HISTORY)
        v = base
        if kind in ("growing", "sim"):
            v *= 1.2 ** ((i - HISTORY) / 30)
        if kind == "weekly" and day.weekday() >= 5:
            v *= 0.3
        if kind == "sim" and day.weekday() >= 5:
            v *= 0.45
        if kind == "spike" and i == spike_at:
            v *= 6
        if kind == "step" and i >= HISTORY + 11:
            v *= 1.5
        values.append(v * rng.lognormvariate(0, noise))
    return values


# --- candidates: each takes (past values, their first day, days left) and returns
# (mean of the rest, low, high) of the rest of the period's spend -------------------------


def run_rate(values: list[float], first: date, rest: list[date]) -> tuple[float, float, float]:
    """Period-to-date spend per day times the days left (the month's days only)."""
    in_period = values[HISTORY:] or values[-7:]
    rate = sum(in_period) / len(in_period)
    return rate * len(rest), math.nan, math.nan


def dow_blend(values: list[float], first: date, rest: list[date]) -> tuple[float, float, float]:
    """Weekday factors x (half the 28-day weekday-adjusted mean + half an EWMA, half-life 7)."""
    days = [first + timedelta(days=i) for i in range(len(values))]
    factors = weekday_factors(values[-56:], days[-56:])
    adjusted = [v / max(factors[d.weekday()], 0.05) for v, d in zip(values, days, strict=True)]
    ewma, alpha = adjusted[0], 1 - 0.5 ** (1 / 7)
    for a in adjusted[1:]:
        ewma += alpha * (a - ewma)
    level = 0.5 * statistics.fmean(adjusted[-28:]) + 0.5 * ewma
    return sum(level * factors[d.weekday()] for d in rest), math.nan, math.nan


def ours(values: list[float], first: date, rest: list[date]) -> tuple[float, float, float]:
    """finops.forecast.forecast_period, the product's method."""
    today = first + timedelta(days=len(values))
    rows = [(first + timedelta(days=i), Decimal(repr(v))) for i, v in enumerate(values)]
    f = forecast_period(rows[HISTORY:], FIRST, rest[-1], today, rows[:HISTORY])
    to_date = float(f.to_date_usd)
    return float(f.total_usd) - to_date, float(f.low_usd) - to_date, float(f.high_usd) - to_date


CANDIDATES: dict[str, Callable[..., tuple[float, float, float]]] = {
    "run rate": run_rate,
    "dow + EWMA blend": dow_blend,
    "ours (robust damped Holt)": ours,
}


def _cases(trials: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for kind in KINDS:
        for trial in range(trials):
            values = month(kind, rng)
            for cut in CUTOFFS:
                case = {"kind": kind, "trial": trial, "cut": cut}
                case["values"] = values[: HISTORY + cut]
                case["to_date"] = sum(values[HISTORY : HISTORY + cut])
                case["rest_actual"] = sum(values[HISTORY + cut :])
                cases.append(case)
    return cases


def evaluate(name: str, fn, cases: list[dict]) -> dict:
    """Per (kind, cut): errors, coverage and widths; and the time per forecast."""
    first = FIRST - timedelta(days=HISTORY)
    out: dict = {}
    started = time.perf_counter()
    for case in cases:
        rest = [FIRST + timedelta(days=i) for i in range(case["cut"], DAYS)]
        mean, low, high = fn(case["values"], first, rest)
        out.setdefault((case["kind"], case["cut"]), []).append((case, mean, low, high))
    per_ms = (time.perf_counter() - started) * 1000 / len(cases)
    return {"name": name, "rows": out, "ms": per_ms}


def summarise(result: dict) -> dict:
    table = {}
    for key, rows in result["rows"].items():
        ape, cov, width = [], [], []
        for case, mean, low, high in rows:
            actual = case["to_date"] + case["rest_actual"]
            ape.append(abs(case["to_date"] + mean - actual) / actual * 100)
            if not math.isnan(low):
                cov.append(low <= case["rest_actual"] <= high)
                width.append((high - low) / actual * 100)
        table[key] = (
            statistics.median(ape),
            statistics.fmean(cov) * 100 if cov else math.nan,
            statistics.median(width) if width else math.nan,
        )
    return table


# --- statsmodels, in its own virtualenv -----------------------------------------------------


def _sm_one(values: list[float], first: date, h: int, variant: str) -> tuple[float, float, float]:
    import numpy as np
    import pandas as pd

    y = pd.Series(
        np.maximum(values, 1e-6), index=pd.date_range(first, periods=len(values), freq="D")
    )
    if variant == "ets":
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        model = ETSModel(
            y, error="mul", trend="add", damped_trend=True, seasonal="mul", seasonal_periods=7
        )
        res = model.fit(disp=False)
        paths = res.simulate(h, repetitions=500, anchor="end")
    else:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        model = ExponentialSmoothing(
            y, trend="add", damped_trend=True, seasonal="mul", seasonal_periods=7
        )
        res = model.fit()
        paths = res.simulate(h, repetitions=500, anchor="end", error="mul")
    sums = np.asarray(paths).reshape(h, -1).sum(axis=0)
    low, high = np.quantile(sums, [0.1, 0.9])
    return float(res.forecast(h).sum()), float(low), float(high)


def worker() -> None:
    """Read {"variant", "cases": [[values, first ISO, h], ...]} on stdin; print the results."""
    import warnings

    warnings.simplefilter("ignore")
    job = json.load(sys.stdin)
    started = time.perf_counter()
    out = [_sm_one(v, date.fromisoformat(f), h, job["variant"]) for v, f, h in job["cases"]]
    json.dump({"results": out, "seconds": time.perf_counter() - started}, sys.stdout)


def statsmodels_python() -> Path:
    """The venv's interpreter with statsmodels installed (reused); prints the install cost."""
    exe = VENV / "bin" / "python"
    if not exe.exists():
        print(f"creating {VENV} and installing {STATSMODELS} (once)", flush=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(exe), "-m", "pip", "install", "--quiet", STATSMODELS], check=True)
        print(f"  install: {time.perf_counter() - started:.0f} s", flush=True)
    site = next(VENV.glob("lib/python*/site-packages"))
    sizes = {}
    for package in ("numpy", "scipy", "pandas", "statsmodels", "patsy"):
        files = (site / package).rglob("*")
        sizes[package] = sum(p.stat().st_size for p in files if p.is_file()) / 1e6
    print(
        "  size (MB): "
        + ", ".join(f"{k} {v:.0f}" for k, v in sizes.items())
        + f", total {sum(sizes.values()):.0f}",
        flush=True,
    )
    return exe


def evaluate_statsmodels(variant: str, name: str, cases: list[dict]) -> dict:
    first = (FIRST - timedelta(days=HISTORY)).isoformat()
    job = {"variant": variant, "cases": [[c["values"], first, DAYS - c["cut"]] for c in cases]}
    done = subprocess.run(
        [str(statsmodels_python()), __file__, "--worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(done.stdout)
    out: dict = {}
    for case, (mean, low, high) in zip(cases, answer["results"], strict=True):
        out.setdefault((case["kind"], case["cut"]), []).append((case, mean, low, high))
    return {"name": name, "rows": out, "ms": answer["seconds"] * 1000 / len(cases)}


def report(results: list[dict]) -> None:
    tables = [(r["name"], summarise(r)) for r in results]
    print(
        "\nmedian absolute % error of the period total | coverage of the 80 % range "
        "(% of months) | median width of the range (% of the total)"
    )
    header = f"{'series':8} {'day':>3}  " + "  ".join(f"{name[:26]:>26}" for name, _ in tables)
    print(header)
    for kind in KINDS:
        for cut in CUTOFFS:
            cells = []
            for _, table in tables:
                ape, cov, width = table[(kind, cut)]
                cells.append(
                    f"{ape:5.1f} | {cov:5.1f} | {width:5.1f}"
                    if not math.isnan(cov)
                    else f"{ape:5.1f} |     - |     -"
                )
            print(f"{kind:8} {cut:>3}  " + "  ".join(f"{c:>26}" for c in cells))
    print("\nall series:")
    for name, table in tables:
        apes = [v[0] for v in table.values()]
        covs = [v[1] for v in table.values() if not math.isnan(v[1])]
        coverage = f"{statistics.fmean(covs):5.1f} %" if covs else "    -"
        print(
            f"  {name:28} mean of median APE {statistics.fmean(apes):5.2f} %, "
            f"coverage {coverage}, {results[tables.index((name, table))]['ms']:7.2f} ms/forecast"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=100, help="months per series kind")
    parser.add_argument("--sm-trials", type=int, default=40, help="months per kind for statsmodels")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-statsmodels", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    cases = _cases(args.trials, args.seed)
    results = [evaluate(name, fn, cases) for name, fn in CANDIDATES.items()]
    report(results)
    if args.no_statsmodels:
        return
    few = _cases(args.sm_trials, args.seed)  # the first sm-trials months of each kind
    results = [evaluate(name, fn, few) for name, fn in CANDIDATES.items()]
    results.append(evaluate_statsmodels("ets", "statsmodels ETS(M,Ad,M)", few))
    results.append(evaluate_statsmodels("hw", "statsmodels Holt-Winters", few))
    print(f"\nsame {args.sm_trials} months per kind, with statsmodels:")
    report(results)


if __name__ == "__main__":
    main()
