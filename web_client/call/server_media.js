// Media through the server: two connections, each with one side that always offers.
//
// publish   the page offers (sendonly): one audio and one camera transceiver, and one video
//           transceiver while the screen is shared (its mid goes with the offer as `screen_mid`).
// subscribe the server offers a pool of slots (the page answers, recvonly); `media_slots` says
//           whose media each slot carries, `media_offer` grows the pool.
//
// The server sends no trickle candidates and takes none: every description carries its
// candidates, so the page waits for ICE gathering to complete before sending one.

import { CLIENT_EVENTS } from "../core/events.js";
import { ParticipantStreams, SlotBook } from "./slots.js";

/** @typedef {import("../core/types.js").Slot} Slot */
/** @typedef {import("../core/types.js").Ack} Ack */

const GATHER_TIMEOUT_MS = 5000;
const PUBLISH_VIDEO_BITRATE = 900_000;
const SCREEN_BITRATE = 1_500_000;

/** A refusal or a failed step of the server connections. */
export class ServerMediaError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class ServerMedia {
  /**
   * @param {object} opts
   * @param {import("../core/transport.js").Transport} opts.transport
   * @param {(ids: Set<string>) => void} opts.onStreams  the server's copy of these people's media changed
   * @param {() => void} opts.onState  a connection's state changed
   */
  constructor({ transport, onStreams, onState }) {
    this.transport = transport;
    this.onStreams = onStreams;
    this.onState = onState;
    /** @type {RTCPeerConnection | null} */
    this.publish = null;
    /** @type {RTCPeerConnection | null} */
    this.subscribe = null;
    /** @type {SlotBook<MediaStreamTrack>} */
    this.book = new SlotBook();
    /** @type {ParticipantStreams<MediaStreamTrack, MediaStream>} */
    this.streams = new ParticipantStreams((tracks) => new MediaStream(tracks));
    /** Whether the connections exist (or are being made). */
    this.open = false;
    this.video = true;
    /** @type {RTCIceServer[]} */
    this.iceServers = [];
    /** @type {MediaStreamTrack | null} */
    this.screenTrack = null;
    /** @type {RTCRtpTransceiver | null} */
    this.screenTransceiver = null;
    /** @type {Promise<void>} publish negotiations, one after another */
    this.publishQueue = Promise.resolve();
    /** @type {Promise<void>} subscribe negotiations, one after another */
    this.subscribeQueue = Promise.resolve();
    /** Counts openings: work queued for connections since closed is dropped. */
    this.generation = 0;
  }

  /** Both connections are up (the publish one only when this page publishes). */
  get ready() {
    const up = (/** @type {RTCPeerConnection | null} */ pc) => !!pc && pc.connectionState === "connected";
    return this.open && up(this.subscribe) && (!this.publishing || up(this.publish));
  }

  get publishing() {
    return !!this.publish;
  }

  /**
   * Open both connections (observers only subscribe). Resolves once both descriptions are
   * exchanged; rejects with a ServerMediaError when the server refuses.
   * @param {object} o
   * @param {string} o.selfId
   * @param {RTCIceServer[]} o.iceServers
   * @param {MediaStream | null} o.localStream
   * @param {boolean} o.publish
   * @param {MediaStreamTrack | null} o.screenTrack
   */
  async start({ selfId, iceServers, localStream, publish, screenTrack }) {
    this.stop(false);
    this.open = true;
    const generation = ++this.generation;
    this.iceServers = iceServers;
    this.book = new SlotBook(selfId);
    this.screenTrack = screenTrack;
    if (publish) {
      const pc = this._connection();
      this.publish = pc;
      for (const kind of /** @type {const} */ (["audio", "video"])) {
        const track = localStream ? (kind === "audio" ? localStream.getAudioTracks() : localStream.getVideoTracks())[0] || null : null;
        const t = pc.addTransceiver(track || kind, { direction: "sendonly", streams: localStream ? [localStream] : [] });
        if (kind === "video") capBitrate(t.sender, PUBLISH_VIDEO_BITRATE);
      }
      if (screenTrack) this._addScreen(screenTrack);
    }
    const published = publish ? this._enqueuePublish(generation) : Promise.resolve();
    const subscribed = this._enqueueSubscribe(generation, () => this._subscribe(generation));
    await Promise.all([published, subscribed]);
  }

