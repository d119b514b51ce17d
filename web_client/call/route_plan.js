// Switching between the two media routes, make-before-break, as decisions on plain data (no
// WebRTC here, so the rules are unit-tested in Node). The glue (call/media_routes.js) measures,
// asks `plan()` what to do, and does it.
//
// On `server`: connect to the server; close the direct connection with someone once their media
// has arrived through the server for a moment (their tile then shows the server's copy).
// On `p2p`: connect directly (the smaller participant id offers); once every peer's media arrives
// directly, stop the server connections. Until then each tile shows whichever copy flows. A page
// on the server goes direct only once the room has stayed at two for a moment: a room is often
// back at three at once (a mentor swapping two people moves one, then the other).

/** @typedef {import("../core/types.js").MediaRoute} MediaRoute */
/** @typedef {"none" | "pending" | "arrived"} DirectState */

/** Media through the server must have flowed this long before a direct connection is closed. */
export const SWAP_AFTER_MS = 1000;
/** A connection that is up but carries nothing for this long: the other side sends nothing. */
export const QUIET_PEER_MS = 3000;
/** Connected to the server, a page takes the direct route only once it has held this long. */
export const SETTLE_MS = 1500;

/**
 * Whether a page still on the server waits before taking the direct route it was just given.
 * @param {MediaRoute} route @param {number} routeMs how long it has been the route @param {boolean} serverOpen
 */
export function settling(route, routeMs, serverOpen) {
  return route === "p2p" && serverOpen && routeMs < SETTLE_MS;
}

/**
 * Where the direct connection with one peer stands.
 * @param {object} m
 * @param {boolean} m.exists       a connection with them is open or being made
 * @param {boolean} m.connected    its connectionState is "connected"
 * @param {number} m.connectedMs   for how long
 * @param {number} m.frames        video frames decoded from them
 * @param {number} m.packets       packets received from them (any kind)
 * @param {boolean} m.expectVideo  their camera is on, so frames should come
 * @param {boolean} m.sendsNothing an observer: nothing will ever come
 * @returns {DirectState}
 */
export function directState({ exists, connected, connectedMs, frames, packets, expectVideo, sendsNothing }) {
  if (!exists) return "none";
  if (!connected) return "pending";
  if (sendsNothing || connectedMs >= QUIET_PEER_MS) return "arrived";
  return (expectVideo ? frames > 0 : packets > 0) ? "arrived" : "pending";
}

/**
 * Whether the server relays signalling between me and a peer, so that a direct connection can be
 * made (rooms/session.py `route_signal`): one of us sends media, and on the server route both of
 * us do; in a session whose people must not see each other's addresses, the connection may only
 * go through a TURN relay, so there must be a TURN server.
 * @param {object} o
 * @param {MediaRoute} o.route
 * @param {boolean} o.iSend             I may send media (not an observer or captioner)
 * @param {boolean} o.theySend          they may
 * @param {boolean} o.privateAddresses  the session's `private_addresses`
 * @param {boolean} o.haveTurn          a TURN server is among my ICE servers
 */
export function directAllowed({ route, iSend, theySend, privateAddresses, haveTurn }) {
  if (!iSend && !theySend) return false;
  if (route === "server" && !(iSend && theySend)) return false;
  return !privateAddresses || haveTurn;
}

/**
 * @typedef {object} PeerView
 * @property {string} id
 * @property {DirectState} p2p
 * @property {number} serverMs  how long their media has arrived through the server (-1: it has not)
 * @property {boolean} [direct] a direct connection with them is allowed (`directAllowed`; default true)
 *
 * @typedef {object} Plan
 * @property {Map<string, "p2p" | "server">} show  which copy each tile shows
 * @property {string[]} closeP2p                     direct connections to close
 * @property {{id: string, offer: boolean}[]} openP2p direct connections to open (offer: I make the offer)
 * @property {boolean} openServer                    open the server connections
 * @property {boolean} stopServer                    send `media_stop` and close them
 */

/**
 * @param {object} s
 * @param {MediaRoute} s.route
 * @param {number} [s.routeMs]     how long the route has been what it is (default: long)
 * @param {string} s.selfId
 * @param {boolean} s.serverOpen   server connections exist or are being made
 * @param {boolean} s.serverReady  they are connected (my publish too, when I publish)
 * @param {boolean} s.serverFailed the server said it cannot carry my media (stay direct)
 * @param {PeerView[]} s.peers     the others connected in my room
 * @returns {Plan}
 */
export function plan({ route, routeMs = Infinity, selfId, serverOpen, serverReady, serverFailed, peers }) {
  /** @type {Plan} */
  const out = { show: new Map(), closeP2p: [], openP2p: [], openServer: false, stopServer: false };
  if ((route === "server" || settling(route, routeMs, serverOpen)) && !serverFailed) {
    out.openServer = !serverOpen;
    for (const p of peers) {
      const viaServer = serverReady && p.serverMs >= SWAP_AFTER_MS;
      if (viaServer && p.p2p !== "none") out.closeP2p.push(p.id);
      out.show.set(p.id, viaServer || p.p2p !== "arrived" ? "server" : "p2p");
    }
    return out;
  }
  // Direct: also when the server cannot carry media, which is the best left to try.
  for (const p of peers) {
    if (p.p2p === "none" && p.direct !== false) out.openP2p.push({ id: p.id, offer: selfId < p.id });
    out.show.set(p.id, p.p2p === "arrived" || p.serverMs < 0 ? "p2p" : "server");
  }
  out.stopServer = serverOpen && peers.every((p) => p.direct === false || p.p2p === "arrived");
  return out;
}
