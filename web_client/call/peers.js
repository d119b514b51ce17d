// WebRTC mesh: one RTCPeerConnection per remote participant, negotiated with the
// "perfect negotiation" pattern (MDN). The server only relays `signal` events.
//
// Who offers first: the participant who joins (or rejoins) opens a connection to everyone already
// connected and adds one audio and one video transceiver (sendrecv with its track where it has one,
// recvonly where it has none). The other side creates its connection on `participant_joined` /
// `participant_rejoined` or on the first `signal`, and attaches its own tracks to the offered
// transceivers before answering. Polite = the lexicographically greater participant id of the pair.
//
// A shared screen is one more video transceiver (sendonly), added after the connection's first
// negotiation, so the first video transceiver of every connection is always the camera: a track
// received on any later video transceiver is the other side's screen.

const FRESH_MS = 5000;
/** After ICE failed and was restarted, how long to wait before saying the connection failed. */
const RESTART_GRACE_MS = 5000;
/**
 * A direct connection that is not up this long after it was made has failed too, even if ICE
 * never says so: a page without camera permission offers only mDNS names for its addresses,
 * which a peer on another network (or a loopback-only test host) cannot resolve, and ICE then
 * waits with nothing to check. The room can go through the server instead.
 */
const CONNECT_TIMEOUT_MS = 10000;
// Incoming video off is the low-bandwidth mode: my own video is then sent small and slow as well.
const LOW_BANDWIDTH_BPS = 150_000;
const LOW_BANDWIDTH_SCALE = 2;

/**
 * One connection and its negotiation state.
 * @typedef {object} Peer
 * @property {string} id
 * @property {RTCPeerConnection} pc
 * @property {"call" | "expect" | "signal"} origin  who started it: me, a join notice, their signal
 * @property {number} createdAt
 * @property {boolean} polite
 * @property {boolean} makingOffer
 * @property {boolean} ignoreOffer
 * @property {boolean} settingRemoteAnswer
 * @property {Set<string>} attached  kinds of my tracks attached
 * @property {Promise<void>} whenClosed  settles once close() has run
 * @property {() => void} markClosed
 * @property {MediaStream} remoteStream
 * @property {MediaStream | null} remoteScreen  the other side's shared screen
 * @property {RTCRtpTransceiver | null} screenTransceiver  mine, sending my screen to them
 * @property {ReturnType<typeof setTimeout> | undefined} failTimer
 * @property {boolean} closed
 */

export class PeerManager {
  /**
   * @param {object} opts
   * @param {(msg: object) => void} opts.sendSignal  emit a `signal` event ({to, description} | {to, candidate})
   * @param {(id: string, stream: MediaStream) => void} opts.onRemoteStream
   * @param {(id: string, state: string) => void} opts.onStateChange  "connecting" | "connected" | "failed" | "closed"
   * @param {(id: string, stream: MediaStream | null) => void} [opts.onRemoteScreen]  their shared screen came or went
   * @param {(id: string) => void} [opts.onFailed]  ICE failed and a restart did not bring it back
   */
  constructor({ sendSignal, onRemoteStream, onStateChange, onRemoteScreen = () => {}, onFailed = () => {} }) {
    this.sendSignal = sendSignal;
    this.onRemoteStream = onRemoteStream;
    this.onStateChange = onStateChange;
    this.onRemoteScreen = onRemoteScreen;
    this.onFailed = onFailed;
    /** @type {MediaStreamTrack | null} my shared screen, sent on every connection */
    this.screenTrack = null;
    this.selfId = "";
    /** @type {RTCIceServer[]} */
    this.iceServers = [];
    /** Gather and use only candidates relayed by a TURN server: nobody sees my address. */
    this.relayOnly = false;
    /** @type {MediaStream | null} with at most one audio and one video track */
    this.localStream = null;
    /** @type {Map<string, Peer>} */
    this.peers = new Map();
    /** @type {Map<string, RTCPeerConnection>} id -> connection, for the test hooks (getStats) */
    this.connections = new Map();
    /**
     * id -> the signals from that person still to handle, in order. One queue per person, not per
     * connection: a signal queued while one connection was replaced by another must not overtake
     * (or run beside) the ones before it.
     * @type {Map<string, Promise<void>>}
     */
    this.signalQueues = new Map();
    /** False in audio-only mode: the others are asked not to send me their video. */
    this.receiveVideo = true;
  }

