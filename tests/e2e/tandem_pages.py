"""Page helpers for the e2e tests: open a join link, join, and read what the page shows.

Every wait is on a condition with a generous timeout, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
from typing import Any

WAIT_MS = 30_000

# Inbound media from one peer, read with getStats() in the page: on the direct connection with
# them, and on the subscribe connection with the server (on the mids its slot map gives them),
# whichever carries more: a room of three or more goes through the server.
INBOUND_JS = """
async (peerId) => {
  const h = window.tandemTestHooks;
  const out = {framesDecoded: 0, audioPackets: 0, state: null};
  if (!h) return out;
  const count = async (pc, mids) => {
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type !== "inbound-rtp" || (mids && !mids.has(r.mid))) return;
      if (r.kind === "video") out.framesDecoded = Math.max(out.framesDecoded, r.framesDecoded || 0);
      if (r.kind === "audio") out.audioPackets = Math.max(out.audioPackets, r.packetsReceived || 0);
    });
  };
  const direct = h.peers.get(peerId);
  if (direct) {
    out.state = direct.connectionState;
    await count(direct, null);
  }
  const sub = h.serverConnections && h.serverConnections.subscribe;
  const theirs = (h.slots || [])
    .filter((s) => s.participant_id === peerId && s.source !== "screen");
  const mids = new Set(theirs.map((s) => s.mid));
  if (sub && mids.size) {
    out.state = out.state || sub.connectionState;
    await count(sub, mids);
  }
  return out;
}
"""

INBOUND_STATS_JS = f"""
async (peerId) => {{
  const h = window.tandemTestHooks;
  if (!h || (!h.peers.get(peerId) && !(h.serverConnections && h.serverConnections.subscribe))) {{
    return null;
  }}
  return await ({INBOUND_JS})(peerId);
}}
"""

# Where a page's media stands, for a failure's message: its route, who is in its room, and for
# each direct connection its states and transceivers.
CONNECTIONS_JS = f"""
async (peerId) => {{
  const h = window.tandemTestHooks;
  if (!h) return null;
  const peers = {{}};
  for (const [id, pc] of h.peers) {{
    peers[id] = {{
      connection: pc.connectionState, signaling: pc.signalingState, ice: pc.iceConnectionState,
      transceivers: pc.getTransceivers().map((t) => [t.mid, t.receiver.track.kind, t.direction,
        t.currentDirection, !!t.sender.track]),
    }};
  }}
  return {{
    state: h.state, room: h.room, route: h.mediaRoute, via: h.mediaVia, peers,
    server: {{publish: h.serverConnections.publish && h.serverConnections.publish.connectionState,
      subscribe: h.serverConnections.subscribe && h.serverConnections.subscribe.connectionState}},
    inbound: await ({INBOUND_JS})(peerId),
  }};
}}
"""

# True once the page decodes more video frames (and receives more audio packets) from that peer
# than the given baselines.
MEDIA_FLOWING_JS = f"""
async ([peerId, frames, packets]) => {{
  const s = await ({INBOUND_JS})(peerId);
  return s.framesDecoded > frames && s.audioPackets > packets;
}}
"""


async def new_page(browser: Any, viewport: dict[str, int] | None = None) -> Any:
    """A page in its own browser context (its own localStorage), as a separate person would have."""
    context = await browser.new_context(viewport=viewport or {"width": 1280, "height": 800})
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("pageerror", lambda err: print(f"[page error] {err}"))
    page.on(
        "console",
        lambda msg: (
            print(f"[console.{msg.type}] {msg.text}") if msg.type in ("error", "warning") else None
        ),
    )
    return page


async def reconnect_after(page: Any, ms: int) -> None:
    """After its next drop, the page's socket.io reconnects by itself in exactly ``ms`` (no
    randomness), as after any network loss: the others surely act while it is away. The drop
    itself is ``window.tandemTestHooks.socket.io.engine.close()`` in the page, after whatever the
    person does in the same moment."""
    await page.evaluate("""(ms) => {
      const manager = window.tandemTestHooks.socket.io;
      manager.reconnectionDelay(ms);
      manager.reconnectionDelayMax(ms);
      manager.randomizationFactor(0);
    }""", ms)


# The drop: the page's connection closes as a lost network closes it.
DROP_JS = "() => window.tandemTestHooks.socket.io.engine.close()"


async def wait_state(page: Any, state: str, timeout: int = WAIT_MS) -> None:
    await page.wait_for_function(
        "(s) => window.tandemTestHooks && window.tandemTestHooks.state === s",
        arg=state,
        timeout=timeout,
    )


async def open_join_screen(page: Any, url: str) -> None:
    await page.goto(url)
    await wait_state(page, "join")
    await page.wait_for_function("() => !document.getElementById('join-button').disabled")


async def join(
    browser: Any, url: str, name: str | None = None, viewport: dict[str, int] | None = None,
    until: str = "call",
) -> Any:
    """Open a join link in a new context, type the name (if given) and join; wait for the page
    to reach ``until`` (the call, or "waiting", "refused"...). Returns the page."""
    page = await new_page(browser, viewport)
    await open_join_screen(page, url)
    if name is not None:
        await page.get_by_label("Your name").fill(name)
    await page.locator("#join-button").click()
    await wait_state(page, until)
    return page


async def participant_id(page: Any) -> str:
    pid = await page.evaluate("() => window.tandemTestHooks.participantId")
    assert isinstance(pid, str) and len(pid) > 0
    return pid


async def eventually_in_page(page: Any, js: str, arg: Any, timeout: int = WAIT_MS) -> Any:
    """Poll `js(arg)` in the page until it is truthy (every 250 ms) and return that value.

    For async predicates: `page.wait_for_function` does not await a predicate's Promise (a
    Promise is truthy), so an async check passed to it returns at once whatever it would say.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout / 1000
    while True:
        value = await page.evaluate(js, arg)
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"still false after {timeout} ms: {js.strip()[:100]} ({arg!r})")
        await asyncio.sleep(0.25)


