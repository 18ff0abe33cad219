"""Finding Teams people by user principal name, e-mail address or AAD object id.

The Bot Connector has no search: the rosters of the teams the app is installed in are listed
page by page (the same call that expands a team audience), once per lookup, and matched in
memory. Someone in no such team is not found.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from adapters.teams.connector import PagedMember
from adapters.teams.refs import person_ref
from bot.ports import LookupKind, Member

Roster = Callable[[], Awaitable[list[PagedMember]]]


def key_of(member: PagedMember, by: LookupKind) -> str | None:
    """The member's value of ``by``, lower-cased (Azure AD compares all three case-blind)."""
    value = {
        "email": member.email,
        "upn": member.user_principal_name,
        "aad_object_id": member.aad_object_id,
    }[by]
    return value.lower() if value else None


async def find_in_rosters(
    rosters: list[Roster], by: LookupKind, values: Collection[str]
) -> dict[str, Member]:
    """People of the rosters whose ``by`` is one of ``values``, by that value lower-cased."""
    wanted = {v.lower() for v in values}
    found: dict[str, Member] = {}
    for roster in rosters:
        if not wanted - found.keys():
            break
        for member in await roster():
            key = key_of(member, by)
            if key in wanted and member.aad_object_id and key not in found:
                found[key] = Member(
                    person=person_ref(member.aad_object_id), display_name=member.name
                )
    return found