  /** @param {{selfId: string, iceServers: RTCIceServer[], localStream: MediaStream | null, relayOnly: boolean}} options */
  configure({ selfId, iceServers, localStream, relayOnly }) {
    this.selfId = selfId;
    this.iceServers = Array.isArray(iceServers) ? iceServers : [];
    this.relayOnly = relayOnly;
    this.localStream = localStream || null;
  }

  /** @param {string} kind */
  localTrack(kind) {
    if (!this.localStream) return null;
    const tracks = kind === "audio" ? this.localStream.getAudioTracks() : this.localStream.getVideoTracks();
    return tracks.find((t) => t.readyState === "live") || null;
  }

  /** We joined or rejoined: open a connection to `id` and make the first offer. */
  /** @param {string} id */
  call(id) {
    const existing = this.peers.get(id);
    if (existing && existing.origin === "signal" && performance.now() - existing.createdAt < FRESH_MS) {
      // They already offered to us (both of us arrived in a room at once): their connection is
      // being answered, with our tracks attached. A second one would only collide with it.
      return existing;
    }
    this.close(id);
    const peer = this._create(id, "call");
    for (const kind of ["audio", "video"]) {
      const track = this.localTrack(kind);
      if (track) {
        peer.pc.addTransceiver(track, { direction: this._direction(kind, true), streams: this.localStream ? [this.localStream] : [] });
        peer.attached.add(kind);
      } else {
        peer.pc.addTransceiver(kind, { direction: this._direction(kind, false) });
      }
    }
    if (this.screenTrack) this._sendScreen(peer); // after the camera: the first video is the camera
    // onnegotiationneeded sends the offer.
    return peer;
  }

  /** Someone else joined or came back: drop what we kept for them and wait for their offer. */
  /** @param {string} id */
  expect(id) {
    const existing = this.peers.get(id);
    if (existing && existing.origin === "signal" && performance.now() - existing.createdAt < FRESH_MS) {
      return existing; // their new offer already arrived before the join notice: keep it
    }
    this.close(id);
    return this._create(id, "expect");
  }

  /** @param {string} id */
  close(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    this.connections.delete(id);
    peer.closed = true;
    peer.markClosed();
    clearTimeout(peer.failTimer);
    if (peer.remoteScreen) this.onRemoteScreen(id, null);
    try {
      peer.pc.close();
    } catch (e) {
      /* already closed */
    }
    this.onStateChange(id, "closed");
    this.applyBitrateCaps();
  }

  /**
   * A camera or microphone became available during the call (the person allowed it late):
   * send it on every connection. Changing a transceiver's direction renegotiates by itself.
   */
  /** @param {MediaStreamTrack} track @param {MediaStream} stream */
  async addLocalTrack(track, stream) {
    this.localStream = stream;
    for (const peer of this.peers.values()) {
      if (peer.closed || peer.attached.has(track.kind)) continue;
      const t = transceiverOf(peer.pc, track.kind);
      if (!t) continue; // their offer has not arrived yet: attached when it does
      try {
        await t.sender.replaceTrack(track);
        if (t.sender.setStreams) t.sender.setStreams(stream);
        t.direction = this._direction(track.kind, true);
        peer.attached.add(track.kind);
      } catch (e) {
        console.warn("could not add", track.kind, "for", peer.id, e);
      }
    }
  }

  /**
   * Another camera or microphone during the call: the new track takes the old one's place on
   * every connection with RTCRtpSender.replaceTrack, which needs no renegotiation, so the call
   * goes on without a gap. The caller stops the old track afterwards.
   * @param {"audio" | "video"} kind
   * @param {MediaStreamTrack} track
   */
  async replaceTrack(kind, track) {
    const jobs = [];
    for (const peer of this.peers.values()) {
      if (peer.closed || !peer.attached.has(kind)) continue;
      const t = transceiverOf(peer.pc, kind);
      if (!t) continue;
      jobs.push(t.sender.replaceTrack(track).catch((e) => console.warn("could not switch", kind, "for", peer.id, e)));
    }
    await Promise.all(jobs);
  }

  /**
   * Audio only (false) or video again (true). Each connection's video transceiver stops (or
   * resumes) receiving, which renegotiates: the other side then stops sending me its video, which
   * is what saves the bandwidth. My own video is capped meanwhile (applyBitrateCaps).
   * @param {boolean} on
   */
  setReceiveVideo(on) {
    if (this.receiveVideo === on) return;
    this.receiveVideo = on;
    for (const peer of this.peers.values()) if (!peer.closed) this._applyVideoDirection(peer);
    this.applyBitrateCaps();
  }

