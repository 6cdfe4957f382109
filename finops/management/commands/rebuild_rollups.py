"""``manage.py rebuild_rollups``: recompute daily rollups for a date range, with progress."""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from finops import rollups
from finops.models import Project


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Recompute daily rollups (calls and outcomes) from the stored calls and traces. "
        "Default: every project, from its first to its last day with data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", metavar="SLUG", help="Only this project")
        parser.add_argument("--start", metavar="DATE", help="First UTC day (YYYY-MM-DD)")
        parser.add_argument("--end", metavar="DATE", help="Last UTC day, inclusive (YYYY-MM-DD)")

    def handle(self, *args, project, start, end, **options):
        projects = Project.objects.order_by("pk")
        if project:
            projects = projects.filter(slug=project)
            if not projects.exists():
                raise CommandError(f"no project {project!r}")
        first, last = (_day(start) if start else None), (_day(end) if end else None)
        if first and last and first > last:
            raise CommandError(f"--start {first} is after --end {last}")
        plan = [(p, *self._range(p.pk, first, last)) for p in projects]
        plan = [(p, a, b) for p, a, b in plan if a is not None and a <= b]
        days = sum((b - a).days + 1 for _, a, b in plan)
        began = time.perf_counter()
        total = rollups.Refreshed()
        # The bar goes to stderr so stdout stays the one line of figures below.
        with tqdm(total=days, unit="day", file=self.stderr, disable=days == 0) as bar:
            for p, a, b in plan:
                bar.set_description(p.slug)
                total += rollups.rebuild(p.pk, a, b, progress=lambda *_: bar.update())
        seconds = time.perf_counter() - began
        per_day = f", {1000 * seconds / days:.0f} ms/day" if days else ""
        self.stdout.write(
            f"rebuilt {days} days of {len(plan)} projects: {total.call_rows} call rows, "
            f"{total.outcome_rows} outcome rows from {total.calls} calls and {total.traces} "
            f"traces in {seconds:.1f} s{per_day}"
        )

    def _range(self, project_id: int, first: date | None, last: date | None):
        if first and last:
            return first, last
        span = rollups.data_days(project_id)
        if span is None:  # no data: only an explicit range is rebuilt (cleared)
            return None, None
        return first or span[0], last or span[1]
