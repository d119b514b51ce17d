"""A session whose people must not see each other's network addresses, in real Chromium: a pair
gets its media through the server, and nothing either page receives (descriptions, candidates)
names an address of the other page; and Chromium takes a description that the server made
relay-only (as it relays one in such a session when a direct connection goes through TURN).

Every page here is on 127.0.0.1 (a loopback-only namespace), the server's media plane too, so an
address is told apart by its port: each page's own candidates (every connection it made, as its
getStats() lists them) are compared with every candidate the other page was handed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN_KEY, TandemServer
from tandem_pages import (
    WAIT_MS,
    close_page,
    eventually_in_page,
    open_join_screen,
    participant_id,
    wait_media_from,
    wait_state,
)
from test_server_media import wait_decoding_through_server, wait_route

from clients.server import ServerProcess
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
      // A relay candidate is the TURN server's address, not the page's.
      if (r.type === "local-candidate" && r.candidateType !== "relay") {
        own.add(`${r.address || r.ip}:${r.port}`);
      }
    });
  }
  const direct = [...window.tandemTestHooks.peers.values()];
  return {
    own: [...own],
    policies: window.__tandemMade.map((m) => m.policy),
    directPolicies: window.__tandemMade.filter((m) => direct.includes(m.pc)).map((m) => m.policy),
  };
}
"""

# Every candidate this page was handed ("address:port"), from descriptions and alone.
RECEIVED_JS = r"""
() => {
  const out = [];
  const lines = [];
  const candidate = /candidate:\S+ \d+ \S+ \d+ (\S+) (\d+) typ[^\r\n]*/g;
  for (const text of window.__tandemReceived) {
    for (const m of text.matchAll(candidate)) {
      out.push(`${m[1]}:${m[2]}`);
      lines.push(m[0]);
    }
  }
  return {candidates: out, lines, texts: window.__tandemReceived.length};
}
"""


async def test_a_private_pair_gets_media_through_the_server_and_never_the_others_address(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Private pair", private_addresses=True)
    assert s["private_addresses"] is True
    pages = []
    for role, name in (("mentor", "Ana"), ("mentee", "Ben")):
        pages.append(await join_in(browser, s["join_urls"][role], name))
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


async def join_in(browser: Any, url: str, name: str) -> Any:
    """``tandem_pages.join`` in a context of its own that records what its connections get."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(RECORD_JS)
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


# -- a direct connection through a TURN relay, when the server cannot carry the media ------------

TURN_USER, TURN_PASSWORD = "tandem", "turn-password-for-tests"

# The candidate types of the pair each direct connection selected.
SELECTED_PAIR_JS = """
async () => {
  const out = [];
  for (const pc of window.tandemTestHooks.peers.values()) {
    const stats = await pc.getStats();
    const reports = new Map();
    stats.forEach((r) => reports.set(r.id, r));
    stats.forEach((r) => {
      if (r.type !== "transport" || !r.selectedCandidatePairId) return;
      const pair = reports.get(r.selectedCandidatePairId);
      out.push([reports.get(pair.localCandidateId).candidateType,
                reports.get(pair.remoteCandidateId).candidateType]);
    });
  }
  return out;
}
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def turn_url(tmp_path: Path) -> Iterator[str]:
    """coturn on loopback (Debian's ``coturn``), relaying between loopback addresses."""
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.skip("e2e: turnserver is missing (apt-get install -y coturn)")
    port = free_udp_port()
    log = (tmp_path / "turnserver.log").open("w")
    process = subprocess.Popen(
        [binary, "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}",
         "--relay-ip=127.0.0.1", "--lt-cred-mech", f"--user={TURN_USER}:{TURN_PASSWORD}",
         "--realm=tandem.test", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-cli",
         f"--pidfile={tmp_path / 'turnserver.pid'}", f"--db={tmp_path / 'turndb'}",
         "--log-file=stdout", "--simple-log"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield f"turn:127.0.0.1:{port}?transport=udp"
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture
def full_server(tmp_path: Path, turn_url: str) -> Iterator[TandemServer]:
    """A Tandem server with a TURN server, whose media plane holds one person's connections."""
    process = ServerProcess(
        tmp_path / "data", admin_key=ADMIN_KEY,
        flags=["--turn-urls", turn_url, "--turn-username", TURN_USER,
               "--turn-credential", TURN_PASSWORD, "--media-max-peers", "2"],
    ).start()
    try:
        yield TandemServer(process)
    finally:
        process.stop()


async def test_when_the_server_cannot_carry_a_private_pair_it_connects_through_turn_only(
    full_server: Any, browser: Any
) -> None:
    # Someone alone in another private session takes the media plane's two connections.
    other = full_server.create_session(title="Elsewhere", private_addresses=True)
    zed = await join_in(browser, other["join_urls"]["mentee"], "Zed")
    await zed.wait_for_function(
        "() => window.tandemTestHooks.serverConnections.publish?.connectionState === 'connected'"
    )
    s = full_server.create_session(title="Private pair, server full", private_addresses=True)
    pages = [await join_in(browser, s["join_urls"][role], name)
             for role, name in (("mentor", "Ana"), ("mentee", "Ben"))]
    ids = [await participant_id(p) for p in pages]
    await wait_media_from(pages[0], ids[1])
    await wait_media_from(pages[1], ids[0])

    own = [await eventually_in_page(p, OWN_CANDIDATES_JS, None) for p in pages]
    received = [await p.evaluate(RECEIVED_JS) for p in pages]
    print("candidates received:", [r["lines"] for r in received])
    for me, other_page in ((0, 1), (1, 0)):
        assert own[me]["directPolicies"] == ["relay"], own[me]
        assert await pages[me].evaluate(SELECTED_PAIR_JS) == [["relay", "relay"]]
        # All that came was the other page's relay candidates, without its address as raddr.
        lines = received[me]["lines"]
        assert lines, "the other page's relay candidates should have arrived"
        for line in lines:
            assert " typ relay " in line and " raddr 0.0.0.0 rport 0" in line, line
        leaked = set(received[me]["candidates"]) & set(own[other_page]["own"])
        assert not leaked, f"page {me} was handed page {other_page}'s candidates {leaked}"
    for p in [*pages, zed]:
        await close_page(p)
