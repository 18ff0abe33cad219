"""With credentials set, only requests signed by a key the Bot Framework's OpenID metadata
publishes get in. The signing key is made here; its metadata and JWKS are served on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from botframework.connector.auth import AppCredentials, PasswordServiceClientCredentialFactory
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import Engine
from sqlmodel import select

from adapters.teams.endpoints import PUBLIC_CLOUD, BotFrameworkEndpoints
from bot.clock import ManualClock
from storage.tables import ConversationReference, PersonRecord
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness, serve_teams, teams_core
from tests.adapters.teams.fake_connector import FakeConnector

ISSUER = "https://api.botframework.com"
OUTBOUND_TOKEN = "outbound-token-from-the-test"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**key, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": a.APP_ID, "nbf": now - 10, "exp": now + 3600, **claims}
        return jwt.encode(body, self.private, algorithm="RS256", headers={"kid": self.kid})


def new_key(kid: str) -> SigningKey:
    return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def trusted_key() -> SigningKey:
    return new_key("trusted-key")


@pytest.fixture(scope="module")
def openid(trusted_key: SigningKey) -> Iterator[str]:
    """OpenID metadata + JWKS on loopback, in a thread (botbuilder fetches them with blocking
    HTTP). Returns the metadata URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{server.server_port}"
            if self.path == "/.well-known/openidconfiguration":
                document: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"{base}/keys"}
            elif self.path == "/keys":
                document = {"keys": [trusted_key.jwk()]}
            else:
                self.send_error(404)
                return
            payload = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/openidconfiguration"
    server.shutdown()


class StaticToken(AppCredentials):
    """Outbound credentials with a fixed token (the real ones go to Microsoft Entra ID)."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return OUTBOUND_TOKEN


class FixedTokenCredentials(PasswordServiceClientCredentialFactory):
    """Validation exactly as in production; only the outbound token source is replaced."""

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        return StaticToken(app_id=app_id, oauth_scope=oauth_scope)


@pytest.fixture
async def secured(
    database_url: str, engine: Engine, clock: ManualClock, connector: FakeConnector, openid: str
) -> AsyncIterator[TeamsHarness]:
    core = teams_core(
        database_url,
        engine,
        clock,
        connector.url,
        TEAMS_APP_ID=a.APP_ID,
        TEAMS_APP_PASSWORD="app-password",
        TEAMS_TENANT_ID=a.TENANT,
    )
    endpoints = BotFrameworkEndpoints(
        channel_openid_metadata_url=openid, emulator_openid_metadata_url=openid
    )
    credentials = FixedTokenCredentials(a.APP_ID, "app-password", a.TENANT)
    async with serve_teams(core, connector, endpoints=endpoints, credentials=credentials) as h:
        yield h


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def nothing_happened(harness: TeamsHarness) -> None:
    assert harness.connector.calls == []
    with harness.core.session() as session:
        assert session.exec(select(ConversationReference)).all() == []
        people = session.exec(select(PersonRecord.ref)).all()
        assert not [p for p in people if p.startswith("teams:")]


async def test_a_properly_signed_request_is_handled(
    secured: TeamsHarness, trusted_key: SigningKey
) -> None:
    install = a.personal_install(secured.connector.url, a.EMPLOYEE_AAD)
    token = trusted_key.token(serviceurl=install["serviceUrl"])
    status, _ = await secured.post(install, bearer(token))
    assert status == 200
    (welcome,) = secured.connector.posted()
    assert welcome.authorization == f"Bearer {OUTBOUND_TOKEN}"


@pytest.mark.parametrize(
    "case",
    ["no header", "unsigned", "foreign key", "wrong audience", "expired", "other service url"],
)
async def test_anything_else_is_refused_before_any_processing(
    secured: TeamsHarness, trusted_key: SigningKey, case: str
) -> None:
    install = a.personal_install(secured.connector.url, a.EMPLOYEE_AAD)
    url = install["serviceUrl"]
    headers = {
        "no header": {},
        "unsigned": bearer(jwt.encode({"iss": ISSUER, "aud": a.APP_ID}, key="", algorithm="none")),
        "foreign key": bearer(new_key("trusted-key").token(serviceurl=url)),
        "wrong audience": bearer(trusted_key.token(aud="another-bot", serviceurl=url)),
        "expired": bearer(trusted_key.token(exp=int(time.time()) - 3600, serviceurl=url)),
        "other service url": bearer(trusted_key.token(serviceurl="https://evil.example/")),
    }[case]
    status, _ = await secured.post(install, headers)
    assert status in (401, 403)
    nothing_happened(secured)


async def test_emulator_mode_is_refused_with_a_public_service_url() -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="TEAMS_EMULATOR"):
        load_settings(TEAMS_EMULATOR="1", TEAMS_SERVICE_URLS="https://smba.trafficmanager.net/")


def test_production_trusts_microsofts_metadata() -> None:
    assert PUBLIC_CLOUD.channel_openid_metadata_url.startswith("https://login.botframework.com/")
    assert PUBLIC_CLOUD.login_url(a.TENANT) == f"https://login.microsoftonline.com/{a.TENANT}"
    assert PUBLIC_CLOUD.login_url(None) == "https://login.microsoftonline.com/botframework.com"
