"""A session whose people must not see each other's network addresses, in real Chromium: a pair
gets its media through the server, and nothing either page receives (descriptions, candidates)
names an address of the other page; and Chromium takes a description that the server made
relay-only (as it relays one in such a session when a direct connection goes through TURN).

Every page here is on 127.0.0.1 (a loopback-only namespace), the server's media plane too, so an
address is told apart by its port: each page's own candidates (every connection it made, as its
getStats() lists them) are compared with every candidate the other page was handed.
"""

from __future__ import annotations

from typing import Any

from tandem_pages import (
    WAIT_MS,
    close_page,
    eventually_in_page,
    open_join_screen,
    participant_id,
    wait_state,
)
from test_server_media import wait_decoding_through_server, wait_route

from server.sessions.addresses import relay_only_description

# Before any page script: keep every connection the page makes, its configuration, and every
# description and candidate handed to any of them.
RECORD_JS = """
(() => {
  const Native = window.RTCPeerConnection;
  const made = [];
  const received = [];
  window.__tandemMade = made;
  window.__tandemReceived = received;
  class Recorded extends Native {
    constructor(config, ...rest) {
      super(config, ...rest);
      made.push({pc: this, policy: (config && config.iceTransportPolicy) || "all"});
    }
    setRemoteDescription(d, ...rest) {
      if (d && d.sdp) received.push(d.sdp);
      return super.setRemoteDescription(d, ...rest);
    }
    addIceCandidate(c, ...rest) {
      if (c && c.candidate) received.push(c.candidate);
      return super.addIceCandidate(c, ...rest);
    }
  }
  window.RTCPeerConnection = Recorded;
})();
"""

# This page's own candidates ("address:port", every connection it made) and how many
# connections it made with which ICE policy.
OWN_CANDIDATES_JS = """
async () => {
  const own = new Set();
  for (const {pc} of window.__tandemMade) {
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "local-candidate") own.add(`${r.address || r.ip}:${r.port}`);
    });
  }
  return {own: [...own], policies: window.__tandemMade.map((m) => m.policy)};
}
"""

# Every candidate this page was handed ("address:port"), from descriptions and alone.
RECEIVED_JS = r"""
() => {
  const out = [];
  const candidate = /candidate:\S+ \d+ \S+ \d+ (\S+) (\d+) typ/g;
  for (const text of window.__tandemReceived) {
    for (const m of text.matchAll(candidate)) out.push(`${m[1]}:${m[2]}`);
  }
  return {candidates: out, texts: window.__tandemReceived.length};
}
"""


async def test_a_private_pair_gets_media_through_the_server_and_never_the_others_address(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Private pair", private_addresses=True)
    assert s["private_addresses"] is True
    pages = []
    for role, name in (("mentor", "Ana"), ("mentee", "Ben")):
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        await context.add_init_script(RECORD_JS)
        pages.append(await join_in(context, s["join_urls"][role], name))
    ana, ben = pages
    ids = [await participant_id(p) for p in pages]

    for page, other in ((ana, ids[1]), (ben, ids[0])):
        await wait_route(page, "server")
        await wait_decoding_through_server(page, [f"{other}:camera"])
        # No direct connection was ever made: only the publish and subscribe connections.
        assert await page.evaluate("() => window.tandemTestHooks.peers.size") == 0

    own = [await eventually_in_page(p, OWN_CANDIDATES_JS, None) for p in pages]
    received = [await p.evaluate(RECEIVED_JS) for p in pages]
    print("own candidates:", [o["own"] for o in own])
    print("candidates received:", [r["candidates"] for r in received])
    for me, other in ((0, 1), (1, 0)):
        assert own[me]["policies"] == ["all", "all"], own[me]  # publish and subscribe
        got = set(received[me]["candidates"])
        assert got, "the server's own candidates should have arrived"
        leaked = got & set(own[other]["own"])
        assert not leaked, f"page {me} was handed page {other}'s candidates {leaked}"
    for p in pages:
        await close_page(p)


async def join_in(context: Any, url: str, name: str) -> Any:
    """``tandem_pages.join`` in a context made here (with the recording script)."""
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("pageerror", lambda err: print(f"[page error] {err}"))
    await open_join_screen(page, url)
    await page.get_by_label("Your name").fill(name)
    await page.locator("#join-button").click()
    await wait_state(page, "call")
    return page


# A description made by Chromium itself once its host candidates (on 127.0.0.1) are gathered,
# with a TURN relay candidate added as a browser with a TURN server would have it.
GATHERED_OFFER_JS = """
async (relay) => {
  // With a microphone allowed, Chromium offers its real host addresses (not mDNS names).
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  const pc = new RTCPeerConnection();
  pc.addTransceiver(stream.getAudioTracks()[0]);
  pc.addTransceiver("video");
  await pc.setLocalDescription();
  for (let i = 0; i < 100 && !/typ host/.test(pc.localDescription.sdp); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  stream.getTracks().forEach((t) => t.stop());
  const sdp = pc.localDescription.sdp.replace(/(a=mid:0\\r\\n)/, `$1a=${relay}\\r\\n`);
  pc.close();
  return sdp;
}
"""

# Whether Chromium takes a description as the remote offer, and the candidates it then holds.
ACCEPTS_JS = """
async (sdp) => {
  const pc = new RTCPeerConnection();
  try {
    await pc.setRemoteDescription({type: "offer", sdp});
    await pc.setLocalDescription();
    return {ok: true, held: pc.remoteDescription.sdp.match(/^a=candidate:.*$/gm) || []};
  } catch (e) {
    return {ok: false, error: String(e)};
  } finally {
    pc.close();
  }
}
"""


async def test_chromium_takes_a_description_the_server_made_relay_only(
    tandem_server: Any, browser: Any
) -> None:
    page = await browser.new_page()
    await page.goto(f"{tandem_server.base_url}/healthz")  # a secure context, for the microphone
    relay = ("candidate:5 1 udp 41885439 127.0.0.2 3478 typ relay raddr 127.0.0.1 rport 61000 "
             "generation 0")
    sdp = await page.evaluate(GATHERED_OFFER_JS, relay)
    assert "typ host" in sdp and "typ relay" in sdp, sdp
    kept = relay_only_description(sdp)
    assert "typ host" not in kept and "raddr 127.0.0.1" not in kept
    answer = await page.evaluate(ACCEPTS_JS, kept)
    assert answer["ok"], answer
    assert [c.split(" typ ")[1].split()[0] for c in answer["held"]] == ["relay"], answer
    await page.close()
