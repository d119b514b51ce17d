"""Delivery of domain events: each kind to the people it concerns, then to the recorders.

Every kind of event in the domain's union has exactly one deliverer, registered by the feature
that owns it (``check_complete`` says which are missing). A recorder sees every batch of events
once everything has been sent; a required recorder is a durable one (the attendance ledger): when
it fails, ``NotRecorded`` is raised once everything has been delivered, so the command that caused
the events is acknowledged with ``not_recorded`` rather than ``ok``. A deliverer that fails (a
room's history out of reach) stops nothing: the batch's other events are delivered and the
recorders keep it all (the command is applied and kept either way), and then its error is
raised.

With several processes (``server.cluster``), every process that holds a session applies each of
its commands and delivers the events to its own connections: deliverers and the recorders that
only follow the session (media, captions) run on each, the required recorders only where the
command was given (``origin``), so a record is written once. While deliverers run, the
gateway's emits stay in this process (``delivering_here``): each process sends to its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rooms.errors import NotRecorded, TandemError
from rooms.events import EVENT_TYPES, Event

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Deliverer = Callable[[Any, "str | None"], Awaitable[None]]
Recorder = Callable[[Sequence[Event]], Awaitable[None]]

# True while a batch of events is being delivered: each process sends to its own connections,
# so emits made meanwhile (and by tasks started meanwhile) are not passed to other processes.
delivering_here: ContextVar[bool] = ContextVar("delivering_here", default=False)
# False while delivering events of a command given in another process: what must happen once
# for the whole cluster (a replayable event's history entry and its sending) happens there.
origin_here: ContextVar[bool] = ContextVar("origin_here", default=True)


async def nothing_to_send(event: Event, actor_sid: str | None) -> None:
    """For events that concern recorders only."""
    return None


@dataclass(slots=True)
class Delivery:
    deliverers: dict[type, Deliverer] = field(default_factory=dict)
    recorders: list[tuple[Recorder, bool]] = field(default_factory=list)
    # What must follow the moment a command is applied, before anything else reaches this
    # process's connections (``applied``); the rest waits for the events' delivery.
    at_once: dict[type, Callable[[Any], None]] = field(default_factory=dict)

    def deliver_with(self, event_type: type[E], deliverer: Callable[[E, str | None],
                                                                     Awaitable[None]]) -> None:
        if event_type in self.deliverers:
            raise ValueError(f"{event_type.__name__} already has a deliverer")
        self.deliverers[event_type] = deliverer

    def on_applied(self, event_type: type[E], act: Callable[[E], None]) -> None:
        """``act`` runs for each event of the kind as soon as the command that caused it is
        applied here (``applied``), whichever process gave it."""
        if event_type in self.at_once:
            raise ValueError(f"{event_type.__name__} already has something done at once")
        self.at_once[event_type] = act

    def applied(self, events: Sequence[Event]) -> None:
        """A command was applied to this process's copy of a session shared with others (and
        kept), and its events may wait for their delivery behind earlier ones: what cannot wait
        is done now. (A person moved out of a room leaves its channel here before anything more
        of that room is sent here: what other processes send to a room does not wait.)"""
        at_once = self.at_once
        if not at_once:
            return
        for event in events:
            act = at_once.get(type(event))
            if act is not None:
                act(event)

    def add_recorder(self, recorder: Recorder, *, required: bool = False) -> None:
        self.recorders.append((recorder, required))

    def missing(self) -> list[str]:
        """Kinds of event nobody delivers."""
        return [t.__name__ for t in EVENT_TYPES if t not in self.deliverers]

    def check_complete(self) -> None:
        if missing := self.missing():
            raise TypeError(f"no delivery for {', '.join(missing)}")

    async def deliver(self, events: Sequence[Event], actor_sid: str | None = None, *,
                      origin: bool = True) -> None:
        """Send each event to those it concerns (``actor_sid`` is the connection whose command
        caused them), then show the batch to every recorder (the required ones only at the
        ``origin``: another process delivering the same events records nothing)."""
        if not events:
            return
        token, origin_token = delivering_here.set(True), origin_here.set(origin)
        try:
            unrecorded = await self._deliver(events, actor_sid, origin)
        finally:
            delivering_here.reset(token)
            origin_here.reset(origin_token)
        if unrecorded is not None:
            raise unrecorded

    async def _deliver(self, events: Sequence[Event], actor_sid: str | None,
                       origin: bool) -> Exception | None:
        # A deliverer that fails (a room's history out of reach) leaves the others to deliver
        # their events and the recorders to keep the batch (the command is applied and kept
        # either way); its error is the answer, once they have.
        failed: Exception | None = None
        for event in events:
            try:
                await self.deliverers[type(event)](event, actor_sid)
            except Exception as exc:
                if failed is None:
                    failed = exc  # (logged where it is answered)
                elif not isinstance(exc, TandemError):
                    logger.exception("delivering %s of session %s failed too",
                                     type(event).__name__, event.session_id)
        unrecorded: TandemError | None = None
        for recorder, required in self.recorders:
            if required and not origin:
                continue
            try:
                await recorder(events)
            except Exception as exc:
                # The recorder's name only: its repr would hold the whole context (rosters,
                # settings with credentials).
                logger.exception("recorder %s failed on %d events of session %s",
                                 getattr(recorder, "__qualname__", type(recorder).__name__),
                                 len(events), events[0].session_id)
                if required and unrecorded is None:
                    unrecorded = exc if isinstance(exc, NotRecorded) else NotRecorded(
                        "This was done but could not be recorded; please tell the organiser.")
        return failed if failed is not None else unrecorded
