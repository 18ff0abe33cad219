"""Replies that ask for input (``Report.form``) as Slack modals, and the answer to a submitted one.

A command's or a button's reply that carries a form opens a modal with ``views.open`` on the
``trigger_id`` of the request that asked for it (a slash command or a click); Slack accepts a
trigger for about three seconds and once. When the modal cannot be opened, the person gets the
reply as a message that says how to type the same thing (``render.form_in_words``). A submitted
form runs its command for the person who submitted it; the reply goes to them alone: as an
ephemeral message in the shared channel the form was asked from, or else in their DM with the
bot.
"""

from __future__ import annotations

import logging

from adapters.slack import actions, refs, render
from adapters.slack.adapter import SlackAdapter
from bot.messages import Report
from bot.ports import SendError

log = logging.getLogger("learnpulse.slack")


class FormModals:
    """Opens forms as modals and answers their submissions, through one adapter."""

    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    async def open(self, reply: Report, trigger_id: str, channel: str | None) -> bool:
        """Open ``reply``'s form as a modal; False when it could not be (no form, no trigger,
        a trigger Slack no longer accepts, metadata too long for Slack)."""
        form = reply.form
        if form is None or not trigger_id:
            return False
        metadata = actions.FormContext(form.command, form.fixed, channel).dumps()
        if metadata is None:
            return False
        view = render.form_modal(reply, form, metadata)
        try:
            await self.adapter.api.call("views.open", trigger_id=trigger_id, view=view)
        except SendError as exc:
            log.warning("form not opened: %s", exc.reason)
            return False
        return True

    async def tell(self, person: str, channel: str | None, reply: Report) -> None:
        """The reply to a submitted form, seen only by ``person``."""
        reply = render.form_in_words(reply)  # a modal cannot open without a fresh trigger
        text, blocks = render.report_text(reply), render.report_blocks(reply)
        if channel:
            try:
                await self.adapter.api.call(
                    "chat.postEphemeral",
                    channel=channel,
                    user=refs.user_id(person),
                    text=text,
                    blocks=blocks,
                )
                return
            except SendError as exc:  # e.g. the bot left the channel: the DM still works
                log.info("form reply not shown in the channel (%s); sending it as a DM", exc.reason)
        try:
            await self.adapter.post_to_person(person, reply)
        except SendError as exc:
            log.warning("form reply not delivered: %s", exc.reason)
