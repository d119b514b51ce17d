"""The private names of aiortc and aioice the media plane relies on (media/aiortc_internals.py)
still exist and still mean what the plane assumes. If this fails after an upgrade of aiortc
(pinned at 1.16.0), the forwarder must be adapted before anything else is trusted."""

from __future__ import annotations

import inspect

import aioice.ice
import aiortc
import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
import pytest
from aiortc import RTCPeerConnection

from media import aiortc_internals as internals


def why(name: str) -> str:
    return f"aiortc {aiortc.__version__} no longer has {name}: see media/aiortc_internals.py"


@pytest.fixture
async def transceiver() -> object:
    pc = RTCPeerConnection()
    t = pc.addTransceiver("video")
    yield t
    await pc.close()


async def test_receiver_names(transceiver: aiortc.RTCRtpTransceiver) -> None:
    receiver = transceiver.receiver
    for name in (internals.RECEIVER_DECODER_QUEUE, internals.RECEIVER_JITTER_BUFFER):
        assert hasattr(receiver, name), why(name)
    for name in (internals.RECEIVER_HANDLE_RTP, internals.RECEIVER_SEND_PLI):
        assert inspect.iscoroutinefunction(getattr(receiver, name, None)), why(name)
    params = inspect.signature(getattr(receiver, internals.RECEIVER_HANDLE_RTP)).parameters
    assert list(params) == ["packet", "arrival_time_ms"], why("_handle_rtp_packet(packet, ms)")
    # the decoder thread must stop at a None from its queue before it makes a decoder, and the
    # receiver must hand complete frames to that queue
    worker = inspect.getsource(aiortc.rtcrtpreceiver.decoder_worker)
    assert worker.index("if task is None") < worker.index("get_decoder("), why("decoder_worker")
    handler = inspect.getsource(aiortc.rtcrtpreceiver.RTCRtpReceiver._handle_rtp_packet)
    assert "self.__decoder_queue.put((codec, encoded_frame))" in handler, why("frame hand-off")


async def test_sender_names(transceiver: aiortc.RTCRtpTransceiver) -> None:
    sender = transceiver.sender
    assert getattr(sender, internals.SENDER_ENCODER, "missing") is None, why("__encoder")
    assert inspect.iscoroutinefunction(getattr(sender, internals.SENDER_HANDLE_RTCP, None)), \
        why(internals.SENDER_HANDLE_RTCP)
    source = inspect.getsource(aiortc.rtcrtpsender.RTCRtpSender._next_encoded_frame)
    assert "if self.__encoder is None" in source and "self.__encoder.pack(data)" in source, \
        why("a preset encoder whose pack() takes what the track yields")


async def test_transceiver_and_aioice_names(transceiver: aiortc.RTCRtpTransceiver) -> None:
    assert isinstance(getattr(transceiver, internals.TRANSCEIVER_CODECS, None), list), \
        why(internals.TRANSCEIVER_CODECS)
    assert callable(aioice.ice.get_host_addresses), "aioice.ice.get_host_addresses is gone"
    ice = getattr(transceiver.receiver.transport.transport, internals.ICE_CONNECTION, None)
    assert isinstance(ice, aioice.ice.Connection), why("RTCIceTransport._connection")
    assert "asyncio.create_task(self.query_consent())" in inspect.getsource(
        aioice.ice.Connection.connect), "aioice no longer starts consent checks that way"
    gather = inspect.getsource(aioice.ice.Connection)
    assert "get_host_addresses(" in gather, "aioice no longer gathers through get_host_addresses"


def test_host_addresses_is_set_and_restored() -> None:
    before = aioice.ice.get_host_addresses
    with internals.host_addresses(("127.0.0.1", "10.1.2.3")):
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1", "10.1.2.3"]
    assert aioice.ice.get_host_addresses is before
    with internals.host_addresses(None):
        assert aioice.ice.get_host_addresses is before


def test_opus_decoder_gives_48khz_s16_frames_and_refuses_bad_packets() -> None:
    import av
    import numpy as np
    from aiortc.codecs.opus import OpusDecoder  # noqa: F401  (the class opus_decoder makes)
    from aiortc.jitterbuffer import JitterFrame

    assert list(inspect.signature(JitterFrame).parameters) == ["data", "timestamp"], \
        why("JitterFrame(data, timestamp)")
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.format, encoder.layout = 48000, "s16", "mono"
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 960), np.int16), format="s16", layout="mono")
    frame.sample_rate, frame.pts = 48000, 0
    packet = bytes(encoder.encode(frame)[0])
    decode = internals.opus_decoder()
    (decoded,) = decode(packet, 0)
    assert (decoded.sample_rate, decoded.format.name, decoded.format.is_planar, decoded.samples) \
        == (48000, "s16", False, 960), why("OpusDecoder's output format")
    with pytest.raises(av.FFmpegError):
        decode(b"\xff" * 5, 960)
    assert decode(packet, 1920), "the decoder no longer recovers from a bad packet"
