"""How many video streams the media plane forwards per core, and what it costs.

    python -m load_tests.sfu_forwarding [--publishers 4] [--subscribers 5,10,20,30]
        [--duration 10] [--reference-subscribers 2]

The server (the media plane, or the reference) runs in its own process and measures its own CPU
time; publishers and subscribers run in this process, so their cost is not counted. Publishers
send 640x360 VP8 at 30 fps encoded once (the same frames in a loop: no encoder at send time);
subscribers count the encoded frames they receive without decoding them. A step with S
subscribers and P publishers forwards S x P streams; loss is the share of frames sent by the
publishers during the window that did not reach a subscriber.

The reference, in the same run, is what aiortc offers for the same job: each publisher's track
decoded once and handed to every subscriber through ``MediaRelay``, whose senders re-encode it.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import av
import numpy as np
import psutil
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from media import aiortc_internals as internals
from media.plane import MediaLimits, MediaPlane

FPS = 30
LOOPBACK = ("127.0.0.1",)


def bundled() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))


# ---- the server process


class Reference:
    """aiortc's own way: decode each publisher once, re-encode for every subscriber."""

    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.tracks: dict[str, MediaStreamTrack] = {}
        self.pcs: dict[tuple[str, str], RTCPeerConnection] = {}

    async def publish(self, name: str, offer: str) -> str:
        pc = self.pcs[(name, "publish")] = bundled()
        pc.on("track", lambda track: self.tracks.__setitem__(name, track))
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def subscribe(self, name: str) -> str:
        pc = self.pcs[(name, "subscribe")] = bundled()
        for track in self.tracks.values():
            pc.addTransceiver(self.relay.subscribe(track), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)

    async def answer(self, name: str, sdp: str) -> None:
        await self.pcs[(name, "subscribe")].setRemoteDescription(
            RTCSessionDescription(sdp, "answer"))

    async def close(self) -> None:
        for pc in self.pcs.values():
            await pc.close()


async def serve(conn: Connection, mode: str) -> None:
    loop = asyncio.get_running_loop()
    requests: asyncio.Queue[Any] = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: requests.put_nowait(conn.recv()))
    process = psutil.Process()
    plane = MediaPlane(MediaLimits(last_n=64, max_slots=64, slot_batch=8,
                                   max_publishers_per_room=64, video_queue=60),
                       on_offer=lambda *a: None, on_slots=lambda *a: None,
                       on_speaking=lambda *a: None, on_closed=lambda *a: None,
                       host_addresses=LOOPBACK)
    reference = Reference()
    while True:
        op, *args = await requests.get()
        if op == "publish":
            name, offer = args
            if mode == "plane":
                conn.send(await plane.publish(("bench", name), "main", offer, None))
            else:
                conn.send(await reference.publish(name, offer))
        elif op == "subscribe":
            (name,) = args
            if mode == "plane":
                offer, slots = await plane.subscribe(("bench", name), "main", True)
                conn.send((offer, {s.mid: s.participant_id for s in slots}))
            else:
                conn.send((await reference.subscribe(name), {}))
        elif op == "answer":
            name, sdp = args
            if mode == "plane":
                await plane.answer(("bench", name), sdp)
            else:
                await reference.answer(name, sdp)
            conn.send(None)
        elif op == "usage":
            t = process.cpu_times()
            conn.send((t.user + t.system, time.monotonic(), process.memory_info().rss,
                       plane.stats().dropped_frames))
        elif op == "quit":
            await plane.close()
            await reference.close()
            conn.send(None)
            return


def server_main(conn: Connection, mode: str, core: int | None) -> None:
    if core is not None:
        os.sched_setaffinity(0, {core})
    with internals.host_addresses(LOOPBACK):  # the reference's peers too
        asyncio.run(serve(conn, mode))


class Server:
    def __init__(self, mode: str, core: int | None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=server_main, args=(child, mode, core), daemon=True)
        self.process.start()

    async def call(self, *request: Any) -> Any:
        self.conn.send(request)
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    async def quit(self) -> None:
        await self.call("quit")
        self.process.join(10)


# ---- the load generator (this process)


