"""The connections through the server (web_client/call/server_media.js) opened again after being
closed mid-negotiation, in real Chromium.

A page's route goes to the server, back to direct and to the server again as people come and go
(a round of breakout rooms closing brings everyone back to a main room of three). When the
connections are closed while one of their steps is in flight, WebRTC leaves that step's promise
pending for ever; the next opening must not wait behind it, or the page never gets the subscribe
connection and sees nobody.

Here the page's ServerMedia talks to a stand-in for the server's media plane inside the page (a
real RTCPeerConnection that offers, answering the page's requests), so that the closing lands
while the page applies the server's offer every time.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import TandemServer
from tests.e2e.tandem_pages import close_page, new_page

# The first opening is closed at the moment its subscribe connection starts applying the
# server's offer (once). Then the connections are opened again; the result says whether that
# opening completed (the page answered the server's second offer) within 10 s.
REOPEN_JS = """
async () => {
  const { ServerMedia } = await import("/client/call/server_media.js");
  const requests = [];
  const offers = [];
  const transport = {
    connected: true,
    async request(event, payload) {
      requests.push(event);
      if (event === "media_subscribe") {
        const server = new RTCPeerConnection();
        server.addTransceiver("audio", { direction: "sendonly" });
        server.addTransceiver("video", { direction: "sendonly" });
        await server.setLocalDescription();
        offers.push(server);
        return { ok: true, sdp: server.localDescription.sdp, slots: [] };
      }
      if (event === "media_answer") {
        await offers[offers.length - 1].setRemoteDescription({ type: "answer", sdp: payload.sdp });
      }
      return { ok: true };
    },
  };
  const media = new ServerMedia({ transport, onStreams: () => {}, onState: () => {} });

  const original = RTCPeerConnection.prototype.setRemoteDescription;
  let closeNext = true;
  RTCPeerConnection.prototype.setRemoteDescription = function (d) {
    const applying = original.call(this, d);
    if (closeNext && d && d.type === "offer") {
      closeNext = false;
      media.stop(false);
    }
    return applying;
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const options = {
    selfId: "a", iceServers: [], localStream: null, publish: false, screenTrack: null,
  };
  let firstSettled = false;
  media.start(options).finally(() => { firstSettled = true; });
  const end = performance.now() + 5000;
  while (closeNext && performance.now() < end) await sleep(20);
  const closedMidway = !closeNext;

  const second = media.start(options).then(() => "opened", (e) => `refused: ${e}`);
  const outcome = await Promise.race([second, sleep(10000).then(() => "still waiting")]);
  RTCPeerConnection.prototype.setRemoteDescription = original;
  const result = {
    closedMidway,
    firstSettled,
    outcome,
    requests,
    subscribe: media.subscribe ? media.subscribe.signalingState : null,
  };
  media.stop(false);
  offers.forEach((pc) => pc.close());
  return result;
}
"""


async def test_connections_closed_mid_negotiation_open_again(
    browser: Any, tandem_server: TandemServer
) -> None:
    page = await new_page(browser)
    await page.goto(f"{tandem_server.base_url}/healthz")
    result = await page.evaluate(REOPEN_JS)
    # The first opening's step is left pending by Chromium (`firstSettled` false): what the second
    # must not wait behind. Not asserted: a browser that settled it would not need the fix, and
    # the second opening must succeed either way.
    del result["firstSettled"]
    assert result == {
        "closedMidway": True,
        "outcome": "opened",
        "requests": ["media_subscribe", "media_subscribe", "media_answer"],
        "subscribe": "stable",
    }
    await close_page(page)
