"""The direct connections' negotiation (web_client/call/peers.js) in real Chromium, with the
signalling between two of its PeerManagers held and released by the test, so that an order of
events that a page meets only now and then happens every time.

The order: I receive your offer and, while I am still answering it, I change rooms, which closes
that connection and makes a new one that offers to you. Your connection still waits for my answer,
and if you are the impolite side it ignores my new offer: unless my answer reaches you anyway,
both sides wait for each other and never connect. And whichever side is polite rolls its own
offer back for the other's (as when two people offer at once): its camera and microphone must then
go on the other's transceivers, not on a later offer, where its camera would arrive as a second
video and be taken for a shared screen.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import TandemServer
from tests.e2e.tandem_pages import close_page, new_page

# Two PeerManagers in one page. `answerer` closes its connection to the other (closeAll, as
# media_routes.roomChanged does) and calls again at the moment its setRemoteDescription of the
# first offer has resolved, before it has answered. Then the signals flow freely; the result is
# each side's connection state and tracks received after both are connected (or 10 s).
RACE_JS = """
async ([offererId, answererId]) => {
  const { PeerManager } = await import("/client/call/peers.js");
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const managers = {};
  const held = [];
  const received = { [offererId]: new Set(), [answererId]: new Set() };
  let flowing = false;
  const deliver = (msg, to) => setTimeout(() => managers[to].handleSignal(msg), 0);
  const make = (self, other) => {
    const m = new PeerManager({
      sendSignal: ({ to, ...rest }) => {
        const msg = { ...rest, from: self };
        if (flowing) deliver(msg, to);
        else held.push([msg, to]);
      },
      onRemoteStream: (id, s) => s.getTracks().forEach((t) => received[self].add(t.kind)),
      onStateChange: () => {},
    });
    m.configure({ selfId: self, iceServers: [], localStream: stream, relayOnly: false });
    managers[self] = m;
  };
  make(offererId, answererId);
  make(answererId, offererId);

  // The moment the answerer has applied the offer, it changes rooms (once).
  const original = RTCPeerConnection.prototype.setRemoteDescription;
  let roomChange = null;
  RTCPeerConnection.prototype.setRemoteDescription = async function (d) {
    const result = await original.call(this, d);
    if (roomChange && d && d.type === "offer") {
      const change = roomChange;
      roomChange = null;
      change();
    }
    return result;
  };
  let changed = false;
  roomChange = () => {
    managers[answererId].closeAll();
    managers[answererId].call(offererId);
    changed = true;
  };

  managers[offererId].call(answererId);
  const until = async (ok, ms) => {
    const end = performance.now() + ms;
    while (!ok() && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    return ok();
  };
  await until(() => held.some(([m]) => m.description && m.description.type === "offer"), 5000);
  const offerAt = held.findIndex(([m]) => m.description && m.description.type === "offer");
  const [offer] = held.splice(offerAt, 1);
  managers[answererId].handleSignal(offer[0]);
  await until(() => changed, 5000);
  flowing = true;
  for (const [msg, to] of held.splice(0)) deliver(msg, to);

  const state = (self, other) => {
    const pc = managers[self].connections.get(other);
    return pc ? pc.connectionState : "none";
  };
  const connected = () =>
    state(offererId, answererId) === "connected" && state(answererId, offererId) === "connected";
  const both = () => received[offererId].size === 2 && received[answererId].size === 2;
  await until(() => connected() && both(), 10000);
  RTCPeerConnection.prototype.setRemoteDescription = original;
  const result = {
    changed,
    offerer: state(offererId, answererId),
    answerer: state(answererId, offererId),
    offererGot: [...received[offererId]].sort(),
    answererGot: [...received[answererId]].sort(),
  };
  managers[offererId].closeAll();
  managers[answererId].closeAll();
  stream.getTracks().forEach((t) => t.stop());
  return result;
}
"""


@pytest.mark.parametrize(
    ("offerer", "answerer"),
    [("a-impolite", "b-polite"), ("b-polite", "a-impolite")],
    ids=["the-offerer-is-impolite", "the-offerer-is-polite"],
)
async def test_a_connection_closed_while_answering_still_connects(
    browser: Any, tandem_server: TandemServer, offerer: str, answerer: str
) -> None:
    # The polite side is the one whose id sorts after the other's ("b-polite" > "a-impolite").
    page = await new_page(browser)
    await page.goto(f"{tandem_server.base_url}/healthz")
    result = await page.evaluate(RACE_JS, [offerer, answerer])
    assert result == {
        "changed": True,
        "offerer": "connected",
        "answerer": "connected",
        "offererGot": ["audio", "video"],
        "answererGot": ["audio", "video"],
    }
    await close_page(page)