  /** Close both connections; `tellServer` sends `media_stop` (not needed when the socket dropped). */
  stop(tellServer = true) {
    const wasOpen = this.open;
    this.open = false;
    this.generation += 1;
    for (const pc of [this.publish, this.subscribe]) {
      if (!pc) continue;
      try {
        pc.close();
      } catch (e) {
        /* already closed */
      }
    }
    this.publish = null;
    this.subscribe = null;
    this.screenTransceiver = null;
    // A step still in flight on a closed connection may never settle (WebRTC leaves a closed
    // connection's operations pending): the next opening must not queue behind it.
    this.publishQueue = Promise.resolve();
    this.subscribeQueue = Promise.resolve();
    const carried = new Set(this.book.byParticipant().keys());
    this.book.clear();
    this.streams.clear();
    if (tellServer && wasOpen && this.transport.connected) {
      this.transport.request(CLIENT_EVENTS.MEDIA_STOP, {}).then(warnIfRefused("media_stop"));
    }
    if (carried.size) this.onStreams(carried);
    if (wasOpen) this.onState();
  }

  /** `media_slots`: whose media each slot carries now. @param {Slot[]} slots */
  setSlots(slots) {
    if (!this.open) return;
    this._streamsChanged(this.book.setSlots(slots));
  }

  /** `media_offer`: the pool of slots grew. @param {{sdp?: string, slots?: Slot[]}} msg */
  handleOffer({ sdp, slots }) {
    if (!this.open || typeof sdp !== "string") return;
    const generation = this.generation;
    this._enqueueSubscribe(generation, async () => {
      if (Array.isArray(slots)) this.setSlots(slots);
      await this._answer(generation, sdp);
    }).catch((e) => console.warn("media_offer", e));
  }

  /** The server's copy of someone's media. @param {string} id */
  streamsOf(id) {
    return this.streams.get(id);
  }

  /** @param {string} id @param {number} now */
  arrivedFor(id, now) {
    return this.book.arrivedFor(id, now);
  }

  /** @param {string} id */
  carries(id) {
    return this.book.carries(id);
  }

  /** For the test hooks: the slot map as the server last gave it. */
  slotList() {
    return [...this.book.slots.values()].map((s) => ({ ...s }));
  }

  /** Read the subscribe connection's counts (frames per video mid, packets per audio mid). @param {number} now */
  async observe(now) {
    const pc = this.subscribe;
    if (!pc || pc.connectionState !== "connected") return;
    let stats;
    try {
      stats = await pc.getStats();
    } catch (e) {
      return;
    }
    if (pc !== this.subscribe) return;
    /** @type {Map<string, number>} */
    const counts = new Map();
    stats.forEach((r) => {
      if (r.type !== "inbound-rtp" || typeof r.mid !== "string") return;
      counts.set(r.mid, r.kind === "video" ? r.framesDecoded || 0 : r.packetsReceived || 0);
    });
    this.book.observe(counts, now);
  }

  /** A camera or microphone changed (or was allowed late). @param {"audio" | "video"} kind @param {MediaStreamTrack | null} track */
  async replaceTrack(kind, track) {
    const pc = this.publish;
    if (!pc) return;
    const t = pc.getTransceivers().find((x) => x !== this.screenTransceiver && x.receiver.track && x.receiver.track.kind === kind);
    if (t) await t.sender.replaceTrack(track);
  }

  /** Start or stop sending the screen: a new offer on the publish connection. @param {MediaStreamTrack | null} track */
  async setScreen(track) {
    this.screenTrack = track;
    const pc = this.publish;
    if (!pc || !this.open) return;
    if (track) this._addScreen(track);
    else if (this.screenTransceiver) {
      await this.screenTransceiver.sender.replaceTrack(null);
      this.screenTransceiver.direction = "inactive";
    }
    await this._enqueuePublish(this.generation);
  }

  /** Audio only (`media_receive`): the server stops forwarding video. @param {boolean} on */
  async setReceiveVideo(on) {
    this.video = on;
    if (!this.subscribe) return;
    const ack = await this.transport.request(CLIENT_EVENTS.MEDIA_RECEIVE, { video: on });
    warnIfRefused("media_receive")(ack);
  }

  // -- inside --------------------------------------------------------------------------------------

