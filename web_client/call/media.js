// Camera and microphone: ask for both, and when that fails find out what does work, so the person
// can still join with what is available (audio only, camera only, or watch only).

const VIDEO = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } };
const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/**
 * The constraints for one device: a chosen device by id (`exact`: that one or fail; otherwise it is
 * preferred, and the browser's default is taken when it is gone), or the default when `deviceId`
 * is empty.
 * @param {"audio" | "video"} kind
 * @param {string} [deviceId]
 * @param {boolean} [exact]
 * @returns {MediaTrackConstraints}
 */
export function constraintsFor(kind, deviceId = "", exact = false) {
  const base = kind === "audio" ? AUDIO : VIDEO;
  if (!deviceId) return { ...base };
  return { ...base, deviceId: exact ? { exact: deviceId } : { ideal: deviceId } };
}

/**
 * @typedef {{stream: MediaStream | null, audioError: Error | null, videoError: Error | null}} Acquired
 * @param {{audio?: string, video?: string}} [preferred]  device ids remembered from last time
 * @returns {Promise<Acquired>}
 */
export async function acquireMedia(preferred = {}) {
  /** @type {Acquired} */
  const result = { stream: null, audioError: null, videoError: null };
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const e = new TypeError("getUserMedia is not available");
    result.audioError = e;
    result.videoError = e;
    return result;
  }
  if (preferred.video || preferred.audio) {
    // The devices chosen last time, exactly (browsers may not honour a preference alone). When
    // one is gone the browser's defaults are taken instead, as below.
    try {
      result.stream = await navigator.mediaDevices.getUserMedia({
        audio: constraintsFor("audio", preferred.audio, true),
        video: constraintsFor("video", preferred.video, true),
      });
      return result;
    } catch (e) {
      /* a remembered device is missing, or something else failed: try the defaults */
    }
  }
  const video = constraintsFor("video");
  const audio = constraintsFor("audio");
  try {
    result.stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    return result;
  } catch (both) {
    // Try each device on its own: one may be missing, busy or blocked while the other works.
    const tracks = [];
    try {
      const s = await navigator.mediaDevices.getUserMedia({ audio });
      tracks.push(...s.getAudioTracks());
    } catch (e) {
      result.audioError = asError(e);
    }
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video });
      tracks.push(...s.getVideoTracks());
    } catch (e) {
      result.videoError = asError(e);
    }
    if (tracks.length) result.stream = new MediaStream(tracks);
    if (!tracks.length && !result.audioError) result.audioError = asError(both);
    if (!tracks.length && !result.videoError) result.videoError = asError(both);
    return result;
  }
}

/**
 * Ask for one device on its own: the default, or the device with this id (exactly that one: a
 * person who picks a camera must not silently get another). Resolves to a track or throws.
 * @param {"audio" | "video"} kind
 * @param {string} [deviceId]
 */
export async function acquireTrack(kind, deviceId = "") {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new TypeError("getUserMedia is not available");
  const wanted = constraintsFor(kind, deviceId, true);
  const constraints = kind === "audio" ? { audio: wanted } : { video: wanted };
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  const track = kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
  if (!track) throw new DOMException("No track", "NotFoundError");
  return track;
}

/** @param {MediaStream | null} stream */
export function stopStream(stream) {
  if (!stream) return;
  for (const t of stream.getTracks()) t.stop();
}

/** A small microphone level meter so people can see their microphone works before joining. */
export class MicMeter {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    this.fill = /** @type {HTMLElement} */ (container.querySelector(".meter-fill"));
    this.meter = /** @type {HTMLElement} */ (container.querySelector("[role=meter]"));
    /** @type {AudioContext | null} */
    this.ctx = null;
    this.raf = 0;
    this._resume = () => this.ctx && this.ctx.state === "suspended" && this.ctx.resume().catch(() => {});
  }

  /** @param {MediaStream} stream */
  start(stream) {
    this.stop();
    const track = stream && stream.getAudioTracks()[0];
    const Ctx = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
    if (!track || !Ctx) return;
    try {
      this.ctx = new Ctx();
      const source = this.ctx.createMediaStreamSource(new MediaStream([track]));
      const analyser = this.ctx.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      const data = new Uint8Array(analyser.fftSize);
      let last = -1;
      const tick = () => {
        analyser.getByteTimeDomainData(data);
        let peak = 0;
        for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
        const level = track.enabled ? Math.min(100, Math.round((peak / 128) * 160)) : 0;
        this.fill.style.width = `${level}%`;
        const bucket = Math.round(level / 10) * 10;
        if (bucket !== last) {
          this.meter.setAttribute("aria-valuenow", String(bucket));
          last = bucket;
        }
        this.raf = requestAnimationFrame(tick);
      };
      tick();
      this.container.hidden = false;
      document.addEventListener("pointerdown", this._resume);
      document.addEventListener("keydown", this._resume);
    } catch (e) {
      this.stop();
    }
  }

  stop() {
    cancelAnimationFrame(this.raf);
    document.removeEventListener("pointerdown", this._resume);
    document.removeEventListener("keydown", this._resume);
    if (this.ctx) this.ctx.close().catch(() => {});
    this.ctx = null;
    this.container.hidden = true;
  }
}

/** getUserMedia rejects with a DOMException; anything else is wrapped. @param {unknown} e @returns {Error} */
function asError(e) {
  return e instanceof Error ? e : new Error(String(e));
}
