"""The durable board store on a real directory: logs, snapshots, torn tails, deletion."""

from __future__ import annotations

from pathlib import Path

from pycrdt import Doc, Map

from rooms.whiteboard import BoardKey
from server.whiteboard.boards import Boards, Change
from server.whiteboard.store import BoardMeta, BoardStore
from tests.server.whiteboard.replica import Replica

KEY = BoardKey("s1", "main")


def edits(n: int) -> tuple[Replica, list[bytes]]:
    r = Replica()
    for i in range(n):
        r.stroke([float(i), i + 0.5])
    return r, r.take()


def replay(snapshot: bytes | None, updates: tuple[bytes, ...]) -> dict[str, object]:
    doc: Doc[object] = Doc()
    for u in ([snapshot] if snapshot else []) + list(updates):
        doc.apply_update(u)
    return dict(doc.get("items", type=Map).to_py() or {})


async def test_appends_survive_and_a_torn_tail_is_cut(tmp_path: Path) -> None:
    store = BoardStore(tmp_path)
    await store.start()
    r, updates = edits(5)
    for u in updates:
        await store.append(KEY, u)
    await store.close()
    log = tmp_path / "s1" / "main.log"
    good = log.stat().st_size
    with open(log, "ab") as fh:  # a crash in the middle of the next record
        fh.write(b"\x00\x00\x01\x00\x12\x34")
    store = BoardStore(tmp_path)
    await store.start()
    stored = await store.load(KEY)
    assert stored.snapshot is None and list(stored.updates) == updates
    assert replay(None, stored.updates) == r.view()
    assert log.stat().st_size == good
    # A flipped byte inside a record ends the log there too (its checksum fails).
    data = bytearray(log.read_bytes())
    data[-3] ^= 0xFF
    log.write_bytes(bytes(data))
    assert len((await store.load(KEY)).updates) == 4
    await store.close()


async def test_compaction_keeps_everything_and_replay_after_it_is_harmless(
    tmp_path: Path
) -> None:
    store = BoardStore(tmp_path)
    await store.start()
    boards = Boards(store, compact_bytes=200)
    board = await boards.get(KEY)
    r, updates = edits(30)
    for u in updates:
        await boards.apply(board, Change(u, "p1", None), 0.0).written
    snap = tmp_path / "s1" / "main.snap"
    assert snap.exists() and board.stored_bytes < sum(len(u) for u in updates) + 1
    stored = await store.load(KEY)
    assert replay(stored.snapshot, stored.updates) == r.view()
    # As if the process died after the new snapshot but before the log was emptied.
    for u in updates[-3:]:
        await store.append(KEY, u)
    stored = await store.load(KEY)
    assert replay(stored.snapshot, stored.updates) == r.view()
    await store.close()
    store = BoardStore(tmp_path)
    await store.start()
    again = await Boards(store).get(KEY)
    assert again.to_json() == r.view()
    await store.close()


async def test_meta_pairs_listing_and_deletion(tmp_path: Path) -> None:
    store = BoardStore(tmp_path)
    await store.start()
    for sid in ("s1", "s2"):
        await store.write_meta(BoardMeta(sid, "Check-in", "pair-abc", 1.0, {"main": "Main room"}))
        await store.append(BoardKey(sid, "main"), edits(1)[1][0])
    await store.append(BoardKey("s1", "b1"), edits(1)[1][0])
    assert await store.pair_sessions("pair-abc") == ["s1", "s2"]
    assert await store.rooms("s1") == ["b1", "main"]
    meta = await store.read_meta("s1")
    assert meta is not None and meta.rooms == {"main": "Main room"}
    assert await store.delete_session("s1") is True
    assert await store.delete_session("s1") is False
    assert await store.rooms("s1") == [] and await store.read_meta("s1") is None
    assert await store.pair_sessions("pair-abc") == ["s2"]
    await store.close()
