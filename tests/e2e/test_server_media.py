"""Media through the server in real Chromium: four people decode each other through the server's
forwarding unit; a pair switches to the server when a third person joins and back when they
leave, with the picture never stopping; a screen share; breakout rooms of three.

Screen capture headless: the suite's usual flags (`--use-fake-device-for-media-stream` with
`--use-fake-ui-for-media-stream`) make `getDisplayMedia()` return a fake 1280x720 screen at once,
no picker and no extra flag needed (`--auto-select-desktop-capture-source` changes nothing here).
"""

from __future__ import annotations

from typing import Any

from axe import assert_accessible
from tandem_pages import (
    close_page,
    command,
    eventually_in_page,
    join,
    new_page,
    open_join_screen,
    participant_id,
    wait_state,
    wait_text,
    wait_video_shown,
)

# Per remote participant and source ("<id>:camera", "<id>:screen"): video frames decoded on the
# subscribe connection, mapped through the page's slot map; and the remote end of the selected
# candidate pair.
SERVER_STATS_JS = r"""
async () => {
  const h = window.tandemTestHooks;
  const pc = h.serverConnections.subscribe;
  if (!pc) return null;
  const byMid = Object.fromEntries(h.slots.map((s) => [s.mid, s]));
  const stats = await pc.getStats();
  const reports = new Map();
  stats.forEach((r) => reports.set(r.id, r));
  const frames = {};
  let pair = null;
  stats.forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") {
      const s = byMid[r.mid];
      if (!s || !s.participant_id) return;
      const key = `${s.participant_id}:${s.source}`;
      frames[key] = Math.max(frames[key] || 0, r.framesDecoded || 0);
    }
    if (r.type === "transport" && r.selectedCandidatePairId) {
      pair = reports.get(r.selectedCandidatePairId);
    }
  });
  const remote = pair ? reports.get(pair.remoteCandidateId) : null;
  // The ports of the server's own candidates, as its offer gives them.
  const candidate = /^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+)/gim;
  const offered = [...pc.remoteDescription.sdp.matchAll(candidate)].map((m) => `${m[1]}:${m[2]}`);
  return {
    offered,
    frames,
    state: pc.connectionState,
    remote: remote ? {address: remote.address || remote.ip, port: remote.port} : null,
    route: h.mediaRoute,
    direct: [...h.peers.keys()],
  };
}
"""

# Until every wanted "<id>:<source>" decodes more than `above` frames through the server.
DECODES_THROUGH_SERVER_JS = """
async ([wanted, above]) => {
  const h = window.tandemTestHooks;
  const pc = h.serverConnections.subscribe;
  if (!pc || pc.connectionState !== "connected") return false;
  const byMid = Object.fromEntries(h.slots.map((s) => [s.mid, s]));
  const stats = await pc.getStats();
  const frames = {};
  stats.forEach((r) => {
    if (r.type !== "inbound-rtp" || r.kind !== "video") return;
    const s = byMid[r.mid];
    if (s && s.participant_id) frames[`${s.participant_id}:${s.source}`] = r.framesDecoded || 0;
  });
  return wanted.every((key) => (frames[key] || 0) > (above[key] || 0));
}
"""

# Records when each frame of a tile's video is presented (requestVideoFrameCallback), whatever
# stream the tile plays: the same element keeps counting across a switch of route.
RECORD_FRAMES_JS = """
(id) => {
  const video = document.querySelector(`#video-grid li[data-id="${id}"] video`);
  const log = [];
  window.__tandemFrames = log;
  const step = () => {
    log.push(performance.now());
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
}
"""

# How many frames so far, and the longest pause between two, in milliseconds.
FRAME_LOG_JS = """
() => {
  const log = window.__tandemFrames;
  const maxGap = log.slice(1).reduce((m, t, i) => Math.max(m, t - log[i]), 0);
  return {count: log.length, maxGap};
}
"""


async def wait_route(page: Any, route: str, timeout: int = 20_000) -> None:
    await page.wait_for_function(
        "(r) => window.tandemTestHooks.mediaRoute === r", arg=route, timeout=timeout
    )


async def wait_decoding_through_server(
    page: Any, wanted: list[str], above: dict[str, int] | None = None, timeout: int = 20_000
) -> None:
    await eventually_in_page(page, DECODES_THROUGH_SERVER_JS, [wanted, above or {}], timeout)


