"""Moderation over real sockets, where a newcomer or a removed person found a way through:
another person's resume credential through a personal link, a removed person's other device, a
locked mute on another device, someone let in as their page closed. Each test states what
docs/PROTOCOL.md promises."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from rooms.moderation import Admit
from server.app import CONTEXT
from server.settings import Limits, Settings
from tests.support import WAIT, Api, Peer, eventually


@pytest.fixture
def limits() -> Limits:
    return Limits(connections_per_address=12, connections_per_person=2)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, waiting_room="role_links")


ROSTER = [{"name": "Dana", "role": "mentee", "id": "d-1"},
          {"name": "Eli", "role": "mentee", "id": "e-1"}]


async def mentor_in(api: Api, peers: Callable[[], Peer], **session: Any
                    ) -> tuple[dict[str, Any], Peer]:
    s = await api.create_session(**session)
    mentor = peers()
    await mentor.connect(api.token(s["join_urls"]["mentor"]))
    await mentor.join("Mo")
    return s, mentor


def personal(api: Api, s: dict[str, Any], name: str) -> str:
    return api.token(next(link["url"] for link in s["personal_links"] if link["name"] == name))


async def locked_then_on_her_laptop(
        api: Api, peers: Callable[[], Peer]
) -> tuple[dict[str, Any], Peer, Peer, Peer, dict[str, Any]]:
    """Dana, muted with a lock on her phone, opens her laptop: the session, the mentor, the
    phone, the laptop and its join's acknowledgement."""
    s, mentor = await mentor_in(api, peers, waiting_room="off", participants=ROSTER)
    phone = peers()
    await phone.connect(personal(api, s, "Dana"))
    await phone.join(audio=True, video=True)
    await mentor.next("participant_joined")
    assert (await mentor.call("moderate", {"participant_id": phone.id, "action": "mute",
                                           "lock": True}))["ok"]
    laptop = peers()
    await laptop.connect(personal(api, s, "Dana"))
    return s, mentor, phone, laptop, await laptop.join(audio=True, video=True)


async def on_two_devices(api: Api, peers: Callable[[], Peer]
                         ) -> tuple[dict[str, Any], Peer, Peer, Peer]:
    """Dana in on her phone and her laptop (two participants of one roster person): the
    session, the mentor, the phone and the laptop."""
    s, mentor = await mentor_in(api, peers, waiting_room="off", participants=ROSTER)
    phone, laptop = peers(), peers()
    for device in (phone, laptop):
        await device.connect(personal(api, s, "Dana"))
        await device.join()
        await mentor.next("participant_joined")
    return s, mentor, phone, laptop


async def eli_was_here(api: Api, peers: Callable[[], Peer], s: dict[str, Any],
                       mentor: Peer) -> str:
    """Eli joins with his personal link and leaves; his resume credential is what is left
    behind (in the browser of a shared computer, say)."""
    eli = peers()
    await eli.connect(personal(api, s, "Eli"))
    await eli.join()
    await mentor.next("participant_joined")
    assert (await eli.call("leave", {}))["ok"]
    assert eli.resume is not None
    return eli.resume


# -- a foreign resume credential through a personal link ---------------------------------------