def encoded_frames(count: int = 60) -> list[bytes]:
    """640x360 VP8 at about 800 kbit/s (a scrolling gradient with moving blocks; libvpx's own
    rate control at aiortc's settings): the first frame a keyframe, the others not."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 640, 360, "yuv420p"
    codec.bit_rate = 800_000
    codec.time_base = fractions.Fraction(1, FPS)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    gradient = np.add.outer(np.arange(540) // 2, np.arange(640) // 3).astype(np.uint8)
    frames = []
    for i in range(count):
        plane = gradient.copy()
        plane[:360] = np.roll(gradient[:360], i * 4, axis=1)
        for b in range(6):
            x = (i * 7 + b * 90) % 560
            plane[40 + b * 50:80 + b * 50, x:x + 60] = (b * 40 + i) % 255
        frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
        frame.pts = i
        frames += [bytes(p) for p in codec.encode(frame)]
    return frames


class Looped(MediaStreamTrack):
    kind = "video"

    def __init__(self, frames: list[bytes]) -> None:
        super().__init__()
        self.frames, self.sent, self._start = frames, 0, 0.0
        self.keyframe = True

    def keyframe_requested(self) -> None:
        self.keyframe = True

    async def recv(self) -> av.Packet:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        if not self._start:
            self._start = loop.time()
        await asyncio.sleep(max(0.0, self._start + self.sent / FPS - loop.time()))
        if self.keyframe:
            self.keyframe, data = False, self.frames[0]
        else:
            data = self.frames[1 + self.sent % (len(self.frames) - 1)]
        packet = av.Packet(data)
        packet.pts, packet.time_base = self.sent * 3000, fractions.Fraction(1, 90000)
        self.sent += 1
        return packet


def udp_receive_buffer_errors() -> int:
    """Datagrams the kernel dropped because a socket's receive buffer was full (all processes)."""
    with open("/proc/net/snmp") as snmp:
        rows = [line.split() for line in snmp if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


class Counter:
    def __init__(self) -> None:
        self.frames = 0
        self.packets = 0

    def frame(self, data: bytes, timestamp: int) -> None:
        self.frames += 1

    def packet(self, ssrc: int, audio_level: tuple[bool, int] | None) -> None:
        self.packets += 1


@dataclass
class Step:
    mode: str
    publishers: int
    subscribers: int
    streams: int
    server_cpu: float  # share of one core
    cpu_per_stream: float
    loss: float
    generator_cpu: float
    rss_per_participant: float
    server_drops: float  # share of the expected frames the plane itself dropped


async def step(mode: str, publishers: int, subscribers: int, duration: float,
               frames: list[bytes], core: int | None) -> Step:
    server = Server(mode, core)
    pcs: list[RTCPeerConnection] = []
    tracks: list[Looped] = []
    counters: list[Counter] = []
    try:
        _, _, rss0, _ = await server.call("usage")
        for i in range(publishers):
            pc = bundled()
            pcs.append(pc)
            track = Looped(frames)
            tracks.append(track)
            sender = pc.addTransceiver(track, direction="sendonly").sender
            internals.watch_keyframe_requests(sender, track.keyframe_requested)
            await pc.setLocalDescription(await pc.createOffer())
            answer = await server.call("publish", f"p{i}", pc.localDescription.sdp)
            await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.sleep(1)
        for i in range(subscribers):
            pc = bundled()
            pcs.append(pc)
            offer, carried = await server.call("subscribe", f"s{i}")
            await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            for t in pc.getTransceivers():
                if mode == "reference" or carried.get(t.mid):
                    counter = Counter()
                    counters.append(counter)
                    internals.hook_receiver(t.receiver, "video", counter, counter)
            await pc.setLocalDescription(await pc.createAnswer())
            await server.call("answer", f"s{i}", pc.localDescription.sdp)
        # every connection up and every stream through before the window opens
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                all(pc.connectionState == "connected" for pc in pcs)
                and all(c.frames for c in counters)):
            await asyncio.sleep(0.2)
        connected = sum(pc.connectionState == "connected" for pc in pcs)
        flowing = sum(bool(c.frames) for c in counters)
        if connected < len(pcs) or flowing < len(counters):
            print(f"  only {connected}/{len(pcs)} connected, {flowing}/{len(counters)} flowing")
        await asyncio.sleep(1)
        _, _, rss1, _ = await server.call("usage")
        me = psutil.Process()
        g0 = sum(me.cpu_times()[:2])
        cpu0, t0, _, dropped0 = await server.call("usage")
        sent0, got0 = sum(t.sent for t in tracks), sum(c.frames for c in counters)
        overflows0 = udp_receive_buffer_errors()
        await asyncio.sleep(duration)
        cpu1, t1, _, dropped1 = await server.call("usage")
        sent1, got1 = sum(t.sent for t in tracks), sum(c.frames for c in counters)
        g1 = sum(me.cpu_times()[:2])
        print(f"  UDP datagrams dropped by the kernel (full receive buffers) in the window: "
              f"{udp_receive_buffer_errors() - overflows0}", flush=True)
        streams = publishers * subscribers
        expected = (sent1 - sent0) * subscribers
        loss = max(0.0, 1 - (got1 - got0) / expected) if expected else 1.0
        server_cpu = (cpu1 - cpu0) / (t1 - t0)
        return Step(mode, publishers, subscribers, streams, server_cpu,
                    server_cpu / streams, loss, (g1 - g0) / (t1 - t0),
                    (rss1 - rss0) / (publishers + subscribers),
                    (dropped1 - dropped0) / expected if expected else 0.0)
    finally:
        for pc in pcs:
            await internals.close_peer_connection(pc)
        await server.quit()


