"""STYLE §4: pure modules import no Django, and ingest imports only what it may of finops."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_MODULES = [
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ingest" / "otlp").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ingest" / "conventions").glob("*.py")),
    "ingest/attribution.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ingest" / "simulator").glob("*.py")),
    "finops/pricing.py",
    "finops/sketch.py",
    "finops/charts.py",
    "finops/budgets.py",
    "finops/burndown.py",
    *("finops/feature_stats.py", "finops/feature_charts.py", "finops/feature_tables.py"),
    *("finops/tables.py", "finops/why_tables.py"),
    "finops/pivot.py",
    "finops/pivot_table.py",
    "finops/price_lines.py",
    "finops/waterfall.py",
    "finops/forecast.py",
    "finops/anomaly.py",
    "finops/search/params.py",
    "finops/search/cursor.py",
    "finops/search/histogram.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "finops" / "drivers").glob("*.py")),
]
# What ingest may import from finops (STYLE §3).
INGEST_MAY_IMPORT = {"finops.pricing", "finops.models", "finops.rollups"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_does_not_import_django(module):
    imported = _imports(ROOT / module)

    assert not {name for name in imported if name.split(".")[0] in {"django", "rest_framework"}}


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(ROOT) for p in (ROOT / "ingest").rglob("*.py"))
)
def test_ingest_imports_only_allowed_finops_modules(path):
    finops = {name for name in _imports(ROOT / path) if name.split(".")[0] == "finops"}

    assert finops <= INGEST_MAY_IMPORT


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(ROOT) for p in (ROOT / "finops").rglob("*.py"))
)
def test_finops_reads_ingest_only_through_models(path):
    ingest = {name for name in _imports(ROOT / path) if name.split(".")[0] == "ingest"}

    assert ingest <= {"ingest.models"}
