"""A deletion request with several processes (two real Tandem processes and a real
``redis-server``): the erasure made through one process reaches the people on the other, whose
replica applies it, sends the person away and tells every page; and what Redis keeps on disk is
rewritten without what was erased."""

from __future__ import annotations

import aiohttp

from clients.admin import join_token
from tests.server.cluster.conftest import ADMIN_KEY, Pair
from tests.server.cluster.test_purge import held_on_disk
from tests.server.cluster.test_two_processes import ok, person
from tests.support import Peer

SAID = "my school is Hillcrest 5512"


async def test_a_participant_erased_through_one_process_is_gone_on_the_other(
        pair: Pair) -> None:
    async with pair.a.admin_async() as api:
        s = await api.create_session(title="Erased across", max_participants=8)
    session_id = s["session_id"]
    mentor, mentee = join_token(s["join_urls"]["mentor"]), join_token(s["join_urls"]["mentee"])
    ana = await person(pair.a, mentor, "Ana")  # on process a
    ben = await person(pair.b, mentee, "Ben")  # on process b
    await ana.next("participant_joined")
    said = await ok(ben, "chat", {"text": SAID})
    assert (await ana.next("chat"))["message"]["text"] == SAID
    # The request goes to process a; Ben is connected to b.
    async with aiohttp.ClientSession() as http, http.delete(
            f"{pair.a.url}/api/attendance/sessions/{session_id}/participants/{ben.id}",
            headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
        assert resp.status == 200, await resp.text()
    assert (await ben.next("removed"))["code"] == "removed"  # by process b
    assert await ana.next("participant_erased") == {
        "participant_id": ben.id, "message_ids": [said["message"]["id"]]}
    # A newcomer through b sees nothing of him: b's replica applied the erasure.
    cleo = Peer(pair.b.url)
    await cleo.connect(mentee)
    joined = await cleo.join("Cleo")
    assert SAID not in str(joined) and ben.id not in str(joined)
    assert held_on_disk(pair.redis, SAID) == []
    for p in (ana, cleo):
        await p.close()