async def server_stats(page: Any) -> dict[str, Any]:
    stats = await page.evaluate(SERVER_STATS_JS)
    assert stats is not None, "no subscribe connection"
    return dict(stats)


async def wait_via(page: Any, peer: str, via: str, timeout: int = 20_000) -> None:
    """Until the peer's tile shows the copy of their media that came `via` p2p or the server."""
    await page.wait_for_function(
        "([id, via]) => window.tandemTestHooks.mediaVia[id] === via",
        arg=[peer, via],
        timeout=timeout,
    )


async def test_four_people_decode_each_other_through_the_server(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Group of four")
    pages = [await join(browser, s["join_urls"]["mentor"], name="Ana")]
    for name in ("Ben", "Cem", "Dee"):
        pages.append(await join(browser, s["join_urls"]["mentee"], name=name))
    ids = [await participant_id(p) for p in pages]

    for page, me in zip(pages, ids, strict=True):
        await wait_route(page, "server")
        others = [f"{pid}:camera" for pid in ids if pid != me]
        await wait_decoding_through_server(page, others)
        stats = await server_stats(page)
        assert stats["state"] == "connected"
        # The media comes from the server's port on loopback (a candidate of its own offer), not
        # from another page.
        remote = stats["remote"]
        assert remote is not None and remote["address"] == "127.0.0.1", stats
        assert f"127.0.0.1:{remote['port']}" in stats["offered"], stats
        # Once everyone arrives through the server, no direct connection is left.
        await page.wait_for_function("() => window.tandemTestHooks.peers.size === 0")
        for other in ids:
            if other != me:
                await wait_via(page, other, "server")

    for p in pages:
        await close_page(p)


async def test_a_pair_moves_to_the_server_and_back_without_the_picture_stopping(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Pair, then three")
    ana_page = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben_page = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ben = await participant_id(ben_page)
    await wait_route(ana_page, "p2p")
    await wait_via(ana_page, ben, "p2p")
    await wait_video_shown(ana_page, ben)
    await ana_page.evaluate(RECORD_FRAMES_JS, ben)

    # A third person: the room goes through the server; Ana's tile of Ben swaps to the server's
    # copy, and only then is the direct connection closed.
    cem_page = await join(browser, s["join_urls"]["mentee"], name="Cem")
    cem = await participant_id(cem_page)
    await wait_route(ana_page, "server")
    await wait_via(ana_page, ben, "server")
    await wait_decoding_through_server(ana_page, [f"{ben}:camera", f"{cem}:camera"])
    await ana_page.wait_for_function(
        "(id) => !window.tandemTestHooks.peers.has(id)", arg=ben, timeout=20_000
    )
    through_server = await ana_page.evaluate(FRAME_LOG_JS)

    # Cem leaves: back to peer to peer, and the server connections close once Ben arrives directly.
    await cem_page.get_by_role("button", name="Leave").click()
    await wait_route(ana_page, "p2p")
    await wait_via(ana_page, ben, "p2p")
    await ana_page.wait_for_function(
        "() => window.tandemTestHooks.serverConnections.subscribe === null", timeout=20_000
    )
    await ana_page.wait_for_function(
        "(n) => window.__tandemFrames.length > n + 20", arg=through_server["count"]
    )
    log = await ana_page.evaluate(FRAME_LOG_JS)
    print("frames on Ana's tile of Ben across both switches:", log)
    # The picture kept coming across both switches: no pause longer than a moment.
    assert log["count"] > through_server["count"] > 0
    assert log["maxGap"] < 1500, log
    for p in (cem_page, ben_page, ana_page):
        await close_page(p)


# Direct connections that can never come up, as between two strict NATs with no TURN server: a
# page's peer-to-peer connections may use relayed candidates only, and there is no relay. Its
# server connections (bundled, `call/server_media.js`) are left as they are.
STRICT_NAT_JS = """
(() => {
  const Native = window.RTCPeerConnection;
  function Strict(config, ...rest) {
    const c = Object.assign({}, config || {});
    if (c.bundlePolicy !== "max-bundle") c.iceTransportPolicy = "relay";
    return new Native(c, ...rest);
  }
  Strict.prototype = Native.prototype;
  Object.setPrototypeOf(Strict, Native);
  window.RTCPeerConnection = Strict;
})();
"""


# Counts the direct (unbundled) connections a page makes.
COUNT_DIRECT_JS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__directMade = 0;
  function Counting(config, ...rest) {
    if (!config || config.bundlePolicy !== "max-bundle") window.__directMade += 1;
    return new Native(config, ...rest);
  }
  Counting.prototype = Native.prototype;
  Object.setPrototypeOf(Counting, Native);
  window.RTCPeerConnection = Counting;
})();
"""


LOG_ROUTES_JS = """() => {
  window.__routes = [];
  window.tandemTestHooks.socket.on("media_route", (r) => window.__routes.push(r.route));
}"""


async def join_with_script(browser: Any, url: str, name: str, script: str) -> Any:
    page = await new_page(browser)
    await page.context.add_init_script(script)
    await open_join_screen(page, url)
    await page.get_by_label("Your name").fill(name)
    await page.locator("#join-button").click()
    await wait_state(page, "call")
    return page


async def test_a_pair_whose_direct_connection_fails_meets_through_the_server(
    tandem_server: Any, browser: Any
) -> None:
    """Nobody does anything: the pair's direct connection never comes up, a page reports it
    (`media_fallback`), the room moves to the server and each decodes the other there."""
    s = tandem_server.create_session(title="Strict networks")
    ana_page = await join_with_script(browser, s["join_urls"]["mentor"], "Ana", STRICT_NAT_JS)
    ben_page = await join_with_script(browser, s["join_urls"]["mentee"], "Ben", STRICT_NAT_JS)
    ana, ben = await participant_id(ana_page), await participant_id(ben_page)
    # A pair: peer to peer, until a page gives up on the direct connection.
    assert await ben_page.evaluate("() => window.tandemTestHooks.mediaRoute") == "p2p"
    # The page gives a direct connection 10 s to come up.
    await wait_route(ana_page, "server", timeout=25_000)
    await wait_route(ben_page, "server", timeout=25_000)
    await wait_decoding_through_server(ana_page, [f"{ben}:camera"])
    await wait_decoding_through_server(ben_page, [f"{ana}:camera"])
    await wait_via(ana_page, ben, "server")
    await wait_via(ben_page, ana, "server")
    for p in (ben_page, ana_page):
        await close_page(p)


async def test_a_room_back_at_two_for_a_moment_stays_on_the_server(
    tandem_server: Any, browser: Any
) -> None:
    """Cem goes to a breakout room and straight back (as when a mentor swaps two people): the
    main room is at two for a moment, and nobody there starts a direct connection for it."""
    s = tandem_server.create_session(title="Back and forth")
    pages = [await join_with_script(browser, s["join_urls"][role], name, COUNT_DIRECT_JS)
             for role, name in (("mentor", "Ana"), ("mentee", "Ben"), ("mentee", "Cem"))]
    ana_page, ben_page, _ = pages
    ana, ben, cem = [await participant_id(p) for p in pages]
    for page, other in ((ana_page, ben), (ben_page, ana)):
        await wait_route(page, "server")
        await wait_decoding_through_server(page, [f"{other}:camera"])
        await page.wait_for_function("() => window.tandemTestHooks.peers.size === 0")
        await page.evaluate(LOG_ROUTES_JS)
    made = [await p.evaluate("() => window.__directMade") for p in (ana_page, ben_page)]

    created = await command(ana_page, "breakout_create", {"names": ["Side"]})
    room = created["breakouts"]["rooms"][0]["id"]
    await command(ana_page, "breakout_assign", {"participant_id": cem, "room": room})
    await command(ana_page, "breakout_open", {"duration_seconds": None})
    await command(ana_page, "breakout_close", {"countdown_seconds": 0})
    # Everything the server sent Ben before his own answer has reached his page.
    await command(ben_page, "hand", {"raised": False})
    for page in (ana_page, ben_page):
        assert await page.evaluate("() => window.__routes") == ["p2p", "server"]
    # A page going direct makes its connection as the route changes (call/peers.js): none was.
    after = [await p.evaluate("() => window.__directMade") for p in (ana_page, ben_page)]
    assert after == made
    await wait_decoding_through_server(ana_page, [f"{ben}:camera", f"{cem}:camera"])
    for p in pages:
        await close_page(p)


async def test_a_screen_share_is_seen_directly_and_through_the_server(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Show and tell")
    ana_page = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben_page = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ben = await participant_id(ben_page)

    # Ben shares (peer to peer in a pair): Ana sees it large, with who shares it.
    await ben_page.get_by_role("button", name="Share screen").click()
    await ben_page.get_by_role("button", name="Stop sharing").wait_for()
    await wait_text(ana_page, "#screen-stage", "Ben is sharing their screen")
    await ana_page.wait_for_function(
        '(id) => { const v = document.querySelector(`#screen-list li[data-id="${id}"] video`);'
        " return !!v && v.videoWidth > 0 && !v.paused; }",
        arg=ben,
    )
    await assert_accessible(ana_page, "the mentor's call showing a shared screen")
    await assert_accessible(ben_page, "a mentee's call while sharing their screen")

    # One sharer at a time: Ana's attempt is refused with who is sharing.
    await ana_page.get_by_role("button", name="Share screen").click()
    await wait_text(ana_page, "#chat-log", "Ben is already sharing")
    await ana_page.get_by_role("button", name="Share screen").wait_for()

    # A third person arrives: the share comes through the server to them.
    cem_page = await join(browser, s["join_urls"]["mentee"], name="Cem")
    await wait_route(cem_page, "server")
    await wait_decoding_through_server(cem_page, [f"{ben}:screen"])
    await wait_text(cem_page, "#screen-stage", "Ben is sharing their screen")
    await wait_decoding_through_server(ana_page, [f"{ben}:screen"], timeout=25_000)

    # The mentor stops Ben's share: his page stops sharing and everyone's stage empties.
    await ana_page.get_by_role("button", name="Stop share").click()
    await ben_page.get_by_role("button", name="Share screen").wait_for()
    await wait_text(ben_page, "#chat-log", "Your screen share was stopped by a mentor")
    await cem_page.locator("#screen-stage").wait_for(state="hidden")
    await ana_page.locator("#screen-stage").wait_for(state="hidden")

    # Ana lets several share: a second mentor arriving sees it on their switch, and sees Ana
    # turning it back.
    several = '#ctl-screen-policy[aria-pressed="{}"]'
    await ana_page.get_by_role("button", name="Several can share").click()
    await ana_page.locator(several.format("true")).wait_for()
    dee_page = await join(browser, s["join_urls"]["mentor"], name="Dee")
    await dee_page.locator(several.format("true")).wait_for()
    await ana_page.get_by_role("button", name="Several can share").click()
    await dee_page.locator(several.format("false")).wait_for()
    for p in (dee_page, cem_page, ben_page, ana_page):
        await close_page(p)


async def test_breakout_rooms_of_three_go_through_the_server(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Breakouts of three")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    mentees = [await join(browser, s["join_urls"]["mentee"], name=n) for n in ("Ben", "Cem", "Dee")]
    ids = [await participant_id(p) for p in mentees]
    everyone = [await participant_id(mentor), *ids]
    for page, me in zip(mentees, ids, strict=True):
        await wait_route(page, "server")
        await wait_decoding_through_server(page, [f"{p}:camera" for p in everyone if p != me])
    for page in mentees:
        await page.evaluate(
            "() => { window.__subscribe = window.tandemTestHooks.serverConnections.subscribe; }"
        )
        assert await page.evaluate("() => window.__subscribe !== null")

    ack = await command(mentor, "breakout_create", {"names": ["Trio"]})
    room = ack["breakouts"]["rooms"][0]["id"]
    for pid in ids:
        await command(mentor, "breakout_assign", {"participant_id": pid, "room": room})
    await command(mentor, "breakout_open", {"duration_seconds": None})

    for page, me in zip(mentees, ids, strict=True):
        await page.wait_for_function("(r) => window.tandemTestHooks.room === r", arg=room)
        await wait_route(page, "server")
        others = [f"{pid}:camera" for pid in ids if pid != me]
        # New frames, decoded after the move.
        await wait_decoding_through_server(page, others, above=(await server_stats(page))["frames"])
        # The same subscribe connection as before the move: the server changed what it carries.
        assert await page.evaluate(
            "() => window.__subscribe === window.tandemTestHooks.serverConnections.subscribe"
        )
        # The mentor, now alone in the main room, is no longer carried to them.
        await page.wait_for_function(
            "(m) => !window.tandemTestHooks.slots.some((s) => s.participant_id === m)",
            arg=await participant_id(mentor),
        )
    # The mentor, alone in the main room, goes back to peer to peer and closes their server media.
    await wait_route(mentor, "p2p")
    await mentor.wait_for_function(
        "() => window.tandemTestHooks.serverConnections.subscribe === null"
    )
    for p in [*mentees, mentor]:
        await close_page(p)
