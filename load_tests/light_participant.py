"""A participant that costs the load generator little, for benchmarks that measure someone else:
it joins over Socket.IO, and while its room's media goes through the server it publishes 640x360
VP8 at 30 fps encoded once (``sfu_forwarding``'s frames in a loop, a keyframe whenever the server
asks) and counts the encoded frames it receives without decoding them. It never connects peer to
peer: in a room that has always been peer to peer it sends and receives nothing, and once
connected to the server it stays so, as a browser does until direct connections carry everyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import socketio
from aiortc.mediastreams import MediaStreamTrack

from clients.admin import join_token
from clients.server_media import ServerMedia
from load_tests.sfu_forwarding import LOOPBACK, Looped
from media import aiortc_internals as internals


@contextmanager
def on_loopback() -> Iterator[None]:
    """Light participants gather loopback candidates only, as the benchmarks run in a namespace
    with only loopback (aioice's own choice leaves loopback out). Enter it once around the whole
    run: the hook is one for the process, so nested entries and exits would undo each other."""
    with internals.host_addresses(LOOPBACK):
        yield


class _Count:
    """Counts a subscribe slot's encoded frames (``ServerMedia.count``)."""

    def __init__(self, media: CountingMedia, mid: str, kind: str) -> None:
        self.media, self.mid, self.kind = media, mid, kind

    def frame(self, data: bytes, timestamp: int) -> None:
        self.media.count(self.mid, self.kind)

    def packet(self, ssrc: int, audio_level: tuple[bool, int] | None) -> None:
        return None


class CountingMedia(ServerMedia):
    """``ServerMedia`` whose subscribe connection counts frames instead of decoding them."""

    def _on_track(self, track: MediaStreamTrack) -> None:
        pc = self.subscribe_pc
        for t in pc.getTransceivers() if pc is not None else ():
            if t.receiver.track is track and t.mid is not None:
                count = _Count(self, t.mid, track.kind)
                internals.hook_receiver(t.receiver, track.kind, count, count)


class LightParticipant:
    def __init__(self, url: str, link: str, name: str, frames: list[bytes]) -> None:
        self.url, self.token, self.name, self.frames = url, join_token(link), name, frames
        self.sio = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        self.media = CountingMedia(self.call)
        self.id = ""
        self.room = "main"
        self.route = "p2p"
        self.sio.on("media_route", self._on_route)
        self.sio.on("room_changed", self._on_room_changed)
        self.sio.on("media_offer", self.media.offered)
        self.sio.on("media_slots", self.media.remap)

    async def call(self, event: str, data: Any) -> dict[str, Any]:
        ack: dict[str, Any] = await self.sio.call(event, data, timeout=10)
        return ack

    async def start(self) -> None:
        await self.sio.connect(self.url, auth={"token": self.token}, transports=["websocket"],
                               wait_timeout=10)
        ack = await self.call("join", {"name": self.name, "audio": False, "video": True})
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        self.id = str(ack["participant"]["id"])
        self.room = str(ack["participant"]["room"])
        await self._follow(str(ack["media_route"]))

    def receives(self, others: list[str], frames: int = 3) -> bool:
        """Whether the server forwards ``others``' cameras to this participant."""
        return all(self.media.frames[(who, "video")] >= frames for who in others)

    async def _on_route(self, data: dict[str, Any]) -> None:
        if data["room"] == self.room:
            await self._follow(str(data["route"]))

    async def _on_room_changed(self, data: dict[str, Any]) -> None:
        self.room = str(data["room"]["id"])
        await self._follow(str(data["media_route"]))

    async def _follow(self, route: str) -> None:
        # Connected once, it stays connected, as a browser keeps its server connections until
        # direct ones carry everyone (which a light participant never has).
        if route != "server" or self.media.publish_pc is not None or self.route == "server":
            return
        self.route = "server"
        track = Looped(self.frames)
        await self.media.publish(track)
        pc = self.media.publish_pc
        assert pc is not None
        for t in pc.getTransceivers():
            internals.watch_keyframe_requests(t.sender, track.keyframe_requested)
        await self.media.subscribe()

    async def close(self) -> None:
        await self.media.stop()
        if self.sio.connected:
            await self.sio.disconnect()
