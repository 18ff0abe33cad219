"""Clicks over HTTP, acknowledged here rather than by bolt's listener chain.

When a whole company answers at 10:00, button clicks (``block_actions``) are nearly all of the
traffic. ``SlackApp.handle_http`` hands a verified click body here instead of to bolt: the click
is taken out of its payload (``clicks.click_of``), offered to the click backlog, and answered
with an empty ``200`` (exactly what bolt's ``ack()`` sends) by ``SlackApp.acknowledge``. It is
then handled by ``SlackApp.handle_click``, the same handler bolt's ``on_action`` listener feeds
clicks over Socket Mode.

What a click skips: building bolt's request (its context, headers and query normalised) and
running bolt's middleware (SSL check, single-team authorization, ignoring the app's own events,
URL verification, workflow function tokens); matching the payload against every registered
listener's matchers; building the listener's ``ack``, ``body``, ``context``… by inspecting its
signature; and bolt's wait for the acknowledgement, which runs the listener as a task and polls
every 10 ms until it has called ``ack()``. Together that is a fifth to a third of the server's CPU
per click, and the acknowledgement takes 1.6 to 3 times as long (figures below).

What still holds: every request's signature and timestamp are checked before this
(``verify.is_authentic``, as bolt's own verification would), a click Slack would not send (no
user, no actions) gets ``400`` and stores nothing, and the acknowledgement comes within Slack's
three seconds: at most ``ACK_WAIT_SECONDS`` for room in the backlog, else ``503`` with
``Retry-After`` (``app``; a bolt listener can only acknowledge or stay silent, so that answer
needs this path too). Slack does not retry interactions; events, which it does retry, still
go through bolt's listeners and are handled once (``RecentIds``).

Why it stays (measured 2026-12-03 against slack_bolt 1.30.0 on a 2-core AMD EPYC machine shared
with other work; ``python -m bench.slack_clicks --quick --people 2000`` on SQLite, 6 runs a side
alternating with and without, in a busy hour (load average about 6) and a quiet one (about 1);
min / median / max):

                         server CPU per click      p50 acknowledgement   ratio to the anchor
    busy   with          0.63 / 0.72 / 0.83 ms     34 / 71 / 92 ms       0.62 / 0.72 / 0.96
           through bolt  0.86 / 0.91 / 1.18 ms     87 / 114 / 176 ms     0.53 / 0.66 / 0.89
    quiet  with          0.46 / 0.49 / 0.56 ms     4.7 / 10.9 / 15.9 ms  0.58 / 0.79 / 0.86
           through bolt  0.69 / 0.79 / 1.05 ms     26.7 / 33.9 / 44.6 ms 0.48 / 0.59 / 0.67

Pair by pair, the CPU per click with this path over that through bolt was 0.63 / 0.71 / 0.97
(busy) and 0.46 / 0.61 / 0.81 (quiet): every pair cheaper. Measure again when bolt is upgraded:
if its listener chain gets as cheap, clicks go back through ``on_action`` (a middleware giving
the 503) and this module goes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.slack import translate
from adapters.slack.clicks import Click, click_of
from adapters.slack.translate import Payload

log = logging.getLogger("learnpulse.slack")

Acknowledge = Callable[[Click | None], Awaitable[web.Response]]


def is_click(payload: Payload) -> bool:
    """Whether a verified body is a button click or menu choice (``block_actions``)."""
    return payload.get("type") == "block_actions"


async def answer_click(payload: Payload, acknowledge: Acknowledge) -> web.Response:
    """``400`` for a click unlike any Slack sends, else ``acknowledge``'s answer for the click
    (None, one that is not ours, is acknowledged and dropped)."""
    problem = translate.click_problem(payload)
    if problem is not None:
        log.warning("a signed Slack request was not understood: %s", problem)
        return web.json_response({"error": problem}, status=400)
    click = click_of(payload)
    del payload  # a click waiting for room holds only what handling needs
    return await acknowledge(click)
