// Devices: choosing the camera, microphone and speaker (on the join screen and in the call),
// following devices plugged in and out, remembering the choice; and the audio-only mode (incoming
// video off), turned on by the person or by the page when the connection stays weak.
//
// A camera or microphone switch in the call never drops it: the new track is sent in place of
// the old one (call.replaceTrack: RTCRtpSender.replaceTrack, no renegotiation), keeps the mute
// or camera-off state, shows in the preview, and the old track is stopped. The speaker applies to
// every media element of the page, including those added later (a MutationObserver), so the
// grid and the server's media path need not know about it.

import { addStylesheet } from "../../ui/dom.js";
import { acquireTrack } from "../../call/media.js";
import { mediaProblem } from "../../ui/wording.js";
import { t } from "../../ui/i18n.js";
import { localStore } from "../../ui/storage.js";
import {
  deviceLists, emptyChoice, fallbackNotice, loadChoice, lostDevices, mediaKind, rememberChoice, shownId, switchedNotice, KINDS,
} from "./state.js";
import { WeakLink } from "./weak_link.js";
import { createDevicesPanel, createPausedBar, createPicker } from "./view.js";

/** @typedef {import("./state.js").DeviceKind} DeviceKind */

const SAMPLE_MS = 1000;

/**
 * @param {object} ctx
 * @param {import("../../core/store.js").Store} ctx.store
 * @param {import("../../call/local_media.js").LocalMedia} ctx.media
 * @param {{replaceTrack: (kind: "audio" | "video", track: MediaStreamTrack) => Promise<void>,
 *          addLocalTrack: (track: MediaStreamTrack, stream: MediaStream) => Promise<void>,
 *          setReceiveVideo: (on: boolean) => void}} ctx.call
 * @param {() => boolean} ctx.inCall  joined (in the call or reconnecting to it)
 * @param {(kind: "audio" | "video") => void} ctx.localChanged  a track of mine changed: redraw the preview
 * @param {() => void} ctx.mediaChanged  a device that was missing is now sent (media_state)
 * @param {(text: string) => void} ctx.notice  visible and spoken
 * @param {(text: string) => void} ctx.announce  spoken only
 * @param {(text: string) => void} ctx.alert  a problem the person should read
 * @param {Storage | null} [ctx.storage]
 */
