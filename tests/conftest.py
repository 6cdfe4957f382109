"""A small fixture world: project ``acme`` with a viewer (alice) and a finance user (carol),
and project ``other`` that alice cannot see."""

from __future__ import annotations

import pytest

from config.celery import app as celery_app
from finops.models import Membership
from tests.factories import MembershipFactory, ProjectFactory, UserFactory, issue_key


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default PBKDF2 costs ~0.5 s per user; tests need logins, not strong hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in-process unless a test starts a real worker (``tests/test_celery.py``).

    CI runs the suite with CELERY_BROKER_URL set; a test that sends spans must not wait for
    a worker that is not there.
    """
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def project(db):
    return ProjectFactory(slug="acme", name="Acme Support")


@pytest.fixture
def other_project(db):
    return ProjectFactory(slug="other", name="Other Co")


@pytest.fixture
def alice(project):
    return MembershipFactory(user=UserFactory(username="alice"), project=project).user


@pytest.fixture
def carol(project):
    return MembershipFactory(
        user=UserFactory(username="carol"), project=project, role=Membership.Role.FINANCE
    ).user


@pytest.fixture
def viewer_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def finance_client(client, carol):
    client.force_login(carol)
    return client


@pytest.fixture
def api_key(project) -> str:
    """A raw API key of ``project`` with ingest and read rights."""
    return issue_key(project)
