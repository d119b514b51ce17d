"""Boards after a process's channel was down (``tests/server/whiteboard/nodes.py``: two apps
sharing a real ``redis-server``, node b's channel connection cut and kept down while node a
deletes a board or keeps updates, b's commands to Redis working all along). Whatever b missed,
its boards end as Redis holds them: a deleted board leaves b's memory and nothing of it is
written back (a change made on b's copy of it is refused, ``board_deleted``); a kept update
reaches b's board; nothing b's own people drew is lost on the way."""

from __future__ import annotations

import asyncio

from rooms.errors import BoardDeleted, NotRecorded
from rooms.whiteboard import BoardKey
from server.whiteboard.store import Fence
from tests.server.whiteboard.nodes import (
    Nodes,
    big_stroke,
    delete_boards,
    fresh_sync,
    pair_in_session,
)
from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import eventually


async def test_a_board_deleted_while_the_channel_was_down_is_not_written_back_after_it(
        nodes: Nodes) -> None:
    session_id, ana, drawn, urls = await pair_in_session(nodes, "Deleted while away")
    secret = next(iter(drawn.view()))
    # Cleo, on b, has a stroke on its way to Redis when the channel comes back (b is busy
    # writing that board).
    cleo = await nodes.b.person(urls["mentee"], "Cleo")
    rc = Replica()
    await synced(cleo, rc)
    cleo_drew = rc.stroke([1.0, 2.0], author="cleo")
    (cleos,) = rc.take()
    store = nodes.b.store
    append = store.append
    release = asyncio.Event()

    def held_append(key: BoardKey, update: bytes,
                    fence: Fence | None = None) -> asyncio.Future[None]:
        if update != cleos:
            return append(key, update, fence)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def later() -> None:
            await release.wait()
            try:
                future.set_result(await append(key, update, fence))
            except (NotRecorded, BoardDeleted) as exc:
                future.set_exception(exc)

        nodes.b.ctx.gateway.spawn(later())
        return future

    store.append = held_append  # type: ignore[method-assign]
    await nodes.outage.begin()
    sending = asyncio.ensure_future(cleo.call("board_update", {"room": "main", "update": cleos}))
    await eventually(lambda: nodes.b.events.boards.busy.get(BoardKey(session_id, "main")),
                     what="Cleo's stroke on its way")
    await delete_boards(nodes.a, session_id)  # b misses the message saying so
    assert await nodes.stored(session_id) == {}
    await nodes.channel_back()

    # Dee, on b, draws after that: a stroke big enough to compact the board.
    dee = await nodes.b.person(urls["mentee"], "Dee")
    rd = Replica()
    await synced(dee, rd)
    handed_out = rd.view()
    deed = big_stroke(rd, "dee")
    assert all(ack["ok"] for ack in await send(dee, rd))
    release.set()
    # Cleo's stroke, made on b's copy of the deleted board, reaches Redis after the deletion:
    # refused, and nothing of it is stored (Dee's board is another)
    refused = await sending
    assert refused["ok"] is False and refused["error"]["code"] == "board_deleted", refused
    held = await nodes.stored(session_id)
    assert deed in held
    assert secret not in held, "the deleted board was written back"
    assert cleo_drew not in held, "a change made on the deleted board was stored"
    assert nodes.b.board(session_id) is not None, "b dropped the new board"
    assert secret not in handed_out, "b still handed out the deleted board"
    assert secret not in await fresh_sync(nodes.b, urls["mentee"], "Eve")
    assert secret not in await fresh_sync(nodes.a, urls["mentee"], "Fay")
    for peer in (ana, cleo, dee):
        await peer.close()


async def test_an_update_on_a_deleted_board_before_the_channel_is_back_writes_nothing_back(
        nodes: Nodes) -> None:
    session_id, ana, drawn, urls = await pair_in_session(nodes, "Drawn on while away")
    secret = next(iter(drawn.view()))
    await nodes.outage.begin()
    await delete_boards(nodes.a, session_id)
    # Cleo, on b, draws before b has heard: her stroke, past the compaction size, is made on
    # the copy b read before the deletion. Redis refuses its write (and its compaction), and b
    # drops that copy.
    cleo = await nodes.b.person(urls["mentee"], "Cleo")
    rc = Replica()
    await synced(cleo, rc)
    cleos = big_stroke(rc, "cleo")
    (ack,) = await send(cleo, rc)
    assert ack["ok"] is False and ack["error"]["code"] == "board_deleted", ack
    assert nodes.b.board(session_id) is None, "b kept its copy of the deleted board"
    assert await nodes.stored(session_id) == {}, "the deleted board was written back"
    # her page drops its copy and syncs again (as the reference client does): what she draws
    # then is kept
    again = Replica()
    await synced(cleo, again)
    assert again.view() == {}
    agains = big_stroke(again, "cleo")
    assert all(ack["ok"] for ack in await send(cleo, again))
    held = await nodes.stored(session_id)
    assert set(held) == {agains}
    assert secret not in held and cleos not in held
    await nodes.channel_back()
    # b has dropped it now: what it hands out is what Redis holds
    assert secret not in await fresh_sync(nodes.b, urls["mentee"], "Dee")
    board = nodes.b.board(session_id)
    assert board is None or secret not in board.to_json()
    for peer in (ana, cleo):
        await peer.close()


