"""One server peer connection and its lifecycle: made with the bundle policy the forwarder needs,
given a time to connect, reported once when it fails, closed once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Literal

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCRtpSender
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.sdp import SessionDescription

from media import aiortc_internals as internals

logger = logging.getLogger(__name__)

Which = Literal["publish", "subscribe"]
PeerKey = tuple[str, str]

# The codecs the forwarder carries: one per kind, so every subscriber can take every publisher.
MIME_TYPES = {"audio": "audio/opus", "video": "video/VP8"}


def offer_fingerprints(sdp: str) -> tuple[str, ...]:
    """The DTLS fingerprints a description declares (its certificate: a new one means a new
    connection on the browser's side)."""
    description = SessionDescription.parse(sdp)
    found: list[str] = []
    for media in description.media:
        if media.dtls is not None:
            found += [f"{f.algorithm} {f.value}".lower() for f in media.dtls.fingerprints]
    return tuple(sorted(set(found)))


def sending_mids(sdp: str) -> list[tuple[str, str]]:
    """(mid, kind) of each audio or video section in which the description's side sends."""
    description = SessionDescription.parse(sdp)
    return [(m.rtp.muxId, m.kind) for m in description.media
            if m.kind in MIME_TYPES and m.port != 0 and m.direction in ("sendonly", "sendrecv")]


def prefer_forwarded_codec(transceiver: RTCRtpTransceiver) -> None:
    """Offer only the codec the forwarder carries (with retransmission for video)."""
    capabilities = RTCRtpSender.getCapabilities(transceiver.kind).codecs
    mime = MIME_TYPES[transceiver.kind].lower()
    transceiver.setCodecPreferences(
        [c for c in capabilities if c.mimeType.lower() in (mime, f"{transceiver.kind}/rtx")])


class ServerPeer:
    """A server peer connection of one participant. ``on_failed`` is called at most once, when
    the connection fails or has not connected within ``connect_timeout`` seconds."""

    def __init__(self, key: PeerKey, which: Which, connect_timeout: float,
                 on_failed: Callable[[ServerPeer, str], None]) -> None:
        self.key = key
        self.which = which
        self.pc = RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.fingerprints: tuple[str, ...] = ()
        self.closed = False
        self._on_failed = on_failed
        self._reported = False
        self._timer = asyncio.get_running_loop().call_later(
            connect_timeout, self._fail, "timeout")
        self.pc.on("connectionstatechange", self._state_changed)

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"

    def _state_changed(self) -> None:
        state = self.pc.connectionState
        if state == "connected":
            self._timer.cancel()
        elif state == "failed":
            self._fail("failed")

    def _fail(self, reason: str) -> None:
        if self.closed or self._reported or (reason == "timeout" and self.connected):
            return
        self._reported = True
        logger.info("media %s peer of %s/%s %s", self.which, self.key[0], self.key[1], reason)
        self._on_failed(self, reason)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._timer.cancel()
        await internals.close_peer_connection(self.pc)