export function installDevices({ store, media, call, inCall, localChanged, mediaChanged, notice, announce, alert, storage = localStore() }) {
  addStylesheet("/client/features/devices/devices.css");
  const md = navigator.mediaDevices;
  const speakerSupported = typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
  let lists = deviceLists([]);
  let choice = loadChoice(storage);
  /** @type {DeviceKind | null} */
  let busy = null;
  let queue = Promise.resolve();
  let receiveVideo = true;
  let autoPaused = false;
  const weak = new WeakLink();
  let timer = 0;
  /** @type {WeakSet<MediaStreamTrack>} */
  const watched = new WeakSet();
  /** @type {MutationObserver | null} */
  let sinkObserver = null;
  /** The output the page's sound goes to ("" = the default). */
  let sinkInUse = "";

  const pickers = [createPicker("join-devices", choose), createPicker("call-devices", choose)];
  const panel = createDevicesPanel({ picker: pickers[1].element, receiveVideo: (on) => setReceiveVideo(on, "person") });
  const bar = createPausedBar(() => {
    setReceiveVideo(true, "person");
    panel.button.focus();
  });
  let mounted = false;

  if (md && md.addEventListener) md.addEventListener("devicechange", () => refresh());

  /** What is in use now, per kind ("" = nothing, or the default output). */
  function inUse() {
    const now = emptyChoice();
    now.videoinput = media.deviceId("video");
    now.audioinput = media.deviceId("audio");
    now.audiooutput = sinkInUse;
    return now;
  }

  function render() {
    const used = inUse();
    const shown = emptyChoice();
    for (const kind of KINDS) shown[kind] = shownId(lists[kind], used[kind], kind === "audiooutput" ? "" : choice[kind]);
    const options = { inputs: !media.observer, speaker: speakerSupported, busy };
    for (const p of pickers) p.render(lists, shown, options);
    panel.showReceiveVideo(receiveVideo);
    bar.show(receiveVideo ? "" : autoPaused ? t("devices.weak.paused") : t("devices.incoming.off_bar"));
  }

  /** The lists again (labels appear once the camera or microphone is allowed); a device gone is replaced. */
  async function refresh() {
    if (!md || !md.enumerateDevices) return;
    let infos = [];
    try {
      infos = await md.enumerateDevices();
    } catch (e) {
      return;
    }
    lists = deviceLists(infos);
    for (const kind of lostDevices(lists, inUse())) {
      if (kind === "audiooutput") setSink("", false);
      else fallBack(kind);
    }
    render();
  }

  /** The person picked a device. @param {DeviceKind} kind @param {string} id */
  function choose(kind, id) {
    choice = rememberChoice(storage, kind, id);
    if (kind === "audiooutput") {
      setSink(id, true);
      return;
    }
    enqueue(kind, id, false);
  }

  /** The device in use went away (unplugged, or its track ended): the default takes over. @param {"videoinput" | "audioinput"} kind */
  function fallBack(kind) {
    enqueue(kind, "", true);
  }

  /** One switch at a time, in order. @param {"videoinput" | "audioinput"} kind @param {string} id @param {boolean} fallback */
  function enqueue(kind, id, fallback) {
    queue = queue.then(() => switchInput(kind, id, fallback)).catch((e) => console.warn("device switch", kind, e));
  }

  /** @param {"videoinput" | "audioinput"} kind @param {string} id @param {boolean} fallback */
  async function switchInput(kind, id, fallback) {
    const mk = mediaKind(kind);
    if (media.observer) return;
    if (!fallback && id && id === media.deviceId(mk)) return; // already in use
    busy = kind;
    render();
    try {
      let track;
      try {
        track = await acquireTrack(mk, id);
      } catch (e) {
        // Some systems cannot open a second camera while the first is open: free it and retry.
        const old = media.track(mk);
        if (!(e instanceof DOMException) || e.name !== "NotReadableError" || !old) throw e;
        old.stop();
        track = await acquireTrack(mk, id);
      }
      if (!media.has(mk)) {
        const stream = media.addTrack(track);
        if (inCall()) await call.addLocalTrack(track, stream);
        mediaChanged();
      } else {
        track.enabled = mk === "audio" ? media.micOn : media.camOn;
        if (inCall()) await call.replaceTrack(mk, track);
        media.replaceTrack(track); // stops the old track
      }
      watch(track);
      localChanged(mk);
      if (fallback) notice(fallbackNotice(kind, track.label, !track.label));
      else announce(switchedNotice(kind, track.label));
    } catch (e) {
      if (fallback) notice(fallbackNotice(kind, ""));
      else alert(mediaProblem(mk, e));
    } finally {
      busy = null;
      render();
    }
  }

  /** A track that ends by itself (the device was unplugged or failed) is replaced. @param {MediaStreamTrack} track */
  function watch(track) {
    if (watched.has(track)) return;
    watched.add(track);
    track.addEventListener("ended", () => {
      const mk = track.kind === "audio" ? "audio" : "video";
      if (media.track(mk) !== track) return; // replaced already
      fallBack(mk === "audio" ? "audioinput" : "videoinput");
    });
  }

  // -- speaker ---------------------------------------------------------------------------------

  /** @param {string} id  "" = the default output @param {boolean} chosen  the person picked it */
  function setSink(id, chosen) {
    sinkInUse = id;
    if (!chosen) notice(fallbackNotice("audiooutput", "", true));
    for (const m of document.querySelectorAll("audio, video")) applySink(/** @type {HTMLMediaElement} */ (m));
    followNewElements();
    render();
  }

  /** @param {HTMLMediaElement} m */
  function applySink(m) {
    const id = sinkInUse;
    const target = /** @type {HTMLMediaElement & {sinkId?: string, setSinkId?: (id: string) => Promise<void>}} */ (m);
    if (!speakerSupported || !target.setSinkId || target.sinkId === id) return;
    target.setSinkId(id).catch((e) => console.warn("speaker", e));
  }

  function followNewElements() {
    const wanted = speakerSupported && !!sinkInUse;
    if (!wanted) {
      if (sinkObserver) sinkObserver.disconnect();
      sinkObserver = null;
      return;
    }
    if (sinkObserver) return;
    sinkObserver = new MutationObserver((records) => {
      for (const r of records) {
        for (const node of r.addedNodes) {
          if (!(node instanceof HTMLElement)) continue;
          if (node instanceof HTMLMediaElement) applySink(node);
          for (const m of node.querySelectorAll("audio, video")) applySink(/** @type {HTMLMediaElement} */ (m));
        }
      }
    });
    sinkObserver.observe(document.body, { childList: true, subtree: true });
  }

  // -- incoming video --------------------------------------------------------------------------

  /** @param {boolean} on @param {"person" | "weak"} by */
  function setReceiveVideo(on, by) {
    if (receiveVideo === on) {
      render();
      return;
    }
    receiveVideo = on;
    autoPaused = !on && by === "weak";
    if (on || by === "person") weak.resumed(performance.now());
    call.setReceiveVideo(on);
    render();
    if (by === "weak") notice(t("devices.weak.paused"));
    else notice(on ? t("devices.incoming.on_again") : t("devices.incoming.off"));
  }

  function sample() {
    if (!inCall() || (!receiveVideo && !autoPaused)) return;
    let n = 0;
    let weakCount = 0;
    for (const q of store.quality.values()) {
      n += 1;
      if (q.weak) weakCount += 1;
    }
    const verdict = weak.observe(n ? weakCount / n : 0, performance.now());
    if (verdict === "pause" && receiveVideo) setReceiveVideo(false, "weak");
    else if (verdict === "calm" && autoPaused) {
      bar.show(t("devices.weak.better"));
      announce(t("devices.weak.better"));
    }
  }

  return {
    /** Device ids to ask for first (the remembered choice). */
    preferred() {
      return { video: choice.videoinput, audio: choice.audioinput };
    },
    /** The join screen's selects go here. @param {HTMLElement} container */
    mountJoin(container) {
      container.append(pickers[0].element);
      render();
    },
    /** The camera and microphone were (re)started: watch them, fill the lists, apply the speaker. */
    async mediaStarted() {
      for (const t of media.stream ? media.stream.getTracks() : []) watch(t);
      await refresh();
      setSinkQuietly();
    },
    /** After every successful join. */
    joined() {
      if (!mounted) {
        const controls = document.querySelector("#screen-call .controls");
        const leave = document.getElementById("ctl-leave");
        if (controls && leave && leave.parentElement === controls) controls.insertBefore(panel.button, leave);
        else if (controls) controls.append(panel.button);
        if (controls) controls.before(bar.element, panel.panel);
        mounted = true;
      }
      for (const t of media.stream ? media.stream.getTracks() : []) watch(t);
      setSinkQuietly();
      clearInterval(timer);
      timer = window.setInterval(sample, SAMPLE_MS);
      render();
      refresh();
    },
    stop() {
      clearInterval(timer);
      timer = 0;
      panel.close();
      weak.reset();
    },
  };

  function setSinkQuietly() {
    if (!choice.audiooutput) return;
    if (lists.audiooutput.length && !lists.audiooutput.some((o) => o.id === choice.audiooutput)) return; // not here today
    sinkInUse = choice.audiooutput;
    for (const m of document.querySelectorAll("audio, video")) applySink(/** @type {HTMLMediaElement} */ (m));
    followNewElements();
    render();
  }
}
