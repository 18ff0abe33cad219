"""The one way a test (or a benchmark) builds LearnPulse: on a database that is already migrated,
with a program loaded and, if given, chat adapters registered."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import Engine

from bot.app import LearnPulse
from bot.ports import ChatAdapter, Clock
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PROGRAM = ROOT / "examples" / "program.yaml"
# Long enough for LearnPulse to accept it next to Slack or Teams credentials (32+ characters).
TEST_SECRET_KEY = "test-secret-key-of-the-suite-0123456789"


def write_program(directory: Path, text: str) -> Path:
    """The program ``text`` as ``directory/program.yaml``, for ``build_app(program=...)``."""
    path = directory / "program.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def build_app(
    database_url: str,
    *,
    program: Path | None = EXAMPLE_PROGRAM,
    clock: Clock | None = None,
    engine: Engine | None = None,
    key: str = TEST_SECRET_KEY,
    adapters: Iterable[ChatAdapter] = (),
    env: Mapping[str, str | None] | None = None,
) -> LearnPulse:
    """LearnPulse on the migrated database at ``database_url``.

    - ``program``: the program file loaded at once (``None``: no program);
    - ``clock``: the app's clock (``None``: the wall clock, started at LEARNPULSE_NOW if set);
    - ``engine``: the engine to share (``None``: the app makes its own from the URL);
    - ``key``: LEARNPULSE_SECRET_KEY;
    - ``adapters``: registered for their platforms;
    - ``env``: more settings by their environment names (SLACK_…, TEAMS_…); ``None`` as a
      value unsets one that the environment may hold.
    """
    overrides: dict[str, str | None] = {
        "DATABASE_URL": database_url,
        "LEARNPULSE_SECRET_KEY": key,
        **(env or {}),
    }
    if program is not None:
        overrides["LEARNPULSE_PROGRAM"] = str(program)
    app = LearnPulse(load_settings(**overrides), clock=clock, engine=engine, migrate=False)
    if program is not None:
        app.load_program()
    for adapter in adapters:
        app.adapters.register(adapter)
    return app