def show(s: Step) -> None:
    per_core = 1 / s.cpu_per_stream if s.cpu_per_stream else float("inf")
    print(f"{s.mode:9} {s.publishers:3} x {s.subscribers:3} = {s.streams:4} streams  "
          f"server {s.server_cpu:6.1%} of a core, {s.cpu_per_stream:6.2%} per stream "
          f"(~{per_core:5.0f} streams/core)  loss {s.loss:6.2%}  "
          f"(plane dropped {s.server_drops:5.2%})  generator {s.generator_cpu:6.1%}  "
          f"{s.rss_per_participant / 1e6:5.2f} MB/participant",
          flush=True)


async def main(args: argparse.Namespace) -> None:
    frames = encoded_frames()
    size = sum(len(f) for f in frames) / len(frames)
    print(f"640x360 VP8 at {FPS} fps, {size * FPS * 8 / 1000:.0f} kbit/s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    cores = sorted(os.sched_getaffinity(0))
    server_core = cores[0] if len(cores) > 1 and args.pin else None
    if server_core is not None:
        os.sched_setaffinity(0, set(cores[1:]))
    results: list[Step] = []
    for s in args.subscribers:
        results.append(await step("plane", args.publishers, s, args.duration, frames,
                                  server_core))
        show(results[-1])
    if args.reference_subscribers:
        results.append(await step("reference", 1, args.reference_subscribers, args.duration,
                                  frames, server_core))
        show(results[-1])
    plane = [r for r in results if r.mode == "plane"]
    for a, b in zip(plane, plane[1:], strict=False):
        # what one more stream costs, without the fixed cost of receiving the publishers
        slope = (b.server_cpu - a.server_cpu) / (b.streams - a.streams)
        print(f"marginal {a.streams} -> {b.streams} streams: {slope:.2%} of a core per stream "
              f"(~{1 / slope if slope > 0 else float('inf'):.0f} streams/core)")
    ok = [r for r in plane if r.loss < 0.01]
    if ok:
        best = max(ok, key=lambda r: r.streams)
        print(f"most streams forwarded at < 1% loss: {best.streams} "
              f"({best.server_cpu:.0%} of the server's core)")
    print(f"load average now {os.getloadavg()[0]:.1f}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--subscribers", type=lambda v: [int(x) for x in v.split(",")],
                        default=[5, 10, 20, 30])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--reference-subscribers", type=int, default=2)
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="do not pin the server to core 0 and the generator to the others")
    return parser.parse_args(argv)


def run(argv: list[str] | None = None, emit: Callable[[str], None] = print) -> None:
    # Loopback only, as the server's: runs in a namespace with only loopback work too.
    with internals.host_addresses(LOOPBACK):
        asyncio.run(main(parse(argv)))


if __name__ == "__main__":
    run()