async def wait_media_from(
    page: Any, peer_id: str, frames: int = 0, packets: int = 0, timeout: int = 45_000
) -> dict[str, Any]:
    """Wait until `page` decodes video and receives audio from `peer_id`; return the stats.
    If it never does, the failure says where the page's connections stood."""
    try:
        await eventually_in_page(page, MEDIA_FLOWING_JS, [peer_id, frames, packets], timeout)
    except AssertionError as e:
        where = await page.evaluate(CONNECTIONS_JS, peer_id)
        raise AssertionError(f"{e}\nthe page's connections: {where}") from None
    stats = await page.evaluate(INBOUND_STATS_JS, peer_id)
    assert stats is not None
    return dict(stats)


async def inbound_stats(page: Any, peer_id: str) -> dict[str, Any] | None:
    stats = await page.evaluate(INBOUND_STATS_JS, peer_id)
    return None if stats is None else dict(stats)


async def wait_text(page: Any, selector: str, text: str, timeout: int = WAIT_MS) -> None:
    """Wait until the element's text contains `text`."""
    await page.wait_for_function(
        """([sel, text]) => {
            const el = document.querySelector(sel);
            return !!el && el.textContent.includes(text);
        }""",
        arg=[selector, text],
        timeout=timeout,
    )


async def wait_video_shown(page: Any, pid: str, timeout: int = WAIT_MS) -> None:
    """Wait until the participant's tile plays video frames (not the initials picture)."""
    await page.wait_for_function(
        """(id) => {
            const tile = document.querySelector(`#video-grid li[data-id="${id}"]`);
            if (!tile || tile.classList.contains("tile-camoff")) return false;
            const v = tile.querySelector("video");
            return !v.paused && v.videoWidth > 0 && v.readyState >= 2;
        }""",
        arg=pid,
        timeout=timeout,
    )


async def wait_tile_camera_off(page: Any, pid: str, timeout: int = WAIT_MS) -> None:
    """Wait until the participant's tile shows the initials picture instead of video."""
    await page.wait_for_function(
        """(id) => {
            const tile = document.querySelector(`#video-grid li[data-id="${id}"]`);
            return !!tile && tile.classList.contains("tile-camoff");
        }""",
        arg=pid,
        timeout=timeout,
    )


async def tile(page: Any, pid: str) -> Any:
    return page.locator(f'#video-grid li[data-id="{pid}"]')


async def close_page(page: Any) -> None:
    await page.context.close()


# A command sent from the page over its own socket, as that person (breakout commands of a
# mentor, for tests whose subject is not the panel that sends them).
COMMAND_JS = """
async ([event, payload]) =>
  await window.tandemTestHooks.socket.timeout(10000).emitWithAck(event, payload)
"""


async def command(page: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack = await page.evaluate(COMMAND_JS, [event, payload])
    assert ack and ack.get("ok"), (event, ack)
    return dict(ack)


async def room_ids(page: Any) -> dict[str, str]:
    """Room name -> id in the breakout round the page has (ids are opaque: `b1`, or `1:b1`)."""
    round_ = await page.evaluate("() => window.tandemTestHooks.round")
    assert round_, "the page has no breakout round"
    return {room["name"]: room["id"] for room in round_["rooms"]}


def ids_of(ack: dict[str, Any]) -> dict[str, str]:
    """Room name -> id from a breakout command's acknowledgement."""
    return {room["name"]: room["id"] for room in ack["breakouts"]["rooms"]}