  /** @param {string} kind @param {boolean} sending */
  _direction(kind, sending) {
    const receiving = kind !== "video" || this.receiveVideo;
    if (receiving) return sending ? "sendrecv" : "recvonly";
    return sending ? "sendonly" : "inactive";
  }

  /** @param {Peer} peer */
  _applyVideoDirection(peer) {
    const camera = transceiverOf(peer.pc, "video");
    if (!camera) return; // their offer has not arrived yet: set when it does
    const wanted = this._direction("video", peer.attached.has("video"));
    if (camera.direction !== wanted) camera.direction = wanted; // onnegotiationneeded renegotiates
    // Their screen share comes on a video transceiver of its own: audio only stops it too, as
    // it does through the server. (Mine, sendonly, is not touched.)
    const screen = this.receiveVideo ? "recvonly" : "inactive";
    for (const t of peer.pc.getTransceivers()) {
      if (t === camera || t === peer.screenTransceiver || t.currentDirection === "stopped") continue;
      if (!t.receiver.track || t.receiver.track.kind !== "video") continue;
      if (t.direction !== screen) t.direction = screen;
    }
  }

  /**
   * In a mesh every person uploads one copy of their video per other person. Cap each copy so
   * that a weak uplink still carries audio well: the more people, the lower each copy. In
   * audio-only mode the copies are smaller still.
   */
  applyBitrateCaps() {
    const n = this.peers.size;
    const meshCap = n <= 1 ? 900_000 : n <= 3 ? 500_000 : n <= 6 ? 300_000 : 200_000;
    const maxBitrate = this.receiveVideo ? meshCap : Math.min(meshCap, LOW_BANDWIDTH_BPS);
    const scale = this.receiveVideo ? 1 : LOW_BANDWIDTH_SCALE;
    for (const peer of this.peers.values()) {
      if (peer.closed || peer.pc.connectionState !== "connected") continue;
      for (const sender of peer.pc.getSenders()) {
        if (!sender.track || sender.track.kind !== "video") continue;
        if (peer.screenTransceiver && sender === peer.screenTransceiver.sender) continue; // text needs the bits
        try {
          const params = sender.getParameters();
          if (!params.encodings || params.encodings.length === 0) continue;
          const encoding = params.encodings[0];
          if (encoding.maxBitrate === maxBitrate && (encoding.scaleResolutionDownBy || 1) === scale) continue;
          encoding.maxBitrate = maxBitrate;
          encoding.scaleResolutionDownBy = scale;
          sender.setParameters(params).catch(() => {});
        } catch (e) {
          /* not supported here: keep the browser's own rate control */
        }
      }
    }
  }

  closeAll() {
    for (const id of [...this.peers.keys()]) this.close(id);
  }

  /**
   * Share my screen with everyone (a track), or stop (null). Each connection renegotiates.
   * @param {MediaStreamTrack | null} track
   */
  setScreen(track) {
    this.screenTrack = track;
    for (const peer of this.peers.values()) {
      if (peer.closed) continue;
      if (track) {
        if (peer.pc.remoteDescription || peer.origin === "call") this._sendScreen(peer);
      } else if (peer.screenTransceiver) {
        const t = peer.screenTransceiver;
        t.sender.replaceTrack(null).catch(() => {});
        if (t.currentDirection !== "stopped") t.direction = "inactive";
      }
    }
  }

  /** @param {Peer} peer */
  _sendScreen(peer) {
    const track = this.screenTrack;
    if (!track) return;
    const t = peer.screenTransceiver;
    if (t && t.currentDirection !== "stopped") {
      t.sender.replaceTrack(track).catch(() => {});
      t.direction = "sendonly";
      return;
    }
    peer.screenTransceiver = peer.pc.addTransceiver(track, { direction: "sendonly", streams: [new MediaStream([track])] });
  }

  /** Incoming `signal` {from, description} or {from, candidate}. Handled in order, per person. */
  /** @param {{from?: string, description?: RTCSessionDescriptionInit, candidate?: RTCIceCandidateInit | null}} msg */
  handleSignal(msg) {
    const from = msg && msg.from;
    if (!from || from === this.selfId) return;
    if (!this.peers.has(from)) this._create(from, "signal");
    const queued = (this.signalQueues.get(from) || Promise.resolve())
      .then(() => this._handle(from, msg, 2))
      .catch((e) => console.warn("signal from", from, e));
    this.signalQueues.set(from, queued);
    queued.then(() => {
      if (this.signalQueues.get(from) === queued) this.signalQueues.delete(from);
    });
  }

