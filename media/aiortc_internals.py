"""Every use of a private name of aiortc or aioice, in one place.

aiortc has no public hook for forwarding encoded media, so the forwarder reaches into it here and
nowhere else. ``tests/media/test_aiortc_internals.py`` checks that each name below still exists
and behaves as assumed; run it after any aiortc upgrade (the pin is aiortc==1.16.0).

The names used, and why:

- ``RTCRtpReceiver._handle_rtp_packet``: wrapped, to read each incoming packet's SSRC and its
  RFC 6464 audio level before aiortc's own handling (NACK, RTX, statistics) runs.
- ``RTCRtpReceiver.__decoder_queue``: replaced by a sink, so that reassembled encoded frames come
  to the forwarder instead of a decoder thread (which then exits at once: no decoder is created).
- ``RTCRtpReceiver.__jitter_buffer``: replaced for audio by one without prefetch (aiortc holds
  four packets back, 80 ms of added delay, which only a decoder needs).
- ``RTCRtpReceiver._send_rtcp_pli``: asks a publisher for a keyframe.
- ``RTCRtpSender.__encoder``: preset to a packer, so the sender sends the forwarded frames as they
  are (aiortc would otherwise create an encoder, and an Opus encoder allocates a codec).
- ``RTCRtpSender._handle_rtcp_packet``: wrapped, to pass a subscriber's PLI or FIR on.
- ``RTCRtpTransceiver._codecs``: the negotiated codecs of an answer; narrowed to the codecs the
  forwarder carries (VP8, Opus), since transceivers made from a remote offer take no preference.
- ``aioice.ice.get_host_addresses``: the only way to choose the host candidates aioice gathers.
- ``RTCIceTransport._connection``: aioice starts its consent checks when connectivity checks
  complete, even when the connection was closed meanwhile; such a task then runs forever. Likewise
  aiortc starts senders and receivers once connected, even those of a connection closed while it
  connected, and their RTCP tasks then run forever. Before closing, ``close_peer_connection``
  turns those late starts into no-ops (instance attributes over public method names).
- ``aiortc.codecs.opus.OpusDecoder`` and ``aiortc.jitterbuffer.JitterFrame``: public modules but
  not the documented API; the audio tap decodes with them (``opus_decoder``), assuming 48 kHz s16
  packed frames out of ``decode(JitterFrame)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import aioice.ice
import aiortc.codecs.opus
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket, RtpPacket

ICE_CONNECTION = "_connection"
LATE_STARTS = ("query_consent", "receive", "send")  # of aioice's Connection, receiver, sender
RECEIVER_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
RECEIVER_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
RECEIVER_HANDLE_RTP = "_handle_rtp_packet"
RECEIVER_SEND_PLI = "_send_rtcp_pli"
RECEIVER_CODECS = "_RTCRtpReceiver__codecs"
SENDER_ENCODER = "_RTCRtpSender__encoder"
SENDER_HANDLE_RTCP = "_handle_rtcp_packet"
TRANSCEIVER_CODECS = "_codecs"


class FrameSink(Protocol):
    def frame(self, data: bytes, timestamp: int) -> None: ...


class OpusDecode(Protocol):
    def __call__(self, data: bytes, timestamp: int) -> list[Any]: ...


class PacketObserver(Protocol):
    def packet(self, ssrc: int, audio_level: tuple[bool, int] | None) -> None: ...


class _DecoderQueue:
    """Stands where the receiver's decoder queue was. The decoder thread's first ``get`` says
    "stop", so it ends without creating a decoder; frames put by the receiver go to the sink."""

    __slots__ = ("_sink",)

    def __init__(self, sink: FrameSink) -> None:
        self._sink = sink

    def get(self) -> None:
        return None

    def put(self, task: tuple[Any, JitterFrame] | None) -> None:
        if task is not None:
            frame = task[1]
            self._sink.frame(frame.data, frame.timestamp)


def hook_receiver(receiver: RTCRtpReceiver, kind: str, sink: FrameSink,
                  observer: PacketObserver) -> None:
    """Route ``receiver``'s encoded frames to ``sink`` and each packet's SSRC and audio level to
    ``observer``. Must run before the receiver starts (aiortc starts it once DTLS is up)."""
    setattr(receiver, RECEIVER_DECODER_QUEUE, _DecoderQueue(sink))
    if kind == "audio":
        setattr(receiver, RECEIVER_JITTER_BUFFER, JitterBuffer(capacity=16, prefetch=0))
    original: Callable[[RtpPacket, int], Awaitable[None]] = getattr(receiver, RECEIVER_HANDLE_RTP)

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        # Chromium's first packets are often retransmission padding (bandwidth probes) on the RTX
        # SSRC: a keyframe request naming that SSRC is ignored, so only media packets count.
        codec = getattr(receiver, RECEIVER_CODECS).get(packet.payload_type)
        if codec is None or not codec.mimeType.lower().endswith("/rtx"):
            observer.packet(packet.ssrc, packet.extensions.audio_level)
        await original(packet, arrival_time_ms)

    setattr(receiver, RECEIVER_HANDLE_RTP, handle_rtp_packet)


def opus_decoder() -> OpusDecode:
    """A new aiortc Opus decoder as a function of one packet (payload, RTP timestamp) to its
    ``av.AudioFrame`` list (48 kHz, s16 packed). It raises ``av.FFmpegError`` on a packet it
    refuses; an empty payload would put it into draining mode for good, so none may be given."""
    decoder = aiortc.codecs.opus.OpusDecoder()

    def decode(data: bytes, timestamp: int) -> list[Any]:
        return decoder.decode(JitterFrame(data, timestamp))

    return decode


async def request_keyframe(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Send a PLI for ``media_ssrc`` from ``receiver`` (aiortc only sends one on its own loss)."""
    send: Callable[[int], Awaitable[None]] = getattr(receiver, RECEIVER_SEND_PLI)
    await send(media_ssrc)


