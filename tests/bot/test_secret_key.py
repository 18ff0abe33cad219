"""LEARNPULSE_SECRET_KEY in production: no public or short key next to chat credentials, and
never a key other than the one the database was written with."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from bot.app import LearnPulse
from bot.settings import DEV_SECRET_KEY, PLATFORM_CREDENTIALS, SettingsError, load_settings
from storage.tables import KeyCheck
from tests.bot.test_report_support import answers
from tests.factories import EXAMPLE_PROGRAM, TEST_SECRET_KEY, build_app
from tests.support import MONDAY_MORNING, base_env, run_bot

MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
ANOTHER_KEY = "another-key-of-more-than-32-characters-0000"
SHORT_KEY = "x" * 31


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot(*args, env=base_env(MONDAY_MORNING, **env), timeout=60)


def _only_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "credential", "key"),
    [
        (["serve"], "SLACK_BOT_TOKEN", None),
        (["serve"], "TEAMS_APP_PASSWORD", SHORT_KEY),
        (["send", "lms"], "TEAMS_APP_ID", None),
        (["digest", "lms"], "SLACK_APP_TOKEN", DEV_SECRET_KEY),
        (["review", "--out", "review.html"], "SLACK_SIGNING_SECRET", SHORT_KEY),
        (["export"], "SLACK_BOT_TOKEN", None),
    ],
)
def test_commands_that_open_the_app_refuse_a_weak_key_next_to_credentials(
    tmp_path: Path, args: list[str], credential: str, key: str | None
) -> None:
    database = tmp_path / "refused.db"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "LEARNPULSE_PROGRAM": str(EXAMPLE_PROGRAM),
        credential: "configured-in-production",
        **({"LEARNPULSE_SECRET_KEY": key} if key is not None else {}),
    }
    result = _cli(*[str(tmp_path / a) if a.endswith(".html") else a for a in args], **env)
    assert result.returncode == 2, result.stderr
    line = _only_line(result.stderr)
    assert "LEARNPULSE_SECRET_KEY:" in line and credential in line and MAKE_ONE in line
    assert not database.exists()  # refused before anything was opened


@pytest.mark.parametrize("credential", PLATFORM_CREDENTIALS)
@pytest.mark.parametrize("key", [DEV_SECRET_KEY, SHORT_KEY])
def test_the_composition_root_refuses_each_credential_with_a_weak_key(
    tmp_path: Path, credential: str, key: str
) -> None:
    database = f"sqlite:///{tmp_path / 'x.db'}"
    settings = load_settings(DATABASE_URL=database, LEARNPULSE_SECRET_KEY=key, **{credential: "c"})
    with pytest.raises(SettingsError, match=r"^LEARNPULSE_SECRET_KEY: .*secrets\.token_urlsafe"):
        LearnPulse(settings)


def test_a_strong_key_or_no_credentials_starts(tmp_path: Path) -> None:
    strong = load_settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'strong.db'}",
        LEARNPULSE_SECRET_KEY="k" * 32,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
    )
    LearnPulse(strong).engine.dispose()
    emulator = load_settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'emulator.db'}",
        LEARNPULSE_SECRET_KEY=DEV_SECRET_KEY,
        TEAMS_EMULATOR="1",
        TEAMS_SERVICE_URLS="http://127.0.0.1:9/",
        TEAMS_APP_ID=None,
        TEAMS_APP_PASSWORD=None,
    )
    LearnPulse(emulator).engine.dispose()


def test_the_demo_ignores_credentials_so_needs_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.local.demo import demo_settings

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-in-the-environment")
    monkeypatch.setenv("TEAMS_APP_ID", "an-app-id")
    monkeypatch.delenv("LEARNPULSE_SECRET_KEY", raising=False)
    LearnPulse(demo_settings(tmp_path / "demo.db")).engine.dispose()


def test_another_key_on_a_database_is_refused(
    core: LearnPulse, database_url: str, engine: Engine
) -> None:
    with pytest.raises(SettingsError) as refused:
        build_app(database_url, program=None, engine=engine, key=ANOTHER_KEY)
    assert str(refused.value).startswith(
        "LEARNPULSE_SECRET_KEY: this database was written with another key"
    )
    assert "\n" not in str(refused.value)
    # the key it was written with still opens it
    build_app(database_url, program=None, engine=engine, key=TEST_SECRET_KEY)


def test_a_database_from_before_the_check_is_probed_then_recorded(
    core: LearnPulse, database_url: str, engine: Engine
) -> None:
    answers(core, "respect", "respect-treated-with-respect", date(2026, 11, 30), ["4"],
            comments=["kind people"])  # fmt: skip
    with core.session() as session:
        session.exec(delete(KeyCheck))
    with pytest.raises(SettingsError, match="written with another key"):
        build_app(database_url, program=None, engine=engine, key=ANOTHER_KEY)
    build_app(database_url, program=None, engine=engine, key=TEST_SECRET_KEY)
    with core.session() as session:
        assert session.get(KeyCheck, 1) is not None  # recorded by that start
    with pytest.raises(SettingsError, match="written with another key"):
        build_app(database_url, program=None, engine=engine, key=ANOTHER_KEY)


def test_a_restart_with_another_key_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'answers.db'}",
        "LEARNPULSE_PROGRAM": str(EXAMPLE_PROGRAM),
    }
    first = _cli("export", LEARNPULSE_SECRET_KEY=TEST_SECRET_KEY, **env)
    assert first.returncode == 0, first.stderr
    second = _cli("export", LEARNPULSE_SECRET_KEY=ANOTHER_KEY, **env)
    assert second.returncode == 2
    assert _only_line(second.stderr).startswith(
        "learnpulse: LEARNPULSE_SECRET_KEY: this database was written with another key"
    )
    again = _cli("export", LEARNPULSE_SECRET_KEY=TEST_SECRET_KEY, **env)
    assert again.returncode == 0, again.stderr
