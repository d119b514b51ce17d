// The room's media route, followed make-before-break (the rules are in route_plan.js): measures
// what arrives directly and through the server, asks the plan what to do, does it, and gives each
// tile the copy of the person's media that flows. Direct connections are PeerManager's
// (peers.js); the server's are ServerMedia's (server_media.js).

import { CLIENT_EVENTS } from "../core/events.js";
import { sendsNoMedia } from "../core/store.js";
import { QUIET_PEER_MS, directAllowed, directState, plan, settling } from "./route_plan.js";
import { t } from "../ui/i18n.js";

/** @typedef {import("../core/types.js").MediaRoute} MediaRoute */

const TICK_MS = 500;
const SERVER_RETRY_MS = 10_000;

export class MediaRoutes {
  /**
   * @param {object} o
   * @param {import("../core/store.js").Store} o.store
   * @param {import("../core/transport.js").Transport} o.transport
   * @param {import("./peers.js").PeerManager} o.peers
   * @param {import("./server_media.js").ServerMedia} o.server
   * @param {import("./grid.js").VideoGrid} o.grid
   * @param {(text: string) => void} o.notice
   * @param {() => void} o.onScreens  someone's shared screen came, went or changed copy
   */
  constructor({ store, transport, peers, server, grid, notice, onScreens }) {
    this.store = store;
    this.transport = transport;
    this.peers = peers;
    this.server = server;
    this.grid = grid;
    this.notice = notice;
    this.onScreens = onScreens;
    /** @type {MediaRoute} */
    this.route = "p2p";
    /** When my room's route last changed under me (`media_route`; route_plan.js SETTLE_MS). */
    this.routeSince = -Infinity;
    /** @type {RTCIceServer[]} */
    this.iceServers = [];
    /** The session's people must not see each other's network addresses (`private_addresses`). */
    this.privateAddresses = false;
    /** @type {MediaStream | null} */
    this.localStream = null;
    /** @type {MediaStreamTrack | null} */
    this.screenTrack = null;
    /** @type {Map<string, MediaStream>} the direct copy of each person's camera and microphone */
    this.directStreams = new Map();
    /** @type {Map<string, MediaStream>} their screen, received directly */
    this.directScreens = new Map();
    /** @type {Map<string, string>} the direct connection's state, as PeerManager reports it */
    this.directStates = new Map();
    /** @type {Map<string, number>} when the direct connection came up */
    this.connectedAt = new Map();
    /** @type {Map<string, {pc: RTCPeerConnection, frames: number, packets: number}>} counts per direct connection */
    this.counts = new Map();
    /** @type {Map<string, "p2p" | "server">} which copy each tile shows */
    this.shown = new Map();
    /** When the server connections came up (0: they are not up). */
    this.serverReadyAt = 0;
    /** Until then, do not try the server again (it refused or failed). */
    this.serverRetryAt = 0;
    this.serverUnavailableSaid = false;
    /** Between a successful `join` and a drop or the end: only then are connections opened. */
    this.active = false;
    this.timer = 0;
    this.ticking = false;
    this.fallbackSent = new Set();
    store.subscribe("participants", () => this.refreshAll());
  }

  // -- from call.js ------------------------------------------------------------------------------

  /**
   * A `join` succeeded: start over with the route it gave.
   * @param {{iceServers: RTCIceServer[], stream: MediaStream | null, route: MediaRoute | undefined, privateAddresses: boolean}} o
   */
  joined({ iceServers, stream, route, privateAddresses }) {
    this.active = false;
    this.iceServers = iceServers;
    this.privateAddresses = privateAddresses;
    this.localStream = stream;
    this.server.stop(false); // the server closed them with the old connection
    this.serverRetryAt = 0;
    this.fallbackSent.clear();
    this.route = route === "server" ? "server" : "p2p";
    this.routeSince = -Infinity; // a room I come into: its route is not news
    this.active = true;
    if (this.route === "p2p") for (const p of this.connectable()) this.peers.call(p.id); // the newcomer offers
    this.apply();
    clearInterval(this.timer);
    this.timer = window.setInterval(() => this.tick(), TICK_MS);
  }

  /** `media_route`, or the route of the room I moved to. @param {MediaRoute} route */
  setRoute(route) {
    if (route !== "p2p" && route !== "server") return;
    if (route !== this.route) {
      this.fallbackSent.clear();
      this.routeSince = performance.now();
    }
    this.route = route;
    this.apply();
  }

  /** Someone arrived (or came back) in my room: on the direct route, they offer. @param {string} id */
  arrived(id) {
    const p = this.store.participants.get(id);
    if (this.route === "p2p" && p && this.mayConnect(p)) {
      // Unless the room was at two only a moment ago: then the plan connects, if it still is.
      if (!settling(this.route, performance.now() - this.routeSince, this.server.open)) this.peers.expect(id);
    } else this.peers.close(id); // a connection kept from before they left is of no use
  }

  /** I moved room: the direct connections of the old room go; the server's stay. @param {MediaRoute | undefined} route */
  roomChanged(route) {
    this.peers.closeAll();
    if (route === "p2p" || route === "server") this.route = route;
    this.routeSince = -Infinity;
    // I am the newcomer in this room: I offer to everyone connected here.
    if (this.route === "p2p") for (const p of this.connectable()) this.peers.call(p.id);
    this.apply();
  }

