// Reads RTCPeerConnection.getStats() once a second for every peer, to show who is speaking and
// whose connection is weak (video frozen or many packets lost). Nothing here changes the call.
// Someone whose media comes through the server is read from the subscribe connection, on the mids
// that carry them.

const INTERVAL_MS = 1000;
const SPEAKING_LEVEL = 0.04; // audioLevel is 0..1
const WEAK_LOSS = 0.08; // share of packets lost over the last interval

export class QualityMonitor {
  /**
   * @param {Map<string, RTCPeerConnection>} connections
   * @param {(id: string, info: {speaking: boolean, weak: boolean}) => void} onUpdate
   * @param {() => Map<string, {pc: RTCPeerConnection, mids: Set<string>}>} [relayed]  who comes through the server, and on which mids
   */
  constructor(connections, onUpdate, relayed = () => new Map()) {
    this.connections = connections;
    this.onUpdate = onUpdate;
    this.relayed = relayed;
    this.previous = new Map(); // id -> {pc, received, lost, frames}
    this.timer = 0;
  }

  start() {
    this.stop();
    this.timer = setInterval(() => this._poll(), INTERVAL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    this.previous.clear();
  }

  async _poll() {
    /** @type {Map<string, {pc: RTCPeerConnection, mids: Set<string> | null}>} */
    const sources = new Map();
    for (const [id, source] of this.relayed()) sources.set(id, source);
    for (const [id, pc] of this.connections) if (!sources.has(id)) sources.set(id, { pc, mids: null });
    /** @type {Map<RTCPeerConnection, RTCStatsReport | null>} one getStats() per connection and poll */
    const reports = new Map();
    for (const [id, { pc, mids }] of sources) {
      if (pc.connectionState !== "connected") {
        this.previous.delete(id);
        continue;
      }
      let stats = reports.get(pc);
      if (stats === undefined) {
        try {
          stats = await pc.getStats();
        } catch (e) {
          stats = null;
        }
        reports.set(pc, stats);
      }
      if (!stats) continue;
      let audioLevel = 0;
      let received = 0;
      let lost = 0;
      let frames = 0;
      let hasVideo = false;
      stats.forEach((r) => {
        if (r.type !== "inbound-rtp" || (mids && !mids.has(r.mid))) return;
        received += r.packetsReceived || 0;
        lost += Math.max(0, r.packetsLost || 0);
        if (r.kind === "audio") audioLevel = Math.max(audioLevel, r.audioLevel || 0);
        if (r.kind === "video") {
          hasVideo = hasVideo || (r.packetsReceived || 0) > 0;
          frames = Math.max(frames, r.framesDecoded || 0);
        }
      });
      const prev = this.previous.get(id);
      this.previous.set(id, { pc, received, lost, frames });
      if (!prev || prev.pc !== pc) continue;
      const dReceived = received - prev.received;
      const dLost = lost - prev.lost;
      const lossRate = dReceived + dLost > 0 ? dLost / (dReceived + dLost) : 0;
      // Video frozen: packets stopped although the track was flowing before.
      const frozen = hasVideo && frames === prev.frames && dReceived === 0;
      this.onUpdate(id, { speaking: audioLevel > SPEAKING_LEVEL, weak: lossRate > WEAK_LOSS || frozen });
    }
  }
}
