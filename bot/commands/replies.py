"""``/learning-reply <token>``: the Reply buttons of anonymous conversations on comments.

A lead's Reply button on a quoted comment, and the author's on a reply they received, both run
this command with the conversation's token: without text it opens the reply form, with text
(the form's submission) it sends. Who may write is decided by the conversation
(``surveys.conversations``): the workstream's lead and the comment's author, nobody else.
"""

from __future__ import annotations

import asyncio

from bot.commands.context import CommandContext
from bot.messages import Report, notice
from surveys import conversations


async def reply(context: CommandContext) -> Report:
    if not context.args:
        return notice("Use the Reply button under a comment in a digest, or under a reply.")
    token = context.args[0]
    text = context.options.get("text") or " ".join(context.args[1:])
    if not text:
        side = await asyncio.to_thread(conversations.side_of, context.core, context.person, token)
        if side is None:
            return notice(conversations.NOT_YOURS)
        return conversations.reply_form(token, side)
    return await conversations.send(context.core, context.person, token, text)