  /**
   * Whether the server relays signalling between me and this person now (route_plan.js).
   * @param {import("../core/types.js").Participant} p
   */
  mayConnect(p) {
    return directAllowed({
      route: this.route,
      iSend: !sendsNoMedia(this.store.me.role),
      theySend: !sendsNoMedia(p.role),
      privateAddresses: this.privateAddresses,
      haveTurn: this.iceServers.some((s) => [s.urls].flat().some((u) => /^turns?:/.test(u))),
    });
  }

  /** The people here I may connect with directly. */
  connectable() {
    return this.store.othersHere().filter((p) => this.mayConnect(p));
  }

  /** The socket dropped: the server closed its connections, the direct ones go with it. */
  disconnected() {
    this.active = false;
    this.peers.closeAll();
    this.server.stop(false);
  }

  stop() {
    this.active = false;
    clearInterval(this.timer);
    this.timer = 0;
    this.peers.closeAll();
    this.server.stop(false);
  }

  /** A device allowed late. @param {MediaStreamTrack} track @param {MediaStream} stream */
  async addLocalTrack(track, stream) {
    this.localStream = stream;
    await this.peers.addLocalTrack(track, stream);
    await this.server.replaceTrack(track.kind === "audio" ? "audio" : "video", track);
  }

  /** My shared screen, or null to stop. @param {MediaStreamTrack | null} track */
  async setScreen(track) {
    this.screenTrack = track;
    this.peers.setScreen(track);
    await this.server.setScreen(track);
  }

  // -- from the connections ------------------------------------------------------------------------

  /** @param {string} id @param {MediaStream} stream */
  directStream(id, stream) {
    this.directStreams.set(id, stream);
    this.render(id);
  }

  /** @param {string} id @param {MediaStream | null} stream */
  directScreen(id, stream) {
    if (stream) this.directScreens.set(id, stream);
    else this.directScreens.delete(id);
    this.onScreens();
  }

  /** @param {string} id @param {string} state */
  directState(id, state) {
    if (state === "closed") {
      this.directStates.delete(id);
      this.directStreams.delete(id);
      this.connectedAt.delete(id);
      this.counts.delete(id);
    } else {
      this.directStates.set(id, state);
      if (state === "connected" && !this.connectedAt.has(id)) this.connectedAt.set(id, performance.now());
      if (state !== "connected") this.connectedAt.delete(id);
    }
    this.render(id);
  }

  /** A direct connection failed for good: on the direct route, ask the room to go through the server. @param {string} id */
  directFailed(id) {
    if (this.route !== "p2p" || this.fallbackSent.has(id) || !this.transport.connected) return;
    this.fallbackSent.add(id);
    this.transport.request(CLIENT_EVENTS.MEDIA_FALLBACK, { peer: id }).then((ack) => {
      if (ack.ok) this.setRoute(ack.route === "p2p" ? "p2p" : "server");
      else if (ack.error.code !== "timeout") console.warn("media_fallback", ack.error);
    });
  }

  /** The server's copy of these people's media changed. @param {Set<string>} ids */
  serverStreams(ids) {
    for (const id of ids) this.render(id);
    this.onScreens();
  }

  serverState() {
    const ready = this.server.ready;
    if (ready && !this.serverReadyAt) this.serverReadyAt = performance.now();
    if (!ready) this.serverReadyAt = 0;
    const failed = [this.server.publish, this.server.subscribe].some((pc) => !!pc && pc.connectionState === "failed");
    if (failed) {
      this.serverRetryAt = performance.now() + 2000;
      this.server.stop(false);
    }
    this.apply();
  }

  // -- deciding ------------------------------------------------------------------------------------

