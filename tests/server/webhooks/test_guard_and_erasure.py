"""The address rule on its own, and what deletion requests and the retention rule remove from
the outbox."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from rooms.commands import Join, Leave
from rooms.erasure import ErasePerson
from rooms.events import ParticipantLeft
from rooms.roles import Role
from rooms.roster import RosterEntry, SessionPlan, person_link
from rooms.session import Session
from server.app import CONTEXT
from server.webhooks.events import announcements_for
from server.webhooks.guard import is_public
from server.webhooks.outbox import DELIVERY
from tests.server.webhooks.conftest import Admin, Receiver
from tests.support import eventually


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1", "::1", "::", "fe80::1",
    "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::",
    "64:ff9b::a00:1", "not an address",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111",
                                     "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public(address)


async def test_deletion_requests_and_retention_remove_deliveries(
        server: TestServer, admin: Admin, receiver: Receiver) -> None:
    hook = await admin.register(receiver.url + "/hook", ["pair.at_risk"])
    ctx = server.app[CONTEXT]
    now = time.time()
    ctx.announcements.announce("pair.at_risk", {"match_id": "m1", "mentor_id": "ana-1",
                                                "mentee_ids": ["ben-2"]}, now)
    ctx.announcements.announce("pair.at_risk", {"match_id": "m2", "mentor_id": "cleo-3",
                                                "mentee_ids": ["dan-4"]}, now - 400 * 86400)
    await eventually(lambda: len(receiver.got) == 2)

    async def logged() -> bool:
        log: list[dict[str, Any]] = await admin.log(hook["id"])
        return [d["state"] for d in log] == ["delivered", "delivered"]

    await eventually(logged)
    assert (await ctx.erasure.erase_person("ben-2"))["webhook deliveries"] == 1
    [left] = await ctx.documents.find(DELIVERY, hook["id"])
    assert left.body["person_ids"] == ["cleo-3", "dan-4"]
    assert (await ctx.erasure.expire(now - 365 * 86400))["webhook deliveries"] == 1
    assert await ctx.documents.find(DELIVERY, hook["id"]) == []


def test_someone_sent_away_by_a_deletion_request_is_not_announced() -> None:
    """The erasure of someone in the call makes them leave (their page and the others' are
    told), but a webhook is not: its announcement would carry the person's id to a receiver
    while the request deletes it everywhere else."""
    ben = RosterEntry("ben@example.org", "Ben", Role.MENTEE)
    s = Session.create(session_id="s1", title="T", max_participants=8, now=0.0,
                       plan=SessionPlan(roster=(ben,)))
    Join(connection_id="c-b", role=Role.MENTEE, name="Ben", new_participant_id="b",
         audio=False, video=False, at=1.0, link_name=person_link(ben.person_id)).apply(s)
    events = ErasePerson(ben.person_id, 2.0).apply(s).events
    assert any(isinstance(e, ParticipantLeft) for e in events)
    assert announcements_for(events) == []
    # (a leave of someone not erased is announced, with their person)
    other = Session.create(session_id="s2", title="T", max_participants=8, now=0.0,
                           plan=SessionPlan(roster=(ben,)))
    Join(connection_id="c-b", role=Role.MENTEE, name="Ben", new_participant_id="b",
         audio=False, video=False, at=1.0, link_name=person_link(ben.person_id)).apply(other)
    left = announcements_for(Leave("b", "c-b", 2.0).apply(other).events)
    assert [(a.type, a.person_ids) for a in left] == [("participant.left", (ben.person_id,))]
