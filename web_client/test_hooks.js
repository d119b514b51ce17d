// The one window of the e2e tests (and support) into the page: `window.tandemTestHooks`, frozen,
// read-only getters. The page's own code never reads it.

/**
 * @param {object} page
 * @param {() => string} page.state
 * @param {import("./core/store.js").Store} page.store
 * @param {import("./core/transport.js").Transport} page.transport
 * @param {Map<string, RTCPeerConnection>} page.peers
 * @param {import("./call/media_routes.js").MediaRoutes} page.routes
 * @param {import("./call/server_media.js").ServerMedia} page.server
 * @param {() => boolean} page.speaking
 * @param {() => unknown} page.overview
 * @param {() => unknown[]} page.captions
 * @param {() => boolean} page.captionsOn
 * @param {() => unknown} page.replay
 */
export function exposeTestHooks({ state, store, transport, peers, routes, server, speaking, overview, captions, captionsOn, replay }) {
  const hooks = Object.freeze({
    /** loading | refused | join | joining | call | reconnecting | left | ended | replaced */
    get state() {
      return state();
    },
    get participantId() {
      return store.me.id;
    },
    get room() {
      return store.room;
    },
    /** participant id -> RTCPeerConnection, for getStats() */
    get peers() {
      return peers;
    },
    /** The room's media route as this page follows it: "p2p" or "server". */
    get mediaRoute() {
      return routes.route;
    },
    /** The connections with the server's media plane ({publish, subscribe}, each null when closed), for getStats(). */
    get serverConnections() {
      return Object.freeze({ publish: server.publish, subscribe: server.subscribe });
    },
    /** The subscribe connection's slots: [{mid, kind, participant_id, source}]: whose media each mid carries. */
    get slots() {
      return server.slotList();
    },
    /** participant id -> "p2p" or "server": which copy of their media their tile shows. */
    get mediaVia() {
      return Object.fromEntries(store.othersHere().map((p) => [p.id, routes.viaOf(p.id)]));
    },
    /** The socket.io client (to drop the transport, or send a command as this person). */
    get socket() {
      return transport.socket;
    },
    /** The breakout round as the store has it. */
    get round() {
      return store.round;
    },
    /** Whether my own microphone hears me speak. */
    get speaking() {
      return speaking();
    },
    get hand() {
      return !!store.me.id && store.handRaised(store.me.id);
    },
    /** The participation report last shown. */
    get overview() {
      return overview();
    },
    /** The caption lines shown now, oldest first: [{speaker_id, name, text, final, source}]. */
    get captions() {
      return captions();
    },
    /** Whether this page shows captions (CC on, and the session has them). */
    get captionsOn() {
      return captionsOn();
    },
    /** The last catch-up after a join or move: {room, replayed, gone} (null before any). */
    get replay() {
      return replay();
    },
    /** The last position seen per room: {room: {epoch, offset}}. */
    get positions() {
      return Object.fromEntries(store.positions);
    },
  });
  Object.defineProperty(window, "tandemTestHooks", { value: hooks, writable: false, configurable: false });
}
