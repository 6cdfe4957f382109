from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from finops.models import Membership, Project
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _run(*args) -> list[str]:
    out = StringIO()
    call_command("create_project", *args, stdout=out)
    return out.getvalue().splitlines()


def test_create_project_prints_a_working_key_last():
    lines = _run("acme-support")

    project = Project.objects.get(slug="acme-support")
    assert Project.objects.for_api_key(lines[-1], ingest=True) == project
    assert lines[-1].startswith("lfo_")


def test_create_project_with_given_key_uses_it():
    lines = _run("scripted", "--key", "lfo_given_key_123")

    assert lines[-1] == "lfo_given_key_123"
    assert Project.objects.for_api_key("lfo_given_key_123", read=True).slug == "scripted"


def test_create_project_stores_only_the_hash():
    raw = _run("hashed")[-1]

    key = Project.objects.get(slug="hashed").api_keys.get()
    assert raw not in (key.key_hash, key.prefix)
    assert len(key.key_hash) == 64


def test_create_project_adds_members_with_roles():
    UserFactory(username="fin")
    _run("with-members", "--member", "fin:finance")

    assert Membership.objects.get(user__username="fin").role == "finance"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Bad Slug",), "not a valid slug"),
        (("dup", "--member", "ghost"), "no user named 'ghost'"),
        (("dup", "--member", "x:owner"), "unknown role"),
    ],
)
def test_create_project_rejects_bad_input(args, message):
    UserFactory(username="x")
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert not Project.objects.exists()


def test_create_project_refuses_existing_slug():
    _run("taken")
    with pytest.raises(CommandError, match="already exists"):
        _run("taken")
