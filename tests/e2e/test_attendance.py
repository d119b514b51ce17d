"""Attendance end to end in real Chromium: a mentor and a mentee meet, the mentee checks in,
raises a hand, reacts, goes through a breakout room and back, leaves and rates the session; the
mentor watches the live participation overview; the admin's CSV export (downloaded from the
admin page) shows the right minutes in each room.

Ben's browser has a speech-like microphone (a generated WAV: voiced bursts of 2.5 s, pauses of
2.5 s), so his page's voice activity detection reports speaking; Ana's plays silence. (Chromium's
default fake microphone beeps every 500 ms at about the detector's threshold: once the detector
turned on, as it did in a loaded CI run, each next beep kept it on.)

Tolerance: each room's minutes may differ from the times this test measured around the moves by
at most 0.05 min (3 s): the page's join and leave travel over the socket, and the CSV rounds
minutes to two decimals.
"""

from __future__ import annotations

import csv
import io
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from axe import assert_accessible
from conftest import CHROMIUM, GRANT_ARGS
from tandem_pages import close_page, join, new_page, participant_id, wait_state, wait_text

TOLERANCE_MIN = 0.05
MAIN_BEFORE, BREAKOUT, MAIN_AFTER = 8.0, 10.0, 6.0

EMIT_JS = """
async ([event, payload]) =>
  await window.tandemTestHooks.socket.timeout(10000).emitWithAck(event, payload)
"""


