"""Choosing the camera, microphone and speaker, and the audio-only mode, in real Chromium.

Chromium's fake capture (`--use-fake-device-for-media-stream=device-count=3`) offers two cameras
(`fake_device_0`, `fake_device_2`), three microphones ("Fake Default Audio Input", "Fake Audio
Input 1" and 2) and three outputs; `HTMLMediaElement.setSinkId` is supported.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest
import tandem_pages
from axe import assert_accessible
from conftest import BASE_ARGS, chromium
from tandem_pages import (
    WAIT_MS,
    close_page,
    eventually_in_page,
    join,
    new_page,
    open_join_screen,
    participant_id,
    wait_state,
    wait_text,
    wait_video_shown,
)

THREE_CAMERAS_ARGS = [
    *(a for a in BASE_ARGS if a != "--use-fake-device-for-media-stream"),
    "--use-fake-device-for-media-stream=device-count=3",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture
async def devices_browser(playwright_instance: Any) -> AsyncIterator[Any]:
    """Chromium with three fake cameras, permission granted."""
    async with chromium(playwright_instance, THREE_CAMERAS_ARGS) as b:
        yield b


# What my connection to `peerId` sends: per kind, the sender's track.
SENDERS_JS = """
(peerId) => {
  const pc = window.tandemTestHooks.peers.get(peerId);
  const out = {};
  for (const s of pc.getSenders()) {
    if (!s.track) continue;
    const p = s.getParameters();
    const e = (p.encodings && p.encodings[0]) || {};
    out[s.track.kind] = {id: s.track.id, label: s.track.label, enabled: s.track.enabled,
                         readyState: s.track.readyState, maxBitrate: e.maxBitrate || null};
  }
  return out;
}
"""

# Keep the connection, its SDP and the tracks sent now, to compare after a switch.
KEEP_JS = """
(peerId) => {
  const pc = window.tandemTestHooks.peers.get(peerId);
  window.__kept = {pc, sdp: pc.localDescription.sdp,
                   tracks: pc.getSenders().map((s) => s.track).filter(Boolean)};
}
"""

SAME_CALL_JS = """
(peerId) => {
  const pc = window.tandemTestHooks.peers.get(peerId);
  return {same: pc === window.__kept.pc, state: pc.connectionState,
          sameSdp: pc.localDescription.sdp === window.__kept.sdp,
          oldTracks: window.__kept.tracks.map((t) => [t.kind, t.readyState])};
}
"""

# The inbound bytes of video and packets of audio from one peer.
INBOUND_JS = """
async (peerId) => {
  const pc = window.tandemTestHooks.peers.get(peerId);
  const stats = await pc.getStats();
  const out = {videoBytes: 0, videoFrames: 0, audioPackets: 0};
  stats.forEach((r) => {
    if (r.type !== "inbound-rtp") return;
    if (r.kind === "video") {
      out.videoBytes = Math.max(out.videoBytes, r.bytesReceived || 0);
      out.videoFrames = Math.max(out.videoFrames, r.framesDecoded || 0);
    }
    if (r.kind === "audio") out.audioPackets = Math.max(out.audioPackets, r.packetsReceived || 0);
  });
  return out;
}
"""

AUDIO_PAST_JS = """
async ([peerId, packets]) => {
  const pc = window.tandemTestHooks.peers.get(peerId);
  const stats = await pc.getStats();
  let a = 0;
  stats.forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "audio") a = Math.max(a, r.packetsReceived || 0);
  });
  return a > packets;
}
"""

# The video transceiver's negotiated direction on my side of the connection to `peerId`.
VIDEO_DIRECTION_JS = """
(peerId) => {
  const pc = window.tandemTestHooks.peers.get(peerId);
  const t = pc.getTransceivers().find((x) => x.receiver.track && x.receiver.track.kind === "video");
  return t ? t.currentDirection : null;
}
"""

# The negotiated direction of each video transceiver of my connection to `peerId` but the first
# (the camera's): a peer's screen share arrives on one of these.
OTHER_VIDEO_DIRECTIONS_JS = """
(peerId) => {
  const pc = window.tandemTestHooks.peers.get(peerId);
  const video = pc.getTransceivers()
    .filter((x) => x.receiver.track && x.receiver.track.kind === "video");
  return video.slice(1).map((x) => x.currentDirection);
}
"""

SELF_PREVIEW_JS = """
() => {
  const v = document.querySelector("#video-grid li.tile-self video");
  const s = v && v.srcObject;
  return s ? s.getTracks().map((t) => [t.kind, t.label, t.readyState]) : [];
}
"""


# The media waits of this file give up after 30 s.
wait_media_from = functools.partial(tandem_pages.wait_media_from, timeout=WAIT_MS)


async def senders(page: Any, peer: str) -> dict[str, Any]:
    return dict(await page.evaluate(SENDERS_JS, peer))


async def test_join_screen_lists_devices_and_remembers_the_choice(
    tandem_server: Any, devices_browser: Any
) -> None:
    s = tandem_server.create_session(title="Devices")
    page = await new_page(devices_browser)
    await open_join_screen(page, s["join_urls"]["mentee"])

    # Labelled selects with the devices' names, once the camera and microphone are allowed.
    camera = page.locator("#join-devices").get_by_label("Camera", exact=True)
    microphone = page.locator("#join-devices").get_by_label("Microphone", exact=True)
    speaker = page.locator("#join-devices").get_by_label("Speaker", exact=True)
    await page.wait_for_function(
        "() => document.querySelectorAll('#join-devices-camera option').length === 3"
    )
    cameras = await camera.locator("option").all_inner_texts()
    assert cameras == ["fake_device_0", "fake_device_1", "fake_device_2"], cameras
    assert "Fake Audio Input 1" in await microphone.locator("option").all_inner_texts()
    assert await speaker.is_visible()  # Chromium routes sound with setSinkId

    # Another camera: the preview shows it at once.
    await camera.select_option(label="fake_device_2")
    await page.wait_for_function(
        """() => {
            const s = document.getElementById("preview-video").srcObject;
            const v = s && s.getVideoTracks()[0];
            return !!v && v.label === "fake_device_2" && v.readyState === "live";
        }"""
    )
    await microphone.select_option(label="Fake Audio Input 2")
    await page.wait_for_function(
        """() => {
            const s = document.getElementById("preview-video").srcObject;
            const a = s.getAudioTracks();
            return a.length === 1 && a[0].label === "Fake Audio Input 2";
        }"""
    )
    output = await speaker.locator("option", has_text="Fake Audio Output 1").get_attribute("value")
    await speaker.select_option(value=output)

    # Next time (a reload), the same devices are used and shown; only their ids were kept.
    saved = await page.evaluate("() => JSON.parse(localStorage.getItem('tandem:devices'))")
    assert set(saved) == {"videoinput", "audioinput", "audiooutput"}
    assert saved["audiooutput"] == output
    await page.reload()
    await wait_state(page, "join")
    await page.wait_for_function(
        """() => {
            const s = document.getElementById("preview-video").srcObject;
            const v = s && s.getVideoTracks()[0];
            const a = s && s.getAudioTracks()[0];
            return !!v && v.label === "fake_device_2" && !!a && a.label === "Fake Audio Input 2";
        }"""
    )
    assert await camera.locator("option:checked").inner_text() == "fake_device_2"
    assert await speaker.input_value() == output
    await assert_accessible(page, "the join page with the device choices")

    # In the call, the chosen speaker plays the others: also a tile added after joining.
    await page.get_by_label("Your name").fill("Ana")
    await page.locator("#join-button").click()
    await wait_state(page, "call")
    other = await join(devices_browser, s["join_urls"]["mentor"], name="Ben")
    ben = await participant_id(other)
    await page.wait_for_function(
        """([id, sink]) => {
            const v = document.querySelector(`#video-grid li[data-id="${id}"] video`);
            return !!v && v.sinkId === sink;
        }""",
        arg=[ben, output],
    )
    ana = await participant_id(page)
    await wait_media_from(other, ana)
    assert (await senders(page, ben))["video"]["label"] == "fake_device_2"

    await close_page(other)
    await close_page(page)


async def test_switching_camera_and_microphone_keeps_the_call(
    tandem_server: Any, devices_browser: Any
) -> None:
    s = tandem_server.create_session(title="Switching")
    ana_page = await join(devices_browser, s["join_urls"]["mentor"], name="Ana")
    ben_page = await join(devices_browser, s["join_urls"]["mentee"], name="Ben")
    ana, ben = await participant_id(ana_page), await participant_id(ben_page)
    await wait_media_from(ben_page, ana)
    before = await senders(ana_page, ben)
    assert before["video"]["label"] == "fake_device_0"

    # Ana mutes, then opens "Devices" and picks the other camera and another microphone.
    await ana_page.get_by_role("button", name="Mute microphone").click()
    await ana_page.evaluate(KEEP_JS, ben)
    devices = ana_page.get_by_role("button", name="Devices")
    await devices.click()
    assert await devices.get_attribute("aria-expanded") == "true"
    panel = ana_page.locator("#devices-panel")
    await assert_accessible(ana_page, "the call with the devices panel open")
    frames = (await wait_media_from(ben_page, ana))["framesDecoded"]
    await panel.get_by_label("Camera", exact=True).select_option(label="fake_device_2")
    await ana_page.wait_for_function(
        "(id) => window.tandemTestHooks.peers.get(id).getSenders()"
        ".some((s) => s.track && s.track.label === 'fake_device_2')",
        arg=ben,
    )
    await panel.get_by_label("Microphone", exact=True).select_option(label="Fake Audio Input 1")
    await ana_page.wait_for_function(
        "(id) => window.tandemTestHooks.peers.get(id).getSenders()"
        ".some((s) => s.track && s.track.label === 'Fake Audio Input 1')",
        arg=ben,
    )

    # The new tracks are the ones sent, on the same connection, still connected, with no new
    # offer or answer (the local description is the same); the old tracks are stopped.
    after = await senders(ana_page, ben)
    assert after["video"]["id"] != before["video"]["id"]
    assert after["audio"]["id"] != before["audio"]["id"]
    assert after["audio"]["enabled"] is False  # still muted
    assert after["video"]["enabled"] is True
    same = await ana_page.evaluate(SAME_CALL_JS, ben)
    assert same["same"] is True and same["state"] == "connected" and same["sameSdp"] is True
    assert sorted(same["oldTracks"]) == [["audio", "ended"], ["video", "ended"]]
    # Ben keeps decoding Ana's video after the switch, and still sees her muted.
    await wait_media_from(ben_page, ana, frames=frames + 20)
    await ben_page.locator(f'#video-grid li[data-id="{ana}"] .badge-muted').wait_for(
        state="visible"
    )
    # Ana's own tile shows the new camera.
    preview = await ana_page.evaluate(SELF_PREVIEW_JS)
    assert ["video", "fake_device_2", "live"] in preview, preview

    # Escape closes the panel and gives the focus back to its button.
    await panel.get_by_label("Camera", exact=True).focus()
    await ana_page.keyboard.press("Escape")
    await panel.wait_for(state="hidden")
    assert await ana_page.evaluate("() => document.activeElement.id") == "ctl-devices"

    await close_page(ben_page)
    await close_page(ana_page)


async def test_stop_incoming_video_keeps_audio_and_caps_own_video(
    tandem_server: Any, devices_browser: Any
) -> None:
    s = tandem_server.create_session(title="Audio only")
    ana_page = await join(devices_browser, s["join_urls"]["mentor"], name="Ana")
    ben_page = await join(devices_browser, s["join_urls"]["mentee"], name="Ben")
    ana, ben = await participant_id(ana_page), await participant_id(ben_page)
    await wait_media_from(ana_page, ben)
    await wait_video_shown(ana_page, ben)
    uncapped = (await senders(ana_page, ben))["video"]["maxBitrate"]

    await ana_page.get_by_role("button", name="Devices").click()
    await ana_page.get_by_label("Stop incoming video").check()
    # Told on screen and to screen readers; a button brings video back.
    await wait_text(ana_page, "#video-paused", "Incoming video is off")
    await wait_text(ana_page, "#chat-log", "Incoming video is off")
    # Ben's video is not shown (his initials are), and after the renegotiation Ben no longer
    # sends video to Ana.
    await ana_page.wait_for_function(
        """(id) => {
            const tile = document.querySelector(`#video-grid li[data-id="${id}"]`);
            return getComputedStyle(tile.querySelector("video")).visibility === "hidden"
                && getComputedStyle(tile.querySelector(".avatar")).display !== "none";
        }""",
        arg=ben,
    )
    await ana_page.wait_for_function(f"(id) => ({VIDEO_DIRECTION_JS})(id) === 'sendonly'", arg=ben)
    # Ana's own video is sent smaller meanwhile.
    await ana_page.wait_for_function(
        f"(id) => ({SENDERS_JS})(id).video.maxBitrate <= 150000", arg=ben
    )
    assert uncapped is None or uncapped > 150_000
    # Audio keeps coming: once another 20 audio packets have arrived on the same transport after
    # the baseline, any video Ben sent before them would have arrived too.
    base = await ana_page.evaluate(INBOUND_JS, ben)
    await eventually_in_page(ana_page, AUDIO_PAST_JS, [ben, base["audioPackets"] + 20])
    later = await ana_page.evaluate(INBOUND_JS, ben)
    assert later["videoBytes"] <= base["videoBytes"], (base, later)
    assert later["audioPackets"] > base["audioPackets"] + 20
    # Ben still receives Ana's video: only Ana's incoming video stopped.
    await wait_media_from(ben_page, ana)

    # "Turn video back on": Ben's video flows and shows again.
    await ana_page.get_by_role("button", name="Turn video back on").click()
    await ana_page.locator("#video-paused").wait_for(state="hidden")
    await wait_media_from(ana_page, ben, frames=later["videoFrames"])
    await wait_video_shown(ana_page, ben)
    assert await ana_page.get_by_label("Stop incoming video").is_checked() is False

    await close_page(ben_page)
    await close_page(ana_page)


async def test_audio_only_stops_a_peers_screen_share_too(
    tandem_server: Any, devices_browser: Any
) -> None:
    """Peer to peer as through the server, audio only stops every incoming video: a screen
    share as well as the camera."""
    s = tandem_server.create_session(title="Audio only and a share")
    ana_page = await join(devices_browser, s["join_urls"]["mentor"], name="Ana")
    ben_page = await join(devices_browser, s["join_urls"]["mentee"], name="Ben")
    ben = await participant_id(ben_page)
    await wait_media_from(ana_page, ben)
    await ana_page.get_by_role("button", name="Devices").click()
    await ana_page.get_by_label("Stop incoming video").check()
    await wait_text(ana_page, "#video-paused", "Incoming video is off")

    await ben_page.get_by_role("button", name="Share screen").click()
    await ben_page.get_by_role("button", name="Stop sharing").wait_for()
    await wait_text(ana_page, "#screen-stage", "Ben is sharing their screen")
    # The share's transceiver is negotiated inactive: Ben sends Ana none of it.
    await ana_page.wait_for_function(
        f"(id) => {{ const d = ({OTHER_VIDEO_DIRECTIONS_JS})(id);"
        " return d.length > 0 && d.every((x) => x === 'inactive'); }",
        arg=ben,
    )

    # Video back on: the share decodes on Ana's stage.
    await ana_page.get_by_role("button", name="Turn video back on").click()
    await ana_page.wait_for_function(
        '(id) => { const v = document.querySelector(`#screen-list li[data-id="${id}"] video`);'
        " return !!v && v.videoWidth > 0; }",
        arg=ben,
    )
    await close_page(ben_page)
    await close_page(ana_page)


async def test_weak_connection_pauses_incoming_video(
    tandem_server: Any, devices_browser: Any
) -> None:
    """Ben's media stops arriving (frozen video, as on a stalled connection): after a few
    seconds Ana's page pauses incoming video by itself, says so, and offers it back."""
    s = tandem_server.create_session(title="Weak link")
    ana_page = await join(devices_browser, s["join_urls"]["mentor"], name="Ana")
    ben_page = await join(devices_browser, s["join_urls"]["mentee"], name="Ben")
    ana, ben = await participant_id(ana_page), await participant_id(ben_page)
    await wait_media_from(ana_page, ben)

    # Ben's connection to Ana stops sending anything.
    await ben_page.evaluate(
        """async (id) => {
            const pc = window.tandemTestHooks.peers.get(id);
            window.__stalled = pc.getSenders().map((s) => [s, s.track]);
            await Promise.all(pc.getSenders().map((s) => s.replaceTrack(null)));
        }""",
        ana,
    )
    await wait_text(ana_page, "#video-paused", "Your connection is weak: incoming video is paused")
    await wait_text(ana_page, "#chat-log", "Your connection is weak")
    await ana_page.wait_for_function(f"(id) => ({VIDEO_DIRECTION_JS})(id) === 'sendonly'", arg=ben)
    assert await ana_page.get_by_label("Stop incoming video").is_checked()

    # Ben's media comes back; Ana turns video back on.
    await ben_page.evaluate(
        "async () => { for (const [s, t] of window.__stalled) await s.replaceTrack(t); }"
    )
    await ana_page.get_by_role("button", name="Turn video back on").click()
    await ana_page.locator("#video-paused").wait_for(state="hidden")
    assert await ana_page.evaluate("() => document.activeElement.id") == "ctl-devices"
    paused_frames = (await ana_page.evaluate(INBOUND_JS, ben))["videoFrames"]
    await wait_media_from(ana_page, ben, frames=paused_frames)
    await wait_video_shown(ana_page, ben)

    await close_page(ben_page)
    await close_page(ana_page)