async def test_a_foreign_resume_credential_does_not_get_a_newcomer_past_the_lock(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """PROTOCOL: through a personal link, another person's credential "is ignored and the
    link's person joins as themselves"; while locked "nobody new joins (session_locked)"."""
    s, mentor = await mentor_in(api, peers, waiting_room="off", participants=ROSTER)
    eli_resume = await eli_was_here(api, peers, s, mentor)
    assert (await mentor.call("session_lock", {"locked": True}))["ok"]
    dana = peers()
    await dana.connect(personal(api, s, "Dana"))
    # Dana never joined: she is someone new, and the session is locked.
    ack = await dana.call("join", {"resume": eli_resume})
    assert not ack["ok"] and ack["error"]["code"] == "session_locked", (
        f"Dana, new to a locked session, got in with Eli's credential: {ack.get('participant')}")


async def test_a_foreign_resume_credential_does_not_skip_the_waiting_room(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """PROTOCOL: with waiting_room "everyone" every mentee waits unless coming back to the
    participant they were, or a roster person already let in; a foreign credential is
    ignored."""
    s2, mentor2 = await mentor_in(api, peers, waiting_room="everyone", participants=ROSTER)
    eli = peers()
    await eli.connect(personal(api, s2, "Eli"))
    waited = await eli.call("join", {})
    assert waited["waiting"], waited
    await mentor2.next("waiting")
    assert (await mentor2.call("admit", {"waiting_id": waited["waiter"]["id"]}))["ok"]
    admitted = await eli.next("admitted")
    assert (await eli.call("leave", {}))["ok"]
    eli_resume = admitted["resume"]
    dana = peers()
    await dana.connect(personal(api, s2, "Dana"))
    ack = await dana.call("join", {"resume": eli_resume})
    assert ack["ok"]
    assert ack.get("waiting") is True, (
        "Dana, never let in, skipped the waiting room with Eli's credential and joined as "
        f"{ack.get('participant', {}).get('name')!r}")


# -- removal of a person on two devices ---------------------------------------------------------


async def test_removing_a_roster_person_takes_out_their_other_device_too(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """PROTOCOL: remove "takes them out of the session"; a removed person waits "however they
    come (their resume credential, their personal link on another device)". A personal link
    is open on two devices at once (the cap is two): removing the person must not leave them
    in the call on the other one, hearing the room and chatting."""
    s, mentor, phone, laptop = await on_two_devices(api, peers)
    assert phone.id != laptop.id  # two participants of one roster person
    assert (await mentor.call("moderate", {"participant_id": phone.id, "action": "remove"}))["ok"]
    assert (await phone.next("removed"))["code"] == "removed"
    try:
        told = await laptop.next("removed")
    except TimeoutError:
        said = await laptop.call("chat", {"text": "still here"})
        raise AssertionError(f"the removed person is still in on their laptop; its chat: "
                             f"{said}") from None
    assert told["code"] == "removed"
    await asyncio.wait_for(laptop.disconnected.wait(), WAIT)
    left = [await mentor.next("participant_left") for _ in range(2)]
    assert {(e["participant_id"], e["reason"]) for e in left} == {
        (phone.id, "removed"), (laptop.id, "removed")}


async def test_letting_a_removed_person_in_again_lets_in_each_of_their_devices(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """Removing a person removes each of their devices; letting them in again lifts it for
    each (their other device comes back as before, straight in)."""
    s, mentor, phone, laptop = await on_two_devices(api, peers)
    await mentor.call("moderate", {"participant_id": phone.id, "action": "remove"})
    for device in (phone, laptop):
        await asyncio.wait_for(device.disconnected.wait(), WAIT)
    back = peers()
    await back.connect(personal(api, s, "Dana"))
    waited = await back.call("join", {"resume": laptop.resume})
    assert waited["waiting"] and waited["waiter"]["removed_before"], waited
    assert (await mentor.call("admit", {"waiting_id": waited["waiter"]["id"]}))["ok"]
    assert (await back.next("admitted"))["participant"]["id"] == laptop.id
    other = peers()
    await other.connect(personal(api, s, "Dana"))
    ack = await other.join(resume=phone.resume)
    assert "waiting" not in ack and ack["participant"]["id"] == phone.id, ack


# -- a locked mute on another device ------------------------------------------------------------


async def test_someone_admitted_as_their_page_closes_is_not_left_connected(
        api: Api, peers: Callable[[], Peer], server: TestServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ben closes his tab at the moment the mentor lets him in: the admission is applied, then
    his disconnect finds him no longer waiting (and not joined on that connection). He must not
    stay shown as connected, holding a seat, through a connection that is gone."""
    ctx = server.app[CONTEXT]
    s, mentor = await mentor_in(api, peers, waiting_room="everyone")
    sid = s["session_id"]
    ben = peers()
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    waited = await ben.call("join", {"name": "Ben"})
    assert waited["waiting"], waited
    await mentor.next("waiting")
    update = ctx.store.update
    admitted: list[Admit] = []

    async def page_goes_as_admitted(session_id: str, command: Any) -> Any:
        applied = await update(session_id, command)
        if isinstance(command, Admit):
            waiter = next(c for c in ctx.gateway.connections.values()
                          if c.waiting_id == command.waiter_id)
            # The page goes away: its connection is gone before the admission is delivered
            # (its disconnect, applied after the admission, finds nobody waiting).
            ctx.gateway.spawn(ctx.gateway.sio.disconnect(waiter.sid))
            await eventually(lambda: waiter.sid not in ctx.gateway.connections,
                             what="the waiter's connection gone")
            admitted.append(command)
        return applied

    monkeypatch.setattr(ctx.store, "update", page_goes_as_admitted)
    assert (await mentor.call("admit", {"waiting_id": waited["waiter"]["id"]}))["ok"]
    assert admitted

    def ben_connected(session: Any) -> bool:
        return any(p.connected for p in session.participants.values() if p.name == "Ben")

    await mentor.barrier()
    await eventually(lambda: not ben.sio.connected, what="Ben's socket closed")

    async def ben_gone() -> bool:
        return not await ctx.store.read(sid, ben_connected)

    try:
        await eventually(ben_gone, what="Ben shown as gone")
    except AssertionError:
        people = await ctx.store.read(sid, lambda s: [
            (p.name, p.presence.value, p.connection_id) for p in s.participants.values()])
        raise AssertionError(f"Ben stays connected through a closed connection: {people}"
                             ) from None


async def test_a_locked_mute_holds_for_the_person_on_another_device(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """PROTOCOL: with lock "the person cannot turn it back on: media_locked, across reconnects,
    until allow". A roster person opening their personal link on another device (or after
    clearing the browser's data) is the same person."""
    _, _, _, laptop, ack = await locked_then_on_her_laptop(api, peers)
    me = ack["participant"]
    assert (me["audio"], me["audio_locked"]) == (False, True), (
        f"Dana's microphone on her laptop: audio={me['audio']}, locked={me['audio_locked']}")
    again = await laptop.call("media_state", {"audio": True, "video": True})
    assert not again["ok"] and again["error"]["code"] == "media_locked", again