def speech_like_wav(path: Path, seconds: float = 30.0, rate: int = 48000, *,
                    silent: bool = False) -> None:
    """Voiced, syllable-shaped bursts (a harmonic buzz around 130 Hz, four syllables a second)
    for 2.5 s, then 2.5 s of silence, over and over: enough like speech that the browser's
    noise suppression lets it through. ``silent``: silence throughout."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = 130 + 25 * np.sin(2 * np.pi * 0.7 * t) + 10 * np.sin(2 * np.pi * 2.3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voice = sum(np.sin(n * phase) / n for n in range(1, 25))
    syllables = 0.5 * (1 + np.sin(2 * np.pi * 4.0 * t - np.pi / 2))
    talking = ((t % 5.0) < 2.5) & (not silent)
    pcm = (np.clip(0.25 * voice * (0.3 + 0.7 * syllables) * talking, -1, 1) * 32767)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


async def browser_hearing(playwright_instance: Any, wav: Path) -> Any:
    """Chromium whose microphone plays ``wav``."""
    return await playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*GRANT_ARGS, f"--use-file-for-fake-audio-capture={wav}"])


@pytest.fixture
async def speaking_browser(playwright_instance: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """Chromium whose microphone plays a speech-like recording."""
    wav = tmp_path / "speech.wav"
    speech_like_wav(wav)
    b = await browser_hearing(playwright_instance, wav)
    try:
        yield b
    finally:
        await b.close()


@pytest.fixture
async def silent_browser(playwright_instance: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """Chromium whose microphone plays silence."""
    wav = tmp_path / "silence.wav"
    speech_like_wav(wav, silent=True)
    b = await browser_hearing(playwright_instance, wav)
    try:
        yield b
    finally:
        await b.close()


async def command(page: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack = await page.evaluate(EMIT_JS, [event, payload])
    assert ack and ack.get("ok"), (event, ack)
    return dict(ack)


async def timed_command(page: Any, event: str, payload: dict[str, Any]) -> float:
    """Send a command from the page; the server's time of it lies within the returned midpoint
    plus or minus half the round trip (a few milliseconds on loopback)."""
    before = time.time()
    await command(page, event, payload)
    return (before + time.time()) / 2


async def test_attendance_minutes_per_room_in_the_admins_csv(
    tandem_server: Any, browser: Any, speaking_browser: Any, silent_browser: Any
) -> None:
    s = tandem_server.create_session(
        title="Attendance check", programme="e2e",
        participants=[{"name": "Ana Mentor", "role": "mentor", "id": "ana"},
                      {"name": "Ben Mentee", "role": "mentee", "id": "ben"}])
    sid = s["session_id"]
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    ana_page = await join(silent_browser, links["ana"])
    ben_joining = time.time()
    ben_page = await join(speaking_browser, links["ben"])
    ben_joined = time.time()
    ben = await participant_id(ben_page)

    # The mentee says what they want from the session.
    await ben_page.get_by_label("What do you want from this session?").fill("Plan my thesis")
    await ben_page.locator("#checkin-card").get_by_label("Show it to my mentor").check()
    await ben_page.locator("#checkin-card").get_by_role("button", name="Save").click()
    await wait_text(ben_page, "#checkin-card", "saved")

    # A raised hand and a reaction show on the mentor's page, on Ben's tile.
    await ben_page.get_by_role("button", name="Raise hand").click()
    await ana_page.locator(f'#video-grid li[data-id="{ben}"] .hand-badge').wait_for()
    await ben_page.get_by_role("button", name="React").click()
    await assert_accessible(ben_page, "a mentee's call, check-in saved and reactions open")
    await ben_page.get_by_role("button", name="Applause").click()
    await ana_page.locator(f'#video-grid li[data-id="{ben}"] .reaction-bubble').wait_for()

    # The mentor's live overview lists both of them.
    await ana_page.get_by_role("button", name="Participation").click()
    await ana_page.wait_for_function(
        "() => document.querySelectorAll('#participation-panel tbody tr').length === 2")
    await wait_text(ana_page, "#participation-panel", "Plan my thesis")  # Ben chose to show it
    # The mentee's shows only Ben.
    await ben_page.get_by_role("button", name="Participation").click()
    await wait_text(ben_page, "#participation-panel", "Your participation")
    await assert_accessible(ana_page, "the mentor's call with the participation panel open")
    await assert_accessible(ben_page, "a mentee's call with the participation panel open")
    rows = await ben_page.locator("#participation-panel tbody tr").count()
    assert rows == 1

    # Main room, then the breakout room, then main again.
    await ben_page.wait_for_timeout(max(0.0, MAIN_BEFORE - (time.time() - ben_joined)) * 1000)
    created = await command(ana_page, "breakout_create", {"names": ["Pair A"]})
    pair_a = created["breakouts"]["rooms"][0]["id"]  # an opaque id
    await command(ana_page, "breakout_assign", {"participant_id": ben, "room": pair_a})
    opened = await timed_command(ana_page, "breakout_open", {"duration_seconds": None})
    await wait_text(ben_page, "#chat-log", "You are now in Pair A")
    await ben_page.wait_for_timeout(BREAKOUT * 1000)
    closed = await timed_command(ana_page, "breakout_close", {"countdown_seconds": 0})
    await wait_text(ben_page, "#chat-log", "You are now in Main room")
    await ben_page.wait_for_timeout(MAIN_AFTER * 1000)

    # Ben leaves and rates the session on the way out.
    leaving = time.time()
    await ben_page.get_by_role("button", name="Leave").click()
    await wait_state(ben_page, "left")
    left = time.time()
    await assert_accessible(ben_page, "the rating form after leaving")
    await ben_page.locator("#rating-form label[for='rating-4']").click()
    await ben_page.get_by_label("Anything to add? (optional)").fill("Helpful")
    await ben_page.get_by_role("button", name="Send rating").click()
    await wait_text(ben_page, "#rating-form", "Thank you")
    await assert_accessible(ben_page, "the rating form, sent")

    # The admin downloads the rooms CSV from the admin page.
    admin = await new_page(browser)
    await admin.goto(f"{tandem_server.base_url}/admin#session={sid}")
    await admin.get_by_label("Admin key").fill(tandem_server.admin_key)
    await admin.get_by_role("button", name="Sign in").click()
    await admin.locator('#people-table tbody tr[data-person="ben"]').wait_for()
    await admin.locator("#timeline svg rect.timeline-bar").first.wait_for()
    await assert_accessible(admin, "the admin page, a session's attendance")
    async with admin.expect_download() as downloading:
        await admin.locator('#session-panel [data-view="rooms"][data-format="csv"]').click()
    download = await downloading.value
    rooms = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text())))
    by_room = {(r["person_id"], r["room_name"]): float(r["minutes"]) for r in rooms}

    main_expected = ((opened - (ben_joining + ben_joined) / 2) + ((leaving + left) / 2 - closed))
    breakout_expected = closed - opened
    join_slack = (ben_joined - ben_joining) / 2 / 60 + (left - leaving) / 2 / 60
    assert abs(by_room[("ben", "Main room")] - main_expected / 60) <= TOLERANCE_MIN + join_slack, (
        by_room, main_expected / 60)
    assert abs(by_room[("ben", "Pair A")] - breakout_expected / 60) <= TOLERANCE_MIN, (
        by_room, breakout_expected / 60)
    assert ("ana", "Main room") in by_room

    async with admin.expect_download() as downloading:
        await admin.locator('#session-panel [data-view="people"][data-format="csv"]').click()
    people = {r["person_id"]: r for r in csv.DictReader(io.StringIO(
        Path(await (await downloading.value).path()).read_text()))}
    assert people["ben"]["check_in"] == "Plan my thesis"
    assert (people["ben"]["rating"], people["ben"]["rating_comment"]) == ("4", "Helpful")
    assert people["ben"]["hands_raised"] == "1" and people["ben"]["reactions"] == "1"
    assert people["ben"]["status"] == "attended" and people["ana"]["status"] == "present"
    # Ben's page heard him speak about half of the time; nobody else spoke.
    present = float(people["ben"]["minutes_present"])
    assert 0.25 * present <= float(people["ben"]["speaking_minutes"]) <= 0.75 * present, people
    assert people["ben"]["talk_share"] == "1.0" and people["ana"]["talk_share"] == "0.0"
    print("rooms CSV:", by_room, "speaking minutes:",
          {k: v["speaking_minutes"] for k, v in people.items()})

    for page in (admin, ana_page, ben_page):
        await close_page(page)
