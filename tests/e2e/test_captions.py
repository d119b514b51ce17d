"""Live captions in real Chromium: the captioner's panel, consent off, the browser's own
recognition (a stand-in SpeechRecognition class: no real recognition service can be reached
here), and the caption settings kept across a reload.

Speech recognised by the server (a WAV file as the microphone) is tested elsewhere.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from axe import assert_accessible
from tandem_pages import (
    DROP_JS,
    close_page,
    command,
    eventually_in_page,
    join,
    new_page,
    open_join_screen,
    participant_id,
    reconnect_after,
    wait_state,
    wait_text,
)

# Stands in for the Web Speech API: `window.__hear(text, final)` makes it report a result of
# the current run, as Chromium's continuous recognition with interim results does.
FAKE_SPEECH_JS = """
(() => {
  class FakeSpeechRecognition {
    constructor() {
      this.continuous = false; this.interimResults = false; this.lang = "";
      this.onresult = null; this.onerror = null; this.onend = null;
      this.started = false; this.results = [];
      window.__recognition = this;
    }
    start() { this.started = true; }
    stop() { this.started = false; }
    abort() { this.started = false; }
  }
  window.__hear = (text, final) => {
    const r = window.__recognition;
    if (!r || !r.started || !r.onresult) return false;
    const last = r.results[r.results.length - 1];
    const index = last && !last.isFinal ? r.results.length - 1 : r.results.length;
    r.results[index] = Object.assign([{transcript: text, confidence: 0.9}], {isFinal: final});
    r.onresult({resultIndex: index, results: r.results});
    return true;
  };
  window.SpeechRecognition = FakeSpeechRecognition;
  window.webkitSpeechRecognition = FakeSpeechRecognition;
})();
"""

# The caption line shown for (speaker, text), with its final flag and source, or null.
LINE_JS = """
([speaker, text]) => {
  const lines = window.tandemTestHooks.captions;
  return lines.find((l) => l.speaker_id === speaker && l.text === text) || null;
}
"""
# The same line once final (a partial may already hold the whole text before its final comes).
FINAL_LINE_JS = """
([speaker, text]) => window.tandemTestHooks.captions.find(
  (l) => l.speaker_id === speaker && l.text === text && l.final
) || null
"""

# The first line of a speaker from a source (the server may caption the fake microphone's tone
# too, as source "server"), partial or not.
FROM_JS = """
([speaker, source, final]) => window.tandemTestHooks.captions.find(
  (l) => l.speaker_id === speaker && l.source === source && (final === null || l.final === final)
) || null
"""


def captioner_link(server: Any, session_id: str) -> str:
    link = server.call(
        "POST", f"/api/sessions/{session_id}/links", {"role": "captioner"}, expect=201
    )
    return str(link["url"])


async def transcript_has(server: Any, session_id: str, text: str) -> None:
    """Wait until the session's WebVTT transcript (read with the admin key) holds `text`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        status, body = server.request(
            "GET", f"/api/sessions/{session_id}/transcript", params={"format": "vtt"}
        )
        if status == 200 and text in str(body):
            return
        assert loop.time() < deadline, (status, body)
        await asyncio.sleep(0.2)


