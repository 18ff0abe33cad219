"""The composition root: settings, database, clock, program and adapters wired into one app.

Platform adapters are imported lazily, by name, only when their settings turn them on, so the
core runs (and is tested) without any chat SDK loaded.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import wall_clock
from bot.dispatch import Dispatcher
from bot.due_work import DueWork, WorkReport
from bot.events import Event
from bot.messages import Report
from bot.metrics import Metrics
from bot.ports import ChatAdapter, Clock
from bot.registry import AdapterRegistry
from bot.settings import Settings, SettingsError
from storage.crypto import Vault
from storage.db import make_engine, read_session, session_scope
from storage.keycheck import KeyMismatch, verify_key
from storage.migrate import upgrade
from surveys import segments
from surveys.catalog import Catalog
from surveys.program import Program
from surveys.program_file import load_program
from surveys.sender import SendReport, claim_lease
from surveys.sync import SyncReport, sync_program

log = logging.getLogger("learnpulse")

PLATFORM_MODULES = {"slack": "adapters.slack", "teams": "adapters.teams"}


class AdapterSetup(Protocol):
    """What each adapter package exposes: mount routes on the server, return the adapter."""

    def __call__(self, core: LearnPulse, web_app: web.Application) -> ChatAdapter: ...


class LearnPulse:
    """One running LearnPulse: everything a use case or an adapter needs, in one place."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        engine: Engine | None = None,
        migrate: bool = True,
    ) -> None:
        """Raises ``SettingsError`` (one line) for a key that must not open this database: a
        weak key while a chat platform is configured, or another key than the database's."""
        settings.check_secret_key()
        self.settings = settings
        self.clock: Clock = clock or wall_clock(settings.learnpulse_now)
        self.engine = engine or make_engine(settings.database_url)
        self.vault = Vault(settings.learnpulse_secret_key)
        self.metrics = Metrics()
        self.adapters = AdapterRegistry()
        self.adapter_status: dict[str, str] = {}
        self.program: Program | None = None
        self._catalog: Catalog | None = None
        if migrate:
            upgrade(self.engine)
        try:
            verify_key(self.engine, self.vault)
        except KeyMismatch as exc:
            if engine is None:
                self.engine.dispose()
            raise SettingsError(f"LEARNPULSE_SECRET_KEY: {exc}") from None
        # Wired here, once: the event handlers and the one runner of periodic work.
        self.dispatcher = Dispatcher(self)
        self.due_work = DueWork(self, claim_lease(settings.learnpulse_claim_lease_seconds))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        with session_scope(self.engine) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads: it never holds SQLite's write lock, never commits."""
        with read_session(self.engine) as session:
            yield session

    def load_program(self, path: str | Path | None = None) -> SyncReport:
        """Validate the program file and sync the database to it (raises ``ProgramError``)."""
        program = load_program(path or self.settings.learnpulse_program)
        with self.session() as session:
            report = sync_program(session, program, self.clock.now())
        with self.session() as session:
            self._catalog = Catalog.load(session)
        self.program = program
        segments.assign(self.engine, self.vault, program, self.clock.now().date())
        self.metrics.workstreams.set(len(program.workstreams))
        return report

    @property
    def catalog(self) -> Catalog:
        """Questions and workstream names of the loaded program, kept in memory."""
        if self._catalog is None:
            raise RuntimeError("no program is loaded")
        return self._catalog

    def require_program(self) -> Program:
        if self.program is None:
            raise RuntimeError("no program is loaded")
        return self.program

    def enable_platform_adapters(self, web_app: web.Application) -> None:
        """Turn on Slack and Teams when their settings are present; record why not otherwise."""
        for platform, module_name in PLATFORM_MODULES.items():
            enabled, why = getattr(self.settings, f"{platform}_enabled")
            if not enabled:
                self.adapter_status[platform] = f"off ({why})"
                continue
            module = importlib.import_module(module_name)
            setup: AdapterSetup | None = getattr(module, "setup", None)
            if setup is None:
                self.adapter_status[platform] = "off (not available in this build)"
                continue
            self.adapters.register(setup(self, web_app))
            self.adapter_status[platform] = f"on ({why})"

    async def dispatch(self, event: Event, *, wait_for_room: bool = True) -> Report | None:
        """Handle one incoming event; the returned report is the reply for the asker only.

        An answer waits for room when the answer recorder is full; with ``wait_for_room=False``
        it raises ``bot.ports.Overloaded`` instead (for a platform that holds its request open
        for the outcome and can be told to come back)."""
        return await self.dispatcher.dispatch(event, wait_for_room=wait_for_room)

    async def send_due(self) -> SendReport:
        """Send every prompt that is due now."""
        return await self.due_work.sender.send_due()

    def describe_adapters(self) -> str:
        """One line: which adapters are on and off, and why."""
        return "adapters: " + "; ".join(f"{k} {v}" for k, v in sorted(self.adapter_status.items()))


async def run_due_work(core: LearnPulse) -> WorkReport:
    """One pass of everything due (what the scheduler wakes and the demo's clock drives)."""
    return await core.due_work.run()
