"""Review of deletion requests against the webhooks' intake: announcements wait in memory
(``server/webhooks/intake.py``) before they are written to the outbox, and a deletion request
erases only what the outbox already holds."""

from __future__ import annotations

import time

from aiohttp.test_utils import TestServer

from server.app import CONTEXT
from server.attendance.erasure import delete_person
from server.webhooks.install import WEBHOOKS
from server.webhooks.outbox import DELIVERY
from tests.server.webhooks.conftest import Admin, Receiver
from tests.support import eventually

PERSON = "ben.jones@example.org"


async def test_an_announcement_waiting_in_the_intake_is_not_written_after_a_deletion_request(
        server: TestServer, admin: Admin, receiver: Receiver) -> None:
    """A pair at risk naming Ben is announced, and a deletion request for him runs before the
    intake has written it (it waits in memory: the intake writes in a task of its own). The
    request erases what the outbox holds and returns; then the intake writes the announcement:
    a delivery naming Ben by his id (an email address) is kept, and sent, after his
    deletion."""
    hook = await admin.register(receiver.url + "/hook", ["pair.at_risk"])
    ctx = server.app[CONTEXT]
    intake = server.app[WEBHOOKS].intake
    ctx.announcements.announce("pair.at_risk", {"match_id": "m1", "mentor_id": "ana-1",
                                                "mentee_ids": [PERSON]}, time.time())
    assert len(intake.waiting) == 1  # (the premise: not written yet)

    await delete_person(ctx, PERSON)

    # The barrier: the intake writes in order, so once a later announcement is in the outbox,
    # whatever waited before it was written (or dropped).
    ctx.announcements.announce("pair.at_risk", {"match_id": "m2", "mentor_id": "cleo-3",
                                                "mentee_ids": ["dan-4"]}, time.time())

    async def marker_written() -> bool:
        return any("dan-4" in d.body["person_ids"]
                   for d in await ctx.documents.find(DELIVERY, hook["id"]))

    await eventually(marker_written, what="the later announcement's delivery")
    kept = [d.body for d in await ctx.documents.find(DELIVERY, hook["id"])
            if PERSON in d.body["person_ids"]]
    assert not kept, f"a delivery naming the erased person was kept after the deletion: {kept}"