  /** @param {MediaStreamTrack} track */
  _addScreen(track) {
    const pc = /** @type {RTCPeerConnection} */ (this.publish);
    if (this.screenTransceiver && this.screenTransceiver.currentDirection !== "stopped") {
      this.screenTransceiver.sender.replaceTrack(track).catch(() => {});
      this.screenTransceiver.direction = "sendonly";
    } else {
      this.screenTransceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [new MediaStream([track])] });
    }
    capBitrate(this.screenTransceiver.sender, SCREEN_BITRATE);
  }

  _connection() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    pc.onconnectionstatechange = () => this.onState();
    return pc;
  }

  /** @param {number} generation */
  _enqueuePublish(generation) {
    const run = this.publishQueue.then(() => (generation === this.generation ? this._publishOffer(generation) : undefined));
    this.publishQueue = run.catch(() => {});
    return run;
  }

  /** @param {number} generation @param {() => Promise<void>} step */
  _enqueueSubscribe(generation, step) {
    const run = this.subscribeQueue.then(() => (generation === this.generation ? step() : undefined));
    this.subscribeQueue = run.catch(() => {});
    return run;
  }

  /** @param {number} generation */
  async _publishOffer(generation) {
    const pc = this.publish;
    if (!pc) return;
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    if (generation !== this.generation) return;
    const sending = this.screenTransceiver && this.screenTransceiver.direction === "sendonly";
    const screenMid = sending && this.screenTransceiver ? this.screenTransceiver.mid : null;
    const sdp = /** @type {RTCSessionDescription} */ (pc.localDescription).sdp;
    const ack = await this.transport.request(CLIENT_EVENTS.MEDIA_PUBLISH, { sdp, screen_mid: screenMid });
    if (generation !== this.generation) return;
    if (!ack.ok) throw new ServerMediaError(ack.error.code, ack.error.message || "media_publish refused");
    await pc.setRemoteDescription({ type: "answer", sdp: ack.sdp });
  }

  /** @param {number} generation */
  async _subscribe(generation) {
    const ack = await this.transport.request(CLIENT_EVENTS.MEDIA_SUBSCRIBE, { video: this.video });
    if (generation !== this.generation) return;
    if (!ack.ok) throw new ServerMediaError(ack.error.code, ack.error.message || "media_subscribe refused");
    const pc = this._connection();
    this.subscribe = pc;
    pc.ontrack = ({ transceiver, track }) => {
      if (pc !== this.subscribe || !transceiver.mid) return;
      this._streamsChanged(this.book.setTrack(transceiver.mid, track));
    };
    if (Array.isArray(ack.slots)) this.setSlots(ack.slots);
    await this._answer(generation, ack.sdp);
  }

  /** @param {number} generation @param {string} sdp */
  async _answer(generation, sdp) {
    const pc = this.subscribe;
    if (!pc) return;
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    if (generation !== this.generation) return;
    const answer = /** @type {RTCSessionDescription} */ (pc.localDescription).sdp;
    const ack = await this.transport.request(CLIENT_EVENTS.MEDIA_ANSWER, { sdp: answer });
    if (!ack.ok) throw new ServerMediaError(ack.error.code, ack.error.message || "media_answer refused");
  }

  /** @param {Set<string>} ids */
  _streamsChanged(ids) {
    if (!ids.size) return;
    const carried = this.book.byParticipant();
    for (const id of ids) this.streams.update(id, carried.get(id));
    this.onStreams(ids);
  }
}

/** Resolves once the connection has gathered its candidates (or after a while, with what it has). @param {RTCPeerConnection} pc */
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      clearTimeout(timer);
      resolve(undefined);
    };
    const timer = setTimeout(() => {
      pc.removeEventListener("icegatheringstatechange", done);
      resolve(undefined);
    }, GATHER_TIMEOUT_MS);
    pc.addEventListener("icegatheringstatechange", done);
  });
}

/** @param {RTCRtpSender} sender @param {number} maxBitrate */
function capBitrate(sender, maxBitrate) {
  try {
    const params = sender.getParameters();
    if (!params.encodings || params.encodings.length === 0) params.encodings = [{}];
    params.encodings[0].maxBitrate = maxBitrate;
    sender.setParameters(params).catch(() => {});
  } catch (e) {
    /* before negotiation some browsers refuse: their own rate control then */
  }
}

/** @param {string} what */
function warnIfRefused(what) {
  return (/** @type {Ack} */ ack) => {
    if (!ack.ok && ack.error.code !== "timeout") console.warn(what, ack.error);
  };
}
