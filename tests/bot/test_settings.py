"""Settings: defaults from PRODUCT.md, one-line errors, the emulator's loopback rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import StartedClock, SystemClock, wall_clock
from bot.settings import SettingsError, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "PORT",
        "HOST",
        "SLACK_API_URL",
        "TEAMS_EMULATOR",
        "SLACK_BOT_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///learnpulse.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 3000)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.slack_enabled == (False, "SLACK_BOT_TOKEN is not set")
    assert settings.teams_enabled[0] is False


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "99999")
    with pytest.raises(SettingsError, match=r"^PORT: "):
        load_settings()
    monkeypatch.setenv("PORT", "3000")
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError, match=r"^DATABASE_URL: "):
        load_settings()


def test_plain_postgresql_url_uses_psycopg3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert load_settings().database_url == "postgresql+psycopg://u@h/db"


def test_emulator_needs_loopback_service_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    monkeypatch.delenv("TEAMS_APP_PASSWORD", raising=False)
    monkeypatch.setenv("TEAMS_EMULATOR", "1")
    monkeypatch.delenv("TEAMS_SERVICE_URLS", raising=False)
    with pytest.raises(SettingsError, match=r"^TEAMS_EMULATOR: refused"):
        load_settings()
    monkeypatch.setenv("TEAMS_SERVICE_URLS", "http://127.0.0.1:9000/,http://localhost:9001/")
    settings = load_settings()
    assert settings.teams_enabled[0] is True
    monkeypatch.setenv("TEAMS_SERVICE_URLS", "http://127.0.0.1:9000/,http://10.0.0.5/")
    with pytest.raises(SettingsError, match=r"10\.0\.0\.5"):
        load_settings()


def test_learnpulse_now_starts_the_clock_there_and_it_runs_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LEARNPULSE_NOW", raising=False)
    assert isinstance(wall_clock(load_settings().learnpulse_now), SystemClock)
    monkeypatch.setenv("LEARNPULSE_NOW", "2026-12-25T09:00:00-05:00")
    clock = wall_clock(load_settings().learnpulse_now)
    assert isinstance(clock, StartedClock)
    first = clock.now()
    assert (
        datetime(2026, 12, 25, 14, 0, tzinfo=UTC)
        <= first
        < datetime(2026, 12, 25, 14, 1, tzinfo=UTC)
    )
    assert clock.now() >= first
    monkeypatch.setenv("LEARNPULSE_NOW", "2026-12-25T09:00:00")
    with pytest.raises(SettingsError, match=r"^LEARNPULSE_NOW: .*UTC offset"):
        load_settings()
