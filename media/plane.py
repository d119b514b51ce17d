"""The server's media plane: a forwarding unit (SFU) on aiortc.

Each participant (``PeerKey`` = (session id, participant id)) has up to two server peer
connections. On **publish** the browser offers its audio, camera and optionally screen tracks and
the plane answers; a new offer on the same connection renegotiates (a screen added or removed),
and an offer with another DTLS certificate replaces the connection. On **subscribe** the plane
offers a pool of audio and video *slots* and the browser answers; the plane decides which
publisher's track each slot carries and reports the slot map (``on_slots``); slots are reused
without renegotiating, and when more are needed the plane offers again (``on_offer``; the answer
comes back through ``answer``).

Encoded frames are forwarded as they are, never decoded or re-encoded (see ``forwarding``).
What a subscriber receives (``selection``): everyone else's audio in their room, every screen
share in it, and the cameras of the ``last_n`` people of the room who spoke last (those who
never spoke by the order in which they first reached the plane); audio only after
``set_video(key, False)``.
Speaking is measured only from audio that is forwarded (``allow``): a muted person whose page
goes on sending is neither reported speaking nor put ahead in the cameras' order.
Keyframe requests of subscribers reach the publisher; a slot given a new source asks for one.

API (all of it)::

    plane = MediaPlane(limits, on_offer=..., on_slots=..., on_speaking=..., on_closed=...,
                       host_addresses=None, on_audio=None)
    answer_sdp = await plane.publish(key, room, offer_sdp, screen_mid)
    offer_sdp, slots = await plane.subscribe(key, room, video)
    await plane.answer(key, answer_sdp)      # NoOfferPending (illegal_transition) if none waits
    plane.set_video(key, video)              # IllegalTransition without a subscribe connection
    plane.move(key, room)
    plane.listen(key, on)                    # decode key's audio to PCM for on_audio (audio_tap)
    plane.listening(key) -> bool
    plane.allow(key, sends); plane.cut(key)  # what of key is forwarded; nothing to or of key
    await plane.stop(key)
    await plane.close()
    plane.stats() -> PlaneStats

Errors are ``rooms.errors`` ones: ``MediaUnavailable`` (the plane is full or closed),
``InvalidPayload`` (a description the plane cannot use), ``NoOfferPending``. Callbacks are
synchronous; one that raises is logged and ignored. ``on_closed(key, which, reason)`` reports a
connection the plane closed by itself (``"failed"`` or ``"timeout"``), not one closed by
``stop``, by replacement or by ``close``.

``on_audio(key, pcm, loop_time)`` gets 20 ms of s16le mono 48 kHz PCM of each publisher listened
to (``listen``), synchronously as each packet arrives: it must be cheap. Listening outlives a
publication and ends with ``stop`` or ``close``; only listened-to publishers are decoded.

``host_addresses`` chooses the host ICE candidates of every peer (None: aioice's choice, which
leaves out 127.0.0.1). aioice reads that choice from one process-wide hook: the plane sets it when
made and restores it on ``close``, so it applies to every aiortc connection of the process while
the plane lives, and only one plane per process should set it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import random
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

from aiortc import RTCSessionDescription
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError

from media import aiortc_internals as internals
from media import selection
from media.audio_tap import AudioTap, OnAudio
from media.forwarding import Kind, PassThroughPacker, SlotTrack, Source
from media.members import Member, Publication, Subscription
from media.peers import (
    MIME_TYPES,
    PeerKey,
    ServerPeer,
    Which,
    offer_fingerprints,
    prefer_forwarded_codec,
    sending_mids,
)
from media.speaking import SpeakingDetector, SpeakingThresholds
from rooms.errors import IllegalTransition, InvalidPayload, MediaUnavailable, NoOfferPending

logger = logging.getLogger(__name__)

AIORTC_ERRORS = (ValueError, InternalError, InvalidAccessError, InvalidStateError, OperationError)
PACKER = PassThroughPacker()
TICK = 0.25


@dataclass(frozen=True, slots=True)
class MediaLimits:
    max_peers: int = 200  # server peer connections in the process
    max_publishers_per_room: int = 25
    max_slots: int = 32  # per subscriber, audio and video together
    slot_batch: int = 4  # the pool grows by this many slots of a kind
    last_n: int = 6  # cameras forwarded to each subscriber
    video_queue: int = 30  # frames waiting in a slot (1 s at 30 fps)
    audio_queue: int = 50  # frames waiting in a slot (1 s)
    connect_timeout: float = 15.0
    keyframe_interval: float = 0.3  # at most one keyframe request per source this often
    speaking: SpeakingThresholds = field(default_factory=SpeakingThresholds)

    def __post_init__(self) -> None:
        counts = (self.max_peers, self.max_publishers_per_room, self.max_slots, self.slot_batch,
                  self.video_queue, self.audio_queue)
        if min(counts) < 1 or self.last_n < 0:
            raise ValueError("media limits must be positive")
        if self.connect_timeout <= 0 or self.keyframe_interval < 0:
            raise ValueError("media durations must be positive")


@dataclass(frozen=True, slots=True)
class Slot:
    mid: str
    kind: Kind
    participant_id: str | None
    source: Literal["camera", "screen"] | None


@dataclass(frozen=True, slots=True)
class PlaneStats:
    peers: int
    publishers: int
    subscribers: int
    forwarded_tracks: int  # slots carrying a source
    tasks: int
    dropped_frames: int = 0  # by the slots of current subscribers (full queues, keyframe waits)
    tapped: int = 0  # publishers whose audio is decoded now (listened to)
    undecodable_frames: int = 0  # audio packets the tap's decoders refused, since the start


class MediaPlane:
    def __init__(self, limits: MediaLimits, *,
                 on_offer: Callable[[PeerKey, str, list[Slot]], None],
                 on_slots: Callable[[PeerKey, list[Slot]], None],
                 on_speaking: Callable[[PeerKey, bool], None],
                 on_closed: Callable[[PeerKey, str, str], None],
                 host_addresses: tuple[str, ...] | None = None,
                 on_audio: OnAudio | None = None) -> None:
        self.limits = limits
        self._on_offer, self._on_slots = on_offer, on_slots
        self._on_speaking, self._on_closed = on_speaking, on_closed
        self._members: dict[PeerKey, Member] = {}
        # What of each participant's publication reaches others, as their session says
        # (``allow``): a page that goes on sending what it was told to stop is not forwarded.
        self._allowed: dict[PeerKey, frozenset[str]] = {}
        # Who gets nothing and whose publication reaches nobody (``cut``), until a ``stop`` with
        # no call of theirs waiting behind it.
        self._cut: set[PeerKey] = set()
        self._tap = (AudioTap(functools.partial(self._call, on_audio))
                     if on_audio is not None else None)
        self._peers: set[ServerPeer] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._order = itertools.count()
        self._closed = False
        self._scope = contextlib.ExitStack()
        self._scope.enter_context(internals.host_addresses(host_addresses))

    # ---- the API

    async def publish(self, key: PeerKey, room: str, offer_sdp: str,
                      screen_mid: str | None) -> str:
        """Answer a publish offer (a new connection, or a renegotiation of the current one)."""
        member = self._member(key, room)
        async with self._locked(member):
            return await self._publish(member, offer_sdp, screen_mid)

    async def subscribe(self, key: PeerKey, room: str, video: bool) -> tuple[str, list[Slot]]:
        """Open (or replace) the subscribe connection: the plane's offer and its slot map."""
        member = self._member(key, room)
        async with self._locked(member):
            if member.subscription is not None:
                await self._close_subscription(member)
            peer = self._new_peer(member, "subscribe")
            sub = member.subscription = Subscription(peer)
            member.video = video
            for kind, count in self._growth(sub, self._wanted(member)).items():
                self._add_slots(sub, kind, count)
            try:
                await peer.pc.setLocalDescription(await peer.pc.createOffer())
            except AIORTC_ERRORS:
                await self._close_subscription(member)
                raise
            sub.offer_pending = True
            self._assign(member, report=False)
            return str(peer.pc.localDescription.sdp), self._slot_map(sub)

    async def answer(self, key: PeerKey, sdp: str) -> None:
        """The browser's answer to the plane's last subscribe offer."""
        member = self._members.get(key)
        if member is None:
            raise NoOfferPending("no subscribe offer is waiting for an answer")
        async with self._locked(member):
            sub = member.subscription
            if sub is None or sub.peer.pc.signalingState != "have-local-offer":
                raise NoOfferPending("no subscribe offer is waiting for an answer")
            try:
                await sub.peer.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
            except AIORTC_ERRORS as exc:
                raise InvalidPayload(f"unusable answer: {exc}") from None
            sub.offer_pending = False
            self._assign(member)

    def set_video(self, key: PeerKey, video: bool) -> None:
        """Receive video (cameras and screens) or audio only."""
        member = self._members.get(key)
        if member is None or member.subscription is None:
            raise IllegalTransition("there is no subscribe connection")
        member.video = video
        self._assign(member)

    def move(self, key: PeerKey, room: str) -> None:
        """The participant is now in ``room``: what they publish and receive follows them."""
        member = self._members.get(key)
        if member is None or member.room == room:
            return
        old = member.room_key
        member.room = room
        self._reassign_room(old)
        self._reassign_room(member.room_key)

    def listen(self, key: PeerKey, on: bool) -> None:
        """Decode ``key``'s audio for ``on_audio`` (now and in later publications) or stop."""
        if self._tap is None:
            raise ValueError("the media plane was made without on_audio")
        member = self._members.get(key)
        pub = member.publication if member and not self._closed else None
        self._tap.listen(key, on and not self._closed, pub.audio if pub else None)

    def listening(self, key: PeerKey) -> bool:
        return self._tap is not None and self._tap.listening(key)

    def allow(self, key: PeerKey, sends: frozenset[str]) -> None:
        """Forward of ``key``'s publication only these sources ("audio", "camera", "screen"),
        from now on (until it is said again; all of them before it is said)."""
        if self._allowed.get(key) == sends:
            return
        self._allowed[key] = sends
        member = self._members.get(key)
        if member is None or self._closed:
            return
        if "audio" not in sends:
            # Their levels are no longer measured (``_audio_level``): speaking they were
            # measured at ends now, and starts afresh once their audio is allowed again.
            speaking = member.detector.speaking
            member.detector = SpeakingDetector(self.limits.speaking)
            if speaking:
                self._call(self._on_speaking, key, False)
        self._reassign_room(member.room_key)

    def cut(self, key: PeerKey) -> None:
        """Forward nothing to ``key`` nor of their publication from now on, at once (a call of
        theirs in progress need not end first); ``stop`` then closes their connections."""
        if self._closed:
            return
        self._cut.add(key)
        self.allow(key, frozenset())
        member = self._members.get(key)
        if member is not None:
            self._reassign_room(member.room_key)

    async def stop(self, key: PeerKey) -> None:
        """Close both of the participant's connections; stop listening to them."""
        self._allowed.pop(key, None)
        if self._tap is not None:
            self._tap.forget(key)
        member = self._members.get(key)
        if member is None:
            self._cut.discard(key)
            return
        async with self._locked(member):
            await self._close_publication(member)
            await self._close_subscription(member)
        if not member.busy:
            # (a call of theirs queued behind this stop stays cut: it was on its way before;
            # the stop that follows it, their leaving or rejoining, lifts the cut)
            self._cut.discard(key)

    async def close(self) -> None:
        """Close every connection and task; the plane takes no more calls."""
        self._closed = True
        for member in list(self._members.values()):
            await self._close_publication(member, reassign=False)
            await self._close_subscription(member)
        self._members.clear()
        if self._tap is not None:
            self._tap.close()
        for peer in list(self._peers):
            await self._close_peer(peer)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._scope.close()

    def stats(self) -> PlaneStats:
        members = self._members.values()
        return PlaneStats(
            peers=len(self._peers),
            publishers=sum(m.publication is not None for m in members),
            subscribers=sum(m.subscription is not None for m in members),
            forwarded_tracks=sum(s.source is not None for m in members if m.subscription
                                 for s in m.subscription.slots),
            tasks=len(self._tasks),
            dropped_frames=sum(s.dropped for m in members if m.subscription
                               for s in m.subscription.slots),
            tapped=self._tap.tapped if self._tap else 0,
            undecodable_frames=self._tap.undecodable if self._tap else 0,
        )

    # ---- publish

    async def _publish(self, member: Member, offer_sdp: str, screen_mid: str | None) -> str:
        try:
            fingerprints = offer_fingerprints(offer_sdp)
        except ValueError as exc:
            raise InvalidPayload(f"unusable offer: {exc}") from None
        pub = member.publication
        if pub is not None and pub.peer.fingerprints != fingerprints:
            await self._close_publication(member)
            pub = None
        if pub is None:
            in_room = sum(1 for m in self._members.values()
                          if m.room_key == member.room_key and m.publication is not None)
            if in_room >= self.limits.max_publishers_per_room:
                raise MediaUnavailable("this room has as many publishers as it may")
            pub = Publication(self._new_peer(member, "publish"))
            pub.peer.fingerprints = fingerprints
            member.publication = pub
            self._start_ticker()
        pc = pub.peer.pc
        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            for t in pc.getTransceivers():
                if t.mid is None or t.mid in pub.sources or t.kind not in MIME_TYPES:
                    continue
                if not internals.restrict_codecs(t, MIME_TYPES[t.kind]):
                    raise InvalidPayload(f"the offer's {t.kind} lacks {MIME_TYPES[t.kind]}")
                kind: Kind = "audio" if t.kind == "audio" else "video"
                source = Source(kind, t.mid, member.key, random.getrandbits(15),
                                self._request_keyframe,
                                functools.partial(self._audio_level, member)
                                if kind == "audio" else None)
                internals.hook_receiver(t.receiver, kind, source, source)
                pub.sources[t.mid], pub.receivers[t.mid] = source, t.receiver
            await pc.setLocalDescription(await pc.createAnswer())
        except (InvalidPayload, *AIORTC_ERRORS) as exc:
            if member.publication is pub and pc.signalingState != "stable":
                await self._close_publication(member)
            if isinstance(exc, InvalidPayload):
                raise
            raise InvalidPayload(f"unusable offer: {exc}") from None
        active = sending_mids(offer_sdp)
        audio = next((mid for mid, kind in active if kind == "audio"), None)
        videos = [mid for mid, kind in active if kind == "video"]
        camera = next((mid for mid in videos if mid != screen_mid), None)
        pub.audio = pub.sources.get(audio) if audio else None
        pub.camera = pub.sources.get(camera) if camera else None
        pub.screen = pub.sources.get(screen_mid) if screen_mid in videos else None
        for source in pub.sources.values():
            source.role = ("camera" if source is pub.camera else
                           "screen" if source is pub.screen else None)
        if self._tap is not None:
            self._tap.attach(member.key, pub.audio)
        self._reassign_room(member.room_key)
        return str(pc.localDescription.sdp)

    def _request_keyframe(self, source: Source) -> None:
        now = asyncio.get_running_loop().time()
        if now - source.last_keyframe_request < self.limits.keyframe_interval:
            return
        member = self._members.get(source.owner)
        pub = member.publication if member else None
        receiver = pub.receivers.get(source.mid) if pub else None
        if receiver is None or source.ssrc is None:
            return
        source.last_keyframe_request = now
        self._spawn(internals.request_keyframe(receiver, source.ssrc))

    def _audio_level(self, member: Member, level: int) -> None:
        said = self._allowed.get(member.key)
        if member.key in self._cut or (said is not None and "audio" not in said):
            return  # muted: what their page still sends neither speaks nor orders the cameras
        now = asyncio.get_running_loop().time()
        self._speaking_changed(member, member.detector.level(level, now), now)

    def _speaking_changed(self, member: Member, speaking: bool | None, now: float) -> None:
        if speaking is None:
            return
        if speaking:
            member.last_spoke = now
        self._call(self._on_speaking, member.key, speaking)
        if speaking:
            self._reassign_room(member.room_key)

    def _start_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = self._spawn(self._tick())

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while any(m.publication is not None for m in self._members.values()):
            await asyncio.sleep(TICK)
            now = loop.time()
            for member in list(self._members.values()):
                self._speaking_changed(member, member.detector.tick(now), now)

    # ---- subscribe

    def _add_slots(self, sub: Subscription, kind: Kind, count: int) -> None:
        queue = self.limits.video_queue if kind == "video" else self.limits.audio_queue
        for _ in range(count):
            track = SlotTrack(kind, queue)
            transceiver = sub.peer.pc.addTransceiver(track, direction="sendonly")
            prefer_forwarded_codec(transceiver)
            internals.hook_sender(transceiver.sender, PACKER, track.request_keyframe)
            sub.slots.append(track)

    def _wanted(self, member: Member) -> dict[Kind, list[Source]]:
        return selection.wanted(member, self._members.values(), self._allowed, self._cut,
                                self.limits.last_n)

    def _growth(self, sub: Subscription, wanted: dict[Kind, list[Source]]) -> dict[Kind, int]:
        return selection.growth(sub, wanted, self.limits.max_slots, self.limits.slot_batch)

    def _assign(self, member: Member, report: bool = True) -> None:
        sub = member.subscription
        if sub is None or self._closed:
            return
        wanted = self._wanted(member)
        short = False
        for kind in selection.KINDS:
            slots = [s for s in sub.slots if s.kind == kind]
            want = set(wanted[kind])
            kept = {s.source for s in slots if s.source in want}
            missing = [source for source in wanted[kind] if source not in kept]
            for slot in slots:
                if slot.source is None or slot.source not in want:
                    slot.set_source(missing.pop(0) if missing else None)
            short |= bool(missing)
        # Compared with what the subscriber was last told, so that a slot emptied before this
        # (its publisher left) is reported too.
        if report:
            previous = sub.reported
            current = self._slot_map(sub)
            if current != previous:
                self._call(self._on_slots, member.key, current)
        if short and not sub.offer_pending and not sub.growing \
                and len(sub.slots) < self.limits.max_slots:
            sub.growing = True
            self._spawn(self._grow(member, sub))

    async def _grow(self, member: Member, sub: Subscription) -> None:
        async with self._locked(member):
            sub.growing = False
            if member.subscription is not sub or sub.offer_pending or self._closed:
                return
            for kind, count in self._growth(sub, self._wanted(member)).items():
                self._add_slots(sub, kind, count)
            pc = sub.peer.pc
            await pc.setLocalDescription(await pc.createOffer())
            sub.offer_pending = True
            self._assign(member, report=False)
            self._call(self._on_offer, member.key, pc.localDescription.sdp, self._slot_map(sub))

    def _slot_map(self, sub: Subscription) -> list[Slot]:
        """The slot map now, remembered as what the subscriber is told."""
        slots = []
        for transceiver in sub.peer.pc.getTransceivers():
            track = transceiver.sender.track
            if not isinstance(track, SlotTrack) or transceiver.mid is None:
                continue
            source = track.source
            slots.append(Slot(transceiver.mid, track.media_kind,
                              source.owner[1] if source else None,
                              source.role if source else None))
        sub.reported = slots
        return slots

    def _reassign_room(self, room_key: tuple[str, str]) -> None:
        for member in list(self._members.values()):
            if member.room_key == room_key:
                self._assign(member)

    # ---- members, peers, tasks

    def _member(self, key: PeerKey, room: str) -> Member:
        if self._closed:
            raise MediaUnavailable("the media plane is closed")
        member = self._members.get(key)
        if member is None:
            member = Member(key, room, next(self._order), SpeakingDetector(self.limits.speaking))
            self._members[key] = member
        elif member.room != room:
            self.move(key, room)
        return member

    @contextlib.asynccontextmanager
    async def _locked(self, member: Member) -> AsyncIterator[None]:
        # One call at a time per participant; a member with no connection left and nobody
        # waiting for it is forgotten.
        member.busy += 1
        try:
            async with member.lock:
                yield
        finally:
            member.busy -= 1
            if member.publication is None and member.subscription is None \
                    and not member.busy and self._members.get(member.key) is member:
                del self._members[member.key]

    def _new_peer(self, member: Member, which: Which) -> ServerPeer:
        if len(self._peers) >= self.limits.max_peers:
            raise MediaUnavailable("the media plane has as many connections as it may")
        peer = ServerPeer(member.key, which, self.limits.connect_timeout, self._peer_failed)
        self._peers.add(peer)
        return peer

    async def _close_peer(self, peer: ServerPeer) -> None:
        self._peers.discard(peer)
        await peer.close()

    async def _close_publication(self, member: Member, reassign: bool = True) -> None:
        pub, member.publication = member.publication, None
        if pub is None:
            return
        if self._tap is not None:
            self._tap.attach(member.key, None)
        for source in pub.sources.values():
            for slot in tuple(source.slots):
                slot.set_source(None)
        if member.detector.speaking:
            member.detector.speaking = False
            self._call(self._on_speaking, member.key, False)
        await self._close_peer(pub.peer)
        if reassign:
            self._reassign_room(member.room_key)

    async def _close_subscription(self, member: Member) -> None:
        sub, member.subscription = member.subscription, None
        if sub is None:
            return
        for slot in sub.slots:
            slot.stop()
        await self._close_peer(sub.peer)

    def _peer_failed(self, peer: ServerPeer, reason: str) -> None:
        self._spawn(self._close_failed(peer, reason))

    async def _close_failed(self, peer: ServerPeer, reason: str) -> None:
        member = self._members.get(peer.key)
        if member is not None:
            async with self._locked(member):
                if member.publication is not None and member.publication.peer is peer:
                    await self._close_publication(member)
                elif member.subscription is not None and member.subscription.peer is peer:
                    await self._close_subscription(member)
        await self._close_peer(peer)
        self._call(self._on_closed, peer.key, peer.which, reason)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("media plane task failed", exc_info=task.exception())

    def _call(self, callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:
            logger.exception("media plane callback %s failed", getattr(callback, "__name__", ""))
