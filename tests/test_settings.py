from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("FALSE", False), ("0", False)]
)
def test_env_bool_accepts_one_spelling_per_meaning(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)

    assert env.env_bool("X_FLAG", default=not expected) is expected


@pytest.mark.parametrize("raw", ["yes", "on", "enabled", "2"])
def test_env_bool_rejects_other_words(monkeypatch, raw):
    monkeypatch.setenv("X_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be one of true, false, 1, 0"):
        env.env_bool("X_FLAG", default=False)


def test_env_int_rejects_words_and_small_numbers(monkeypatch):
    monkeypatch.setenv("X_INT", "many")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be a whole number"):
        env.env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "3")
    with pytest.raises(ImproperlyConfigured, match="at least 10"):
        env.env_int("X_INT", 10, minimum=10)


@pytest.mark.parametrize("raw", ["mysql://db/x", "postgres:///nohost", "redis"])
def test_env_url_rejects_wrong_scheme_or_missing_host(monkeypatch, raw):
    monkeypatch.setenv("X_URL", raw)

    with pytest.raises(ImproperlyConfigured, match="X_URL"):
        env.env_url("X_URL", schemes=("postgres", "sqlite"))


def test_env_unset_or_blank_gives_default(monkeypatch):
    monkeypatch.setenv("X_BLANK", "  ")
    monkeypatch.delenv("X_UNSET", raising=False)

    assert env.env_str("X_BLANK", "d") == "d"
    assert env.env_list("X_UNSET", ["a"]) == ["a"]


def _start_django(tmp_path, **extra) -> subprocess.CompletedProcess:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY"}
    }
    environ.update(LLM_FINOPS_VAR_DIR=str(tmp_path), **extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bad_setting_stops_startup_with_a_clear_message(tmp_path):
    result = _start_django(tmp_path, DEBUG="yes")

    assert result.returncode != 0
    assert "DEBUG must be one of true, false, 1, 0; got 'yes'" in result.stderr


def test_embedded_default_generates_secret_key_into_var(tmp_path):
    result = _start_django(tmp_path)

    assert result.returncode == 0, result.stderr
    secret = (tmp_path / "secret_key").read_text()
    assert len(secret) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
