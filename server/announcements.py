"""Announcements: how any part of the server tells the outside world that something happened
(a person joined, a pair is at risk) without knowing who listens.

A feature calls ``ctx.announcements.announce(type, data, at)``; the webhooks feature, when
installed, sets ``sink``, which only enqueues (it never blocks and never raises into the
caller). With no sink nothing happens. ``data`` names people by their ids, never by name,
email, chat or anything else they said.
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

logger = logging.getLogger(__name__)

# The closed list of what can be announced (and subscribed to by a webhook).
AnnouncementType = Literal["participant.joined", "participant.left", "session.ended",
                           "rating.given", "pair.at_risk", "ping"]
ANNOUNCEMENT_TYPES: tuple[AnnouncementType, ...] = typing.get_args(AnnouncementType)
Sink = Callable[[AnnouncementType, Mapping[str, Any], float], None]


@dataclass(slots=True)
class Announcements:
    sink: Sink | None = None

    def announce(self, type: AnnouncementType, data: Mapping[str, Any], at: float) -> None:
        """Hand ``data`` (JSON-ready, ids only) to whoever listens; returns at once."""
        if self.sink is None:
            return
        try:
            self.sink(type, data, at)
        except Exception:  # a listener's fault never reaches the code that announced
            logger.exception("announcement %s could not be handed on", type)
