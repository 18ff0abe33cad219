"""Which Bot Framework cloud the bot trusts and talks to, and the authentication built from it.

Inbound requests are validated by botbuilder's JWT validation against the OpenID metadata URL
named here (Microsoft's public cloud unless told otherwise, e.g. for a sovereign cloud or a
test key served on loopback). There is no switch that skips validation: with an app id set,
every request must carry a token signed by a key that metadata publishes.
"""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import (
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthenticationFactory,
    PasswordServiceClientCredentialFactory,
    ServiceClientCredentialsFactory,
)

from adapters.teams.pool import PooledAuthentication, PooledConnectorFactory
from bot.settings import Settings


@dataclass(frozen=True)
class BotFrameworkEndpoints:
    """The URLs and issuer of one Bot Framework cloud."""

    channel_openid_metadata_url: str = (
        AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    )
    emulator_openid_metadata_url: str = (
        AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
    )
    token_issuer: str = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
    login_url_prefix: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
    oauth_scope: str = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    oauth_url: str = AuthenticationConstants.OAUTH_URL
    caller_id: str = CallerIdConstants.public_azure_channel.value

    def login_url(self, tenant_id: str | None) -> str:
        """Where the bot gets its outbound token: its own tenant (single-tenant bots) or the
        Bot Framework's (multi-tenant)."""
        return self.login_url_prefix + (
            tenant_id or AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
        )


PUBLIC_CLOUD = BotFrameworkEndpoints()


def credentials_factory(settings: Settings) -> ServiceClientCredentialsFactory:
    """App id + password (+ tenant) from the settings; no app id means the emulator mode."""
    return PasswordServiceClientCredentialFactory(
        app_id=settings.teams_app_id or None,
        password=settings.teams_app_password or None,
        tenant_id=settings.teams_tenant_id or None,
    )


def authentication(
    settings: Settings,
    endpoints: BotFrameworkEndpoints = PUBLIC_CLOUD,
    credentials: ServiceClientCredentialsFactory | None = None,
) -> PooledAuthentication:
    """Inbound JWT validation and outbound credentials for one cloud, with pooled clients."""
    credentials = credentials or credentials_factory(settings)
    login_url = endpoints.login_url(settings.teams_tenant_id)
    inner = BotFrameworkAuthenticationFactory.create(
        validate_authority=True,
        to_channel_from_bot_login_url=login_url,
        to_channel_from_bot_oauth_scope=endpoints.oauth_scope,
        to_bot_from_channel_token_issuer=endpoints.token_issuer,
        oauth_url=endpoints.oauth_url,
        to_bot_from_channel_open_id_metadata_url=endpoints.channel_openid_metadata_url,
        to_bot_from_emulator_open_id_metadata_url=endpoints.emulator_openid_metadata_url,
        caller_id=endpoints.caller_id,
        credential_factory=credentials,
        auth_configuration=AuthenticationConfiguration(),
    )
    pool = PooledConnectorFactory(
        settings.teams_app_id or "", endpoints.oauth_scope, login_url, credentials
    )
    return PooledAuthentication(inner, pool)
