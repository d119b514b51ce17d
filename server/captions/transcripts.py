"""A session's transcript, from its ledger: the kept caption lines of each room, as WebVTT, SRT or
plain text.

Rules of this module: a transcript is made from the ledger alone (caption records that kept their
text, the names people joined with, the names of breakout rooms and their rounds), so deleting a
person's records or a session's removes their lines too. Times are counted from the session's
first record. Cue text is escaped for each format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rooms.attendance import Record, RecordKind
from rooms.room import MAIN_ROOM, MAIN_ROOM_NAME

# A line with no measurable length is shown this long.
SHORTEST_CUE = 0.5


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    start: float  # seconds from the session's first record
    end: float
    speaker: str
    text: str


@dataclass(frozen=True, slots=True)
class TranscriptRoom:
    room: str
    name: str
    round: int  # 0: the main room
    lines: tuple[TranscriptLine, ...]

    @property
    def heading(self) -> str:
        return self.name if self.round == 0 else f"Round {self.round} · {self.name}"


def transcript_rooms(records: Sequence[Record]) -> list[TranscriptRoom]:
    """Every room with kept lines, the main room first, then by round and room."""
    if not records:
        return []
    origin = min(r.at for r in records)
    names: dict[str, str] = {}
    rooms: dict[str, tuple[str, int]] = {MAIN_ROOM: (MAIN_ROOM_NAME, 0)}
    lines: dict[str, list[TranscriptLine]] = {}
    for r in records:
        if r.kind in (RecordKind.JOINED, RecordKind.REJOINED) and r.text:
            names[r.participant_id] = r.text
        elif r.kind is RecordKind.ROOM_NAMED and r.text:
            rooms[r.room] = (r.text, r.value or 0)
        elif r.kind is RecordKind.CAPTION and r.text is not None:
            start = r.at - origin
            end = max((r.ends_at if r.ends_at is not None else r.at) - origin,
                      start + SHORTEST_CUE)
            lines.setdefault(r.room, []).append(
                TranscriptLine(start, end, names.get(r.participant_id, "Someone"), r.text))
    out = [TranscriptRoom(room, *rooms.get(room, (room, 0)),
                          tuple(sorted(found, key=lambda line: line.start)))
           for room, found in lines.items()]
    return sorted(out, key=lambda t: (t.round, t.room != MAIN_ROOM, t.room))


def _clock(seconds: float, separator: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt(room: TranscriptRoom, title: str) -> str:
    """WebVTT with a voice span naming each speaker."""
    header = _vtt_escape(f"{title} · {room.heading}").replace("-->", "→")
    out = [f"WEBVTT - {header}", ""]
    for i, line in enumerate(room.lines, 1):
        out += [str(i), f"{_clock(line.start, '.')} --> {_clock(line.end, '.')}",
                f"<v {_vtt_escape(line.speaker)}>{_vtt_escape(line.text)}</v>", ""]
    return "\n".join(out)


def srt(room: TranscriptRoom) -> str:
    """SubRip, each cue as "Speaker: text"."""
    out: list[str] = []
    for i, line in enumerate(room.lines, 1):
        out += [str(i), f"{_clock(line.start, ',')} --> {_clock(line.end, ',')}",
                f"{line.speaker}: {line.text}", ""]
    return "\n".join(out)


def plain_text(rooms: Iterable[TranscriptRoom], title: str) -> str:
    """Every room under its heading, each line as "[hh:mm:ss] Speaker: text"."""
    out = [title, ""]
    for room in rooms:
        out += [room.heading, "-" * len(room.heading)]
        out += [f"[{_clock(line.start, '.')[:8]}] {line.speaker}: {line.text}"
                for line in room.lines]
        out.append("")
    return "\n".join(out)