async def wait_participant(server: Any, session_id: str, pid: str, field: str, value: Any) -> None:
    """Wait until the server's view of the participant has `field` == `value`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        state = server.get_session(session_id)
        now = next(p for p in state["participants"] if p["id"] == pid)[field]
        if now == value:
            return
        assert loop.time() < deadline, (field, now)
        await asyncio.sleep(0.2)


async def turn_captions_on(page: Any) -> None:
    cc = page.locator("#ctl-captions")
    await cc.click()
    await page.wait_for_function(
        "() => document.getElementById('ctl-captions').getAttribute('aria-pressed') === 'true'"
    )
    await page.wait_for_function("() => window.tandemTestHooks.captionsOn")


async def test_a_captioner_types_for_a_speaker_and_a_mentee_sees_it_under_that_name(
    browser: Any, tandem_server: Any, tmp_path: Path
) -> None:
    session = tandem_server.create_session(title="Captioned", captions="keep")
    mentor = await join(browser, session["join_urls"]["mentor"], "Ana")
    mentee = await join(browser, session["join_urls"]["mentee"], "Mia")
    captioner = await join(browser, captioner_link(tandem_server, session["session_id"]), "Cai")
    try:
        ana = await participant_id(mentor)
        mia = await participant_id(mentee)
        await turn_captions_on(mentee)
        # The captioner sees the call without sending media, and their own captions.
        assert await captioner.locator("#ctl-mic").is_hidden()
        assert await captioner.evaluate("() => window.tandemTestHooks.captionsOn")
        panel = captioner.locator("#captioner-panel")
        picker = panel.get_by_label("Speaker")
        await captioner.wait_for_function(
            "(ids) => ids.every((id) => [...document.querySelectorAll('#captioner-speaker option')]"
            ".some((o) => o.value === id))",
            arg=[ana, mia],
        )
        options = await picker.locator("option").all_text_contents()
        assert "Unknown speaker" in options and "Ana" in options and "Mia" in options
        await picker.select_option(ana)
        box = panel.get_by_label("Caption", exact=True)
        await box.press_sequentially("Welcome to the", delay=40)
        # A partial first: greyed on the mentee's page, attributed to Ana.
        partial = await eventually_in_page(mentee, FROM_JS, [ana, "captioner", False])
        assert partial["name"] == "Ana"
        await box.fill("Welcome to the session, everyone.")
        await box.press("Enter")
        assert await box.input_value() == ""
        line = await eventually_in_page(mentee, FINAL_LINE_JS,
                                        [ana, "Welcome to the session, everyone."])
        assert line["name"] == "Ana"
        assert line["source"] == "captioner"
        # The partial was replaced in place: one line for that utterance.
        lines = await mentee.evaluate("() => window.tandemTestHooks.captions")
        typed = [e for e in lines if e["speaker_id"] == ana and e["source"] == "captioner"]
        assert [e["text"] for e in typed] == ["Welcome to the session, everyone."]
        item = mentee.locator(
            f'#captions .caption-line[data-speaker="{ana}"][data-source="captioner"]'
        )
        await wait_text(mentee, "#captions", "Ana: Welcome to the session, everyone.")
        assert await item.locator(".caption-source").inner_text() == "captioner"
        assert await item.get_attribute("data-final") == "true"
        await assert_accessible(mentee, "the call with captions shown")
        await assert_accessible(captioner, "the captioner's call with the captioner panel")
        # Finals only are read out.
        await wait_text(mentee, "#captions-live", "Ana: Welcome to the session, everyone.")
        # The mentor downloads the transcript (the session keeps one; Ana was told on joining).
        # The page shows a final before the server's ledger has it durably: wait for that.
        await transcript_has(tandem_server, session["session_id"], "everyone.")
        await mentor.locator("#ctl-captions-options").click()
        async with mentor.expect_download() as info:
            await mentor.get_by_role("button", name="Transcript as WebVTT").click()
        await assert_accessible(mentor, "the call with the captions options open")
        download = await info.value
        saved = tmp_path / "transcript.vtt"
        await download.save_as(saved)
        text = saved.read_text()
        assert text.startswith("WEBVTT") and "Welcome to the session, everyone." in text
    finally:
        for page in (captioner, mentee, mentor):
            await close_page(page)


async def test_with_captions_off_there_is_no_cc_button_and_the_server_refuses_captions(
    browser: Any, tandem_server: Any
) -> None:
    session = tandem_server.create_session(title="No captions", captions="off")
    page = await new_page(browser)
    try:
        await open_join_screen(page, session["join_urls"]["mentee"])
        await wait_text(page, ".join-captions", "Captions: off")
        await page.get_by_label("Your name").fill("Mia")
        await page.locator("#join-button").click()
        await wait_state(page, "call")
        assert await page.locator("#ctl-captions").count() == 1  # mounted, and hidden
        assert await page.locator("#ctl-captions").is_hidden()
        assert await page.locator("#ctl-captions-options").is_hidden()
        assert await page.locator("#captions").is_hidden()
        ack = await page.evaluate(
            "async () => await window.tandemTestHooks.socket.timeout(10000)"
            ".emitWithAck('captions_view', {on: true})"
        )
        assert ack["ok"] is False and ack["error"]["code"] == "captions_off"
    finally:
        await close_page(page)


async def test_captions_made_by_the_browser_reach_the_other_page(
    browser: Any, tandem_server: Any
) -> None:
    session = tandem_server.create_session(title="Browser captions", captions="live")
    speaker = await new_page(browser)
    await speaker.add_init_script(FAKE_SPEECH_JS)
    listener = await join(browser, session["join_urls"]["mentor"], "Ana")
    try:
        await open_join_screen(speaker, session["join_urls"]["mentee"])
        await wait_text(speaker, ".join-captions", "Captions: live only, nothing kept")
        await speaker.get_by_label("Your name").fill("Mia")
        await speaker.locator("#join-button").click()
        await wait_state(speaker, "call")
        mia = await participant_id(speaker)
        await turn_captions_on(listener)
        await speaker.locator("#ctl-captions-options").click()
        await speaker.get_by_label("Caption my speech in this browser").check()
        await speaker.wait_for_function(
            "() => window.__recognition && window.__recognition.started"
        )
        for words in ("so", "so the plan", "so the plan for"):
            assert await speaker.evaluate("(t) => window.__hear(t, false)", words)
        partial = await eventually_in_page(listener, FROM_JS, [mia, "browser", None])
        assert partial["name"] == "Mia"
        assert partial["text"].startswith("so")
        assert await speaker.evaluate("(t) => window.__hear(t, true)", "So the plan for this week.")
        line = await eventually_in_page(listener, LINE_JS, [mia, "So the plan for this week."])
        assert line["final"] is True and line["source"] == "browser"
        await wait_text(listener, "#captions", "Mia: So the plan for this week.")
        # One line for the utterance: the partials were replaced by the final.
        lines = await listener.evaluate("() => window.tandemTestHooks.captions")
        assert len([e for e in lines if e["speaker_id"] == mia and e["source"] == "browser"]) == 1
        # The server knows this person's captions come from their browser.
        state = tandem_server.get_session(session["session_id"])
        me = next(p for p in state["participants"] if p["id"] == mia)
        assert me["caption_source"] == "browser"
    finally:
        await close_page(speaker)
        await close_page(listener)


async def test_caption_settings_are_remembered_across_a_reload(
    browser: Any, tandem_server: Any
) -> None:
    session = tandem_server.create_session(title="Settings", captions="keep")
    page = await new_page(browser)
    try:
        await open_join_screen(page, session["join_urls"]["mentor"])
        await wait_text(page, ".join-captions", "Captions: a transcript is kept")
        assert await page.locator(".join-captions-notice").is_visible()
        await page.get_by_label("Your name").fill("Ana")
        await page.locator("#join-button").click()
        await wait_state(page, "call")
        me = await participant_id(page)
        assert "Transcript kept" in await page.locator("#ctl-captions").inner_text()
        await turn_captions_on(page)
        await page.locator("#ctl-captions-options").click()
        await page.get_by_label("Large", exact=True).check()
        await page.get_by_label("Over the video, at the bottom").check()
        assert await page.get_by_role("button", name="Transcript as SRT").is_visible()
        await page.reload()
        await wait_state(page, "call")
        assert await participant_id(page) == me
        assert await page.evaluate("() => window.tandemTestHooks.captionsOn")
        region = page.locator("#captions")
        assert await region.is_visible()
        assert await region.get_attribute("data-size") == "l"
        assert await region.get_attribute("data-position") == "overlay-bottom"
        assert await page.locator("#ctl-captions").get_attribute("aria-pressed") == "true"
        await page.locator("#ctl-captions-options").click()
        assert await page.get_by_label("Large", exact=True).is_checked()
        assert await page.get_by_label("Over the video, at the bottom").is_checked()
        # The page asked for captions again after coming back.
        await wait_participant(tandem_server, session["session_id"], me, "captions", True)
        # "Transcribe me" off is the server's fact: it stays off after a reload.
        await page.get_by_label("Transcribe me").uncheck()
        await wait_participant(tandem_server, session["session_id"], me, "transcribed", False)
        await page.reload()
        await wait_state(page, "call")
        await page.locator("#ctl-captions-options").click()
        assert not await page.get_by_label("Transcribe me").is_checked()
        assert await page.get_by_label("Caption my speech in this browser").is_disabled()
        await page.get_by_role("button", name="Close").click()
        # Turning them off is remembered too.
        await page.locator("#ctl-captions").click()
        await page.reload()
        await wait_state(page, "call")
        assert not await page.evaluate("() => window.tandemTestHooks.captionsOn")
        assert await page.locator("#captions").is_hidden()
        await command(page, "captions_view", {"on": False})  # the server takes it
    finally:
        await close_page(page)


async def test_the_admin_page_offers_the_transcript_of_a_session_that_keeps_one(
    browser: Any, tandem_server: Any, tmp_path: Path
) -> None:
    kept = tandem_server.create_session(title="Kept transcript", captions="keep")
    mentor = await join(browser, kept["join_urls"]["mentor"], "Ana")
    captioner = await join(browser, captioner_link(tandem_server, kept["session_id"]), "Cai")
    admin = await new_page(browser)
    try:
        ana = await participant_id(mentor)
        await command(
            captioner,
            "caption_text",
            {"speaker_id": ana, "utterance": "t1", "text": "Goals for the term.", "final": True},
        )
        await transcript_has(tandem_server, kept["session_id"], "Goals for the term.")
        await admin.goto(f"{tandem_server.base_url}/admin")
        await admin.get_by_label("Admin key").fill(tandem_server.admin_key)
        await admin.get_by_role("button", name="Sign in").click()
        vtt = admin.get_by_role("button", name="Transcript of Kept transcript as WebVTT")
        await vtt.wait_for()
        # Transcript buttons go with the sessions that keep one, and only with those.
        listed = await admin.evaluate("() => window.tandemTestHooks.sessions")
        keeping = [x for x in listed if x.get("captions") == "keep"]
        assert any(x["session_id"] == kept["session_id"] for x in keeping)
        assert await admin.locator(".transcript-links").count() == len(keeping)
        async with admin.expect_download() as info:
            await vtt.click()
        download = await info.value
        saved = tmp_path / "kept.vtt"
        await download.save_as(saved)
        text = saved.read_text()
        assert text.startswith("WEBVTT") and "Goals for the term." in text and "Ana" in text
        async with admin.expect_download() as info:
            await admin.get_by_role("button", name="Transcript of Kept transcript as SRT").click()
        srt = tmp_path / "kept.srt"
        await (await info.value).save_as(srt)
        assert "00:00" in srt.read_text() and "Goals for the term." in srt.read_text()
    finally:
        for page in (admin, captioner, mentor):
            await close_page(page)


async def test_a_captioners_line_typed_while_the_connection_is_down_arrives_once_back(
    browser: Any, tandem_server: Any
) -> None:
    session = tandem_server.create_session(title="Captioned, then a drop", captions="live")
    mentee = await join(browser, session["join_urls"]["mentee"], "Mia")
    captioner = await join(browser, captioner_link(tandem_server, session["session_id"]), "Cai")
    try:
        await turn_captions_on(mentee)
        # The connection drops (socket.io reconnects after 4 s), and the captioner types a line
        # for an unknown speaker meanwhile.
        await reconnect_after(captioner, 4000)
        await captioner.evaluate(DROP_JS)
        box = captioner.locator("#captioner-panel").get_by_label("Caption", exact=True)
        text = "Typed while the line was down."
        await box.fill(text)
        await box.press("Enter")
        await wait_text(captioner, "#captioner-waiting", "1 line is waiting to be sent")
        await assert_accessible(captioner, "the captioner's panel with a line waiting",
                                include="#captioner-panel")
        assert await mentee.evaluate(FINAL_LINE_JS, ["", text]) is None
        await wait_state(captioner, "call", timeout=15_000)
        line = await eventually_in_page(mentee, FINAL_LINE_JS, ["", text])
        assert line["source"] == "captioner"
        await captioner.wait_for_function(
            "() => document.getElementById('captioner-waiting').textContent === ''")
    finally:
        for page in (mentee, captioner):
            await close_page(page)
