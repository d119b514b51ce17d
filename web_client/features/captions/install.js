// Live captions in the call: the CC button (absent when the session's captions are off), the
// caption lines under the video attributed by name, partial text greyed until its final replaces
// it, "Captions are running behind", the person's size and position (remembered on this
// browser), "Transcribe me", "Caption my speech in this browser" (the Web Speech API sends text,
// not audio), the captioner's panel, the mentor's transcript downloads, and the consent on the
// join page (with `transcript_notice` in the join payload when a transcript is kept).
//
// The room's facts (who views, who is transcribed, whose browser captions) belong to the server:
// the page says what this person wants after every (re)join, and draws what the server sends.

import { SERVER_EVENTS } from "../../core/events.js";
import { addStylesheet, byId } from "../../ui/dom.js";
import { PSEUDO, languageCode, t } from "../../ui/i18n.js";
import { captionCommands } from "./commands.js";
import { BrowserCaptions, recognitionClass } from "./speech.js";
import { createCaptionerPanel, speakersToCaption } from "./captioner.js";
import { createCaptionControls, createCaptionsPanel, createCaptionsRegion, createJoinConsent } from "./view.js";
import { CaptionLog, isCaptioner, loadSettings, mayDownloadTranscript, notCaptioned, parseConsent, saveSettings } from "./state.js";
import { refusedWords } from "../../ui/wording.js";
import { localStore } from "../../ui/storage.js";

/** @typedef {import("../../core/types.js").Caption} Caption */
/** @typedef {import("../../core/types.js").CaptionConsent} CaptionConsent */

const TICK_MS = 1000;
// How long the lines say that some captions may be missing, after a reconnect lost some.
const GAP_MS = 20000;

/**
 * @param {object} ctx
 * @param {import("../../core/store.js").Store} ctx.store
 * @param {import("../../core/dispatcher.js").Dispatcher} ctx.dispatcher
 * @param {import("../../core/transport.js").Transport} ctx.transport
 * @param {() => string | null} ctx.sessionId
 * @param {() => string | null} ctx.resume  the page's resume credential (a mentor's transcript download)
 * @param {() => boolean} ctx.micOn  my microphone is sent now
 * @param {(text: string) => void} ctx.notice  visible and spoken
 * @param {(text: string) => void} ctx.announce  spoken only
 * @param {(text: string) => void} ctx.alert
 * @param {Storage | null} [ctx.storage]
 */
