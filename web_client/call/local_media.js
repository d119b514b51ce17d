// My camera and microphone: the stream, what could not be started and why, and whether each is
// on. The buttons of the join screen and the call show this (screens/toggles.js).

import { acquireMedia, stopStream } from "./media.js";

export class LocalMedia {
  constructor() {
    /** @type {MediaStream | null} */
    this.stream = null;
    /** @type {Error | null} */
    this.audioError = null;
    /** @type {Error | null} */
    this.videoError = null;
    this.micOn = true;
    this.camOn = true;
    /** Observers only watch: they send neither. */
    this.observer = false;
  }

  /**
   * Ask for both devices (and find out what works when that fails).
   * @param {{audio?: string, video?: string}} [preferred]  device ids chosen last time
   */
  async acquire(preferred) {
    this.release();
    const got = await acquireMedia(preferred);
    this.stream = got.stream;
    this.audioError = got.audioError;
    this.videoError = got.videoError;
  }

  release() {
    stopStream(this.stream);
    this.stream = null;
    this.audioError = null;
    this.videoError = null;
  }

  /** @param {"audio" | "video"} kind */
  has(kind) {
    const s = this.stream;
    return !!s && (kind === "audio" ? s.getAudioTracks() : s.getVideoTracks()).length > 0;
  }

  /** What this page sends, as `join` and `media_state` say it. */
  sending() {
    return {
      audio: !this.observer && this.has("audio") && this.micOn,
      video: !this.observer && this.has("video") && this.camOn,
    };
  }

  /** Enable or disable the tracks as micOn and camOn say. */
  applyEnabled() {
    if (!this.stream) return;
    for (const t of this.stream.getAudioTracks()) t.enabled = this.micOn;
    for (const t of this.stream.getVideoTracks()) t.enabled = this.camOn;
  }

  /** @param {"audio" | "video"} kind */
  track(kind) {
    const s = this.stream;
    if (!s) return null;
    return (kind === "audio" ? s.getAudioTracks() : s.getVideoTracks())[0] || null;
  }

  /** The id of the device in use for `kind`, or "" without one. @param {"audio" | "video"} kind */
  deviceId(kind) {
    const t = this.track(kind);
    return (t && t.readyState === "live" && t.getSettings().deviceId) || "";
  }

  /**
   * Another device of the same kind: the new track takes the old one's place in the same stream
   * (so the preview, the meters and the peer connections' stream ids stay), keeps the mute or
   * camera-off state, and the old track is stopped. Returns the old track, already stopped.
   * @param {MediaStreamTrack} track
   */
  replaceTrack(track) {
    const kind = track.kind === "audio" ? "audio" : "video";
    const old = this.track(kind);
    if (!this.stream) this.stream = new MediaStream();
    if (old) this.stream.removeTrack(old);
    this.stream.addTrack(track);
    track.enabled = kind === "audio" ? this.micOn : this.camOn;
    if (old) old.stop();
    return old;
  }

  /** A device allowed late: add its track. @param {MediaStreamTrack} track */
  addTrack(track) {
    if (!this.stream) this.stream = new MediaStream();
    this.stream.addTrack(track);
    if (track.kind === "audio") this.micOn = true;
    else this.camOn = true;
    return this.stream;
  }
}
