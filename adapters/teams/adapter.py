"""``TeamsAdapter``: the core's ``ChatAdapter`` port spoken to Microsoft Teams.

Every outbound message is proactive: the adapter continues the conversation reference stored
when the app was installed (or when the person last wrote), or, for a person with none, creates
the 1:1 chat from their tenant and AAD object id. All calls pass the throttle and retry policy
of ``throttle.py``; prompts leave a durable trace in ``store.py`` so ``find_prompt`` can answer
after a crash.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters.teams import files, render, store
from adapters.teams.connector import Connector, PagedMember, ServiceUrlRefused
from adapters.teams.endpoints import PUBLIC_CLOUD, BotFrameworkEndpoints, authentication
from adapters.teams.names import names_for
from adapters.teams.people import find_in_rosters
from adapters.teams.refs import CHANNEL_PREFIX, PERSON_PREFIX, PLATFORM, TEAM_PREFIX, person_ref
from adapters.teams.throttle import DEFAULT_BOT_RATE, Backoff, Throttle, call_with_retries
from adapters.teams.token_thread import TokenThread
from bot.messages import Prompt, Report
from bot.ports import LookupKind, Member, MessageRef, PermanentSendError, SendError
from surveys.references import RefKind, kind_of

if TYPE_CHECKING:
    from botframework.connector.auth import ServiceClientCredentialsFactory

    from bot.app import LearnPulse

log = logging.getLogger("learnpulse.teams")
T = TypeVar("T")

NOT_INSTALLED = "app not installed for this person"


@dataclass
class CardCapture:
    """While an ``adaptiveCard/action`` invoke is handled: the refreshed card of its delivery.

    Teams replaces an ``Action.Execute`` card with the card in the invoke response, so an update
    of that same prompt during the invoke is captured here instead of sent as a second call.
    """

    delivery_id: int
    card: dict[str, Any] | None = field(default=None)


INVOKE_CAPTURE: contextvars.ContextVar[CardCapture | None] = contextvars.ContextVar(
    "teams_invoke_capture", default=None
)


class TeamsAdapter:
    """Sends prompts, reports and notices to Teams people and channels."""

    platform = PLATFORM

    def __init__(
        self,
        core: LearnPulse,
        *,
        endpoints: BotFrameworkEndpoints = PUBLIC_CLOUD,
        credentials: ServiceClientCredentialsFactory | None = None,
        bot_rate: int = DEFAULT_BOT_RATE,
        backoff: Backoff | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        settings = core.settings
        self.core = core
        self.app_id = settings.teams_app_id or ""
        self.requires_auth = bool(settings.teams_app_id and settings.teams_app_password)
        self.tenant_id = settings.teams_tenant_id or None
        self.authentication = authentication(settings, endpoints, credentials)
        self.token_thread = TokenThread()  # where inbound tokens are validated
        self.cloud = CloudAdapter(self.authentication)
        self.connector = Connector(self.cloud, self.app_id, settings.service_url_prefixes)
        self.throttle = throttle or Throttle(bot_rate=bot_rate)
        self.backoff = backoff or Backoff()

    # -- the ChatAdapter port -------------------------------------------------------------

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        """Post the prompt card to the person's 1:1 chat, tracing it before and after.

        A prompt already traced as sent is not sent again. A send the Bot Connector refused
        leaves no trace (it did not arrive, so a later retry may send it).
        """
        key = store.prompt_key(prompt.delivery_id)
        earlier = await asyncio.to_thread(store.load, self.core, key)
        if earlier is not None and earlier.get("state") == store.SENT:
            return MessageRef(str(earlier["conversation"]), str(earlier.get("activityId") or ""))
        reference = await self._personal_reference(person)
        conversation = reference["conversation"]["id"]
        trace = {"conversation": conversation, "serviceUrl": reference["serviceUrl"]}
        await asyncio.to_thread(store.save, self.core, key, {**trace, "state": store.SENDING})
        activity = card_activity(render.prompt_card(prompt), prompt.title)
        try:
            activity_id = await self._post(reference, activity)
        except SendError:
            await asyncio.to_thread(store.delete, self.core, key)
            raise
        await asyncio.to_thread(
            store.save, self.core, key, {**trace, "state": store.SENT, "activityId": activity_id}
        )
        return MessageRef(conversation=conversation, message_id=activity_id)

    async def update_prompt(self, ref: MessageRef, prompt: Prompt) -> None:
        """Replace the prompt card in place (answer recorded, window closed)."""
        card = render.prompt_card(prompt)
        capture = INVOKE_CAPTURE.get()
        if capture is not None and capture.delivery_id == prompt.delivery_id:
            capture.card = card
            return
        if not ref.message_id:
            log.info("prompt %d: message id unknown, card not updated", prompt.delivery_id)
            return
        trace = await asyncio.to_thread(store.load, self.core, store.prompt_key(prompt.delivery_id))
        service_url = (trace or {}).get("serviceUrl") or await self._any_service_url()
        reference = self._bare_reference(ref.conversation, service_url)
        activity = card_activity(card, prompt.title)
        activity.id = ref.message_id
        await self._call(ref.conversation, lambda: self.connector.update(reference, activity))

    async def find_prompt(self, person: str, delivery_id: int) -> MessageRef | None:
        """Where the prompt of ``delivery_id`` went, from the trace written around the send.

        ``sent``: the message. ``sending`` (the process stopped between the Bot Connector call
        and the trace update): answered as arrived, with an unknown message id, because Teams
        cannot be asked and a second prompt is worse than a card that is not updated.
        """
        trace = await asyncio.to_thread(store.load, self.core, store.prompt_key(delivery_id))
        if trace is None:
            return None
        return MessageRef(
            conversation=str(trace["conversation"]), message_id=str(trace.get("activityId") or "")
        )

    async def post_to_person(self, person: str, message: Report) -> MessageRef:
        """A message in the person's 1:1 chat. A reply that ``leaves_no_trace`` (to an erasure)
        does not store the 1:1 reference it may have had to create."""
        reference = await self._personal_reference(person, remember=not message.leaves_no_trace)
        activity_id = await self._post(reference, await self.report_activity(message))
        return MessageRef(conversation=reference["conversation"]["id"], message_id=activity_id)

    async def post_to_channel(self, channel: str, message: Report) -> MessageRef:
        reference = await asyncio.to_thread(store.load, self.core, channel)
        if reference is None:
            conversation_id = channel.removeprefix(CHANNEL_PREFIX)
            reference = self._bare_reference(conversation_id, await self._any_service_url())
        activity_id = await self._post(reference, await self.report_activity(message))
        return MessageRef(conversation=reference["conversation"]["id"], message_id=activity_id)

    async def send_file(self, person: str, filename: str, content: bytes, comment: str) -> None:
        """Offer the file in the person's 1:1 chat with a consent card (``files.py``); it is
        uploaded to their OneDrive when they press Allow."""
        reference = await self._personal_reference(person)
        token = await asyncio.to_thread(files.offer, self.core, person.lower(), filename, content)
        activity = files.consent_activity(filename, len(content), comment, token)
        try:
            await self._post(reference, activity)
        except SendError:
            await asyncio.to_thread(store.delete, self.core, store.file_key(token))
            raise

    async def members(self, audience: str) -> list[Member]:
        """A person is themself; a team or channel is listed page by page by the connector."""
        kind = kind_of(audience)
        if kind is RefKind.PERSON:
            return [Member(person=audience.lower())]
        if kind is RefKind.TEAM:
            conversation_id = audience.removeprefix(TEAM_PREFIX)
        elif kind is RefKind.CHANNEL:
            conversation_id = audience.removeprefix(CHANNEL_PREFIX)
        else:
            raise PermanentSendError(f"not a Teams audience: {audience}")
        reference = await asyncio.to_thread(store.load, self.core, audience)
        if reference is None:
            raise PermanentSendError("the app is not installed in this team or channel")
        listed: list[PagedMember] = await self._call(
            conversation_id, lambda: self.connector.paged_members(reference, conversation_id)
        )
        return [
            Member(person=person_ref(m.aad_object_id), display_name=m.name)
            for m in listed
            if m.aad_object_id
        ]

    async def find_people(self, by: LookupKind, values: Collection[str]) -> dict[str, Member]:
        """People of the teams the app is installed in, by UPN, e-mail or AAD object id."""
        teams = await asyncio.to_thread(store.keys_under, self.core, TEAM_PREFIX)
        rosters = [self._roster(team) for team in sorted(teams)]
        return await find_in_rosters(rosters, by, values)

    def _roster(self, team: str) -> Callable[[], Awaitable[list[PagedMember]]]:
        async def listed() -> list[PagedMember]:
            reference = await asyncio.to_thread(store.load, self.core, team)
            if reference is None:
                return []
            conversation_id = team.removeprefix(TEAM_PREFIX)
            return await self._call(
                conversation_id, lambda: self.connector.paged_members(reference, conversation_id)
            )

        return listed

    async def report_activity(self, report: Report) -> Activity:
        """A report (reply, notice, digest) as a card message, its references named."""
        return card_activity(await self.named_card(report), report.title)

    async def named_card(self, report: Report) -> dict[str, Any]:
        """A report's card, the core's references in it named (``names.py``)."""
        names = await asyncio.to_thread(names_for, self.core, report)
        return render.report_card(report, names)

    # -- helpers ------------------------------------------------------------------------------

    async def _personal_reference(self, person: str, remember: bool = True) -> dict[str, Any]:
        """The stored 1:1 reference, or a newly created 1:1 chat (stored for next time unless
        ``remember`` is False)."""
        if kind_of(person) is not RefKind.PERSON:
            raise PermanentSendError(f"not a Teams person: {person}")
        key = person.lower()
        reference = await asyncio.to_thread(store.load, self.core, key)
        if reference is not None:
            return reference
        template = await asyncio.to_thread(store.newest_reference, self.core, self.tenant_id)
        tenant = self.tenant_id or _tenant_of(template)
        if template is None or tenant is None:
            raise PermanentSendError(NOT_INSTALLED)
        aad_object_id = key.removeprefix(PERSON_PREFIX)
        bot_id = (template.get("bot") or {}).get("id") or f"28:{self.app_id}"
        try:
            created = await self._call(
                f"new:{aad_object_id}",
                lambda: self.connector.create_personal(
                    template["serviceUrl"], tenant, aad_object_id, bot_id
                ),
            )
        except PermanentSendError:
            raise PermanentSendError(NOT_INSTALLED) from None
        if remember:
            await asyncio.to_thread(store.save, self.core, key, created)
        return created

    def _bare_reference(self, conversation_id: str, service_url: str) -> dict[str, Any]:
        """Enough of a reference to write to a conversation whose full reference is unknown."""
        return {
            "channelId": "msteams",
            "serviceUrl": service_url,
            "conversation": {"id": conversation_id},
            "bot": {"id": f"28:{self.app_id}"},
        }

    async def _any_service_url(self) -> str:
        template = await asyncio.to_thread(store.newest_reference, self.core, self.tenant_id)
        if template is None:
            raise PermanentSendError("no Teams conversation is known yet: install the app first")
        return str(template["serviceUrl"])

    async def _post(self, reference: dict[str, Any], activity: Activity) -> str:
        conversation = str(reference["conversation"]["id"])
        return await self._call(conversation, lambda: self.connector.send(reference, activity))

    async def _call(self, conversation: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call_with_retries(self.throttle, conversation, call, self.backoff)
        except ServiceUrlRefused as exc:
            raise PermanentSendError(str(exc)) from None


def _tenant_of(reference: dict[str, Any] | None) -> str | None:
    if reference is None:
        return None
    tenant = (reference.get("conversation") or {}).get("tenantId")
    return str(tenant) if tenant else None


def card_activity(card: dict[str, Any], summary: str) -> Activity:
    """A message carrying one Adaptive Card; ``summary`` is what notifications show."""
    return Activity(
        type=ActivityTypes.message,
        summary=summary,
        attachments=[Attachment(content_type=render.CARD_CONTENT_TYPE, content=card)],
    )
