"""What every fact table shares: project scoping and time ranges; the zero of money sums."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import DecimalField, Value

ZERO_USD = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=10))


class ProjectScopedQuerySet(models.QuerySet):
    def for_project(self, project_id: int):
        return self.filter(project_id=project_id)

    def between(self, start: datetime | None, end: datetime | None):
        """Rows whose ``start_time`` is in [start, end); either bound may be None."""
        qs = self
        if start is not None:
            qs = qs.filter(start_time__gte=start)
        if end is not None:
            qs = qs.filter(start_time__lt=end)
        return qs

    def on_days(self, first: date, last: date):
        """Rows from UTC midnight of ``first`` to the end of ``last`` (both inclusive)."""
        start = datetime.combine(first, time.min, tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
        return self.between(start, end)
