// The call's media: peer to peer (call/peers.js: one connection per other person connected in my
// room) or through the server (call/server_media.js), as the room's media route says
// (call/media_routes.js switches make-before-break); the video grid; the getStats() monitor.
// Notices say who came and went in my room.

import { CLIENT_EVENTS, SERVER_EVENTS } from "../core/events.js";
import { roomOf, MAIN } from "../core/store.js";
import { PeerManager } from "./peers.js";
import { ServerMedia } from "./server_media.js";
import { MediaRoutes } from "./media_routes.js";
import { QualityMonitor } from "./quality.js";
import { VideoGrid } from "./grid.js";
import { t } from "../ui/i18n.js";

/**
 * @param {object} ctx
 * @param {import("../core/store.js").Store} ctx.store
 * @param {import("../core/dispatcher.js").Dispatcher} ctx.dispatcher
 * @param {import("../core/transport.js").Transport} ctx.transport
 * @param {(text: string, about?: string[]) => void} ctx.notice  a visible and spoken notice (about:
 *   the participants it names, whose erasure takes it out of the chat log)
 * @param {() => void} [ctx.onScreens]  someone's shared screen came, went or changed copy
 */
export function installCall({ store, dispatcher, transport, notice, onScreens = () => {} }) {
  const grid = new VideoGrid(store);
  const peers = new PeerManager({
    sendSignal: (msg) => {
      if (!transport.connected) return;
      transport.request(CLIENT_EVENTS.SIGNAL, msg).then((ack) => {
        if (!ack.ok && ack.error.code !== "not_same_room" && ack.error.code !== "timeout") console.warn("signal refused", ack.error);
      });
    },
    onRemoteStream: (id, stream) => routes.directStream(id, stream),
    onStateChange: (id, state) => routes.directState(id, state),
    onRemoteScreen: (id, stream) => routes.directScreen(id, stream),
    onFailed: (id) => routes.directFailed(id),
  });
  const server = new ServerMedia({
    transport,
    onStreams: (ids) => routes.serverStreams(ids),
    onState: () => routes.serverState(),
  });
  const routes = new MediaRoutes({ store, transport, peers, server, grid, notice, onScreens });
  const quality = new QualityMonitor(peers.connections, (id, info) => store.setQuality(id, info), () => routes.relayed());
  const E = SERVER_EVENTS;
  const isMe = (/** @type {string | undefined} */ id) => !id || id === store.me.id;

  dispatcher.on(E.SIGNAL, (msg) => peers.handleSignal(msg));
  dispatcher.on(E.MEDIA_ROUTE, ({ room, route }) => {
    if (!room || room === store.room) routes.setRoute(route);
  });
  dispatcher.on(E.MEDIA_OFFER, (msg) => server.handleOffer(msg));
  dispatcher.on(E.MEDIA_SLOTS, ({ slots }) => server.setSlots(slots));
  // Presence events come for the whole session; media connections only within my room.
  dispatcher.on(E.PARTICIPANT_JOINED, ({ participant: p }) => {
    if (!p || isMe(p.id) || !store.inMyRoom(p)) return;
    routes.arrived(p.id); // the newcomer offers
    notice(t("call.notice.joined", { name: p.name }), [p.id]);
  });
  dispatcher.on(E.PARTICIPANT_REJOINED, ({ participant: p }) => {
    if (!p || isMe(p.id)) return;
    if (!store.inMyRoom(p)) {
      peers.close(p.id);
      return;
    }
    routes.arrived(p.id);
    notice(t("call.notice.back", { name: p.name }), [p.id]);
  });
  dispatcher.on(E.PARTICIPANT_LEFT, ({ participant_id: id, reason }) => {
    if (isMe(id)) return;
    const wasHere = store.inMyRoom(store.participants.get(id));
    peers.close(id);
    if (wasHere) notice(reason === "disconnected" ? t("call.notice.lost_connection", { name: store.name(id) }) : t("call.notice.left", { name: store.name(id) }), [id]);
  });
  dispatcher.on(E.PARTICIPANT_MOVED, ({ participant: p, from_room: from }) => {
    if (!p || isMe(p.id)) return; // room_changed follows for me
    if (store.inMyRoom(p)) {
      routes.arrived(p.id); // the newcomer offers
      notice(t("call.notice.joined_room", { name: p.name, room: store.roomName(store.room) }), [p.id]);
    } else if ((from || MAIN) === store.room) {
      peers.close(p.id);
      notice(t("call.notice.went_to", { name: p.name, room: store.roomName(roomOf(p)) }), [p.id]);
    }
  });
  dispatcher.on(E.ROOM_CHANGED, ({ room, media_route: route }) => {
    if (!room || !room.id) return;
    routes.roomChanged(route);
    notice(t("call.notice.you_are_in", { room: store.roomName(room.id) }));
  });

  return {
    grid,
    /** For the test hooks: participant id -> RTCPeerConnection. */
    connections: peers.connections,
    /** For the test hooks and the screen share: the route and the server's connections. */
    routes,
    server,
    /**
     * After a successful `join` (the store already has it): new connections to everyone here.
     * `privateAddresses`: the session's people must not see each other's network addresses, so a
     * direct connection (only ever a fallback there) goes through a TURN relay.
     * @param {{selfId: string, iceServers: RTCIceServer[] | undefined, stream: MediaStream | null, route?: import("../core/types.js").MediaRoute, privateAddresses?: boolean}} options
     */
    joined({ selfId, iceServers, stream, route, privateAddresses = false }) {
      peers.closeAll();
      peers.configure({ selfId, iceServers: iceServers || [], localStream: stream, relayOnly: privateAddresses });
      grid.reset(stream);
      routes.joined({ iceServers: iceServers || [], stream, route, privateAddresses });
      quality.start();
    },
    /** The connection to the server dropped: the media connections go with it. */
    disconnected() {
      routes.disconnected();
    },
    /**
     * A camera or microphone allowed late: show it and send it on every connection.
     * @param {MediaStreamTrack} track
     * @param {MediaStream} stream
     */
    async addLocalTrack(track, stream) {
      grid.setLocalStream(stream);
      await routes.addLocalTrack(track, stream);
    },
    /** Someone's shared screen as this page receives it, or null. @param {string} id */
    screenOf: (id) => routes.screenOf(id),
    /** Share my screen on every media connection, or stop (null). @param {MediaStreamTrack | null} track */
    async setScreen(track) {
      await routes.setScreen(track);
    },
    /**
     * Another camera or microphone: sent in place of the old track on every connection, with
     * no renegotiation. The caller updates LocalMedia (the preview) and stops the old track.
     * @param {"audio" | "video"} kind
     * @param {MediaStreamTrack} track
     */
    async replaceTrack(kind, track) {
      await Promise.all([peers.replaceTrack(kind, track), server.replaceTrack(kind, track)]);
    },
    /**
     * Audio-only mode (false) and back (true): the others' video is neither shown nor, peer to
     * peer, sent to me; my own video is capped meanwhile. The server path sends `media_receive`.
     * @param {boolean} on
     */
    setReceiveVideo(on) {
      peers.setReceiveVideo(on);
      server.setReceiveVideo(on).catch((e) => console.warn("media_receive", e));
      grid.grid.dataset.remoteVideo = on ? "on" : "off";
    },
    stop() {
      routes.stop();
      quality.stop();
    },
  };
}