class Packer(Protocol):
    def pack(self, item: Any) -> tuple[list[bytes], int]: ...


def hook_sender(sender: RTCRtpSender, packer: Packer, on_keyframe_request: Callable[[], None],
                ) -> None:
    """Make ``sender`` send what its track yields through ``packer`` (no encoder), and call
    ``on_keyframe_request`` for each PLI or FIR its remote peer sends."""
    setattr(sender, SENDER_ENCODER, packer)
    watch_keyframe_requests(sender, on_keyframe_request)


def watch_keyframe_requests(sender: RTCRtpSender, on_keyframe_request: Callable[[], None]) -> None:
    """Call ``on_keyframe_request`` for each PLI or FIR that reaches ``sender``."""
    original: Callable[[Any], Awaitable[None]] = getattr(sender, SENDER_HANDLE_RTCP)

    async def handle_rtcp_packet(packet: Any) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
            on_keyframe_request()
        await original(packet)

    setattr(sender, SENDER_HANDLE_RTCP, handle_rtcp_packet)


def restrict_codecs(transceiver: RTCRtpTransceiver, mime_type: str) -> bool:
    """Keep only ``mime_type`` (and its retransmission codec) among the codecs negotiated from a
    remote offer; False if the offer did not include it."""
    codecs = getattr(transceiver, TRANSCEIVER_CODECS)
    kept = [c for c in codecs if c.mimeType.lower() == mime_type.lower()]
    if not kept:
        return False
    base = {c.payloadType for c in kept}
    kept += [c for c in codecs
             if c.mimeType.lower().endswith("/rtx") and c.parameters.get("apt") in base]
    setattr(transceiver, TRANSCEIVER_CODECS, kept)
    return True


@contextmanager
def host_addresses(addresses: tuple[str, ...] | None) -> Iterator[None]:
    """While inside, aioice gathers host candidates on ``addresses`` only (None: aioice's own
    choice). aioice reads the hook at gathering time for every connection in the process."""
    if addresses is None:
        yield
        return
    previous = aioice.ice.get_host_addresses
    chosen = list(addresses)

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return list(chosen)

    aioice.ice.get_host_addresses = get_host_addresses
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = previous


async def close_peer_connection(pc: RTCPeerConnection) -> None:
    """Close ``pc`` so that no task of it outlives it."""
    for transceiver in pc.getTransceivers():
        connection = getattr(transceiver.receiver.transport.transport, ICE_CONNECTION, None)
        if connection is not None:
            setattr(connection, LATE_STARTS[0], _nothing)
        setattr(transceiver.receiver, LATE_STARTS[1], _nothing)
        setattr(transceiver.sender, LATE_STARTS[2], _nothing)
    await pc.close()


async def _nothing(*args: object) -> None:
    return None