  async tick() {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = performance.now();
      await this.server.observe(now);
      await this.observeDirect();
      this.apply();
    } finally {
      this.ticking = false;
    }
  }

  /** Count what arrives on each direct connection, until its media has arrived. */
  async observeDirect() {
    for (const [id, pc] of this.peers.connections) {
      const known = this.counts.get(id);
      if (pc.connectionState !== "connected" || (known && known.pc === pc && known.frames > 0)) continue;
      let stats;
      try {
        stats = await pc.getStats();
      } catch (e) {
        continue;
      }
      let frames = 0;
      let packets = 0;
      stats.forEach((r) => {
        if (r.type !== "inbound-rtp") return;
        packets += r.packetsReceived || 0;
        if (r.kind === "video" && r.mid === firstVideoMid(pc)) frames = Math.max(frames, r.framesDecoded || 0);
      });
      this.counts.set(id, { pc, frames, packets });
    }
  }

  apply() {
    const now = performance.now();
    const selfId = this.store.me.id;
    if (!selfId || !this.active) return;
    const others = this.store.othersHere();
    const serverOpenFor = this.serverReadyAt ? now - this.serverReadyAt : -1;
    const views = others.map((p) => {
      const pc = this.peers.connections.get(p.id);
      const counts = this.counts.get(p.id);
      const fresh = counts && counts.pc === pc ? counts : { frames: 0, packets: 0 };
      const at = this.connectedAt.get(p.id);
      return {
        id: p.id,
        p2p: directState({
          exists: !!pc,
          connected: !!pc && pc.connectionState === "connected",
          connectedMs: at === undefined ? 0 : now - at,
          frames: fresh.frames,
          packets: fresh.packets,
          expectVideo: !!p.video,
          sendsNothing: sendsNoMedia(p.role),
        }),
        serverMs: this.serverMs(p, now, serverOpenFor),
        direct: this.mayConnect(p),
      };
    });
    const decision = plan({
      route: this.route,
      routeMs: now - this.routeSince,
      selfId,
      serverOpen: this.server.open,
      serverReady: this.server.ready,
      serverFailed: now < this.serverRetryAt,
      peers: views,
    });
    if (decision.openServer) this.openServer();
    for (const id of decision.closeP2p) this.peers.close(id);
    for (const { id, offer } of decision.openP2p) {
      if (offer) this.peers.call(id);
      else this.peers.expect(id);
    }
    if (decision.stopServer) this.server.stop(true);
    let screensMoved = false;
    for (const [id, via] of decision.show) {
      if (this.shown.get(id) === via) continue;
      this.shown.set(id, via);
      screensMoved = true;
      this.render(id);
    }
    for (const id of [...this.shown.keys()]) if (!decision.show.has(id)) this.shown.delete(id);
    if (screensMoved) this.onScreens();
  }

  /**
   * How long someone's media has come through the server (-1: not). An observer sends nothing,
   * and someone no slot carries once the server is up for a while sends nothing either: for them,
   * the server being up is enough.
   * @param {import("../core/types.js").Participant} p @param {number} now @param {number} serverOpenFor
   */
  serverMs(p, now, serverOpenFor) {
    if (serverOpenFor < 0) return -1;
    const ms = this.server.arrivedFor(p.id, now);
    if (ms >= 0) return ms;
    if (sendsNoMedia(p.role)) return serverOpenFor;
    if (!this.server.carries(p.id) && serverOpenFor >= QUIET_PEER_MS) return serverOpenFor - QUIET_PEER_MS;
    return -1;
  }

  openServer() {
    const role = this.store.me.role;
    this.server
      .start({
        selfId: /** @type {string} */ (this.store.me.id),
        iceServers: this.iceServers,
        localStream: this.localStream,
        publish: !sendsNoMedia(role),
        screenTrack: this.screenTrack,
      })
      .catch((/** @type {any} */ e) => {
        console.warn("media through the server", e);
        this.server.stop(false);
        this.serverRetryAt = performance.now() + SERVER_RETRY_MS;
        if (e && e.code === "media_unavailable" && !this.serverUnavailableSaid) {
          this.serverUnavailableSaid = true;
          this.notice(t("call.notice.server_media_unavailable"));
        }
        this.apply();
      });
  }

  // -- showing -------------------------------------------------------------------------------------

  /** The copy of someone's media their tile shows. @param {string} id */
  viaOf(id) {
    return this.shown.get(id) || (this.route === "server" ? "server" : "p2p");
  }

  /** @param {string} id */
  render(id) {
    const via = this.viaOf(id);
    const direct = this.directStreams.get(id) || null;
    const relayed = this.server.streamsOf(id).camera;
    const stream = via === "p2p" ? direct || relayed : relayed || direct;
    if (stream) this.grid.setRemoteStream(id, stream);
    this.grid.setPeerState(id, this.tileState(id, via));
  }

  /** @param {string} id @param {"p2p" | "server"} via */
  tileState(id, via) {
    if (via === "p2p" || !this.server.open) return this.directStates.get(id) || (this.route === "server" ? "connecting" : "closed");
    return this.server.ready && this.server.arrivedFor(id, performance.now()) >= 0 ? "connected" : "connecting";
  }

  refreshAll() {
    for (const p of this.store.othersHere()) this.render(p.id);
  }

  /** Those whose tiles show the server's copy, with the subscribe connection and their mids (for the quality monitor). */
  relayed() {
    /** @type {Map<string, {pc: RTCPeerConnection, mids: Set<string>}>} */
    const out = new Map();
    const pc = this.server.subscribe;
    if (!pc) return out;
    for (const [mid, slot] of this.server.book.slots) {
      const id = slot.participant_id;
      if (!id || slot.source === "screen" || this.viaOf(id) !== "server") continue;
      const entry = out.get(id) || { pc, mids: new Set() };
      entry.mids.add(mid);
      out.set(id, entry);
    }
    return out;
  }

  /** Someone's shared screen as this page receives it, or null. @param {string} id */
  screenOf(id) {
    const direct = this.directScreens.get(id) || null;
    const relayed = this.server.streamsOf(id).screen;
    return this.viaOf(id) === "p2p" ? direct || relayed : relayed || direct;
  }
}

/** @param {RTCPeerConnection} pc */
function firstVideoMid(pc) {
  const t = pc.getTransceivers().find((x) => x.receiver.track.kind === "video");
  return t ? t.mid : null;
}
