// The call's media: one peer connection per other person connected in my room (call/peers.js),
// following presence and room changes; the video grid; the getStats() monitor. Notices say who
// came and went in my room.

import { CLIENT_EVENTS, SERVER_EVENTS } from "../core/events.js";
import { roomOf, MAIN } from "../core/store.js";
import { PeerManager } from "./peers.js";
import { QualityMonitor } from "./quality.js";
import { VideoGrid } from "./grid.js";

/**
 * @param {object} ctx
 * @param {import("../core/store.js").Store} ctx.store
 * @param {import("../core/dispatcher.js").Dispatcher} ctx.dispatcher
 * @param {import("../core/transport.js").Transport} ctx.transport
 * @param {(text: string) => void} ctx.notice  a visible and spoken notice
 */
export function installCall({ store, dispatcher, transport, notice }) {
  const grid = new VideoGrid(store);
  const peers = new PeerManager({
    sendSignal: (msg) => {
      if (!transport.connected) return;
      transport.request(CLIENT_EVENTS.SIGNAL, msg).then((ack) => {
        if (!ack.ok && ack.error.code !== "not_same_room" && ack.error.code !== "timeout") console.warn("signal refused", ack.error);
      });
    },
    onRemoteStream: (id, stream) => grid.setRemoteStream(id, stream),
    onStateChange: (id, state) => grid.setPeerState(id, state),
  });
  const quality = new QualityMonitor(peers.connections, (id, info) => store.setQuality(id, info));
  const E = SERVER_EVENTS;
  const isMe = (/** @type {string | undefined} */ id) => !id || id === store.me.id;

  dispatcher.on(E.SIGNAL, (msg) => peers.handleSignal(msg));
  // Presence events come for the whole session; media connections only within my room.
  dispatcher.on(E.PARTICIPANT_JOINED, ({ participant: p }) => {
    if (!p || isMe(p.id) || !store.inMyRoom(p)) return;
    peers.expect(p.id); // the newcomer offers
    notice(`${p.name} joined`);
  });
  dispatcher.on(E.PARTICIPANT_REJOINED, ({ participant: p }) => {
    if (!p || isMe(p.id)) return;
    if (!store.inMyRoom(p)) {
      peers.close(p.id);
      return;
    }
    peers.expect(p.id);
    notice(`${p.name} is back`);
  });
  dispatcher.on(E.PARTICIPANT_LEFT, ({ participant_id: id, reason }) => {
    if (isMe(id)) return;
    const wasHere = store.inMyRoom(store.participants.get(id));
    peers.close(id);
    if (wasHere) notice(reason === "disconnected" ? `${store.name(id)} lost connection` : `${store.name(id)} left`);
  });
  dispatcher.on(E.PARTICIPANT_MOVED, ({ participant: p, from_room: from }) => {
    if (!p || isMe(p.id)) return; // room_changed follows for me
    if (store.inMyRoom(p)) {
      peers.expect(p.id); // the newcomer offers
      notice(`${p.name} joined ${store.roomName(store.room)}`);
    } else if ((from || MAIN) === store.room) {
      peers.close(p.id);
      notice(`${p.name} went to ${store.roomName(roomOf(p))}`);
    }
  });
  dispatcher.on(E.ROOM_CHANGED, ({ room }) => {
    if (!room || !room.id) return;
    peers.closeAll();
    // I am the newcomer in this room: I offer to everyone connected here.
    for (const p of store.othersHere()) peers.call(p.id);
    notice(`You are now in ${store.roomName(room.id)}`);
  });

  return {
    grid,
    /** For the test hooks: participant id -> RTCPeerConnection. */
    connections: peers.connections,
    /**
     * After a successful `join` (the store already has it): new connections to everyone here.
     * @param {{selfId: string, iceServers: RTCIceServer[] | undefined, stream: MediaStream | null}} options
     */
    joined({ selfId, iceServers, stream }) {
      peers.closeAll();
      peers.configure({ selfId, iceServers: iceServers || [], localStream: stream });
      grid.reset(stream);
      for (const p of store.othersHere()) peers.call(p.id);
      quality.start();
    },
    /** The connection to the server dropped: the peer connections go with it. */
    disconnected() {
      peers.closeAll();
    },
    /**
     * A camera or microphone allowed late: show it and send it on every connection.
     * @param {MediaStreamTrack} track
     * @param {MediaStream} stream
     */
    async addLocalTrack(track, stream) {
      grid.setLocalStream(stream);
      await peers.addLocalTrack(track, stream);
    },
    /**
     * Another camera or microphone: sent in place of the old track on every connection, with
     * no renegotiation. The caller updates LocalMedia (the preview) and stops the old track.
     * @param {"audio" | "video"} kind
     * @param {MediaStreamTrack} track
     */
    async replaceTrack(kind, track) {
      await peers.replaceTrack(kind, track);
    },
    /**
     * Audio-only mode (false) and back (true): the others' video is neither shown nor, peer to
     * peer, sent to me; my own video is capped meanwhile. The server path sends `media_receive`.
     * @param {boolean} on
     */
    setReceiveVideo(on) {
      peers.setReceiveVideo(on);
      grid.grid.dataset.remoteVideo = on ? "on" : "off";
    },
    stop() {
      peers.closeAll();
      quality.stop();
    },
  };
}