  /**
   * One signal, on my connection to `from` as it is now. If that connection is closed while the
   * signal is applied (I changed rooms and made a new one), the signal still came from their
   * connection, which is waiting for my answer: it is applied again, to the connection that
   * replaced mine. Without that, both sides wait for each other. An answer is not applied again:
   * it answered the closed connection's offer.
   * @param {string} from @param {{description?: RTCSessionDescriptionInit, candidate?: RTCIceCandidateInit | null}} msg
   * @param {number} retries
   * @returns {Promise<void>}
   */
  async _handle(from, msg, retries) {
    let peer = this.peers.get(from);
    if (!peer) return;
    const { description } = msg;
    // A brand-new connection on their side (they reloaded and we missed the notice): its DTLS
    // fingerprint differs from the one we negotiated with. Start over instead of renegotiating.
    if (description && description.type === "offer" && peer.pc.remoteDescription && peer.pc.remoteDescription.sdp) {
      const before = fingerprint(peer.pc.remoteDescription.sdp);
      const now = fingerprint(description.sdp);
      if (before && now && before !== now) {
        this.close(from);
        peer = this._create(from, "signal");
      }
    }
    try {
      // A closed connection may leave its pending operations unsettled: closing ends the wait.
      await Promise.race([this._apply(peer, msg), peer.whenClosed]);
    } catch (e) {
      if (!peer.closed) throw e;
    }
    if (peer.closed && retries > 0 && !(description && description.type === "answer")) {
      await this._handle(from, msg, retries - 1);
    }
  }

  /** @param {Peer} peer @param {{description?: RTCSessionDescriptionInit, candidate?: RTCIceCandidateInit | null}} msg */
  async _apply(peer, { description, candidate }) {
    if (description) {
      const pc = peer.pc;
      const readyForOffer = !peer.makingOffer && (pc.signalingState === "stable" || peer.settingRemoteAnswer);
      const offerCollision = description.type === "offer" && !readyForOffer;
      peer.ignoreOffer = !peer.polite && offerCollision;
      if (peer.ignoreOffer) return;
      peer.settingRemoteAnswer = description.type === "answer";
      await pc.setRemoteDescription(description);
      peer.settingRemoteAnswer = false;
      if (description.type === "offer" && !peer.closed) {
        await this._attachLocalTracks(peer);
        if (peer.closed) return;
        if (!this.receiveVideo) this._applyVideoDirection(peer);
        await pc.setLocalDescription();
        this._sendDescription(peer);
        // My screen goes on a transceiver of my own, once the camera's is negotiated.
        if (this.screenTrack && !peer.screenTransceiver) this._sendScreen(peer);
      }
    } else if (candidate !== undefined) {
      if (candidate === null || !candidate.candidate) return; // end of candidates: nothing to do
      try {
        await peer.pc.addIceCandidate(candidate);
      } catch (e) {
        if (!peer.ignoreOffer) throw e;
      }
    }
  }

  /**
   * Their offer is applied: my microphone and camera go on its first audio and video
   * transceivers. If it rolled back an offer of mine (we both offered at once and I am the polite
   * side), the transceivers I made for mine are negotiated no more: my tracks move to theirs and
   * mine stop, or my next offer would send my camera a second time, which they would take for a
   * shared screen.
   * @param {Peer} peer
   */
  async _attachLocalTracks(peer) {
    if (!this.localStream) return;
    const pc = peer.pc;
    for (const kind of ["audio", "video"]) {
      const track = this.localTrack(kind);
      const target = transceiverOf(pc, kind);
      if (!track || !target || target.mid === null) continue;
      for (const t of pc.getTransceivers()) {
        if (t !== target && t !== peer.screenTransceiver && t.mid === null && live(t) && kindOf(t) === kind) t.stop();
      }
      if (target.sender.track) continue; // attached already (this offer renegotiates)
      await target.sender.replaceTrack(track);
      if (peer.closed) return;
      target.direction = this._direction(kind, true);
      if (target.sender.setStreams) target.sender.setStreams(this.localStream);
      peer.attached.add(kind);
    }
  }

  /** @param {Peer} peer */
  _sendDescription(peer) {
    const d = peer.pc.localDescription;
    if (!d || peer.closed) return;
    this.sendSignal({ to: peer.id, description: { type: d.type, sdp: d.sdp } });
  }

