"""The memory history on its own: offsets and epochs per room, paging, and its bounds across
rooms (the oldest entries of all go first, rooms past their number go whole)."""

from __future__ import annotations

from server.history import ENTRY_OVERHEAD, ORDER_SLACK, ROOM_OVERHEAD, Gone, MemoryHistory, Replay
from server.settings import HistoryBounds
from tests.support import Clock


def history(**bounds: int | float) -> tuple[MemoryHistory, Clock]:
    clock = Clock()
    return MemoryHistory(HistoryBounds(**bounds), clock), clock  # type: ignore[arg-type]


async def test_each_room_counts_its_own_offsets_under_its_own_epoch() -> None:
    h, _ = history()
    a1 = await h.append("s", "main", "chat", {"n": 1})
    b1 = await h.append("s", "1:b1", "chat", {"n": 1})
    a2 = await h.append("s", "main", "caption", {"n": 2, "raw": b"\x00\xff"})
    assert (a1.offset, a2.offset, b1.offset) == (1, 2, 1)
    assert a1.epoch == a2.epoch != b1.epoch
    got = await h.since("s", "main", a1.epoch, 0, 1 << 20)
    assert isinstance(got, Replay)
    assert [(e.offset, e.event, e.payload) for e in got.entries] == [
        (1, "chat", {"n": 1}), (2, "caption", {"n": 2, "raw": b"\x00\xff"})]
    # Started afresh after a drop: a new epoch, offsets from 1 again.
    assert await h.drop("s") == 3
    again = await h.append("s", "main", "chat", {"n": 3})
    assert again.offset == 1 and again.epoch != a1.epoch
    gone = await h.since("s", "main", a1.epoch, 2, 1 << 20)
    assert isinstance(gone, Gone) and gone.reason == "epoch" and gone.latest == again


async def test_over_its_bytes_the_oldest_entries_of_every_room_go_first() -> None:
    h, clock = history(bytes=3000)
    a = await h.append("s", "main", "chat", {"t": "a" * 500})
    clock.now += 1
    b = await h.append("t", "main", "chat", {"t": "b" * 500})
    for n in range(3):
        clock.now += 1
        await h.append("s", "main", "chat", {"t": str(n) * 500})
    assert h.stats()["bytes"] <= 3000
    # Room (t, main)'s entry was older than (s, main)'s later ones: it went before them.
    gone = await h.since("t", "main", b.epoch, 0, 1 << 20)
    assert isinstance(gone, Gone) and gone.reason == "trimmed"
    first = await h.since("s", "main", a.epoch, 0, 1 << 20)
    assert isinstance(first, Gone)
    kept = await h.since("s", "main", a.epoch, 1, 1 << 20)
    assert isinstance(kept, Replay) and [e.offset for e in kept.entries] == [2, 3, 4]
    assert h.stats()["entries"] == 3 and h.stats()["bytes"] >= 3 * (500 + ENTRY_OVERHEAD)


async def test_past_their_number_the_least_recently_used_rooms_go_whole() -> None:
    h, _ = history(rooms=2)
    one = await h.append("s", "r1", "chat", {})
    await h.append("s", "r2", "chat", {})
    await h.append("s", "r1", "chat", {})  # r1 used since r2
    await h.append("s", "r3", "chat", {})
    assert sorted(k[1] for k in h.rooms) == ["r1", "r3"]
    assert isinstance(await h.since("s", "r1", one.epoch, 0, 1 << 20), Replay)
    assert await h.sessions() == ["s"]


async def test_its_order_of_entries_stays_within_a_small_multiple_of_the_entries_kept() -> None:
    # One young entry of a quiet room heads the order while a busy room's entries pass its
    # count bound: the order must not keep every entry ever appended behind it.
    h, clock = history(events=10, seconds=600)
    quiet = await h.append("s", "quiet", "chat", {"t": "a"})
    for n in range(20_000):
        clock.now += 0.005
        busy = await h.append("s", "busy", "board_update", {"n": n})
        kept = h.stats()["entries"]
        assert len(h.order) <= 2 * kept + ORDER_SLACK, (n, len(h.order), kept)
    assert h.stats()["entries"] == 11
    # The bounds still hold after the order was compacted: past their age the quiet entry and
    # the busy room's ten go, the newest stays.
    clock.now += 600
    last = await h.append("s", "busy", "board_update", {"n": "last"})
    gone = await h.since("s", "quiet", quiet.epoch, 0, 1 << 20)
    assert isinstance(gone, Gone) and gone.reason == "trimmed"
    assert isinstance(await h.since("s", "busy", busy.epoch, busy.offset - 1, 1 << 20), Gone)
    newest = await h.since("s", "busy", busy.epoch, busy.offset, 1 << 20)
    assert isinstance(newest, Replay) and [e.offset for e in newest.entries] == [last.offset]
    assert h.stats()["entries"] == h.kept == 1 and len(h.order) <= 2 + ORDER_SLACK
    assert h.bytes == 2 * ROOM_OVERHEAD + sum(
        len(e.data) + ENTRY_OVERHEAD for r in h.rooms.values() for e in r.entries)
