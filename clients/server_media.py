"""Media through the server as a browser does it, with aiortc: one publish connection (this side
offers its tracks) and one subscribe connection (the server offers slots, this side answers),
over any socket that can ``call`` Tandem's events (docs/PROTOCOL.md, "Through the server").

Used by the tests of the media feature and by the benchmarks: it counts the frames it receives
from each participant, whatever slot carries them, and when the first one arrived.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

logger = logging.getLogger(__name__)

Call = Callable[[str, Any], Awaitable[dict[str, Any]]]


class MediaRefused(RuntimeError):
    """The server answered a media event with an error acknowledgement."""

    def __init__(self, event: str, ack: dict[str, Any]) -> None:
        super().__init__(f"{event} refused: {ack}")
        self.code = str(ack.get("error", {}).get("code"))


@dataclass(eq=False)
class ServerMedia:
    call: Call
    clock: Callable[[], float] = time.monotonic
    publish_pc: RTCPeerConnection | None = None
    subscribe_pc: RTCPeerConnection | None = None
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)  # mid -> slot
    frames: Counter[tuple[str, str]] = field(default_factory=Counter)  # (participant, kind)
    first_frame_at: dict[str, float] = field(default_factory=dict)  # participant -> when
    offers: int = 0  # descriptions the server sent for the subscribe connection
    _readers: set[asyncio.Task[None]] = field(default_factory=set)
    _screen: RTCRtpTransceiver | None = None

    # -- publishing -------------------------------------------------------------------------------

    async def publish(self, *tracks: MediaStreamTrack,
                      screen: MediaStreamTrack | None = None) -> None:
        """Offer ``tracks`` (and a screen) to the server, ``sendonly``."""
        if self.publish_pc is None:
            self.publish_pc = _connection()
            for track in tracks:
                self.publish_pc.addTransceiver(track, direction="sendonly")
        if screen is not None and self._screen is None:
            self._screen = self.publish_pc.addTransceiver(screen, direction="sendonly")
        pc = self.publish_pc
        await pc.setLocalDescription(await pc.createOffer())
        screen_mid = self._screen.mid if self._screen is not None else None
        ack = await self._call("media_publish", {"sdp": pc.localDescription.sdp,
                                                 "screen_mid": screen_mid})
        await pc.setRemoteDescription(RTCSessionDescription(ack["sdp"], "answer"))

    # -- subscribing ------------------------------------------------------------------------------

    async def subscribe(self, video: bool = True) -> None:
        if self.subscribe_pc is None:
            self.subscribe_pc = _connection()
            self.subscribe_pc.on("track", self._on_track)
        ack = await self._call("media_subscribe", {"video": video})
        await self.offered({"sdp": ack["sdp"], "slots": ack["slots"]})

    async def offered(self, data: dict[str, Any]) -> None:
        """The server's offer for the subscribe connection (``media_offer`` or the subscribe
        acknowledgement): answer it."""
        pc = self.subscribe_pc
        if pc is None:
            return
        self.offers += 1
        self.remap(data)
        await pc.setRemoteDescription(RTCSessionDescription(data["sdp"], "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self._call("media_answer", {"sdp": pc.localDescription.sdp})

    def remap(self, data: dict[str, Any]) -> None:
        """A slot map (``media_slots``): which participant each slot carries now."""
        self.slots = {slot["mid"]: slot for slot in data["slots"]}

    def carrying(self, kind: str, source: str = "camera") -> set[str]:
        """Participants whose ``kind`` the slots carry now."""
        return {s["participant_id"] for s in self.slots.values()
                if s["kind"] == kind and s["participant_id"] is not None
                and (kind == "audio" or s["source"] == source)}

    def _on_track(self, track: MediaStreamTrack) -> None:
        task = asyncio.get_running_loop().create_task(self._read(track))
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)

    def _mid_of(self, track: MediaStreamTrack) -> str | None:
        pc = self.subscribe_pc
        if pc is None:
            return None
        for t in pc.getTransceivers():
            if t.receiver.track is track:
                return str(t.mid)
        return None

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                self.count(self._mid_of(track) or "", track.kind)
        except MediaStreamError:
            return

    def count(self, mid: str, kind: str) -> None:
        """A frame arrived on slot ``mid``: counted for whoever the slot map says it carries."""
        slot = self.slots.get(mid)
        if slot is None or not slot["participant_id"]:
            return
        who = str(slot["participant_id"])
        self.frames[(who, "screen" if slot["source"] == "screen" else kind)] += 1
        self.first_frame_at.setdefault(who, self.clock())

    # -- the end ----------------------------------------------------------------------------------

    async def stop(self) -> None:
        """Close both connections here (the server closes its side on ``media_stop``, leave or
        disconnect)."""
        for pc in (self.publish_pc, self.subscribe_pc):
            if pc is not None:
                await pc.close()
        self.publish_pc = self.subscribe_pc = None
        for task in list(self._readers):
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)

    async def _call(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        ack = await self.call(event, data)
        if not ack.get("ok"):
            raise MediaRefused(event, ack)
        return ack


def _connection() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
