"""Two real aiortc peers set up a call through Tandem's signalling relay and exchange video and
audio over loopback: the server's relay is enough for WebRTC to connect, both ways."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack

from tests.support import Api, Peer


class Side:
    """One participant: a socket.io client and an aiortc peer connection with real tracks."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.pc = RTCPeerConnection()
        self.received: dict[str, asyncio.Future[MediaStreamTrack]] = {
            "audio": asyncio.get_running_loop().create_future(),
            "video": asyncio.get_running_loop().create_future(),
        }

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if not self.received[track.kind].done():
                self.received[track.kind].set_result(track)

    def add_tracks(self) -> None:
        self.pc.addTrack(AudioStreamTrack())
        self.pc.addTrack(VideoStreamTrack())

    async def send_description(self, to: str) -> None:
        # aiortc gathers all candidates before setLocalDescription returns: they are in the SDP.
        d = self.pc.localDescription
        ack = await self.peer.call("signal", {"to": to, "description": {"type": d.type,
                                                                         "sdp": d.sdp}})
        assert ack == {"ok": True}, ack

    async def close(self) -> None:
        await self.pc.close()


async def first_frame(track: MediaStreamTrack) -> Any:
    return await asyncio.wait_for(track.recv(), 15)


async def test_video_and_audio_flow_both_ways_through_the_relay(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    mentor_peer, mentee_peer = peers(), peers()
    await mentor_peer.connect(api.token(s["join_urls"]["mentor"]))
    await mentor_peer.join("Ana", audio=True, video=True)
    await mentee_peer.connect(api.token(s["join_urls"]["mentee"]))
    await mentee_peer.join("Ben", audio=True, video=True)
    mentor, mentee = Side(mentor_peer), Side(mentee_peer)
    try:
        # the newcomer offers, as the web client does
        mentee.add_tracks()
        await mentee.pc.setLocalDescription(await mentee.pc.createOffer())
        await mentee.send_description(mentor_peer.id)

        offer = await mentor_peer.next("signal")
        assert offer["from"] == mentee_peer.id and offer["description"]["type"] == "offer"
        await mentor.pc.setRemoteDescription(RTCSessionDescription(**offer["description"]))
        mentor.add_tracks()
        await mentor.pc.setLocalDescription(await mentor.pc.createAnswer())
        await mentor.send_description(mentee_peer.id)

        answer = await mentee_peer.next("signal")
        assert answer["from"] == mentor_peer.id and answer["description"]["type"] == "answer"
        await mentee.pc.setRemoteDescription(RTCSessionDescription(**answer["description"]))

        for side in (mentor, mentee):
            video = await first_frame(await asyncio.wait_for(side.received["video"], 15))
            audio = await first_frame(await asyncio.wait_for(side.received["audio"], 15))
            assert (video.width, video.height) == (640, 480)
            assert audio.sample_rate > 0 and audio.samples > 0
        assert mentor.pc.connectionState == "connected"
        assert mentee.pc.connectionState == "connected"
    finally:
        await mentor.close()
        await mentee.close()
