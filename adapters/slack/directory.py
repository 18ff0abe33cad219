"""Who is in an audience: channel members, user-group members, and each person's profile.

Profiles (time zone, deactivation, bot or not) come from ``users.info`` and are cached for a day;
a large uncached audience is filled from ``users.list`` pages instead of one call per person.
Bots (and Slackbot) and deactivated users are never part of an audience.

People named by e-mail (the people file) are found in one pass over ``users.list``, whose
profiles carry ``email`` with the ``users:read.email`` scope; the few addresses that pass misses
are asked of ``users.lookupByEmail`` one by one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from adapters.slack import refs
from adapters.slack.web_api import SlackWebApi
from bot.ports import Clock, Member, PermanentSendError

PROFILE_TTL = timedelta(days=1)
PAGE_SIZE = 200
BULK_THRESHOLD = 100  # above this many uncached people, page through users.list
SLACKBOT = "USLACKBOT"
LOOKUP_BY_EMAIL_MAX = 50  # misses of the users.list pass asked one by one; more are unknown


def member_from_user(user: dict[str, Any]) -> Member:
    """A ``users.info`` / ``users.list`` user object as a neutral ``Member``."""
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
    return Member(
        person=refs.person_ref(str(user["id"])),
        timezone=user.get("tz") or None,
        display_name=name or user.get("name"),
        is_bot=bool(user.get("is_bot")) or user.get("id") == SLACKBOT,
        active=not user.get("deleted", False),
    )


class Directory:
    """Audience expansion and a day-long profile cache."""

    def __init__(self, api: SlackWebApi, clock: Clock, lookup_concurrency: int = 20) -> None:
        self.api = api
        self.clock = clock
        self._profiles: dict[str, tuple[Member, datetime]] = {}
        self._lookups = asyncio.Semaphore(lookup_concurrency)

    async def members(self, audience: str) -> list[Member]:
        """People reached by a channel, user group or person reference; no bots, no deactivated."""
        if audience.startswith(refs.CHANNEL_PREFIX):
            user_ids = await self._channel_members(refs.channel_id(audience))
        elif audience.startswith(refs.GROUP_PREFIX):
            user_ids = await self._group_members(refs.group_id(audience))
        else:
            user_ids = [refs.user_id(audience)]
        profiles = await self.profiles(user_ids)
        return [m for m in profiles if m.active and not m.is_bot]

    async def profile(self, user_id: str) -> Member:
        """One person's profile, from the cache when it is less than a day old."""
        return (await self.profiles([user_id]))[0]

    async def profiles(self, user_ids: list[str]) -> list[Member]:
        """Profiles in the order asked; unknown users come back as inactive."""
        now = self.clock.now()
        missing = [u for u in dict.fromkeys(user_ids) if not self._fresh(u, now)]
        if len(missing) > BULK_THRESHOLD:
            await self._fill_from_users_list(set(missing))
            missing = [u for u in missing if not self._fresh(u, now)]
        await asyncio.gather(*(self._fetch(u) for u in missing))
        return [self._profiles[u][0] for u in user_ids if u in self._profiles]

    def forget(self, user_id: str) -> None:
        self._profiles.pop(user_id, None)

    def _fresh(self, user_id: str, now: datetime) -> bool:
        cached = self._profiles.get(user_id)
        return cached is not None and now - cached[1] < PROFILE_TTL

    async def _fetch(self, user_id: str) -> None:
        async with self._lookups:
            try:
                body = await self.api.call("users.info", user=user_id)
                member = member_from_user(body["user"])
            except PermanentSendError:
                member = Member(person=refs.person_ref(user_id), active=False)
        self._profiles[user_id] = (member, self.clock.now())

    async def _fill_from_users_list(self, wanted: set[str]) -> None:
        cursor = ""
        while wanted:
            body = await self.api.call("users.list", limit=PAGE_SIZE, cursor=cursor or None)
            now = self.clock.now()
            for user in body.get("members", []):
                self._profiles[str(user["id"])] = (member_from_user(user), now)
                wanted.discard(str(user["id"]))
            cursor = _next_cursor(body)
            if not cursor:
                break

    async def find_by_email(self, emails: Collection[str]) -> dict[str, Member]:
        """Active people by lower-cased e-mail address: one pass over ``users.list`` (which
        refreshes the profile cache on the way), then ``users.lookupByEmail`` for a few misses."""
        wanted = {e.lower() for e in emails if e}
        found: dict[str, Member] = {}
        cursor = ""
        while wanted - found.keys():
            body = await self.api.call("users.list", limit=PAGE_SIZE, cursor=cursor or None)
            now = self.clock.now()
            for user in body.get("members", []):
                member = member_from_user(user)
                self._profiles[str(user["id"])] = (member, now)
                email = _email_of(user)
                if email in wanted and member.active and not member.is_bot:
                    found[email] = member
            cursor = _next_cursor(body)
            if not cursor:
                break
        misses = sorted(wanted - found.keys())[:LOOKUP_BY_EMAIL_MAX]
        looked_up = await asyncio.gather(*(self._lookup_by_email(e) for e in misses))
        found.update({e: m for e, m in zip(misses, looked_up, strict=True) if m is not None})
        return found

    async def _lookup_by_email(self, email: str) -> Member | None:
        async with self._lookups:
            try:
                body = await self.api.call("users.lookupByEmail", email=email)
            except PermanentSendError:  # users_not_found
                return None
        member = member_from_user(body["user"])
        self._profiles[str(body["user"]["id"])] = (member, self.clock.now())
        return member if member.active and not member.is_bot else None

    async def _channel_members(self, channel: str) -> list[str]:
        return await self._paginate("conversations.members", "members", channel=channel)

    async def _group_members(self, group: str) -> list[str]:
        body = await self.api.call("usergroups.users.list", usergroup=group)
        return [str(u) for u in body.get("users", [])]

    async def _paginate(self, method: str, key: str, **params: Any) -> list[str]:
        found: list[str] = []
        cursor = ""
        while True:
            body = await self.api.call(method, limit=PAGE_SIZE, cursor=cursor or None, **params)
            found.extend(str(v) for v in body.get(key, []))
            cursor = _next_cursor(body)
            if not cursor:
                return found


def _email_of(user: dict[str, Any]) -> str | None:
    email = (user.get("profile") or {}).get("email")
    return str(email).lower() if email else None


def _next_cursor(body: dict[str, Any]) -> str:
    return str((body.get("response_metadata") or {}).get("next_cursor") or "")
