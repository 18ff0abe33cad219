"""The slack-bolt app: listeners that acknowledge at once, then hand neutral events to the core.

Slack wants an answer within three seconds; the database may be slower. Every listener calls
``ack()`` before anything else and does its work afterwards, replying privately (an ephemeral
message through the request's ``response_url``, or the Home tab). Events that Slack retries are
handled once, and each event is counted by its outcome once dealt with
(``learnpulse_platform_events`` on ``/metrics``: many retries mean acks reach Slack too late).

Button clicks over HTTP are acknowledged without bolt's listener chain (``fast_clicks`` says
what that skips, what still holds and what it saves); they are handled by ``handle_click``, as
clicks over Socket Mode are.

Acknowledged clicks wait in a bounded backlog (``bot.backlog``), not one task each holding its
payload, so a flood cannot grow memory without limit. Why a short wait and then 503, and not
a 503 at once or an acknowledgement of everything: Slack shows the person an error when a
click is not acknowledged within three seconds (and retries Events API deliveries), so
refusing at once would fail clicks a moment's wait would have saved, and a burst is exactly
that: a click that finds the backlog full waits up to ``ACK_WAIT_SECONDS`` for a place, in
order. An acknowledgement later than three seconds is worth nothing to Slack, so past that
wait the only choices left are to acknowledge a click that cannot be held, or to say so. A
backlog still full after two seconds means clicks keep arriving faster than they can be
stored; acknowledging them anyway would either hold them in memory without limit or, spilled to
the database, add writes to the very thing that is behind, while every person waits longer to
see their answer. So the click gets ``503`` with ``Retry-After``, Slack tells the person it
did not go through, and every click that was acknowledged is stored, in the order it came.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.signature import SignatureVerifier

from adapters.slack import actions, fast_clicks, refs, render, translate
from adapters.slack.adapter import CLICK_ORIGIN, SlackAdapter
from adapters.slack.bolt_request import MalformedBody, bolt_request, parse_body
from adapters.slack.clicks import Click, click_of
from adapters.slack.form_modals import FormModals
from adapters.slack.sdk_logging import BOLT_LOGGER
from adapters.slack.translate import Payload
from adapters.slack.verify import is_authentic
from bot.backlog import Backlog
from bot.body_limit import BodyTooLarge, read_capped, too_large
from bot.commands.table import COMMAND_NAMES
from bot.events import Event, HomeOpened
from bot.messages import Report, notice
from bot.ports import SendError
from bot.refusal_log import RefusalLog

if TYPE_CHECKING:
    from bot.app import LearnPulse

log = logging.getLogger("learnpulse.slack")

WORK_IN_PARALLEL = 64
SHUTDOWN_GRACE_SECONDS = 10.0  # how long a stopping server waits for clicks it acknowledged
HANDLED, RETRY, IGNORED = "handled", "retry", "ignored"  # outcomes of an event, as counted
# Clicks acknowledged and not yet handled: several seconds of a busy server's work, a few
# hundred bytes each (``Click``), so about 10 MB when full.
CLICK_BACKLOG = 10_000
CLICKS_WAITING_FOR_ROOM = 1_000  # beyond these, a click is refused at once
ACK_WAIT_SECONDS = 2.0  # Slack wants the ack within 3 s; the rest is for the network
RETRY_AFTER_SECONDS = 1
SOMETHING_WENT_WRONG = "Sorry, that did not work. Please try again in a minute."
# The largest thing Slack posts is a modal's or the Home tab's view (at most 100 blocks) inside
# an interaction, tens of kilobytes; the signature can only be checked once the body is read.
MAX_BODY_BYTES = 256 * 1024
OUR_ACTIONS = re.compile(
    "^("
    + "|".join(
        (
            actions.ANSWER,
            actions.CHOICE,
            actions.CHANGE,
            actions.COMMENT,
            actions.TEXT,
            actions.SNOOZE,
            actions.REPORT,
        )
    )
    + ")"
)


class RecentIds:
    """A bounded memory of ids already handled (Slack retries an event up to three times)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str | None) -> bool:
        if not key:
            return True
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class SlackApp:
    """The bolt app and its listeners, bound to one core and one adapter."""

    def __init__(
        self, core: LearnPulse, adapter: SlackAdapter, verifier: SignatureVerifier | None = None
    ) -> None:
        self.core = core
        self.adapter = adapter
        self.verifier = verifier
        self.forms = FormModals(adapter)
        self.handled_events = RecentIds()
        # Work after the ack is bounded, so a burst of clicks cannot pile up unbounded work;
        # clicks waiting together are written together (``bot.recording``).
        self.clicks: Backlog[Click] = Backlog(
            self.handle_click,
            capacity=CLICK_BACKLOG,
            workers=WORK_IN_PARALLEL,
            max_waiting=CLICKS_WAITING_FOR_ROOM,
            name="handling a click",
        )
        core.metrics.click_backlog.labels("slack").set_function(lambda: self.clicks.held)
        self._refused = core.metrics.clicks_refused.labels("slack")
        self._refusals = RefusalLog(
            log, "Slack clicks: the click backlog stayed full", logging.WARNING
        )
        self._work = asyncio.Semaphore(WORK_IN_PARALLEL)
        self.bolt = AsyncApp(
            client=adapter.client,
            # bolt sets the level of the logger named after the app to its base logger's on
            # every request: named "learnpulse", that silenced the core's own DEBUG records
            name=BOLT_LOGGER,
            logger=logging.getLogger(BOLT_LOGGER),  # pinned at INFO: no payload in its records
            # Signatures are checked before a request reaches bolt (``handle_http``), with the
            # same verifier the tests pin to Slack's published example.
            request_verification_enabled=False,
            process_before_response=False,
        )
        self._register()

    # --- HTTP ------------------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """``POST /slack/events``: 413 for a body over ``MAX_BODY_BYTES`` (before reading it
        when its length is declared), 401 for a forged or stale request, 400 for a body that
        is not Slack's; a click is acknowledged without bolt (``fast_clicks``), anything else gets
        bolt's answer."""
        try:
            body = await read_capped(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            return too_large(MAX_BODY_BYTES)
        if self.verifier is None or not is_authentic(self.verifier, body, request.headers):
            return web.json_response({"error": "invalid request"}, status=401)
        raw = body.decode("utf-8", errors="replace")
        try:
            payload = parse_body(raw, request.headers.get("Content-Type"))
        except MalformedBody as exc:
            log.warning("a signed Slack request was not understood: %s", exc)
            return web.json_response({"error": str(exc)}, status=400)
        if fast_clicks.is_click(payload):
            answering = fast_clicks.answer_click(payload, self.acknowledge)
            del body, raw, payload  # a click waiting for room holds only what handling needs
            return await answering
        parsed = bolt_request(payload, raw, request.query_string, request.headers)
        return await to_aiohttp_response(await self.bolt.async_dispatch(parsed))

    async def acknowledge(self, click: Click | None) -> web.Response:
        """The ack (an empty ``200``, as bolt's ``ack()`` sends it) once the click has a place
        in the backlog; ``503`` with ``Retry-After`` when none came free in time."""
        if click is None or await self.clicks.offer(click, ACK_WAIT_SECONDS):
            return web.Response(status=200)
        self._refused.inc()
        self._refusals.refused("503")
        return web.Response(
            status=503,
            text="too many clicks at once; try again",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    async def finish_clicks(self, _: web.Application | None = None) -> None:
        """On shutdown: clicks already acknowledged are stored (and their prompts re-rendered)
        before the server goes, for up to ``SHUTDOWN_GRACE_SECONDS``."""
        await self.clicks.finish(SHUTDOWN_GRACE_SECONDS)

    # --- listeners -------------------------------------------------------------------------------

    def _register(self) -> None:
        # bolt tries listeners in this order; clicks come in bursts, so they are matched first.
        self.bolt.action({"type": "block_actions", "action_id": OUR_ACTIONS})(self.on_action)
        for name in COMMAND_NAMES:
            self.bolt.command(f"/{name}")(self.on_command)
        self.bolt.view_submission(actions.COMMENT_MODAL)(self.on_view_submission)
        self.bolt.view_submission(actions.TEXT_MODAL)(self.on_view_submission)
        self.bolt.view_submission(actions.FORM_MODAL)(self.on_form_submission)
        self.bolt.event("app_home_opened")(self.on_home_opened)
        self.bolt.event("member_joined_channel")(self.on_member_joined)
        self.bolt.event("message")(self.on_message)
        self.bolt.event("app_uninstalled")(self.on_uninstalled)
        self.bolt.event("tokens_revoked")(self.on_uninstalled)

    async def on_command(self, ack: AsyncAck, body: Payload) -> None:
        await ack()
        reply = await self._dispatch(translate.command(body))
        if reply is not None:
            channel = translate.conversation_of(body)
            if await self.forms.open(reply, str(body.get("trigger_id") or ""), channel):
                return
            await self._respond(body, render.form_in_words(reply))

    async def on_action(self, ack: AsyncAck, body: Payload) -> None:
        """A click over Socket Mode (over HTTP, ``acknowledge`` answers it): acknowledged
        once it has a place in the backlog; left unacknowledged when none came free in time,
        so Slack tells the person it did not go through."""
        click = click_of(body)
        if click is None or await self.clicks.offer(click, ACK_WAIT_SECONDS):
            await ack()
        else:
            self._refused.inc()
            self._refusals.refused("not acknowledged")

    async def handle_click(self, click: Click) -> None:
        """A click, already acknowledged: an answer, a modal, a snooze."""
        if isinstance(click.action, translate.OpenModal):
            await self._open_modal(click.action)
            return
        token = CLICK_ORIGIN.set(click.origin) if click.origin is not None else None
        try:
            reply = await self._dispatch(click.action)
        finally:
            if token is not None:
                CLICK_ORIGIN.reset(token)
        if reply is not None and await self.forms.open(reply, click.trigger_id, click.channel):
            return
        reply = render.form_in_words(reply) if reply is not None else None
        if click.in_home:
            await self._publish_home(click.action.person, reply)
        elif reply is not None:
            await self._reply_privately(click.response_url, reply)

    async def on_view_submission(self, ack: AsyncAck, body: Payload) -> None:
        await ack()
        event = translate.view_submission(body)
        if event is None:
            return
        reply = await self._dispatch(event)
        modal = translate.modal_context(body)
        if reply is not None and modal is not None and modal.channel:
            await self._post_ephemeral(modal.channel, body["user"]["id"], reply)

    async def on_form_submission(self, ack: AsyncAck, body: Payload) -> None:
        """A submitted form: what to correct goes back to the modal at once (Slack keeps it
        open with what was typed); otherwise its command runs for the person who submitted."""
        submitted = translate.form_submission(body)
        if submitted is not None and submitted.errors:
            await ack(response_action="errors", errors=submitted.errors)
            return
        await ack()
        if submitted is None or submitted.command is None:
            return
        reply = await self._dispatch(submitted.command)
        if reply is not None:
            await self.forms.tell(submitted.command.person, submitted.channel, reply)

    async def on_home_opened(self, body: Payload, event: Payload) -> None:
        if not self._first_delivery(body):
            return
        try:
            user = str(event.get("user", ""))
            await self._seen(user, welcome=True)
            if event.get("tab", "home") == "home":
                await self._publish_home(refs.person_ref(user), None)
        finally:
            self._event_done(HANDLED)

    async def on_member_joined(self, body: Payload, event: Payload) -> None:
        if not self._first_delivery(body):
            return
        user = str(event.get("user", ""))
        if not user or user == (body.get("authorizations") or [{}])[0].get("user_id"):
            self._event_done(IGNORED)
            return
        try:
            await self._seen(user, welcome=True)
        finally:
            self._event_done(HANDLED)

    async def on_message(self, body: Payload, event: Payload) -> None:
        if not self._first_delivery(body):
            return
        if event.get("channel_type") != "im" or not translate.is_from_a_person(event):
            self._event_done(IGNORED)
            return
        try:
            await self._seen(str(event["user"]), welcome=True)
        finally:
            self._event_done(HANDLED)

    def _first_delivery(self, body: Payload) -> bool:
        """False (and counted as a retry) for an event Slack delivers again after handling."""
        if self.handled_events.first_time(body.get("event_id")):
            return True
        self._event_done(RETRY)
        return False

    def _event_done(self, outcome: str) -> None:
        self.core.metrics.platform_events.labels("slack", outcome).inc()

    async def on_uninstalled(self, event: Payload) -> None:
        log.warning("the Slack app was uninstalled or its tokens revoked (%s)", event.get("type"))

    # --- work after the ack ----------------------------------------------------------------------

    async def _dispatch(self, event: Event) -> Report | None:
        try:
            async with self._work:
                return await self.core.dispatch(event)
        except Exception as exc:
            # Only the kinds: a database error's text can carry the values of an answer.
            log.error("handling %s failed: %s", type(event).__name__, type(exc).__name__)
            return notice(SOMETHING_WENT_WRONG)

    async def _seen(self, user: str, welcome: bool) -> None:
        try:
            profile = await self.adapter.directory.profile(user)
        except SendError as exc:
            log.info("profile of a new contact not read: %s", exc.reason)
            profile = None
        await self._dispatch(translate.person_seen(user, profile, welcome))

    async def _publish_home(self, person: str, reply: Report | None) -> None:
        home = await self._dispatch(HomeOpened(person=person))
        if home is None:
            return
        try:
            await self.adapter.api.call(
                "views.publish",
                user_id=refs.user_id(person),
                view=render.home_view(home, reply),
            )
        except SendError as exc:
            log.warning("App Home not published: %s", exc.reason)

    async def _open_modal(self, wanted: translate.OpenModal) -> None:
        view = (
            render.comment_modal(wanted.context, wanted.ask)
            if wanted.kind == "comment"
            else render.text_answer_modal(wanted.context, wanted.ask)
        )
        try:
            await self.adapter.api.call("views.open", trigger_id=wanted.trigger_id, view=view)
        except SendError as exc:
            log.warning("modal not opened: %s", exc.reason)

    async def _respond(self, body: Payload, reply: Report) -> None:
        """The reply, visible only to the asker, through the request's ``response_url``."""
        await self._reply_privately(str(body.get("response_url") or ""), reply)

    async def _reply_privately(self, response_url: str, reply: Report) -> None:
        if not response_url:
            return
        try:
            await self.adapter.reply_privately(
                response_url, render.report_text(reply), render.report_blocks(reply)
            )
        except SendError as exc:  # response_url expired or unreachable: nothing else to do
            log.warning("reply not delivered: %s", exc.reason)

    async def _post_ephemeral(self, channel: str, user: str, reply: Report) -> None:
        try:
            await self.adapter.api.call(
                "chat.postEphemeral",
                channel=channel,
                user=user,
                text=render.report_text(reply),
                blocks=render.report_blocks(reply),
            )
        except SendError as exc:
            log.warning("reply not delivered: %s", exc.reason)
