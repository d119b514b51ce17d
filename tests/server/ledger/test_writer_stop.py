"""The group-commit writer at shutdown: a commit that does not return within the bound is
abandoned, and every caller still waiting is told its write was not kept (none waits for ever)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.writer import DatabaseUnavailable, GroupCommit, Op, Rows


class StuckDatabase(GroupCommit):
    """A backend whose commit never returns (a disk or a database that hangs)."""

    name = "stuck"

    def __init__(self) -> None:
        # A queue of one: full behind the stuck commit, so that even queueing the stop waits.
        super().__init__(commit_interval=0, queue_max=1, stop_timeout=0.05)
        self.committing = asyncio.Event()
        self.buffered: list[Rows] = []  # rows the owner of a table has waiting for a commit
        self.add_source(self._drain)

    def _drain(self) -> Rows | None:
        return self.buffered.pop(0) if self.buffered else None

    def rows(self, lost: list[str], name: str) -> Rows:
        rows = Rows("INSERT", [(name,)], self.new_shared_future(), lambda: lost.append(name))
        self.buffered.append(rows)
        return rows

    async def _apply(self, batch: list[Op], buffered: list[Rows]) -> list[Any]:
        self.committing.set()
        await asyncio.get_running_loop().create_future()  # never done
        raise AssertionError("unreachable")


def test_the_bound_on_stopping_is_checked() -> None:
    with pytest.raises(ValueError):
        GroupCommit(stop_timeout=0)


async def test_a_commit_stuck_at_shutdown_fails_every_write_still_waiting() -> None:
    db = StuckDatabase()
    db._start_writer()
    lost: list[str] = []
    failed: list[Op] = []
    db.on_failure.append(failed.extend)
    in_commit_rows = db.rows(lost, "in the commit")
    in_commit = await db.submit(Op(db.new_future()))
    await db.committing.wait()  # the writer is inside the commit that never returns
    queued = await db.submit(Op(db.new_future()))
    assert db._queue is not None and db._queue.full()
    buffered_rows = db.rows(lost, "still buffered")

    closed = await db._stop_writer()

    assert closed
    for future in (in_commit, queued, in_commit_rows.future, buffered_rows.future):
        assert future.done(), future
        assert isinstance(future.exception(), DatabaseUnavailable), future
    assert sorted(lost) == ["in the commit", "still buffered"]
    assert {id(op.future) for op in failed} >= {id(in_commit), id(queued)}
    with pytest.raises(DatabaseUnavailable):
        db.submit_nowait(Op(db.new_future()))  # and later writes are refused, as after a close
