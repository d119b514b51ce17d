"""The media plane's record of each participant: their room, their publish and subscribe
connections, and what orders them (when they last spoke, one call at a time)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiortc import RTCRtpReceiver

from media.forwarding import SlotTrack, Source
from media.peers import PeerKey, ServerPeer
from media.speaking import SpeakingDetector


class Publication:
    def __init__(self, peer: ServerPeer) -> None:
        self.peer = peer
        self.sources: dict[str, Source] = {}
        self.receivers: dict[str, RTCRtpReceiver] = {}
        self.audio: Source | None = None
        self.camera: Source | None = None
        self.screen: Source | None = None


class Subscription:
    def __init__(self, peer: ServerPeer) -> None:
        self.peer = peer
        self.slots: list[SlotTrack] = []
        self.mids: dict[SlotTrack, str] = {}
        self.offer_pending = False
        self.growing = False
        # the slot map the subscriber was last told (``plane.Slot`` values; typed loosely, as
        # this module may not import the plane)
        self.reported: Sequence[object] = ()


class Member:
    def __init__(self, key: PeerKey, room: str, order: int, detector: SpeakingDetector) -> None:
        self.key = key
        self.room = room
        self.order = order
        self.video = True
        self.publication: Publication | None = None
        self.subscription: Subscription | None = None
        self.detector = detector
        self.last_spoke: float | None = None
        self.lock = asyncio.Lock()
        self.busy = 0

    @property
    def room_key(self) -> tuple[str, str]:
        return self.key[0], self.room
