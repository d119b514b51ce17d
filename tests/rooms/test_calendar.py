"""Calendar invitations, read back with a small strict iCalendar reader."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rooms.calendar import CalendarEvent, escape_text, fold, ics
from rooms.errors import InvalidPayload

START = datetime(2026, 3, 9, 18, tzinfo=UTC).timestamp()
STAMP = datetime(2026, 3, 1, 8, 30, 15, tzinfo=UTC).timestamp()


def unfold(text: str) -> list[str]:
    """Content lines: every line ends in CRLF, has at most 75 octets, and a line starting with
    a space continues the one before."""
    assert text.endswith("\r\n")
    raw = text[:-2].split("\r\n")
    lines: list[str] = []
    for line in raw:
        assert "\r" not in line and "\n" not in line
        assert len(line.encode("utf-8")) <= 75, line
        if line.startswith(" "):
            assert lines, "a continuation with nothing to continue"
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            nxt = value[i + 1]
            assert nxt in "\\;,nN", f"bad escape \\{nxt}"
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        assert ch not in ";,", f"unescaped {ch!r} in {value!r}"
        out.append(ch)
        i += 1
    return "".join(out)


def parse(text: str) -> list[dict[str, str]]:
    """The components of an iCalendar text, each as {property name: raw value}."""
    components: list[dict[str, str]] = []
    stack: list[str] = []
    for line in unfold(text):
        name, sep, value = line.partition(":")
        assert sep and name and name == name.upper(), line
        if name == "BEGIN":
            stack.append(value)
            components.append({"BEGIN": value})
        elif name == "END":
            assert stack.pop() == value
        else:
            assert name not in components[-1], f"{name} twice"
            components[-1][name] = value
    assert not stack
    return components


def event(**kw: object) -> CalendarEvent:
    base: dict[str, object] = {
        "uid": "s-1", "start": START, "end": START + 3600, "summary": "Ana & Ben",
        "description": "Weekly mentoring", "url": "https://tandem.example/j/abc?x=1"}
    return CalendarEvent(**{**base, **kw})  # type: ignore[arg-type]


def test_a_calendar_reads_back() -> None:
    text = ics([event(), event(uid="s-2", start=START + 7 * 86400, end=START + 7 * 86400 + 1800)],
               stamp=STAMP)
    cal, first, second = parse(text)
    assert cal == {"BEGIN": "VCALENDAR", "PRODID": "-//Tandem//Programme console//EN",
                   "VERSION": "2.0", "CALSCALE": "GREGORIAN", "METHOD": "PUBLISH",
                   "X-WR-CALNAME": "Tandem"}
    assert first == {
        "BEGIN": "VEVENT", "UID": "s-1@tandem", "DTSTAMP": "20260301T083015Z",
        "DTSTART": "20260309T180000Z", "DTEND": "20260309T190000Z", "SUMMARY": "Ana & Ben",
        "DESCRIPTION": "Weekly mentoring\\n\\nhttps://tandem.example/j/abc?x=1",
        "URL": "https://tandem.example/j/abc?x=1"}
    assert (second["UID"], second["DTSTART"], second["DTEND"]) == (
        "s-2@tandem", "20260316T180000Z", "20260316T183000Z")
    assert "\n" not in text.replace("\r\n", "")


def test_text_is_escaped_and_reads_back() -> None:
    tricky = "Goals; plans, and\\ notes\nline two\r\nline three"
    (_, ev) = parse(ics([event(summary="A, B; C", description=tricky)], stamp=STAMP))
    assert unescape(ev["SUMMARY"]) == "A, B; C"
    assert unescape(ev["DESCRIPTION"]) == (
        "Goals; plans, and\\ notes\nline two\nline three\n\nhttps://tandem.example/j/abc?x=1")
    assert escape_text("a\x00b\tc") == "ab\tc"  # control characters other than tab dropped


def test_a_description_holding_the_link_is_not_given_it_twice() -> None:
    (_, ev) = parse(ics([event(description="Join: https://tandem.example/j/abc?x=1")], STAMP))
    assert unescape(ev["DESCRIPTION"]) == "Join: https://tandem.example/j/abc?x=1"


@pytest.mark.parametrize("text", [
    "é" * 200, "日本語のセッション" * 30, "🙂" * 90, "a" + "€" * 100, "x" * 74, "x" * 75,
    "x" * 76, "a, b; c\n" * 40,
])
def test_long_lines_fold_at_75_octets_without_splitting_characters(text: str) -> None:
    (cal, ev) = parse(ics([event(summary=text[:200], description=text)], STAMP, name=text))
    assert unescape(ev["DESCRIPTION"]).startswith(text)
    assert unescape(ev["SUMMARY"]) == text[:200]
    assert unescape(cal["X-WR-CALNAME"]) == text


def test_fold_fills_lines_to_the_limit() -> None:
    def octets(folded: str) -> list[int]:
        return [len(line.encode()) for line in folded[:-2].split("\r\n")]

    assert octets(fold("D:" + "x" * 200)) == [75, 75, 54]  # a continuation's space counts
    # a two-octet character that would end at octet 76 goes to the next line
    assert octets(fold("D:" + "é" * 100)) == [74, 75, 55]
    assert fold("SHORT:x") == "SHORT:x\r\n"


def test_no_events_is_still_a_calendar() -> None:
    assert [c["BEGIN"] for c in parse(ics([], STAMP))] == ["VCALENDAR"]


@pytest.mark.parametrize("kw", [
    {"uid": ""}, {"uid": "a\nb"}, {"end": START}, {"summary": " "}, {"url": "javascript:x"},
    {"url": "https://x.example/a b"}, {"url": "https://x.example/\r\nX-EVIL:1"},
])
def test_bad_events_are_refused(kw: dict[str, object]) -> None:
    with pytest.raises(InvalidPayload):
        event(**kw)
