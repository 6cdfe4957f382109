"""``manage.py index_call_texts``: write the searchable text of calls finalized before text
search existed, or of calls loaded without finalize (a bulk import, a benchmark data set)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from finops.models import Project
from ingest.models import LLMCall
from ingest.texts import store_call_texts

_CHUNK = 2000


class Command(BaseCommand):
    help = "Write the prompt/answer text of stored calls for the Traces text search."

    def add_arguments(self, parser):
        parser.add_argument("--project", help="Only this project (slug)")
        parser.add_argument("--days", type=int, default=0, help="Only the last N days (0: all)")

    def handle(self, *args, project, days, **options):
        calls = LLMCall.objects.all()
        if project:
            target = Project.objects.filter(slug=project).first()
            if target is None:
                raise CommandError(f"no project {project!r}")
            calls = calls.for_project(target.pk)
        if days:
            calls = calls.filter(start_time__gte=timezone.now() - timedelta(days=days))
        written = last_id = 0
        while True:
            # Keyset by id: each chunk is one query however many calls there are.
            chunk = list(calls.filter(id__gt=last_id).order_by("id")[:_CHUNK])
            if not chunk:
                break
            last_id = chunk[-1].id
            for project_id in {c.project_id for c in chunk}:
                mine = [c for c in chunk if c.project_id == project_id]
                written += store_call_texts(project_id, mine)
        self.stdout.write(f"wrote the text of {written:,} calls")
