"""A whiteboard replica as the browser keeps one, in pycrdt: the same document shape as
web_client/features/whiteboard/commands.js (an ``items`` map of item maps), local edits collected
as updates to send, an undo manager that tracks only this replica's own changes."""

from __future__ import annotations

import itertools
from typing import Any

from pycrdt import Array, Doc, Map, TransactionEvent, UndoManager

from tests.support import Peer

LOCAL = "local"
# Client ids in creation order (see test_whiteboard_convergence.py on why not random ones).
_client_ids = itertools.count(1000)


class Replica:
    def __init__(self, client_id: int | None = None) -> None:
        self.doc: Doc[Any] = Doc(
            client_id=next(_client_ids) if client_id is None else client_id)
        self.items = self.doc.get("items", type=Map)
        self.outbox: list[bytes] = []
        self._remote = False
        self.doc.observe(self._on_transaction)
        self.undo = UndoManager(scopes=[self.items], capture_timeout_millis=0)
        self.undo.include_origin(LOCAL)
        self.counter = 0

    def _on_transaction(self, event: TransactionEvent) -> None:
        if not self._remote:
            self.outbox.append(event.update)

    def receive(self, update: bytes) -> None:
        self._remote = True
        try:
            self.doc.apply_update(update)
        finally:
            self._remote = False

    def take(self) -> list[bytes]:
        out, self.outbox = self.outbox, []
        return out

    def view(self) -> dict[str, Any]:
        return dict(self.items.to_py() or {})

    # -- edits, as the web client makes them ---------------------------------------------------

    def new_id(self) -> str:
        self.counter += 1
        return f"{self.doc.client_id}-{self.counter}"

    def stroke(self, points: list[float], author: str = "p", color: str = "#1d4ed8") -> str:
        item_id = self.new_id()
        with self.doc.transaction(origin=LOCAL):
            self.items[item_id] = Map({
                "type": "pen", "author": author, "color": color, "width": 3.0,
                "z": float(self.counter), "x": 0.0, "y": 0.0,
                "points": Array([float(p) for p in points]),
            })
        return item_id

    def shape(self, kind: str, x: float, y: float, w: float, h: float,
              author: str = "p") -> str:
        item_id = self.new_id()
        with self.doc.transaction(origin=LOCAL):
            self.items[item_id] = Map({
                "type": kind, "author": author, "color": "#b91c1c", "width": 2.0,
                "z": float(self.counter), "x": x, "y": y, "w": w, "h": h,
            })
        return item_id

    def extend(self, item_id: str, points: list[float]) -> bool:
        item = self.items.get(item_id)
        if not isinstance(item, Map) or not isinstance(item.get("points"), Array):
            return False
        with self.doc.transaction(origin=LOCAL):
            item["points"].extend([float(p) for p in points])
        return True

    def move(self, item_id: str, dx: float, dy: float) -> bool:
        item = self.items.get(item_id)
        if not isinstance(item, Map):
            return False
        with self.doc.transaction(origin=LOCAL):
            item["x"] = float(item.get("x") or 0.0) + dx
            item["y"] = float(item.get("y") or 0.0) + dy
        return True

    def delete(self, item_id: str) -> bool:
        if item_id not in self.items:
            return False
        with self.doc.transaction(origin=LOCAL):
            del self.items[item_id]
        return True


async def synced(peer: Peer, replica: Replica, room: str = "main") -> dict[str, Any]:
    """Sync ``replica`` with the board of ``peer``'s room, as the page does after joining."""
    ack = await peer.call("board_sync", {"room": room, "state": replica.doc.get_state()})
    assert ack["ok"], ack
    replica.receive(ack["update"])
    return ack


async def send(peer: Peer, replica: Replica, room: str = "main") -> list[dict[str, Any]]:
    """Send what the replica changed since the last send, one update at a time."""
    acks = []
    for update in replica.take():
        acks.append(await peer.call("board_update", {"room": room, "update": update}))
    return acks
