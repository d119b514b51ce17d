// When the page turns incoming video off by itself: a pure decision over once-a-second samples of
// how many of my connections call/quality.js finds weak (lossy or frozen). Time is passed in.
//
// Hysteresis, so the video does not flap on and off: pausing needs most samples of several
// seconds to be weak; saying that the connection recovered needs a long calm stretch; and after
// the person turned video back on, the page waits a while before it may pause again. Coming back
// is always the person's choice (the "Turn video back on" button): a connection that looks good
// only because the video stopped would otherwise pause and resume in a loop.

export const WEAK_LINK = {
  /** How long the weak samples must span before pausing. */
  enterMs: 6000,
  /** The share of weak samples over that stretch. */
  enterShare: 0.75,
  /** No weak sample for this long while paused: "the connection is better". */
  calmMs: 20000,
  /** After the person turns video back on, no automatic pause for this long. */
  graceMs: 30000,
};

/** A sample: the share of my connections found weak this second (0 when there are none). */
export class WeakLink {
  /** @param {Partial<typeof WEAK_LINK>} [options] */
  constructor(options = {}) {
    this.o = { ...WEAK_LINK, ...options };
    /** @type {{at: number, weak: boolean}[]} */
    this.samples = [];
    /** Paused by this decision (not by the person's own toggle). */
    this.paused = false;
    this.pausedAt = 0;
    this.lastWeakAt = 0;
    this.calmTold = false;
    this.graceUntil = 0;
  }

  /**
   * One sample. Returns "pause" when incoming video should stop now, "calm" once when a pause
   * could end, otherwise null.
   * @param {number} weakShare  0..1: the share of connections found weak
   * @param {number} now  milliseconds
   * @returns {"pause" | "calm" | null}
   */
  observe(weakShare, now) {
    // A connection counts as weak when at least half of my connections are: one person's weak
    // uplink is theirs to fix, a weak link of mine shows on every connection.
    const weak = weakShare >= 0.5;
    if (weak) this.lastWeakAt = now;
    if (this.paused) {
      if (!this.calmTold && now - Math.max(this.lastWeakAt, this.pausedAt) >= this.o.calmMs) {
        this.calmTold = true;
        return "calm";
      }
      return null;
    }
    this.samples.push({ at: now, weak });
    while (this.samples.length && now - this.samples[0].at > this.o.enterMs) this.samples.shift();
    if (now < this.graceUntil) return null;
    const first = this.samples[0];
    // The window must be (nearly) full: a second of loss right after joining is not a pattern.
    if (!first || now - first.at < this.o.enterMs - 1000) return null;
    const share = this.samples.filter((s) => s.weak).length / this.samples.length;
    if (share < this.o.enterShare) return null;
    this.paused = true;
    this.pausedAt = now;
    this.calmTold = false;
    this.samples = [];
    return "pause";
  }

  /** The person turned incoming video back on (or off by hand: the page then leaves it be). @param {number} now */
  resumed(now) {
    this.paused = false;
    this.samples = [];
    this.graceUntil = now + this.o.graceMs;
  }

  /** A new call: start afresh. */
  reset() {
    this.paused = false;
    this.samples = [];
    this.graceUntil = 0;
    this.lastWeakAt = 0;
    this.calmTold = false;
  }
}