async def test_camera_that_stops_is_replaced_by_the_default(
    tandem_server: Any, devices_browser: Any
) -> None:
    """The camera in use ends by itself (unplugged): the page takes the default camera, says so,
    and the call goes on with it."""
    s = tandem_server.create_session(title="Unplugged")
    ana_page = await join(devices_browser, s["join_urls"]["mentor"], name="Ana")
    ben_page = await join(devices_browser, s["join_urls"]["mentee"], name="Ben")
    ana, ben = await participant_id(ana_page), await participant_id(ben_page)
    await wait_media_from(ben_page, ana)
    await ana_page.get_by_role("button", name="Devices").click()
    camera = ana_page.locator("#devices-panel").get_by_label("Camera", exact=True)
    await camera.select_option(label="fake_device_2")
    await ana_page.wait_for_function(
        f"(id) => ({SENDERS_JS})(id).video.label === 'fake_device_2'", arg=ben
    )
    await ana_page.evaluate(KEEP_JS, ben)

    # The browser ends a track whose device is gone: the same, seen from the page.
    await ana_page.evaluate(
        """(id) => {
            const t = window.tandemTestHooks.peers.get(id).getSenders()
                .find((s) => s.track && s.track.kind === "video").track;
            t.stop();
            t.dispatchEvent(new Event("ended"));
        }""",
        ben,
    )
    await wait_text(ana_page, "#chat-log", "Your camera was disconnected. Now using fake_device_0.")
    await ana_page.wait_for_function(
        f"(id) => ({SENDERS_JS})(id).video.label === 'fake_device_0'", arg=ben
    )
    assert await camera.locator("option:checked").inner_text() == "fake_device_0"
    same = await ana_page.evaluate(SAME_CALL_JS, ben)
    assert same["same"] is True and same["state"] == "connected"
    frames = (await ben_page.evaluate(INBOUND_JS, ana))["videoFrames"]
    await wait_media_from(ben_page, ana, frames=frames + 10)

    await close_page(ben_page)
    await close_page(ana_page)