  /** @param {string} id @param {Peer["origin"]} origin @returns {Peer} */
  _create(id, origin) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.relayOnly ? "relay" : "all" });
    /** @type {Peer} */
    const peer = {
      id,
      pc,
      origin,
      createdAt: performance.now(),
      polite: this.selfId > id,
      makingOffer: false,
      ignoreOffer: false,
      settingRemoteAnswer: false,
      attached: new Set(),
      whenClosed: Promise.resolve(),
      markClosed: () => {},
      remoteStream: new MediaStream(),
      remoteScreen: null,
      screenTransceiver: null,
      failTimer: undefined,
      closed: false,
    };
    peer.whenClosed = new Promise((resolve) => {
      peer.markClosed = resolve;
    });
    this.peers.set(id, peer);
    this.connections.set(id, pc);

    pc.onnegotiationneeded = async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        this._sendDescription(peer);
      } catch (e) {
        console.warn("negotiation with", id, e);
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (peer.closed) return;
      this.sendSignal({ to: id, candidate: candidate ? cleanCandidate(candidate) : null });
    };
    pc.ontrack = ({ track, transceiver }) => {
      if (peer.closed) return;
      if (track.kind === "video" && transceiver !== transceiverOf(pc, "video")) {
        // A later video transceiver: their shared screen.
        peer.remoteScreen = new MediaStream([track]);
        this.onRemoteScreen(id, peer.remoteScreen);
        return;
      }
      for (const old of peer.remoteStream.getTracks()) {
        if (old.kind === track.kind && old !== track) peer.remoteStream.removeTrack(old);
      }
      if (!peer.remoteStream.getTracks().includes(track)) peer.remoteStream.addTrack(track);
      this.onRemoteStream(id, peer.remoteStream);
    };
    peer.failTimer = setTimeout(() => {
      const state = pc.iceConnectionState;
      if (!peer.closed && state !== "connected" && state !== "completed") this.onFailed(id);
    }, CONNECT_TIMEOUT_MS);
    pc.oniceconnectionstatechange = () => {
      if (peer.closed) return;
      if (pc.iceConnectionState === "failed") {
        // The network path broke (for example wifi to mobile data): gather new candidates. If
        // that does not bring it back soon, say so (the room can then go through the server).
        pc.restartIce();
        clearTimeout(peer.failTimer);
        peer.failTimer = setTimeout(() => {
          const state = pc.iceConnectionState;
          if (!peer.closed && state !== "connected" && state !== "completed") this.onFailed(id);
        }, RESTART_GRACE_MS);
      } else if (pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed") {
        clearTimeout(peer.failTimer);
      }
    };
    pc.onconnectionstatechange = () => {
      if (peer.closed) return;
      const s = pc.connectionState;
      if (s === "connected") {
        this.onStateChange(id, "connected");
        this.applyBitrateCaps();
      }
      else if (s === "failed") this.onStateChange(id, "failed");
      else if (s === "disconnected") this.onStateChange(id, "reconnecting");
      else if (s === "connecting" || s === "new") this.onStateChange(id, "connecting");
    };
    this.onStateChange(id, "connecting");
    return peer;
  }
}

/**
 * The transceiver that carries `kind` (audio or video, the camera for video) on this connection:
 * the first negotiated one, or before any negotiation the first one made.
 * @param {RTCPeerConnection} pc @param {string} kind
 */
function transceiverOf(pc, kind) {
  const all = pc.getTransceivers().filter((t) => live(t) && kindOf(t) === kind);
  return all.find((t) => t.mid !== null) || all[0] || null;
}

/** @param {RTCRtpTransceiver} t */
function live(t) {
  return t.currentDirection !== "stopped" && t.direction !== "stopped";
}

/** @param {RTCRtpTransceiver} t */
function kindOf(t) {
  return t.receiver && t.receiver.track ? t.receiver.track.kind : null;
}

/** @param {string | undefined} sdp */
function fingerprint(sdp) {
  const m = /^a=fingerprint:(.+)$/m.exec(sdp || "");
  return m ? m[1].trim() : null;
}

// RTCIceCandidate.toJSON() without null fields (the server validates the map).
/** @param {RTCIceCandidate} c */
function cleanCandidate(c) {
  /** @type {Record<string, unknown>} */
  const json = typeof c.toJSON === "function" ? { ...c.toJSON() } : { ...c };
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const key of ["candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"]) {
    if (json[key] !== null && json[key] !== undefined) out[key] = json[key];
  }
  return out;
}
