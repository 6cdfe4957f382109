"""``manage.py demo``: migrate, create a demo user and project, simulate traffic, serve."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from finops import demo_budgets
from finops.models import ApiKey, Membership, Project
from ingest.models import LLMCall

DEMO_USER, DEMO_PASSWORD, DEMO_PROJECT = "demo", "demo-password", "demo"


class Command(BaseCommand):
    help = "Run the dashboard on 127.0.0.1 with a demo login and a month of simulated traffic."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--traces", type=int, default=5000)
        parser.add_argument(
            "--no-serve", action="store_true", help="Stop after simulating (for scripts and CI)"
        )

    def handle(self, *args, port, days, traces, no_serve, **options):
        call_command("migrate", verbosity=0)
        project = self._seed()
        base_url = f"http://127.0.0.1:{port}"
        server = self._serve(port)
        try:
            _wait_until_up(base_url, server)
            if LLMCall.objects.for_project(project.pk).exists():
                self.stdout.write("The demo project already has traffic; not simulating again.")
            else:
                self.stdout.write(f"Sending {traces} simulated traces through {base_url}/v1/traces")
                key, raw = ApiKey.issue(project, name="demo simulation")
                try:
                    call_command(
                        "simulate",
                        project=project.slug,
                        days=days,
                        traces=traces,
                        endpoint=base_url,
                        key=raw,
                        stdout=self.stdout,
                    )
                finally:
                    key.delete()
            self._budgets(project)
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nDashboard: {base_url}/p/{project.slug}/\n"
                    f"Log in as {DEMO_USER!r} with password {DEMO_PASSWORD!r}. Ctrl-C stops it."
                )
            )
            if not no_serve:
                server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.terminate()
            server.wait(timeout=10)

    def _seed(self) -> Project:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=DEMO_USER)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = True  # so the demo can open /admin/ too
            user.save()
        project, _ = Project.objects.get_or_create(
            slug=DEMO_PROJECT, defaults={"name": "Acme Support (demo)"}
        )
        Membership.objects.get_or_create(
            user=user, project=project, defaults={"role": Membership.Role.ADMIN}
        )
        return project

    def _budgets(self, project: Project) -> None:
        """Example budgets sized from the simulated spend, then one evaluation pass: the
        whole-project budget's forecast alert lands in var/outbox/ and the alert history."""
        owner = get_user_model().objects.get(username=DEMO_USER)
        demo_budgets.seed(project, owner)
        call_command("evaluate_budgets", stdout=self.stdout)

    def _serve(self, port: int) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
        return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)


def _wait_until_up(base_url: str, server: subprocess.Popen, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(
                f"the server exited with code {server.returncode}; is the port already in use?"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/accounts/login/", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise CommandError(f"the server did not answer on {base_url} within {timeout_s:.0f} s")
