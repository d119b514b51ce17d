"""A participant without a browser: it joins over Socket.IO like the web client and connects
aiortc peer connections to everyone in its room, by the same rules (docs/PROTOCOL.md): the one who
arrives in a room makes the offers, and every room change closes the old connections.

Used to measure (load_tests/breakout_video.py) and to test media paths with real WebRTC peers
(tests/media/). aiortc puts all its ICE candidates in the SDP, so this participant sends no trickle
candidates; it accepts them.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import socketio
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame

logger = logging.getLogger(__name__)

VIDEO_CLOCK = 90_000


class SmallVideoTrack(MediaStreamTrack):
    """A moving test pattern, small so that many peers fit on one machine."""

    kind = "video"

    def __init__(self, width: int = 160, height: int = 120, fps: int = 15) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._count = 0
        self._began: float | None = None

    async def recv(self) -> VideoFrame:
        if self._began is None:
            self._began = time.monotonic()
        due = self._began + self._count / self.fps
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        image = np.zeros((self.height, self.width, 3), dtype=np.uint8)
        image[:, (self._count * 4) % self.width] = 255
        frame = VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = self._count * (VIDEO_CLOCK // self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self._count += 1
        return frame


@dataclass(slots=True)
class PeerLink:
    """One peer connection to one other participant."""

    pc: RTCPeerConnection
    reader: asyncio.Task[None] | None = None


@dataclass(slots=True, eq=False)
class HeadlessParticipant:
    url: str
    token: str
    name: str
    video: bool = True
    media_in_main: bool = True  # False: connect media only inside breakout rooms
    clock: Callable[[], float] = time.time
    sio: socketio.AsyncClient = field(init=False)
    me: dict[str, Any] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, PeerLink] = field(default_factory=dict)
    ice_servers: list[RTCIceServer] = field(default_factory=list)
    first_frame_at: dict[str, float] = field(default_factory=dict)
    frame_seen: asyncio.Event = field(default_factory=asyncio.Event)
    events: dict[str, list[Any]] = field(default_factory=dict)
    _track: SmallVideoTrack | None = None
    _closing: bool = False

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        for name, handler in {
            "participant_joined": self._on_presence,
            "participant_rejoined": self._on_rejoined,
            "participant_left": self._on_left,
            "participant_updated": self._on_presence,
            "participant_moved": self._on_moved,
            "room_changed": self._on_room_changed,
            "signal": self._on_signal,
        }.items():
            self.sio.on(name, self._recording(name, handler))
        for name in ("breakouts", "breakout_warning", "chat"):
            self.sio.on(name, self._recording(name, None))

    def _recording(
        self, name: str, handler: Callable[[Any], Any] | None
    ) -> Callable[[Any], Any]:
        async def run(data: Any = None) -> None:
            self.events.setdefault(name, []).append(data)
            if handler is not None and not self._closing:
                try:
                    await handler(data)
                except Exception:
                    logger.exception("%s: handling %s failed", self.name, name)

        return run

    @property
    def id(self) -> str:
        return str(self.me["id"])

    @property
    def room(self) -> str:
        return str(self.me.get("room", "main"))

    async def start(self) -> dict[str, Any]:
        await self.sio.connect(self.url, auth={"token": self.token}, transports=["websocket"],
                               wait_timeout=10)
        ack: dict[str, Any] = await self.sio.call(
            "join", {"name": self.name, "audio": False, "video": self.video}, timeout=10
        )
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        self.me = ack["participant"]
        self.people = {p["id"]: p for p in ack["participants"]}
        self.ice_servers = [RTCIceServer(**s) for s in ack["ice_servers"]]
        await self._offer_to_room()
        return ack

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        ack: dict[str, Any] = await self.sio.call(event, data or {}, timeout=10)
        return ack

    async def close(self) -> None:
        self._closing = True
        for pid in list(self.links):
            await self._drop(pid)
        if self._track is not None:
            self._track.stop()
        if self.sio.connected:
            await self.sio.disconnect()

    # -- rules of the mesh ----------------------------------------------------------------------

    def _wants_media(self) -> bool:
        return self.media_in_main or self.room != "main"

    def _roommates(self) -> list[str]:
        return [pid for pid, p in self.people.items()
                if pid != self.id and p["state"] == "connected" and p["room"] == self.room]

    async def _offer_to_room(self) -> None:
        if not self._wants_media():
            return
        for pid in self._roommates():
            await self._offer(pid)

    async def _on_presence(self, data: dict[str, Any]) -> None:
        p = data["participant"]
        self.people[p["id"]] = p

    async def _on_rejoined(self, data: dict[str, Any]) -> None:
        await self._drop(data["participant"]["id"])  # the returning side offers anew
        await self._on_presence(data)

    async def _on_left(self, data: dict[str, Any]) -> None:
        pid = data["participant_id"]
        if pid in self.people:
            self.people[pid]["state"] = "left" if data["reason"] == "left" else "disconnected"
        await self._drop(pid)

    async def _on_moved(self, data: dict[str, Any]) -> None:
        p = data["participant"]
        self.people[p["id"]] = p
        if p["id"] == self.id:
            self.me = p
            for pid in list(self.links):  # a new room: every old connection goes
                await self._drop(pid)
        elif data["from_room"] == self.room:
            await self._drop(p["id"])

    async def _on_room_changed(self, data: dict[str, Any]) -> None:
        await self._offer_to_room()  # the one who arrives makes the offers

    # -- WebRTC -----------------------------------------------------------------------------------

    def _link(self, pid: str) -> PeerLink:
        link = self.links.get(pid)
        if link is not None:
            return link
        # One transport for every track (FACTS.md: aiortc's default policy can bind a later
        # track to a discarded transport).
        config = RTCConfiguration(iceServers=self.ice_servers,
                                  bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        link = self.links[pid] = PeerLink(RTCPeerConnection(config))

        @link.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                link.reader = asyncio.ensure_future(self._read(pid, track))

        return link

    def _local_video(self) -> SmallVideoTrack | None:
        if not self.video:
            return None
        if self._track is None:
            self._track = SmallVideoTrack()
        return self._track

    async def _read(self, pid: str, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                if pid not in self.first_frame_at:
                    self.first_frame_at[pid] = self.clock()
                    self.frame_seen.set()
        except (MediaStreamError, asyncio.CancelledError):
            return

    async def _offer(self, pid: str) -> None:
        await self._drop(pid)
        link = self._link(pid)
        track = self._local_video()
        if track is not None:
            link.pc.addTrack(track)
        else:
            link.pc.addTransceiver("video", direction="recvonly")
        await link.pc.setLocalDescription(await link.pc.createOffer())
        await self._send_description(pid, link.pc)

    async def _send_description(self, pid: str, pc: RTCPeerConnection) -> None:
        d = pc.localDescription
        ack = await self.call("signal", {"to": pid, "description": {"type": d.type,
                                                                     "sdp": d.sdp}})
        if not ack.get("ok"):
            logger.info("%s: signal to %s refused: %s", self.name, pid, ack)

    async def _on_signal(self, data: dict[str, Any]) -> None:
        pid = data["from"]
        description = data.get("description")
        if description is not None:
            if description["type"] == "offer":
                await self._drop(pid)
                link = self._link(pid)
                await link.pc.setRemoteDescription(RTCSessionDescription(**description))
                track = self._local_video()
                for transceiver in link.pc.getTransceivers():
                    if transceiver.kind == "video" and track is not None:
                        transceiver.sender.replaceTrack(track)
                        transceiver.direction = "sendrecv"
                await link.pc.setLocalDescription(await link.pc.createAnswer())
                await self._send_description(pid, link.pc)
            elif description["type"] == "answer" and pid in self.links:
                await self.links[pid].pc.setRemoteDescription(
                    RTCSessionDescription(**description)
                )
            return
        candidate = data.get("candidate")
        if candidate and pid in self.links and candidate.get("candidate"):
            ice = candidate_from_sdp(candidate["candidate"].split(":", 1)[1])
            ice.sdpMid = candidate.get("sdpMid")
            ice.sdpMLineIndex = candidate.get("sdpMLineIndex")
            await self.links[pid].pc.addIceCandidate(ice)

    async def _drop(self, pid: str) -> None:
        link = self.links.pop(pid, None)
        if link is None:
            return
        if link.reader is not None:
            link.reader.cancel()
        await link.pc.close()
