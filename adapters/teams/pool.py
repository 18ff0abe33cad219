"""One Bot Connector client per service URL, reused, with the SDK's own retries switched off.

botbuilder's default connector factory builds a new ``ConnectorClient`` for every turn: a new
HTTP session (no connection reuse), a retry table that costs milliseconds of CPU to build, and
an msrest retry policy that silently re-sends 500/502/503/504 itself, outside the throttle and
without honouring ``Retry-After``. ``PooledAuthentication`` wraps the real authentication
(validation is untouched) and hands every turn, inbound or proactive, clients from one pool
whose retries are left to ``throttle.call_with_retries``.
"""

from __future__ import annotations

from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient
from urllib3.util.retry import Retry

USER_AGENT = "LearnPulse (Bot Framework)"


class PooledConnectorFactory(ConnectorFactory):
    """Clients by (service URL, audience); the service URL was checked against the allow-list
    before any turn that reaches here."""

    def __init__(
        self,
        app_id: str,
        oauth_scope: str,
        login_endpoint: str,
        credentials: ServiceClientCredentialsFactory,
    ) -> None:
        self._app_id = app_id
        self._oauth_scope = oauth_scope
        self._login_endpoint = login_endpoint
        self._credentials = credentials
        self._clients: dict[tuple[str, str], ConnectorClient] = {}

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (service_url, audience or self._oauth_scope)
        client = self._clients.get(key)
        if client is None:
            credentials = await self._credentials.create_credentials(
                self._app_id, key[1], self._login_endpoint, True
            )
            client = ConnectorClient(credentials, base_url=service_url)
            client.config.retry_policy.policy = Retry(
                total=0, connect=0, read=0, status=0, redirect=0, raise_on_status=False
            )
            client.config.add_user_agent(USER_AGENT)
            self._clients[key] = client
        return client

    async def close(self) -> None:
        """Close every pooled HTTP session (on server shutdown)."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.__aexit__(None, None, None)


class PooledAuthentication(BotFrameworkAuthentication):
    """``inner`` for everything that decides trust; ``pool`` for every connector client."""

    def __init__(self, inner: BotFrameworkAuthentication, pool: PooledConnectorFactory) -> None:
        self.inner = inner
        self.pool = pool
        self._user_token_client: UserTokenClient | None = None

    async def authenticate_request(
        self, activity: Activity, auth_header: str | None
    ) -> AuthenticateRequestResult:
        """None: no header (allowed only when authentication is disabled, the emulator)."""
        result = await self.inner.authenticate_request(activity, auth_header)
        result.connector_factory = self.pool
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self.inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.pool

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        """Built once: every turn asks for one (the bot never signs users in) and each costs a
        new msrest client."""
        if self._user_token_client is None:
            self._user_token_client = await self.inner.create_user_token_client(claims_identity)
        return self._user_token_client

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)
