"""Local playground adapter: the same ChatAdapter contract, rendered as HTML in a browser.

``setup`` builds the synthetic directory from the loaded program, mounts the page on the server
and returns the adapter; ``learnpulse demo`` registers it for every platform prefix the program
uses, so ``slack:…`` and ``teams:…`` references are served locally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from adapters.local.adapter import LocalAdapter
from adapters.local.directory import DemoDirectory
from adapters.local.pages import PLAYGROUND, mount
from adapters.local.playground import Playground
from bot.clock import ManualClock

if TYPE_CHECKING:
    from bot.app import LearnPulse

__all__ = ["PLAYGROUND", "LocalAdapter", "Playground", "setup"]


def setup(core: LearnPulse, web_app: web.Application) -> LocalAdapter:
    """Mount the playground on ``web_app``; the demo clock moves only if it is a ``ManualClock``."""
    directory = DemoDirectory.from_program(core.require_program())
    adapter = LocalAdapter(core, directory)
    clock = core.clock if isinstance(core.clock, ManualClock) else None
    mount(web_app, Playground(core, adapter, clock))
    return adapter
