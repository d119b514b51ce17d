"""Whiteboards in deletion requests and the retention rule.

A board is deleted whole (``rooms.whiteboard``): a deletion request for a person or for one
participant deletes every board marked as changed by them, copies carried into a pair's next
session included; the retention rule deletes the boards of sessions created before the period
that the session store no longer holds (those it deleted as unused for the period).
Deleted boards leave memory too (every process's, with several), and the pairs' lists forget
their sessions, so nothing of them is listed, exported or copied into a later session again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from rooms.whiteboard import participant_mark, person_mark
from server.context import Erased, Erasure
from server.whiteboard.events import WhiteboardEvents

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class BoardErasure:
    events: WhiteboardEvents

    def register(self, erasure: Erasure) -> None:
        erasure.person.append(self.person)
        erasure.participant.append(self.participant)
        erasure.expired.append(self.expired)

    async def person(self, person_id: str) -> Erased:
        return {"boards": await self._erase(person_mark(person_id))}

    async def participant(self, session_id: str, participant_id: str) -> Erased:
        return {"boards": await self._erase(participant_mark(session_id, participant_id))}

    async def expired(self, before: float) -> Erased:
        # The boards of sessions created before the period that the session store no longer
        # holds (the retention rule deleted them first: a board goes with its session).
        store = self.events.boards.store
        live = set(await self.events.ctx.store.session_ids())
        old = [sid for sid in await store.created_before(before) if sid not in live]
        for session_id in old:
            await self.events.delete(session_id, None, partial(store.delete_session, session_id))
        return {"sessions' boards": len(old)} if old else {}

    async def _erase(self, mark: str) -> int:
        store = self.events.boards.store
        deleted = 0
        for session_id, rooms in (await store.marked(mark)).items():
            deleted += await self.events.delete(
                session_id, rooms, partial(store.delete_boards, session_id, rooms))
            logger.info("boards of session %s deleted on request: %s", session_id, rooms)
        return deleted
