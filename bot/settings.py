"""The operator environment of PRODUCT.md, read once through pydantic-settings.

A missing or malformed variable is reported as one line naming it (``SettingsError``).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.service_urls import parse_service_url

DEFAULT_TEAMS_SERVICE_URLS = (
    "https://smba.trafficmanager.net/,"
    "https://smba.infra.gcc.teams.microsoft.com/,"
    "https://smba.infra.gov.teams.microsoft.us/"
)
# A killed replica's claimed sends are taken over this long after their last renewal (a sender
# renews every third of it), and a survivor looks at least every 15 s: within a minute in all.
DEFAULT_CLAIM_LEASE_SECONDS = 30.0
DEV_SECRET_KEY = "learnpulse-development-key-change-me"
MIN_SECRET_KEY_LENGTH = 32
MAKE_A_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
# The variables that connect LearnPulse to a real workspace: with any of them set, answers
# are real and the key that protects them must be too.
PLATFORM_CREDENTIALS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "TEAMS_APP_ID",
    "TEAMS_APP_PASSWORD",
)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Every environment variable of PRODUCT.md and the claim lease, with its default."""

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", case_sensitive=False, populate_by_name=True
    )

    database_url: str = Field("sqlite:///learnpulse.db", alias="DATABASE_URL")
    learnpulse_program: Path = Field(Path("program.yaml"), alias="LEARNPULSE_PROGRAM")
    host: str = Field("127.0.0.1", alias="HOST")
    port: int = Field(3000, alias="PORT", ge=1, le=65535)
    learnpulse_secret_key: str = Field(DEV_SECRET_KEY, alias="LEARNPULSE_SECRET_KEY")
    slack_bot_token: str | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    teams_app_id: str | None = Field(None, alias="TEAMS_APP_ID")
    teams_app_password: str | None = Field(None, alias="TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = Field(None, alias="TEAMS_TENANT_ID")
    teams_service_urls: str = Field(DEFAULT_TEAMS_SERVICE_URLS, alias="TEAMS_SERVICE_URLS")
    teams_emulator: bool = Field(False, alias="TEAMS_EMULATOR")
    learnpulse_now: datetime | None = Field(None, alias="LEARNPULSE_NOW")
    learnpulse_audience_ttl: timedelta = Field(timedelta(hours=1), alias="LEARNPULSE_AUDIENCE_TTL")
    # How long a claimed send may go unrecorded before another sender takes it for a crashed
    # one; 0 would take every send in flight, another replica's too, and send it twice.
    learnpulse_claim_lease_seconds: float = Field(
        DEFAULT_CLAIM_LEASE_SECONDS, alias="LEARNPULSE_CLAIM_LEASE_SECONDS", gt=0
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("learnpulse_audience_ttl", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        """``90s``, ``30m``, ``1h``, ``2d`` or a number of seconds."""
        if isinstance(value, str):
            text = value.strip().lower()
            units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
            number, unit = (text[:-1], units[text[-1]]) if text[-1:] in units else (text, 1)
            try:
                seconds = float(number) * unit
            except ValueError:
                raise ValueError("must be a duration such as 90s, 30m, 1h or 2d") from None
            if seconds < 0:
                raise ValueError("must not be negative")
            return timedelta(seconds=seconds)
        return value

    @field_validator("learnpulse_now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-11-30T10:00:00+00:00")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slash_terminated(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("teams_service_urls")
    @classmethod
    def _plain_urls(cls, value: str) -> str:
        for entry in (u.strip() for u in value.split(",")):
            if entry and parse_service_url(entry) is None:
                raise ValueError(
                    f"{entry!r} is not a plain http(s) URL (no user info, query or fragment)"
                )
        return value

    @property
    def service_url_prefixes(self) -> list[str]:
        """The ``TEAMS_SERVICE_URLS`` allow-list: base URLs, matched by ``bot.service_urls``."""
        return [u.strip() for u in self.teams_service_urls.split(",") if u.strip()]

    @property
    def listen_host(self) -> str:
        """``HOST``, except with ``TEAMS_EMULATOR=1``: its requests are not authenticated, so
        the server then listens on loopback only, whatever ``HOST`` says."""
        if self.teams_emulator and not is_loopback_host(self.host):
            return "127.0.0.1"
        return self.host

    @property
    def secret_key_is_default(self) -> bool:
        return self.learnpulse_secret_key == DEV_SECRET_KEY

    @property
    def platform_credentials(self) -> list[str]:
        """The names of the Slack and Teams credentials that are set."""
        return [name for name in PLATFORM_CREDENTIALS if getattr(self, name.lower())]

    def check_secret_key(self) -> None:
        """With any Slack or Teams credential set, refuse a weak ``LEARNPULSE_SECRET_KEY``.

        The development key is public (it is in this file) and a short key can be guessed, and
        either would let whoever holds the database read comments and link pseudonyms to people.
        Without credentials (tests, ``TEAMS_EMULATOR=1``, ``learnpulse demo``) any key will do.
        """
        credentials = self.platform_credentials
        if not credentials:
            return
        key = self.learnpulse_secret_key
        if key == DEV_SECRET_KEY:
            problem = "is the development key (or not set)"
        elif len(key) < MIN_SECRET_KEY_LENGTH:
            problem = f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
        else:
            return
        raise SettingsError(
            f"LEARNPULSE_SECRET_KEY: {problem} while {credentials[0]} is set; make one with "
            f"{MAKE_A_SECRET_KEY} and keep it (the database can only be read with it)"
        )

    @property
    def slack_enabled(self) -> tuple[bool, str]:
        """Whether Slack is on, and why not when it is off."""
        if not self.slack_bot_token:
            return False, "SLACK_BOT_TOKEN is not set"
        if not self.slack_app_token and not self.slack_signing_secret:
            return False, "SLACK_SIGNING_SECRET is not set (and no SLACK_APP_TOKEN for Socket Mode)"
        return True, "socket mode" if self.slack_app_token else "http"

    @property
    def teams_enabled(self) -> tuple[bool, str]:
        """Whether Teams is on, and why not when it is off."""
        if self.teams_app_id and self.teams_app_password:
            return True, "bot framework credentials"
        if self.teams_emulator:
            return True, "emulator (no credentials, loopback service URLs only)"
        return False, "TEAMS_APP_ID / TEAMS_APP_PASSWORD are not set and TEAMS_EMULATOR is off"

    def check_emulator(self) -> None:
        """``TEAMS_EMULATOR=1`` is allowed only when every service URL is on loopback."""
        if not self.teams_emulator or (self.teams_app_id and self.teams_app_password):
            return
        for prefix in self.service_url_prefixes:
            if not is_loopback_url(prefix):
                raise SettingsError(
                    "TEAMS_EMULATOR: refused because TEAMS_SERVICE_URLS has a non-loopback entry "
                    f"({prefix}); the emulator may only call 127.0.0.0/8, ::1 or localhost"
                )


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is localhost or a loopback address."""
    return is_loopback_host(urlparse(url).hostname or "")


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: Any) -> Settings:
    """Read the environment; raise ``SettingsError`` with one line naming the bad variable.

    ``overrides`` take the place of environment variables (``DATABASE_URL="…"``); like those,
    their values are checked by pydantic here, not by their static type."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "environment"
        raise SettingsError(f"{name}: {first['msg']}") from None
    settings.check_emulator()
    return settings
