"""``POST /api/messages``: trust first, then one turn per activity.

Order of a request, cheapest refusal first, and nothing read that is not trusted yet:

1. With credentials, the ``Authorization`` header alone is validated (signature by a key the
   OpenID metadata publishes, issuer, audience = our app id, expiry) before a byte of the body
   is read: a missing or invalid token gets 401 however large the body, so an unauthenticated
   client costs one header check, never a JSON parse or botbuilder's deserializer. The 401
   comes after a pause (``REFUSAL_PAUSE_SECONDS``), so a client that sends again as soon as
   it is answered cannot make the server check tokens, and read the bodies they came with, as
   fast as it can send them; Microsoft's requests carry valid tokens and never wait. The pause
   varies by half either way, so refusals that arrived together do not return together. At most
   ``MAX_PAUSED`` refusals wait at once (a held request keeps its connection and part of its
   body); beyond that they are answered at once.
2. A body over ``MAX_BODY_BYTES`` gets 413 (a declared length at once; a chunked one as soon
   as it passes the cap); anything but JSON gets 415.
3. The body is parsed and deserialized into an ``Activity`` in a worker thread (msrest's
   deserializer is pure Python and takes milliseconds for a large activity); not an activity:
   400. Then the token is validated again against the activity, as botbuilder does it: the
   key must be endorsed for the activity's channel and the ``serviceurl`` claim must be the
   activity's ``serviceUrl``; otherwise 401.
4. An activity whose ``serviceUrl`` is outside ``TEAMS_SERVICE_URLS`` gets 403 (the bot would
   have to call it); only then is the activity translated and dispatched.
5. An answer that finds the answer recorder full (``bot.recording``) gets 503 with
   ``Retry-After`` at once: Teams holds the request open for the outcome, so the server does
   not queue it beyond that bound, and nothing of it is stored.

Replies go only to the person who asked: in their 1:1 chat with the bot the reply is posted
there; a command sent in a channel or group chat is answered privately in the asker's 1:1 chat
(nothing is posted in the channel, so nobody else sees the answer or that one was asked for).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import TYPE_CHECKING, Any

from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from adapters.teams import files, forms, render, store, translate
from adapters.teams.adapter import INVOKE_CAPTURE, CardCapture, TeamsAdapter
from adapters.teams.refs import channel_ref
from bot.body_limit import BodyTooLarge, read_capped, too_large
from bot.events import CommandIssued, Event, PersonSeen
from bot.logsafe import describe
from bot.messages import Report, notice
from bot.ports import Overloaded, SendError
from bot.refusal_log import RefusalLog
from bot.service_urls import service_url_allowed

if TYPE_CHECKING:
    from botframework.connector.auth import AuthenticateRequestResult

    from bot.app import LearnPulse

log = logging.getLogger("learnpulse.teams")

BODY_KEY = "learnpulse.teams.body"
# A Teams message is limited to about 100 KB, files and inline images arrive as links, and the
# Bot Connector refuses activities over 262,144 bytes from a bot: no activity Teams sends needs
# more. (aiohttp's own limit, 1 MiB, is read in full before it refuses.)
MAX_BODY_BYTES = 256 * 1024
REFUSAL_PAUSE_SECONDS = 0.5
MAX_PAUSED = 256
ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
UNKNOWN_PERSON = "LearnPulse could not tell who you are; Teams did not send your account id."
NOT_A_COMMAND = "I only understand commands here. Try learning-help to see them."
FORM_SENT = "The form is in your chat with LearnPulse."
FILE_GONE = "That file is no longer waiting; ask for it again (learning-mydata export)."
FILE_FAILED = "The file could not be uploaded to your OneDrive; please ask for it again."


class TeamsTurns:
    """The inbound half: the aiohttp handler and the turn logic behind it."""

    def __init__(self, core: LearnPulse, adapter: TeamsAdapter) -> None:
        self.core = core
        self.adapter = adapter
        self._unauthenticated = RefusalLog(log, "Teams requests without a valid token")
        self._overloaded = RefusalLog(
            log, "Teams answers: the answer recorder was full", logging.WARNING
        )
        self._paused = 0  # refusals waiting out their pause

    async def handle(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization") or None
        if self.adapter.requires_auth:
            if header is None:
                return await self._unauthenticated_refusal("missing Bot Framework token")
            try:
                await self._authenticate(Activity(), header)  # the token alone, body unread
            except Exception as exc:  # every validation failure refuses the request
                self._unauthenticated.refused(exc.__class__.__name__)
                return await self._unauthenticated_refusal("invalid Bot Framework token")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _refused(415, "expected application/json")
        try:
            raw = await read_capped(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            return too_large(MAX_BODY_BYTES)
        parsed = await asyncio.to_thread(read_activity, raw)
        if parsed is None:
            return web.Response(status=400, text="not a Bot Framework activity")
        body, activity = parsed
        try:
            trusted = await self._authenticate(activity, header)
        except Exception as exc:  # the token is not for this activity's channel or serviceUrl
            self._unauthenticated.refused(exc.__class__.__name__)
            return web.Response(status=401, text="invalid Bot Framework token")
        if not service_url_allowed(activity.service_url, self.adapter.connector.allowed_prefixes):
            log.warning("refused a Teams activity whose serviceUrl is not in TEAMS_SERVICE_URLS")
            return web.Response(status=403, text="serviceUrl is not allowed")

        async def on_turn(context: TurnContext) -> None:
            context.turn_state[BODY_KEY] = body
            await self.on_turn(context)

        try:
            result = await self.adapter.cloud.process_activity(trusted, activity, on_turn)
        except Overloaded as exc:
            self.core.metrics.clicks_refused.labels("teams").inc()
            self._overloaded.refused("503")
            return web.Response(
                status=503,
                text="too many answers at once; try again",
                headers={"Retry-After": str(exc.retry_after)},
            )
        except Exception as exc:
            log.error("a Teams %s activity failed: %s", activity.type, describe(exc))
            return web.Response(status=500, text="the bot could not handle this activity")
        if isinstance(result, InvokeResponse):
            return web.json_response(result.body, status=result.status or 200)
        return web.Response(status=200)

    async def _unauthenticated_refusal(self, text: str) -> web.Response:
        """401, after ``REFUSAL_PAUSE_SECONDS`` unless ``MAX_PAUSED`` refusals already wait."""
        if self._paused < MAX_PAUSED:
            self._paused += 1
            try:
                await asyncio.sleep(REFUSAL_PAUSE_SECONDS * random.uniform(0.5, 1.5))
            finally:
                self._paused -= 1
        return _refused(401, text)

    async def _authenticate(
        self, activity: Activity, header: str | None
    ) -> AuthenticateRequestResult:
        """Validate the token off the event loop, on the adapter's validation thread
        (``token_thread.py``).

        With an empty ``Activity`` (no channel, no ``serviceUrl``) botbuilder checks everything
        that the token alone can prove; with the request's activity, also that the key is
        endorsed for its channel and that the ``serviceurl`` claim is its ``serviceUrl``."""
        if not self.adapter.requires_auth:
            header = None  # emulator mode: no app id to validate a token against
        auth = self.adapter.authentication
        return await self.adapter.token_thread.run(auth.authenticate_request(activity, header))

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        body: dict[str, Any] = context.turn_state[BODY_KEY]
        person = translate.person_of(activity)
        match activity.type:
            case ActivityTypes.message:
                await self._remember(body, person, refresh_only=True)
                await self._seen(activity, person, welcome=False)
                await self._on_message(context, person)
            case ActivityTypes.conversation_update:
                await self._on_conversation_update(context, body, person)
            case ActivityTypes.installation_update:
                await self._on_installation_update(context, body, person)
            case ActivityTypes.invoke if activity.name == ADAPTIVE_CARD_ACTION:
                await self._remember(body, person, refresh_only=True)
                await self._on_card_action(context, person)
            case ActivityTypes.invoke if activity.name == files.FILE_CONSENT_INVOKE:
                await self._on_file_consent(context, person)
            case _:
                return

    # -- messages and commands ---------------------------------------------------------------

    async def _on_message(self, context: TurnContext, person: str | None) -> None:
        activity = context.activity
        submitted = translate.submitted_action(activity)
        command = translate.command_of(activity)
        if person is None:
            if submitted or command:
                await self._reply(context, person, notice(UNKNOWN_PERSON))
            return
        if submitted is not None:
            verb, data = submitted
            event = translate.action_event(person, verb, data)
            reply = (
                notice(event)
                if isinstance(event, str)
                else await self.core.dispatch(event, wait_for_room=False)
            )
            if reply is not None:
                await self._reply(context, person, reply)
            return
        if command is not None:
            name, text = command
            channel = None
            if translate.conversation_type(activity) != "personal":
                conversation_id = translate.channel_conversation_id(activity.conversation.id)
                channel = channel_ref(conversation_id)
            reply = await self.core.dispatch(
                CommandIssued(person=person, name=name, text=text, channel=channel)
            )
            if reply is not None:
                await self._reply(context, person, reply)
            return
        if translate.conversation_type(activity) == "personal":
            await self._reply(context, person, notice(NOT_A_COMMAND))

    async def _reply(self, context: TurnContext, person: str | None, report: Report) -> None:
        """Answer the asker only: in their 1:1 chat here, or privately from a channel."""
        try:
            if translate.conversation_type(context.activity) == "personal":
                await context.send_activity(await self.adapter.report_activity(report))
            elif person is not None:
                await self.adapter.post_to_person(person, report)
        except SendError as exc:
            log.warning("reply not sent: %s", exc.reason)
        except Exception as exc:  # the Bot Connector refused the reply; the turn itself is done
            log.warning("reply not sent: %s", exc.__class__.__name__)

    # -- install, uninstall, profile ---------------------------------------------------------------

    async def _on_conversation_update(
        self, context: TurnContext, body: dict[str, Any], person: str | None
    ) -> None:
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = [m.id for m in activity.members_added or []]
        removed = [m.id for m in activity.members_removed or []]
        if bot_id in removed:
            await self._forget(body, person)
            return
        if bot_id in added:
            await self._installed(context, body, person)

    async def _on_installation_update(
        self, context: TurnContext, body: dict[str, Any], person: str | None
    ) -> None:
        action = str(context.activity.action or "")
        if action.startswith("remove"):
            await self._forget(body, person)
        elif action.startswith("add"):
            await self._installed(context, body, person)

    async def _installed(
        self, context: TurnContext, body: dict[str, Any], person: str | None
    ) -> None:
        await self._remember(body, person)
        if translate.conversation_type(context.activity) == "personal":
            await self._seen(context.activity, person, welcome=True)

    async def _remember(
        self, body: dict[str, Any], person: str | None, *, refresh_only: bool = False
    ) -> None:
        """Keep the conversation references of this activity; with ``refresh_only`` (messages
        and card clicks) a reference is written only when it changed."""
        keep = store.refresh if refresh_only else store.save
        for key in translate.reference_keys(body, person):
            document = translate.reference_document(body, key)
            await asyncio.to_thread(keep, self.core, key, document)

    async def _forget(self, body: dict[str, Any], person: str | None) -> None:
        for key in translate.reference_keys(body, person):
            await asyncio.to_thread(store.delete, self.core, key)

    async def _seen(self, activity: Activity, person: str | None, *, welcome: bool) -> None:
        if person is None or translate.conversation_type(activity) != "personal":
            return
        sender = activity.from_property
        await self.core.dispatch(
            PersonSeen(
                person=person,
                timezone=activity.local_timezone or None,
                display_name=getattr(sender, "name", None) or None,
                welcome=welcome,
            )
        )

    # -- Action.Execute ---------------------------------------------------------------------------

    async def _on_card_action(self, context: TurnContext, person: str | None) -> None:
        executed = translate.executed_action(context.activity)
        if person is None or executed is None:
            text = UNKNOWN_PERSON if person is None else "That action is not supported."
            await _invoke_response(context, render.invoke_message_response(text))
            return
        verb, data = executed
        event: Event | str = translate.action_event(person, verb, data)
        if isinstance(event, str):
            await _invoke_response(context, render.invoke_message_response(event))
            return
        capture = CardCapture(delivery_id=getattr(event, "delivery_id", -1))
        token = INVOKE_CAPTURE.set(capture)
        try:
            reply = await self.core.dispatch(event, wait_for_room=False)
        finally:
            INVOKE_CAPTURE.reset(token)
        if capture.card is not None:
            body = render.invoke_card_response(capture.card)
        elif reply is not None and verb == render.RUN_VERB and forms.is_submission(data):
            # the submitted form is replaced, for the person who sent it, by the reply
            card = await self.adapter.named_card(forms.sent_back(reply, data))
            body = render.invoke_card_response(card)
        elif reply is not None and isinstance(event, CommandIssued):
            await self._reply(context, person, reply)
            body = render.invoke_message_response(FORM_SENT if reply.form else reply.title)
        else:
            text = (reply.summary or reply.title) if reply is not None else "Done."
            body = render.invoke_message_response(text)
        await _invoke_response(context, body)

    # -- file consent -----------------------------------------------------------------------------

    async def _on_file_consent(self, context: TurnContext, person: str | None) -> None:
        """Allow: upload the waiting file and show it; Decline: drop it. Either way it is gone."""
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        token = str((value.get("context") or {}).get("file") or "")
        offered = (
            await asyncio.to_thread(files.waiting, self.core, token, person)
            if token and person
            else None
        )
        if offered is None:
            await self._reply(context, person, notice(FILE_GONE))
        elif value.get("action") == "accept":
            upload_info = value.get("uploadInfo") or {}
            try:
                await files.upload(
                    str(upload_info.get("uploadUrl") or ""),
                    offered[1],
                    emulator=not self.adapter.requires_auth,
                )
            except files.UploadRefused as exc:
                log.warning("file not uploaded: %s", exc)
                await self._reply(context, person, notice(FILE_FAILED))
            else:
                await context.send_activity(files.info_activity(upload_info))
        if offered is not None:
            await asyncio.to_thread(store.delete, self.core, store.file_key(token))
        await _invoke_response(context, None)


def read_activity(raw: bytes) -> tuple[dict[str, Any], Activity] | None:
    """The JSON object and the ``Activity`` msrest reads from it; None when it is not one.
    CPU-bound (msrest's deserializer is pure Python), so it runs in a worker thread."""
    try:
        body = json.loads(raw)
        if not isinstance(body, dict):
            return None
        activity = Activity().deserialize(body)
    except Exception:  # not JSON, or JSON msrest cannot read as an activity
        return None
    return (body, activity) if activity.type else None


def _refused(status: int, text: str) -> web.Response:
    """A refusal sent before the body is read: the connection is closed after it, since what
    is left of the body will not be read."""
    response = web.Response(status=status, text=text)
    response.force_close()
    return response


async def _invoke_response(context: TurnContext, body: dict[str, Any] | None) -> None:
    await context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
    )
