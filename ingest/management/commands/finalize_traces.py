"""``manage.py finalize_traces``: attribute and summarise traces now, without waiting."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from finops.models import Project
from finops.rollups import refresh_dirty_if_eager
from ingest import finalize
from ingest.models import Trace

_CHUNK = 2000


class Command(BaseCommand):
    help = (
        "Finalize traces on demand: attribution, retries, fallbacks, escalations, duplicate "
        "spans and trace summaries. Default: every trace still waiting to be finalized."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", help="Only this project (slug)")
        parser.add_argument(
            "--all",
            dest="all_traces",
            action="store_true",
            help="Re-finalize every trace, not only pending ones",
        )

    def handle(self, *args, project, all_traces, **options):
        traces = Trace.objects.all()
        if project:
            target = Project.objects.filter(slug=project).first()
            if target is None:
                raise CommandError(f"no project {project!r}")
            traces = traces.for_project(target.pk)
        if not all_traces:
            traces = traces.needing_finalize()
        pairs = list(
            traces.order_by("project_id", "trace_id").values_list("project_id", "trace_id")
        )
        done = 0
        for start in range(0, len(pairs), _CHUNK):
            chunk = pairs[start : start + _CHUNK]
            by_project: dict[int, list[str]] = {}
            for project_id, trace_id in chunk:
                by_project.setdefault(project_id, []).append(trace_id)
            for project_id, ids in by_project.items():
                done += finalize.finalize_traces(project_id, ids)
            self.stdout.write(f"finalized {done} of {len(pairs)} traces")
        if not pairs:
            self.stdout.write("no traces to finalize")
        refreshed = refresh_dirty_if_eager()
        if refreshed:
            self.stdout.write(f"refreshed rollups of {refreshed} days")
