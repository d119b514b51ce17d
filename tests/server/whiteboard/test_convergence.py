"""Convergence, property-based: several replicas edit one board concurrently; their updates reach
the server, and the server's relays reach the others, in an order hypothesis chooses (each link
keeps its own order, as a socket does). Garbage and a mentor's clear are thrown in. Once every
message is delivered, every replica and the server's board hold the same items."""

from __future__ import annotations

from collections import deque
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms.errors import TandemError
from rooms.whiteboard import BoardKey, BoardLimits
from server.whiteboard.boards import Board
from server.whiteboard.yjs import read_needs
from tests.server.whiteboard.replica import Replica

KINDS = ["rect", "ellipse", "arrow", "line", "text"]
coordinate = st.floats(-500, 500, allow_nan=False, width=32)


class World:
    """Replicas, the server's board, and the messages in flight between them."""

    def __init__(self, n: int) -> None:
        self.board = Board(BoardKey("s1", "main"), BoardLimits())
        # Fixed client ids: item ids (and so hypothesis's choices among them) repeat exactly.
        # Increasing with the index, too: pycrdt 0.14.13's UndoManager (used here by the replicas,
        # never by the server) can crash the process when remote updates arrive for some orders
        # of random client ids; 8,000 examples with these ids ran clean.
        self.replicas = [Replica(client_id=i + 1) for i in range(n)]
        self.up: list[deque[bytes]] = [deque() for _ in range(n)]  # replica -> server
        self.down: list[deque[bytes]] = [deque() for _ in range(n)]  # server -> replica
        self.refused = 0
        self.junk_applied = False

    def edit(self, i: int, data: st.DataObject) -> None:
        r = self.replicas[i]
        ids = sorted(r.view())
        op = data.draw(st.sampled_from(["stroke", "shape", "extend", "move", "delete", "undo"]))
        if op == "stroke" or not ids:
            r.stroke(data.draw(st.lists(coordinate, min_size=2, max_size=8)))
        elif op == "shape":
            x, y, w, h = (data.draw(coordinate) for _ in range(4))
            r.shape(data.draw(st.sampled_from(KINDS)), x, y, w, h)
        elif op == "extend":
            r.extend(data.draw(st.sampled_from(ids)), data.draw(st.lists(coordinate, max_size=4)))
        elif op == "move":
            r.move(data.draw(st.sampled_from(ids)), data.draw(coordinate), data.draw(coordinate))
        elif op == "delete":
            r.delete(data.draw(st.sampled_from(ids)))
        else:
            r.undo.undo()
        self.up[i].extend(r.take())

    def server_receives(self, i: int) -> None:
        update = self.up[i].popleft()
        self.board.check(update)
        # Each link keeps its order, so a replica's update builds only on what the server has:
        # the board's reading of what an update builds on never holds one back here (random
        # bytes the server took as an update may have made the server's copy odd: not then).
        assert self.junk_applied or self.board.builds_on_known(read_needs(update))
        self.board.apply(update)
        for j, down in enumerate(self.down):
            if j != i:
                down.append(update)

    def server_refuses(self, junk: bytes) -> None:
        before = self.board.encoded()
        try:
            self.board.check(junk)
        except TandemError:
            self.refused += 1
            assert self.board.encoded() == before
            return
        self.junk_applied = True
        self.board.apply(junk)  # random bytes that happen to be a valid update: a real change
        for down in self.down:
            down.append(junk)

    def clear(self) -> None:
        update = self.board.clear()
        if update:
            for down in self.down:
                down.append(update)

    def replica_receives(self, i: int) -> None:
        self.replicas[i].receive(self.down[i].popleft())

    def drain(self) -> None:
        while any(self.up) or any(self.down):
            for i in range(len(self.replicas)):
                while self.up[i]:
                    self.server_receives(i)
                while self.down[i]:
                    self.replica_receives(i)

    def server_view(self) -> dict[str, Any]:
        return self.board.to_json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 5), data=st.data())
def test_every_replica_and_the_server_end_identical(n: int, data: st.DataObject) -> None:
    world = World(n)
    steps = data.draw(st.integers(5, 60))
    for _ in range(steps):
        i = data.draw(st.integers(0, n - 1))
        action = data.draw(st.sampled_from(
            ["edit", "edit", "edit", "up", "up", "down", "down", "junk", "clear"]))
        if action == "edit":
            world.edit(i, data)
        elif action == "up" and world.up[i]:
            world.server_receives(i)
        elif action == "down" and world.down[i]:
            world.replica_receives(i)
        elif action == "junk":
            world.server_refuses(data.draw(st.binary(min_size=1, max_size=64)))
        elif action == "clear" and data.draw(st.integers(0, 9)) == 0:
            world.clear()
    world.drain()
    expected = world.server_view()
    for replica in world.replicas:
        assert replica.view() == expected
    # A replica that joins now, from the server's state alone, sees the same.
    late = Replica()
    late.receive(world.board.missing(late.doc.get_state()))
    assert late.view() == expected
