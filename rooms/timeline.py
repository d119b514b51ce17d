"""Attendance, derived: the ledger's records of a session (``rooms.attendance``) turned into one
timeline per person, and a session's report.

Rules of this module: records are facts in ledger order, never changed; everything here is
derived from them, with the time of the report (``now``) and the grace period passed in.

- A person is a roster person (their stable id, across sessions) or, for someone not on the
  roster, one participant. All of a person's participants (reloads, second tabs, other devices)
  merge into one timeline: time counts once however many connections overlap.
- A drop (connection lost) that ends in a return within ``grace`` seconds is not a leave: the
  gap counts as present, in the room the person dropped from. A deliberate leave always counts.
- Minutes per room are counted per room; someone in two rooms at once on two devices counts in
  both, so the room minutes of a person can add up to more than their minutes present.
- Talk share is a person's speaking time over all speaking time in the rooms they were in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from rooms.attendance import (
    DEFAULT_GRACE_SECONDS,
    MEDIA_AUDIO,
    MEDIA_VIDEO,
    AnonymousRating,
    AttendanceStatus,
    Feedback,
    Interval,
    PersonAttendance,
    Record,
    RecordKind,
    Segment,
    SessionAttendance,
    SessionInfo,
)
from rooms.errors import InvalidPayload
from rooms.roles import Role
from rooms.room import MAIN_ROOM, MAIN_ROOM_NAME
from rooms.roster import RosterEntry

# -- intervals ------------------------------------------------------------------------------------


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same time."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def measure(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in union(intervals))


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The time covered by both; ``a`` and ``b`` must each be sorted and non-overlapping."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


# -- replaying one participant --------------------------------------------------------------------


@dataclass(slots=True)
class _Track:
    """One participant while the records are replayed."""

    participant_id: str
    person_id: str | None = None
    name: str = ""
    role: Role | None = None
    inside: bool = False
    room: str = MAIN_ROOM
    since: float = 0.0
    dropped_at: float | None = None
    last_at: float = 0.0
    joins: int = 0
    segments: list[Segment] = field(default_factory=list)
    speaking_since: float | None = None
    speaking: list[Interval] = field(default_factory=list)
    media: list[tuple[float, int]] = field(default_factory=list)
    chat_messages: int = 0
    chat_characters: int = 0
    reactions: int = 0
    hands_raised: int = 0
    help_requests: int = 0
    whiteboard_edits: int = 0
    caption_words: int = 0
    check_in: tuple[float, str, bool] | None = None
    rating: tuple[float, int, str | None, bool] | None = None
    last_record: Record | None = None

    def close(self, at: float) -> None:
        if self.inside:
            self.segments.append(Segment(self.since, max(at, self.since), self.room))
            self.inside = False
        self.stop_speaking(at)

    def stop_speaking(self, at: float) -> None:
        if self.speaking_since is not None:
            self.speaking.append((self.speaking_since, max(at, self.speaking_since)))
            self.speaking_since = None

    def enter(self, at: float, room: str, grace: float) -> None:
        if self.inside:  # a second tab or a replaced connection: still one presence
            self.move(at, room)
            return
        last = self.segments[-1] if self.segments else None
        if (
            self.dropped_at is not None
            and last is not None
            and at - self.dropped_at <= grace
        ):
            # A brief drop: the person never really left. Resume the dropped segment.
            self.segments.pop()
            if last.room == room:
                self.since = last.start
            else:
                self.segments.append(Segment(last.start, at, last.room))
                self.since = at
        else:
            self.since = at
        self.inside, self.room, self.dropped_at = True, room, None

    def move(self, at: float, room: str) -> None:
        if self.inside and room != self.room:
            self.segments.append(Segment(self.since, max(at, self.since), self.room))
            self.since = at
        self.room = room


@dataclass(slots=True)
class _Replay:
    tracks: dict[str, _Track] = field(default_factory=dict)
    ended_at: float | None = None
    first_at: float | None = None
    room_names: dict[str, str] = field(default_factory=lambda: {MAIN_ROOM: MAIN_ROOM_NAME})


def _replay(records: Iterable[Record], grace: float) -> _Replay:
    state = _Replay()
    for r in records:
        if r.kind is RecordKind.SESSION_ENDED:
            state.ended_at = r.at if state.ended_at is None else state.ended_at
            for open_track in state.tracks.values():
                open_track.close(max(r.at, open_track.last_at))
            continue
        if r.kind is RecordKind.ROOM_NAMED:
            if r.text:
                state.room_names[r.room] = r.text
            continue
        if not r.participant_id:
            continue
        t = state.tracks.get(r.participant_id)
        if t is None:
            t = state.tracks[r.participant_id] = _Track(r.participant_id)
        at = max(r.at, t.last_at)  # a clock that stepped back never makes time negative
        t.last_at = at
        if r.person_id is not None:
            t.person_id = r.person_id
        if r.role is not None:
            t.role = r.role
        _apply(t, r, at, grace)
        t.last_record = r
        if r.kind in (RecordKind.JOINED, RecordKind.REJOINED):
            state.first_at = at if state.first_at is None else min(state.first_at, at)
    return state


def _apply(t: _Track, r: Record, at: float, grace: float) -> None:
    kind = r.kind
    if kind in (RecordKind.JOINED, RecordKind.REJOINED):
        t.joins += 1
        if r.text:
            t.name = r.text
        t.enter(at, r.room, grace)
        t.media.append((at, r.value or 0))
    elif kind is RecordKind.LEFT:
        t.close(at)
        t.dropped_at = None
    elif kind is RecordKind.DROPPED:
        was_inside = t.inside
        t.close(at)
        t.dropped_at = at if was_inside else t.dropped_at
    elif kind is RecordKind.MOVED:
        t.move(at, r.room)
    elif kind is RecordKind.MEDIA:
        t.media.append((at, r.value or 0))
    elif kind is RecordKind.SPEAKING:
        if r.value == 1 and t.inside and t.speaking_since is None:
            t.speaking_since = at
        elif r.value == 0:
            t.stop_speaking(at)
    elif kind is RecordKind.CHAT:
        t.chat_messages += 1
        t.chat_characters += r.value or 0
    elif kind is RecordKind.REACTION:
        t.reactions += 1
    elif kind is RecordKind.HAND:
        t.hands_raised += 1 if r.value == 1 else 0
    elif kind is RecordKind.HELP:
        t.help_requests += 1
    elif kind is RecordKind.WHITEBOARD:
        t.whiteboard_edits += 1
    elif kind is RecordKind.CAPTION:
        t.caption_words += max(0, r.value or 0)
    elif kind is RecordKind.CHECK_IN and r.text:
        t.check_in = (at, r.text, r.shared)
    elif kind is RecordKind.CHECK_OUT and r.value is not None:
        t.rating = (at, r.value, r.text, r.shared)


def still_inside(records: Iterable[Record]) -> list[Record]:
    """The latest record of each participant these records leave inside the session: after a
    crash, the recorder closes their presence."""
    state = _replay(records, grace=0.0)
    if state.ended_at is not None:
        return []
    return [t.last_record for t in state.tracks.values() if t.inside and t.last_record]


def current_room(records: Iterable[Record], participant_id: str) -> str | None:
    """Where a participant is by these records, or None if they are not inside."""
    track = _replay(records, grace=0.0).tracks.get(participant_id)
    return track.room if track is not None and track.inside else None


# -- a session's report ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    key: str
    entry: RosterEntry | None
    tracks: list[_Track] = field(default_factory=list)


def summarize(
    info: SessionInfo,
    records: Iterable[Record],
    *,
    now: float,
    grace: float = DEFAULT_GRACE_SECONDS,
    anonymous: Iterable[AnonymousRating] = (),
) -> SessionAttendance:
    """Everyone's attendance in one session, from its records in ledger order, as of ``now``,
    and its ``anonymous`` ratings (listed by rating and comment: their order says nothing).

    Presence still open at the end of the records runs to ``now`` (live sessions) or to the
    session's end.
    """
    if grace < 0:
        raise InvalidPayload("The grace period cannot be negative.")
    state = _replay(records, grace)
    ended_at = info.ended_at if info.ended_at is not None else state.ended_at
    until = ended_at if ended_at is not None else now
    present_now: set[str] = set()
    for t in state.tracks.values():
        if t.inside:
            if ended_at is None:
                present_now.add(t.participant_id)
            t.close(max(until, t.last_at))

    roster = info.plan.roster
    people: dict[str, _Person] = {e.person_id: _Person(e.person_id, e) for e in roster}
    for t in state.tracks.values():
        key = t.person_id or t.participant_id
        person = people.get(key)
        if person is None:
            person = people[key] = _Person(key, None)
        person.tracks.append(t)

    rooms = _rooms_in_order(state.tracks.values())
    over = ended_at is not None or (
        info.plan.schedule is not None and now >= info.plan.schedule.end
    )
    partial = [
        _person_report(p, info, ended_at, present_now, over) for p in people.values()
    ]
    people_out = _with_talk_share(partial)
    order = {e.person_id: i for i, e in enumerate(roster)}
    people_out.sort(key=lambda p: (
        order.get(p.key, len(order)), p.first_join if p.first_join is not None else now, p.key
    ))
    unnamed = tuple(sorted((Feedback(f.rating, f.comment) for f in anonymous),
                           key=lambda f: (f.rating, f.comment or "")))
    all_ratings = [p.rating for p in people_out if p.rating is not None]
    all_ratings += [f.rating for f in unnamed]
    return SessionAttendance(
        info=info,
        as_of=now,
        started_at=state.first_at,
        ended_at=ended_at,
        rooms=rooms,
        room_names=tuple((room, state.room_names.get(room, room)) for room in rooms),
        people=tuple(people_out),
        anonymous_feedback=unnamed,
        ratings=len(all_ratings),
        average_rating=sum(all_ratings) / len(all_ratings) if all_ratings else None,
    )


def _rooms_in_order(tracks: Iterable[_Track]) -> tuple[str, ...]:
    first: dict[str, float] = {MAIN_ROOM: float("-inf")}
    for t in tracks:
        for s in t.segments:
            first[s.room] = min(first.get(s.room, s.start), s.start)
    return tuple(sorted(first, key=lambda room: (first[room], room)))


def _on_intervals(changes: list[tuple[float, int]], bit: int) -> list[Interval]:
    out: list[Interval] = []
    for i, (at, bits) in enumerate(changes):
        if bits & bit:
            end = changes[i + 1][0] if i + 1 < len(changes) else float("inf")
            out.append((at, end))
    return out


def _person_report(
    person: _Person,
    info: SessionInfo,
    ended_at: float | None,
    present_now: set[str],
    over: bool,
) -> PersonAttendance:
    tracks = person.tracks
    entry = person.entry
    presence = union((s.start, s.end) for t in tracks for s in t.segments)
    by_room: dict[str, list[Interval]] = {}
    speaking_by_room: dict[str, list[Interval]] = {}
    microphone: list[Interval] = []
    camera: list[Interval] = []
    for t in tracks:
        mine = union((s.start, s.end) for s in t.segments)
        spoken = union(t.speaking)
        microphone += intersect(union(_on_intervals(t.media, MEDIA_AUDIO)), mine)
        camera += intersect(union(_on_intervals(t.media, MEDIA_VIDEO)), mine)
        rooms: dict[str, list[Interval]] = {}
        for s in t.segments:
            rooms.setdefault(s.room, []).append((s.start, s.end))
        for room, spans in rooms.items():
            by_room.setdefault(room, []).extend(spans)
            speaking_by_room.setdefault(room, []).extend(intersect(spoken, union(spans)))
    timeline = sorted(
        (Segment(a, b, room) for room, spans in by_room.items() for a, b in union(spans)),
        key=lambda s: (s.start, s.room),
    )
    segments = [s for t in tracks for s in t.segments]
    first_join = min((s.start for s in segments), default=None)
    inside = any(t.participant_id in present_now for t in tracks)
    last_leave = max((s.end for s in segments), default=None) if not inside else None
    if inside:
        status = AttendanceStatus.PRESENT
    elif segments or any(t.joins for t in tracks):
        status = AttendanceStatus.ATTENDED
    else:
        status = AttendanceStatus.NO_SHOW if over else AttendanceStatus.EXPECTED

    schedule = info.plan.schedule
    lateness = left_early = None
    if schedule is not None and first_join is not None:
        lateness = max(0.0, first_join - schedule.start)
        effective_end = schedule.end if ended_at is None else min(schedule.end, ended_at)
        if last_leave is not None:
            left_early = max(0.0, effective_end - last_leave)

    check_in = max((t.check_in for t in tracks if t.check_in), default=None, key=lambda x: x[0])
    rating = max((t.rating for t in tracks if t.rating), default=None, key=lambda x: x[0])
    latest = max(tracks, key=lambda t: t.last_at) if tracks else None
    speaking_total = measure(s for t in tracks for s in t.speaking)
    report = PersonAttendance(
        key=person.key,
        person_id=entry.person_id if entry else (tracks[0].person_id if tracks else None),
        participant_ids=tuple(t.participant_id for t in tracks),
        name=entry.name if entry else (latest.name if latest else ""),
        role=entry.role if entry else (latest.role if latest else None),
        email=entry.email if entry else None,
        on_roster=entry is not None,
        status=status,
        first_join=first_join,
        last_leave=last_leave,
        present_seconds=measure(presence),
        room_seconds=tuple(
            (room, measure(spans)) for room, spans in by_room.items()
        ),
        timeline=tuple(timeline),
        lateness_seconds=lateness,
        left_early_seconds=left_early,
        reconnects=max(0, sum(t.joins for t in tracks) - 1),
        speaking_seconds=speaking_total,
        speaking_room_seconds=tuple(
            (room, measure(spans)) for room, spans in speaking_by_room.items()
        ),
        talk_share=None,
        microphone_seconds=measure(microphone),
        camera_seconds=measure(camera),
        chat_messages=sum(t.chat_messages for t in tracks),
        chat_characters=sum(t.chat_characters for t in tracks),
        reactions=sum(t.reactions for t in tracks),
        hands_raised=sum(t.hands_raised for t in tracks),
        help_requests=sum(t.help_requests for t in tracks),
        whiteboard_edits=sum(t.whiteboard_edits for t in tracks),
        caption_words=sum(t.caption_words for t in tracks),
        check_in=check_in[1] if check_in else None,
        rating=rating[1] if rating else None,
        rating_comment=rating[2] if rating else None,
        check_in_shared=check_in[2] if check_in else False,
        rating_shared=rating[3] if rating else False,
    )
    return report


def _with_talk_share(people: list[PersonAttendance]) -> list[PersonAttendance]:
    totals: dict[str, float] = {}
    for p in people:
        for room, seconds in p.speaking_room_seconds:
            totals[room] = totals.get(room, 0.0) + seconds
    out = []
    for p in people:
        denominator = sum(totals.get(room, 0.0) for room, _ in p.room_seconds)
        mine = sum(seconds for _, seconds in p.speaking_room_seconds)
        share = mine / denominator if denominator > 0 else None
        out.append(replace(p, talk_share=share))
    return out
