"""The playground's routes: one page, and plain HTML forms that become neutral events.

Every form posts ``as`` (the person being played), is turned into a ``bot.events`` event and
handed to ``core.dispatch``; the reply, which only the asker may see, is kept one-shot and shown
after the redirect (post/redirect/get, so reloading never answers twice).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from adapters.local import colleagues, store, timeline
from adapters.local.directory import DemoPerson
from adapters.local.playground import Playground
from adapters.local.render import (
    STATIC,
    ViewItem,
    local_time,
    make_environment,
    named,
    view_items,
)
from adapters.local.same_origin import same_origin_posts
from bot.app import run_due_work
from bot.events import (
    AnswerGiven,
    CommandIssued,
    CommentGiven,
    Event,
    HomeOpened,
    SnoozeRequested,
)
from bot.messages import Section, notice
from surveys.references import RefKind, kind_of

PLAYGROUND: web.AppKey[Playground] = web.AppKey("local_playground", Playground)
ENVIRONMENT = make_environment()
CHANNEL_HISTORY = 12
ADVANCE_CHOICES = {1, 4, 24, 168}
YOU_SENT = "What you typed"


@dataclass(frozen=True)
class ChannelView:
    """A channel the person is in (a digest or review destination) and its recent posts;
    ``wide`` spans the page (the program review, a document read at full width)."""

    ref: str
    name: str
    about: str
    items: list[ViewItem]
    wide: bool = False


def mount(web_app: web.Application, playground: Playground) -> None:
    """Add the playground's page, form endpoints and stylesheet to the server; its forms
    accept same-origin posts only (``same_origin.py``)."""
    web_app[PLAYGROUND] = playground
    web_app.middlewares.append(same_origin_posts)
    web_app.router.add_get("/", index)
    web_app.router.add_post("/play/answer", answer)
    web_app.router.add_post("/play/comment", comment)
    web_app.router.add_post("/play/snooze", snooze)
    web_app.router.add_post("/play/command", command)
    web_app.router.add_post("/play/home", home)
    web_app.router.add_post("/play/action", action)
    web_app.router.add_post("/play/form", submitted_form)
    web_app.router.add_post("/play/advance", advance)
    web_app.router.add_get("/play/files/{message_id:\\d+}", download)
    web_app.router.add_static("/static/local/", STATIC)


async def index(request: web.Request) -> web.Response:
    """The page: the picker, and for the person in ``?as=`` their chat, commands and channels."""
    playground = request.app[PLAYGROUND]
    program = playground.core.require_program()
    me = playground.identity(request.query.get("as"))
    context: dict[str, object] = {
        "program_name": program.program,
        "clock_text": local_time(playground.core.clock.now(), program.zone)
        + f" ({program.timezone})",
        "can_advance": playground.clock is not None,
        "last_advance": playground.last_advance,
        "groups": playground.groups(),
        "seeded_weeks": playground.seeded_weeks,
        "first_workstream": program.workstreams[0].id,
        "me": me,
    }
    if me is not None:
        playground.played.add(me.ref)
        context.update(await _personal(playground, me, request.query.get("reply")))
    html = ENVIRONMENT.get_template("page.html").render(**context)
    return web.Response(text=html, content_type="text/html")


async def _personal(playground: Playground, me: DemoPerson, token: str | None) -> dict[str, object]:
    core = playground.core
    program = core.require_program()
    zone = _zone(me.timezone, program.zone)
    roles = playground.roles(me.ref)
    chat = await asyncio.to_thread(store.history, core.engine, store.dm(me.ref))
    names = playground.directory.call
    channels: list[ChannelView] = []
    shown: set[str] = set()
    for workstream in program.workstreams:
        if not (roles.is_admin or workstream.id in roles.leads):
            continue
        if kind_of(workstream.digest_to) != RefKind.CHANNEL or workstream.digest_to in shown:
            continue
        items = await asyncio.to_thread(
            store.history, core.engine, workstream.digest_to, CHANNEL_HISTORY
        )
        if not items and workstream.id not in roles.leads:
            continue  # admins see the channels that have something in them
        shown.add(workstream.digest_to)
        channels.append(
            ChannelView(
                workstream.digest_to,
                playground.directory.channel_name(workstream.digest_to),
                f"Digests of {workstream.name}",
                view_items(items, zone, names),
            )
        )
    if roles.is_admin and program.review is not None:
        items = await asyncio.to_thread(store.history, core.engine, program.review.to, 4)
        channels.append(
            ChannelView(
                program.review.to,
                playground.directory.channel_name(program.review.to),
                "Program reviews",
                view_items(items, zone, names),
                wide=bool(items),
            )
        )
    examples = [
        "/learning-help",
        "/learning-pause 3",
        "/learning-resume",
        "/learning-mydata export",
    ]
    if roles.is_admin or roles.is_lead:
        own = sorted(roles.leads) or [program.workstreams[0].id]
        examples = [
            f"/learning-digest {own[0]}",
            f"/learning-status {own[0]}" if not roles.is_admin else "/learning-status",
            f"/learning-survey {own[0]}",
            *(["/learning-review"] if roles.is_admin else []),
            *examples,
        ]
    return {
        "my_time": local_time(core.clock.now(), zone),
        "roles": roles,
        "led": sorted(roles.leads),
        "chat": view_items(chat, zone, names),
        "channels": channels,
        "reply": named(playground.take_reply(me.ref, token), names),
        "command_examples": examples,
    }


def _zone(name: str, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return fallback


async def _form(request: web.Request) -> tuple[Playground, DemoPerson, dict[str, str]]:
    playground = request.app[PLAYGROUND]
    data = await request.post()
    form = {key: str(value) for key, value in data.items() if isinstance(value, str)}
    me = playground.identity(form.get("as"))
    if me is None:
        raise web.HTTPBadRequest(text="pick who you are first")
    return playground, me, form


def _int(form: dict[str, str], name: str) -> int:
    try:
        return int(form.get(name, ""))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be a number") from None


async def _dispatch_and_return(
    playground: Playground,
    me: DemoPerson,
    event: Event,
    delivery_id: int | None = None,
    echo: Sequence[str | None] = (),
) -> web.HTTPSeeOther:
    """Dispatch, then go back to the page: at the reply if there is one, else at the card.
    ``echo``: what the person typed, repeated under the reply (a form's text boxes)."""
    reply = await playground.core.dispatch(event)
    typed = tuple(text for text in echo if text)
    if reply is not None and typed and reply.form is None:
        reply = replace(reply, sections=(*reply.sections, Section(YOU_SENT, typed)))
    query = {"as": me.ref}
    anchor = "chat"
    if reply is not None:
        query["reply"] = playground.keep_reply(me.ref, reply)
        anchor = "reply"
    elif delivery_id is not None:
        found = await asyncio.to_thread(
            store.find_delivery, playground.core.engine, store.dm(me.ref), delivery_id
        )
        anchor = f"m{found}" if found is not None else anchor
    return web.HTTPSeeOther(f"/?{urlencode(query)}#{anchor}")


async def answer(request: web.Request) -> web.Response:
    """A button, menu or text answer on a prompt card, with its optional comment."""
    playground, me, form = await _form(request)
    event = AnswerGiven(
        person=me.ref,
        delivery_id=_int(form, "delivery_id"),
        question_id=form.get("question_id", ""),
        value=form.get("value", ""),
        comment=form.get("comment") or None,
    )
    raise await _dispatch_and_return(playground, me, event, event.delivery_id)


async def comment(request: web.Request) -> web.Response:
    """A comment added to an answer already given."""
    playground, me, form = await _form(request)
    event = CommentGiven(
        person=me.ref,
        delivery_id=_int(form, "delivery_id"),
        question_id=form.get("question_id", ""),
        comment=form.get("comment", ""),
    )
    raise await _dispatch_and_return(playground, me, event, event.delivery_id)


async def snooze(request: web.Request) -> web.Response:
    """The snooze control of a prompt card."""
    playground, me, form = await _form(request)
    raise await _dispatch_and_return(playground, me, SnoozeRequested(me.ref, _int(form, "days")))


def parse_command(text: str) -> tuple[str, str]:
    """``/learning-digest lms`` -> (``learning-digest``, ``lms``); the slash is optional."""
    name, _, rest = text.strip().partition(" ")
    return name.lstrip("/").lower(), rest.strip()


async def command(request: web.Request) -> web.Response:
    """The command box: the same words as a Slack slash command."""
    playground, me, form = await _form(request)
    name, text = parse_command(form.get("text", ""))
    if not name:
        raise web.HTTPSeeOther(f"/?{urlencode({'as': me.ref})}")
    raise await _dispatch_and_return(playground, me, CommandIssued(me.ref, name, text))


async def home(request: web.Request) -> web.Response:
    """What Slack's App Home shows, as a private reply."""
    playground, me, _ = await _form(request)
    raise await _dispatch_and_return(playground, me, HomeOpened(me.ref))


async def action(request: web.Request) -> web.Response:
    """A button on a report: ``snooze:<days>``, ``resume`` or a ``/command``."""
    playground, me, form = await _form(request)
    value = form.get("value", "")
    event: Event
    if value.startswith("snooze:") and value.removeprefix("snooze:").isdigit():
        event = SnoozeRequested(me.ref, int(value.removeprefix("snooze:")))
    elif value == "resume":
        event = SnoozeRequested(me.ref, 0)
    elif value.startswith("/") or value.startswith("learning-"):
        name, text = parse_command(value)
        event = CommandIssued(me.ref, name, text)
    else:
        token = playground.keep_reply(me.ref, notice("That button does nothing here yet."))
        raise web.HTTPSeeOther(f"/?{urlencode({'as': me.ref, 'reply': token})}#reply")
    raise await _dispatch_and_return(playground, me, event)


FIELD_PREFIX = "field."


async def submitted_form(request: web.Request) -> web.Response:
    """A form the core asked for (``Report.form``): the command it names, its fixed text, and
    each field (posted as ``field.<name>``) as an option; empty fields are left out.

    The reply repeats what was typed in the form's text boxes (their names come as ``typed``),
    so a refusal (too long, too soon) loses nothing: the words are there to send again."""
    playground, me, form = await _form(request)
    name, _ = parse_command(form.get("command", ""))
    if not name:
        raise web.HTTPBadRequest(text="the form names no command")
    options = {
        key.removeprefix(FIELD_PREFIX): value.strip()
        for key, value in form.items()
        if key.startswith(FIELD_PREFIX) and value.strip()
    }
    typed = [str(v) for v in (await request.post()).getall("typed", []) if isinstance(v, str)]
    event = CommandIssued(me.ref, name, form.get("fixed", "").strip(), options=options)
    raise await _dispatch_and_return(playground, me, event, echo=[options.get(t) for t in typed])


async def advance(request: web.Request) -> web.Response:
    """Move the demo clock and run the engine at every step (see ``timeline``)."""
    playground = request.app[PLAYGROUND]
    data = await request.post()
    who = str(data.get("as", ""))
    try:
        hours = int(str(data.get("hours", "")))
    except ValueError:
        raise web.HTTPBadRequest(text="hours must be a number") from None
    if playground.clock is None or hours not in ADVANCE_CHOICES:
        raise web.HTTPBadRequest(text="the demo clock cannot move like that")
    core = playground.core

    async def colleagues_answer() -> int:
        return await colleagues.answer_due(core, playground.played)

    async with playground.advancing:
        report = await timeline.advance(
            core, playground.clock, timedelta(hours=hours), run_due_work, colleagues_answer
        )
        program = core.require_program()
        playground.last_advance = report.summary(
            local_time(core.clock.now(), program.zone) + f" ({program.timezone})"
        )
    target = f"/?{urlencode({'as': who})}#chat" if playground.identity(who) else "/"
    raise web.HTTPSeeOther(target)


async def download(request: web.Request) -> web.Response:
    """A file the bot sent privately (a data export); only its owner may fetch it."""
    playground = request.app[PLAYGROUND]
    me = playground.identity(request.query.get("as"))
    message_id = int(request.match_info["message_id"])
    message = await asyncio.to_thread(store.get, playground.core.engine, message_id)
    if me is None or message is None or message.conversation != store.dm(me.ref):
        raise web.HTTPNotFound()
    if message.kind != "file":
        raise web.HTTPNotFound()
    filename = str(message.body.get("filename", "file")).replace('"', "")
    return web.Response(
        body=base64.b64decode(message.body["content"]),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        content_type="application/octet-stream",
    )
