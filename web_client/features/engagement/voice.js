// Voice activity of my own microphone (Web Audio analyser, sampled every 100 ms); the detector's
// rule is ./state.js's vadStep.

import { VAD, rms, vadInitial, vadStep } from "./state.js";

export class VoiceActivity {
  /** @param {(speaking: boolean) => void} onChange */
  constructor(onChange) {
    this.onChange = onChange;
    /** @type {AudioContext | null} */
    this.audio = null;
    /** @type {MediaStreamAudioSourceNode | null} */
    this.source = null;
    /** @type {AnalyserNode | null} */
    this.analyser = null;
    /** @type {string | null} */
    this.trackId = null;
    this.timer = 0;
    this.state = vadInitial();
    this.data = new Float32Array(1024);
    /** @type {() => boolean} */
    this.micOn = () => false;
  }

  get speaking() {
    return this.state.speaking;
  }

  /** @param {MediaStream | null} stream @param {() => boolean} micOn */
  start(stream, micOn) {
    this.micOn = micOn;
    const track = stream && stream.getAudioTracks()[0];
    if (!track) {
      this.stop();
      return;
    }
    if (track.id !== this.trackId) {
      this.disconnect();
      try {
        this.audio = this.audio || new AudioContext();
        this.source = this.audio.createMediaStreamSource(new MediaStream([track]));
        this.analyser = this.audio.createAnalyser();
        this.analyser.fftSize = 1024;
        this.data = new Float32Array(this.analyser.fftSize);
        this.source.connect(this.analyser);
        this.trackId = track.id;
      } catch (e) {
        console.warn("voice activity: no audio analysis in this browser", e);
        return;
      }
    }
    if (this.audio && this.audio.state === "suspended") this.audio.resume().catch(() => {});
    if (!this.timer) this.timer = window.setInterval(() => this.sample(), VAD.everyMs);
  }

  sample() {
    if (!this.analyser) return;
    const micOn = this.micOn();
    let level = 0;
    if (micOn) {
      this.analyser.getFloatTimeDomainData(this.data);
      level = rms(this.data);
    }
    const { state, changed } = vadStep(this.state, { now: performance.now(), level, micOn });
    this.state = state;
    if (changed) this.onChange(state.speaking);
  }

  disconnect() {
    if (this.source) this.source.disconnect();
    this.source = null;
    this.analyser = null;
    this.trackId = null;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    this.disconnect();
    if (this.state.speaking) {
      this.state = vadInitial();
      this.onChange(false);
    }
  }
}