export function installCaptions({ store, dispatcher, transport, sessionId, resume, micOn, notice, announce, alert, storage = localStore() }) {
  addStylesheet("/client/features/captions/captions.css");
  const commands = captionCommands(transport);
  const Recognition = recognitionClass(window);
  let settings = loadSettings(storage);
  /** @type {CaptionConsent} */
  let consent = "off";
  let joinedOnce = false;
  let told = false;
  /** Whether my speech may be captioned (the server's copy comes with my participant). */
  let transcribed = true;
  /** A "Transcribe me" change waits for its acknowledgement: the server's older copy does not undo it. */
  let transcribePending = false;
  let browserWanted = false;
  let behind = false;
  /** Until when (this page's clock, ms) the lines say that some captions may be missing. */
  let gapUntil = 0;
  const log = new CaptionLog();
  let timer = 0;

  const controls = createCaptionControls();
  const region = createCaptionsRegion();
  const panel = createCaptionsPanel({
    size(size) {
      settings = { ...settings, size };
      remember();
    },
    position(position) {
      settings = { ...settings, position };
      remember();
    },
    transcribe: (on) => setTranscribed(on),
    browser: (on) => setBrowser(on),
    download: (format) => downloadTranscript(format),
    closed: () => setPanelOpen(false, true),
  });
  const captioner = createCaptionerPanel({ send: (c) => commands.text(c), alert, room: () => store.room });
  const joinConsent = createJoinConsent();
  const browser = Recognition
    ? new BrowserCaptions({
      Recognition,
      lang: recognitionLanguage(),
      allowed: () => micOn() && transcribed,
      send: (utterance, text, final) => sendOwnText(utterance, text, final),
      failed: (reason) => {
        browserWanted = false;
        render();
        commands.source("server");
        notice(reason === "not-allowed" || reason === "service-not-allowed" ? t("captions.browser_refused") : t("captions.browser_stopped"));
      },
    })
    : null;

  controls.cc.addEventListener("click", () => setViewing(!settings.on));
  controls.options.addEventListener("click", () => setPanelOpen(panel.panel.hidden, false));

  function speaks() {
    const role = store.me.role;
    return role !== "observer" && role !== "captioner";
  }

  function viewing() {
    return consent !== "off" && settings.on;
  }

  function remember() {
    saveSettings(storage, settings);
    render();
  }

  /** @param {boolean} open @param {boolean} focusButton */
  function setPanelOpen(open, focusButton) {
    controls.options.setAttribute("aria-expanded", String(open));
    panel.setOpen(open);
    if (!open && focusButton) controls.options.focus();
  }

  function render() {
    const on = viewing();
    controls.group.hidden = consent === "off";
    controls.render(on, consent);
    region.applySettings(settings);
    region.region.hidden = !on;
    const stage = region.region.parentElement;
    if (stage) {
      stage.classList.toggle("stage-captions", on);
      stage.dataset.captions = on ? settings.position : "";
    }
    panel.render({
      settings, consent, transcribed, browserOn: browserWanted, speaks: speaks(),
      browserAvailable: !!browser, transcript: mayDownloadTranscript(store.me.role, consent),
    });
    const typing = isCaptioner(store.me.role) && consent !== "off";
    captioner.show(typing);
    document.getElementById("screen-call")?.classList.toggle("captioning", typing);
    if (isCaptioner(store.me.role)) captioner.renderSpeakers(speakersToCaption(store.participants.values(), (p) => store.inMyRoom(p), store.me.id));
    renderLines();
  }

  function renderLines() {
    if (!viewing()) {
      region.render([], [], 0);
      region.showBehind(false);
      return;
    }
    const now = Date.now();
    const silent = notCaptioned(store.participants.values(), (p) => store.inMyRoom(p), (id) => store.isSpeaking(id))
      .map((p) => ({ name: p.id === store.me.id ? t("captions.you") : p.name }));
    region.render(log.ordered(), silent, now);
    region.showBehind(behind);
    region.showGap(now < gapUntil);
  }

  function tick() {
    if (log.prune(Date.now()) || log.lines.size || gapUntil) renderLines();
    if (gapUntil && Date.now() >= gapUntil) gapUntil = 0;
  }

  /** @param {boolean} on */
  async function setViewing(on) {
    settings = { ...settings, on };
    remember();
    if (!on) {
      log.clear();
      region.clearLive();
    }
    announce(on ? t("captions.announce.on") : t("captions.announce.off"));
    if (!joinedOnce) return;
    const ack = await commands.view(on);
    if (!ack.ok && ack.error.code !== "timeout") {
      if (on) {
        settings = { ...settings, on: false };
        render();
      }
      alert(refusedWords(ack.error, "captions.failed.on"));
    }
  }

  /** @param {boolean} on */
  async function setTranscribed(on) {
    const before = transcribed;
    transcribed = on;
    if (!on && browser) browser.stop();
    render();
    transcribePending = true;
    const ack = await commands.transcribe(on);
    transcribePending = false;
    if (!ack.ok && ack.error.code !== "timeout") {
      transcribed = before;
      render();
      alert(refusedWords(ack.error, "captions.failed.transcribe"));
      return;
    }
    if (on && browserWanted && browser) browser.start();
    announce(on ? t("captions.announce.transcribed") : t("captions.announce.not_transcribed"));
  }

  /** @param {boolean} on */
  async function setBrowser(on) {
    browserWanted = on;
    render();
    const ack = await commands.source(on ? "browser" : "server");
    if (!ack.ok && ack.error.code !== "timeout") {
      browserWanted = false;
      if (browser) browser.stop();
      render();
      alert(refusedWords(ack.error, "captions.failed.browser"));
      return;
    }
    if (browser) {
      if (on && transcribed) browser.start();
      else browser.stop();
    }
    announce(on ? t("captions.announce.browser") : t("captions.announce.server"));
  }

  /** @param {string} utterance @param {string} text @param {boolean} final */
  function sendOwnText(utterance, text, final) {
    const me = store.me.id;
    if (!me) return;
    commands.text({ speaker_id: me, utterance, text, final, room: store.room }).then((ack) => {
      if (ack.ok || ack.error.code === "timeout" || ack.error.code === "rate_limited") return;
      if (browser) browser.stop();
      browserWanted = false;
      render();
      console.warn("caption_text", ack.error);
    });
  }

  /** @param {"vtt" | "srt" | "txt"} format */
  async function downloadTranscript(format) {
    const id = sessionId();
    const credential = resume();
    if (!id || !credential) return;
    panel.status(t("captions.transcript.preparing"));
    try {
      const res = await fetch(`/api/sessions/${encodeURIComponent(id)}/transcript?format=${format}`, {
        headers: { "X-Tandem-Resume": credential },
        cache: "no-store",
      });
      if (!res.ok) {
        const body = await res.json().catch(() => null);
        const code = body && body.error && body.error.code;
        panel.status(code === "no_transcript" ? t("captions.transcript.none") : refusedWords(body && body.error, "captions.transcript.failed"));
        return;
      }
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `transcript-${id}.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      panel.status(t("captions.transcript.downloaded", { file: a.download }));
    } catch (e) {
      panel.status(t("captions.transcript.unreachable"));
    }
  }

  dispatcher.on(SERVER_EVENTS.CAPTION, (/** @type {Caption} */ c) => {
    if (!viewing() || !c || (c.room && c.room !== store.room)) return;
    const id = c.speaker_id || "";
    if (store.erased.has(id)) return; // held back until after their erasure
    const name = id ? c.speaker_name || store.name(id) : t("captions.unknown_speaker");
    const line = log.add(c, name, Date.now());
    if (!line) return;
    renderLines();
    if (line.final) region.say(`${name}: ${line.text}`);
  });
  dispatcher.on(SERVER_EVENTS.CAPTIONS_STATUS, ({ room, behind: b }) => {
    if (room && room !== store.room) return;
    behind = !!b;
    renderLines();
  });
  store.subscribe("room", ({ before }) => {
    if (before !== undefined && before !== store.room) {
      log.clear();
      behind = false;
      // What the browser was still recognising was said in the room left: it is dropped, not
      // sent to the new room.
      if (browser && browser.running) {
        browser.stop();
        browser.start();
      }
    }
    render();
  });
  store.subscribe("participants", () => {
    const me = store.me.id ? store.participants.get(store.me.id) : undefined;
    if (me && typeof me.transcribed === "boolean" && me.transcribed !== transcribed && joinedOnce && !transcribePending) {
      // The server's copy (after a rejoin, or changed elsewhere) wins.
      transcribed = me.transcribed;
      if (!transcribed && browser) browser.stop();
    }
    render();
  });
  store.subscribe("speaking", renderLines);
  store.subscribe("quality", renderLines);
  store.subscribe("me", render);
  // Someone erased: their lines go, and the finals read out lately, which may hold theirs.
  store.subscribe("erased", ({ ids }) => {
    log.dropSpeakers(ids || []);
    region.clearLive();
    renderLines();
  });

  return {
    /** The join page shows the session's captions setting (and the notice when one is kept). @param {unknown} value */
    showJoinConsent(value) {
      consent = parseConsent(value);
      const slot = document.getElementById("join-captions-slot");
      if (slot && !joinConsent.element.isConnected) slot.append(joinConsent.element);
      joinConsent.show(consent);
      if (consent === "keep") told = true;
    },
    /** What the join payload adds: the person was told a transcript is kept. */
    joinPayload() {
      return told && consent === "keep" ? { transcript_notice: true } : {};
    },
    /**
     * After every successful join: say again what this person wants (a new connection starts
     * from the server's defaults).
     * @param {{consent: unknown}} join
     */
    async joined({ consent: value }) {
      consent = parseConsent(value);
      if (!joinedOnce) {
        const bar = document.querySelector("#screen-call .controls");
        const leave = document.getElementById("ctl-leave");
        if (bar && leave && leave.parentElement === bar) bar.insertBefore(controls.group, leave);
        else if (bar) bar.append(controls.group);
        if (bar) bar.before(panel.panel, captioner.panel);
        const stage = document.querySelector("#screen-call .stage");
        const grid = document.getElementById("video-grid");
        if (stage && grid && grid.parentElement === stage) grid.after(region.region);
        else if (stage) stage.append(region.region);
        byId("screen-call").append(region.live);
        joinedOnce = true;
      }
      clearInterval(timer);
      timer = window.setInterval(tick, TICK_MS);
      behind = false;
      log.clear();
      const me = store.me.id ? store.participants.get(store.me.id) : undefined;
      if (me && me.transcribed === false) transcribed = false;
      if (isCaptioner(store.me.role) && consent !== "off" && !settings.on) settings = { ...settings, on: true };
      render();
      if (consent === "off") {
        if (browser) browser.stop();
        captioner.drop();
        return;
      }
      // A captioner's lines typed while the connection was down.
      captioner.joined();
      const asks = [];
      if (settings.on) asks.push(commands.view(true));
      if (speaks() && !transcribed && me && me.transcribed !== false) asks.push(commands.transcribe(false));
      if (speaks() && browserWanted && browser) {
        asks.push(commands.source("browser").then((ack) => {
          if (ack.ok && transcribed) browser.start();
          else if (!ack.ok) {
            browserWanted = false;
            browser.stop();
            render();
          }
          return ack;
        }));
      }
      const acks = await Promise.all(asks);
      for (const ack of acks) if (!ack.ok && ack.error.code !== "timeout") console.warn("captions", ack.error);
    },
    /** Leaving, the session ended, or the page was replaced. */
    stop() {
      clearInterval(timer);
      timer = 0;
      if (browser) browser.stop();
      captioner.drop();
      setPanelOpen(false, false);
    },
    /**
     * The connection dropped: the browser's recognition waits for the next join, and a
     * captioner's final lines wait for it too.
     */
    disconnected() {
      if (browser) browser.stop();
      captioner.dropped();
    },
    /** Captions said while the connection was down are not all known: say so for a while. */
    mayBeIncomplete() {
      gapUntil = Date.now() + GAP_MS;
      renderLines();
    },
    /** For the test hooks: the lines shown now. */
    shown() {
      if (!viewing()) return [];
      return log.ordered().map((l) => ({ speaker_id: l.speakerId, name: l.name, text: l.text, final: l.final, source: l.source }));
    },
    get on() {
      return viewing();
    },
  };
}

/** The language the browser's recognition listens for: the page's, or the browser's own. */
function recognitionLanguage() {
  const code = languageCode();
  return code && code !== PSEUDO && code !== "en" ? code : navigator.language || "";
}
