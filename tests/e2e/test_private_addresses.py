"""A session whose people must not see each other's network addresses, in real Chromium: a pair
gets its media through the server, and nothing either page receives (descriptions, candidates)
names an address of the other page.

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
