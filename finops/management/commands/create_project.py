from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from finops.models import ApiKey, Membership, Project


class Command(BaseCommand):
    help = "Create a project and print a new ingest API key as the last line of output."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="URL name of the project, e.g. acme-support")
        parser.add_argument("--name", help="Display name (default: the slug)")
        parser.add_argument("--key", help="Use this API key instead of generating one")
        parser.add_argument(
            "--member",
            action="append",
            default=[],
            metavar="USERNAME[:ROLE]",
            help="Add an existing user (role viewer|engineer|finance|admin, default admin)",
        )

    def handle(self, *args, slug, name, key, member, **options):
        if slugify(slug) != slug:
            raise CommandError(f"{slug!r} is not a valid slug: use lower-case letters, digits, -")
        if Project.objects.filter(slug=slug).exists():
            raise CommandError(f"project {slug!r} already exists")
        with transaction.atomic():
            project = Project.objects.create(slug=slug, name=name or slug)
            for spec in member:
                self._add_member(project, spec)
            _, raw = ApiKey.issue(project, name="created by create_project", raw=key)
        self.stdout.write(f"Created project {slug!r}. Its API key is shown once; keep it safe:")
        self.stdout.write(raw)

    def _add_member(self, project: Project, spec: str) -> None:
        username, _, role = spec.partition(":")
        role = role or Membership.Role.ADMIN
        if role not in Membership.Role.values:
            raise CommandError(f"unknown role {role!r}: use one of {Membership.Role.values}")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        Membership.objects.create(user=user, project=project, role=role)