async def test_updates_kept_while_the_channel_was_down_reach_the_board_and_none_is_lost(
        nodes: Nodes) -> None:
    session_id, ana, drawn, urls = await pair_in_session(nodes, "Missed")
    ben = await nodes.b.person(urls["mentee"], "Ben")
    rb = Replica()
    await synced(ben, rb)
    store = nodes.b.store
    append = store.append
    failed: list[bytes] = []

    def failing_once(key: BoardKey, update: bytes,
                     fence: Fence | None = None) -> asyncio.Future[None]:
        if failed:
            return append(key, update, fence)
        failed.append(update)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_exception(NotRecorded("Redis took too long"))
        return future

    await nodes.outage.begin()
    # a keeps Ana's next stroke; b misses its message
    later = drawn.stroke([5.0, 5.0], author="ana")
    assert all(ack["ok"] for ack in await send(ana, drawn))
    assert later in await nodes.stored(session_id)
    # Ben's stroke, on b, is not stored (not_recorded); it stays in b's board
    store.append = failing_once  # type: ignore[method-assign]
    bens = rb.stroke([7.0, 7.0], author="ben")
    (ack,) = await send(ben, rb)
    assert ack["error"]["code"] == "not_recorded"
    board = nodes.b.board(session_id)
    assert board is not None and later not in board.to_json()
    await nodes.channel_back()
    board = nodes.b.board(session_id)
    assert board is not None
    assert set(board.to_json()) == set(drawn.view()) | {bens}
    # Ben's next stroke is kept, and the one before it with it
    again = rb.stroke([8.0, 8.0], author="ben")
    assert all(ack["ok"] for ack in await send(ben, rb))
    assert set(await nodes.stored(session_id)) == set(drawn.view()) | {bens, again}
    for peer in (ana, ben):
        await peer.close()


async def test_a_stroke_stored_while_the_board_is_read_again_is_no_sign_of_a_deletion(
        nodes: Nodes) -> None:
    """Once b's channel is back it reads its board again; a stroke of Ben's that b stores while
    that read is under way is missing from what it read, yet the board was not deleted: it stays,
    with the stroke."""
    session_id, ana, drawn, urls = await pair_in_session(nodes, "Drawn while read")
    ben = await nodes.b.person(urls["mentee"], "Ben")
    rb = Replica()
    await synced(ben, rb)
    store = nodes.b.store
    load = store.load
    drawn_meanwhile: list[str] = []

    async def load_then_draw(key: BoardKey) -> object:
        stored = await load(key)
        if not drawn_meanwhile:  # Ben's stroke kept by b after the read, before it is used
            drawn_meanwhile.append(rb.stroke([9.0, 9.0], author="ben"))
            assert all(ack["ok"] for ack in await send(ben, rb))
        return stored

    await nodes.outage.begin()
    store.load = load_then_draw  # type: ignore[method-assign]
    await nodes.channel_back()
    store.load = load  # type: ignore[method-assign]
    assert drawn_meanwhile, "the board was not read again"
    board = nodes.b.board(session_id)
    assert board is not None and not board.deleted, "the board was taken for deleted"
    assert set(board.to_json()) == set(drawn.view()) | set(drawn_meanwhile)
    assert set(await nodes.stored(session_id)) == set(drawn.view()) | set(drawn_meanwhile)
    for peer in (ana, ben):
        await peer.close()


async def test_a_board_deleted_and_drawn_on_again_while_the_channel_was_down_is_the_new_one(
        nodes: Nodes) -> None:
    session_id, ana, drawn, urls = await pair_in_session(nodes, "Started again while away")
    secret = next(iter(drawn.view()))
    await nodes.outage.begin()
    await delete_boards(nodes.a, session_id)
    again = Replica()  # Ana's page, after the deletion
    await synced(ana, again)
    assert again.view() == {}
    again.stroke([3.0, 4.0], author="ana")
    assert all(ack["ok"] for ack in await send(ana, again))
    await nodes.channel_back()
    # Redis holds a board again, but not the one b held: b dropped its copy
    assert nodes.b.board(session_id) is None
    assert await fresh_sync(nodes.b, urls["mentee"], "Dee") == again.view()
    assert secret not in await nodes.stored(session_id)
    await ana.close()
