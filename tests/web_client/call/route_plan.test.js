import { test } from "node:test";
import assert from "node:assert/strict";
import { QUIET_PEER_MS, SETTLE_MS, SWAP_AFTER_MS, directAllowed, directState, plan } from "../../../web_client/call/route_plan.js";

const base = { route: "server", selfId: "m", serverOpen: true, serverReady: true, serverFailed: false };
const direct = { exists: true, connected: true, connectedMs: 500, frames: 0, packets: 0, expectVideo: true, sendsNothing: false };

test("a direct connection has arrived when its video decodes, or its audio flows when the camera is off", () => {
  assert.equal(directState({ ...direct, exists: false }), "none");
  assert.equal(directState({ ...direct, connected: false }), "pending");
  assert.equal(directState({ ...direct, packets: 40 }), "pending"); // audio, but the camera is on
  assert.equal(directState({ ...direct, frames: 1 }), "arrived");
  assert.equal(directState({ ...direct, expectVideo: false, packets: 3 }), "arrived");
  assert.equal(directState({ ...direct, sendsNothing: true }), "arrived"); // an observer
  assert.equal(directState({ ...direct, connectedMs: QUIET_PEER_MS }), "arrived"); // up, but nothing comes
});

test("to the server: connect, and close a direct connection only once that person arrives through it", () => {
  const closed = plan({ ...base, serverOpen: false, serverReady: false, peers: [{ id: "a", p2p: "arrived", serverMs: -1 }] });
  assert.equal(closed.openServer, true);
  assert.deepEqual(closed.closeP2p, []);
  assert.equal(closed.show.get("a"), "p2p"); // the direct copy until the server's flows

  const peers = [
    { id: "a", p2p: "arrived", serverMs: SWAP_AFTER_MS }, // arrived through the server a moment ago
    { id: "b", p2p: "arrived", serverMs: 200 }, // only just: not yet
    { id: "c", p2p: "none", serverMs: -1 }, // came in on the server route
    { id: "d", p2p: "pending", serverMs: 5000 }, // a direct connection that never came up
  ];
  const step = plan({ ...base, peers });
  assert.equal(step.openServer, false);
  assert.deepEqual(step.closeP2p, ["a", "d"]);
  assert.deepEqual(step.openP2p, []);
  assert.deepEqual(Object.fromEntries(step.show), { a: "server", b: "p2p", c: "server", d: "server" });
  assert.equal(step.stopServer, false);

  // Not ready (my publish not up yet): nothing is closed, whatever arrived.
  assert.deepEqual(plan({ ...base, serverReady: false, peers }).closeP2p, []);
});

test("back to peer to peer: the smaller id offers, and the server stops once everyone arrives directly", () => {
  const start = plan({ ...base, route: "p2p", peers: [{ id: "a", p2p: "none", serverMs: 3000 }, { id: "z", p2p: "none", serverMs: 3000 }] });
  assert.deepEqual(start.openP2p, [{ id: "a", offer: false }, { id: "z", offer: true }]);
  assert.equal(start.stopServer, false);
  assert.deepEqual(Object.fromEntries(start.show), { a: "server", z: "server" }); // the server's copy meanwhile

  const half = plan({ ...base, route: "p2p", peers: [{ id: "a", p2p: "arrived", serverMs: 3000 }, { id: "z", p2p: "pending", serverMs: 3000 }] });
  assert.equal(half.stopServer, false);
  assert.deepEqual(Object.fromEntries(half.show), { a: "p2p", z: "server" });

  const done = plan({ ...base, route: "p2p", peers: [{ id: "a", p2p: "arrived", serverMs: 3000 }, { id: "z", p2p: "arrived", serverMs: 3000 }] });
  assert.equal(done.stopServer, true);
  assert.deepEqual(done.openP2p, []);
  // Alone in the room: nothing to wait for.
  assert.equal(plan({ ...base, route: "p2p", peers: [] }).stopServer, true);
  assert.equal(plan({ ...base, route: "p2p", serverOpen: false, peers: [] }).stopServer, false);
});

test("back at two on the server, a page waits a moment before going direct: the room may grow again at once", () => {
  const peers = [{ id: "z", p2p: "none", serverMs: 3000 }];
  const early = plan({ ...base, route: "p2p", routeMs: SETTLE_MS - 1, peers });
  assert.deepEqual(early.openP2p, []);
  assert.equal(early.stopServer, false);
  assert.equal(early.show.get("z"), "server");
  assert.deepEqual(plan({ ...base, route: "p2p", routeMs: SETTLE_MS, peers }).openP2p, [{ id: "z", offer: true }]);
  // Not on the server: nothing to stay on, so straight to the direct route.
  const fresh = plan({ ...base, route: "p2p", routeMs: 0, serverOpen: false, serverReady: false, peers: [{ id: "z", p2p: "none", serverMs: -1 }] });
  assert.deepEqual(fresh.openP2p, [{ id: "z", offer: true }]);
});

test("when the server cannot carry media, the page stays (or goes) direct", () => {
  const p = plan({ ...base, serverOpen: false, serverReady: false, serverFailed: true, peers: [{ id: "z", p2p: "none", serverMs: -1 }] });
  assert.equal(p.openServer, false);
  assert.deepEqual(p.openP2p, [{ id: "z", offer: true }]);
});

test("a direct connection only where the server relays its signalling", () => {
  const ordinary = { route: "p2p", iSend: true, theySend: true, privateAddresses: false, haveTurn: false };
  assert.equal(directAllowed(ordinary), true);
  assert.equal(directAllowed({ ...ordinary, iSend: false }), true); // an observer receives a mentor
  assert.equal(directAllowed({ ...ordinary, iSend: false, theySend: false }), false); // two observers
  assert.equal(directAllowed({ ...ordinary, route: "server" }), true); // two who publish
  assert.equal(directAllowed({ ...ordinary, route: "server", theySend: false }), false);
  assert.equal(directAllowed({ ...ordinary, route: "server", iSend: false }), false);
  // Private addresses: through a TURN relay only, so never without a TURN server.
  assert.equal(directAllowed({ ...ordinary, route: "server", privateAddresses: true }), false);
  assert.equal(directAllowed({ ...ordinary, route: "server", privateAddresses: true, haveTurn: true }), true);
});

test("no direct connection where none is allowed, whatever the route", () => {
  const none = { id: "z", p2p: "none", serverMs: -1, direct: false };
  // The server cannot carry media, and nothing else is allowed: the page waits for the server.
  const failed = plan({ ...base, serverOpen: false, serverReady: false, serverFailed: true, peers: [none] });
  assert.deepEqual(failed.openP2p, []);
  assert.equal(failed.openServer, false);
  // On the direct route, someone I may not connect with (two observers) stops nothing.
  const p2p = plan({ ...base, route: "p2p", peers: [none, { id: "a", p2p: "arrived", serverMs: 3000 }] });
  assert.deepEqual(p2p.openP2p, []);
  assert.equal(p2p.stopServer, true);
});
