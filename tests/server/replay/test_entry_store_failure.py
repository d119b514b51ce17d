"""Where someone entered a room (``EnterRoom``) is written to the store as they join or are
moved; with the store out of reach just then, they are still moved (``room_changed``) and
joined, and the opening succeeds: their entry is not known, and ``replay`` answers
``history_gone`` (their page loads the room again) rather than the move going half-way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rooms.commands import EnterRoom
from server.app import CONTEXT
from server.store.redis_index import StoreUnavailable
from tests.server.replay.test_entry import moved, rooms, start
from tests.server.replay.test_replay import member, replay
from tests.support import Api, Peer


def store_away_for_entries(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    store = api.server.app[CONTEXT].store
    real = store.update

    async def update(session_id: str, command: Any) -> Any:
        if isinstance(command, EnterRoom):
            raise StoreUnavailable("The session store is out of reach.")
        return await real(session_id, command)

    monkeypatch.setattr(store, "update", update)


async def test_a_move_goes_through_with_the_store_away_as_its_entry_is_written(
        api: Api, peers: Callable[[], Peer], monkeypatch: pytest.MonkeyPatch) -> None:
    s = await api.create_session()
    mia = await member(api, peers, s, "mentor", "Mia")
    ana = await member(api, peers, s, "mentee", "Ana")
    store_away_for_entries(api, monkeypatch)
    await rooms(mia, {ana: "1:b1"})  # (the opening's answer ok)
    changed = await moved(ana, "1:b1")
    gone = await replay(ana, start(changed))
    assert gone["ok"] is False and gone["error"]["code"] == "history_gone", gone


async def test_a_join_goes_through_with_the_store_away_as_its_entry_is_written(
        api: Api, peers: Callable[[], Peer], monkeypatch: pytest.MonkeyPatch) -> None:
    s = await api.create_session()
    store_away_for_entries(api, monkeypatch)
    ana = peers()
    await ana.connect(api.token(s["join_urls"]["mentee"]))
    ack = await ana.join("Ana")
    assert ack["participant"]["room"] == "main", ack
