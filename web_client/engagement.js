// Engagement in the call: the check-in goal after joining, reactions, raising a hand, the
// person's own voice activity (sent as `speaking` start/stop), the participation panel (the live
// overview: everyone's for mentors, one's own for others), and the rating after leaving.
//
// Self-contained: the call page calls install(ctx) once and then joined(ack), left() and stop().
// ctx gives accessors, never state: socket(), sessionId(), participantId(), role(), resume(),
// stream(), micOn(), emit(event, payload) -> Promise<ack>, announce(text), nameOf(id).
// Protocol: docs/PROTOCOL.md, "Attendance".

import { renderTable, renderTimeline, fmtMinutes } from "./attendance_view.js";
import { ICONS } from "./icons.js";
import { el } from "./dom.js";

const REACTIONS = [
  ["thumbs_up", "👍", "Thumbs up"],
  ["clap", "👏", "Applause"],
  ["heart", "❤️", "Heart"],
  ["laugh", "😂", "Laughing"],
  ["surprised", "😮", "Surprised"],
  ["thinking", "🤔", "Thinking"],
];
const OVERVIEW_MS = 5000; // the live overview refreshes this often while it is open
const REACTION_SHOW_MS = 4000;
const GOAL_MAX = 500;
const COMMENT_MAX = 1000;
// Voice activity from the microphone level (RMS of the waveform, 0..1), with hysteresis: speech
// starts after the level stays above ON for START_MS, and ends after it stays below OFF for
// HANG_MS, so pauses between words are not counted as stops.
const VAD = { everyMs: 100, on: 0.02, off: 0.012, startMs: 200, hangMs: 900 };

// Icons as inline SVG (fonts without emoji show boxes); decorative, every button has a label.
const svg = (body) =>
  `<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false">${body}</svg>`;
const GLYPHS = {
  hand: ICONS.hand,
  smile: svg('<circle cx="12" cy="12" r="10"/><path d="M8 14s1.5 2 4 2 4-2 4-2"/><path d="M9 9h.01"/><path d="M15 9h.01"/>'),
  chart: svg('<path d="M3 3v18h18"/><path d="M8 17v-5"/><path d="M13 17V8"/><path d="M18 17v-8"/>'),
  more: svg('<circle cx="5" cy="12" r="1.5"/><circle cx="12" cy="12" r="1.5"/><circle cx="19" cy="12" r="1.5"/>'),
};

function controlButton(id, glyph, label, extraClass = "control-engage") {
  const b = el("button", { type: "button", id, class: `control ${extraClass}` });
  const icon = el("span", { class: "icon", "aria-hidden": "true" });
  icon.innerHTML = GLYPHS[glyph];
  b.append(icon, el("span", { class: "control-label" }, label));
  return b;
}

/** Voice activity detection on the local microphone; calls onChange(true|false). */
class VoiceActivity {
  constructor(onChange) {
    this.onChange = onChange;
    this.audio = null;
    this.source = null;
    this.analyser = null;
    this.trackId = null;
    this.timer = 0;
    this.speaking = false;
    this.aboveSince = 0;
    this.belowSince = 0;
    this.data = null;
  }

  start(stream, enabled) {
    this.enabled = enabled;
    const track = stream && stream.getAudioTracks()[0];
    if (!track) return this.stop();
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
        return undefined;
      }
    }
    if (this.audio.state === "suspended") this.audio.resume().catch(() => {});
    if (!this.timer) this.timer = setInterval(() => this.sample(), VAD.everyMs);
    return undefined;
  }

  level() {
    this.analyser.getFloatTimeDomainData(this.data);
    let sum = 0;
    for (let i = 0; i < this.data.length; i++) sum += this.data[i] * this.data[i];
    return Math.sqrt(sum / this.data.length);
  }

  sample() {
    if (!this.analyser) return;
    const now = performance.now();
    const on = this.enabled();
    const level = on ? this.level() : 0;
    if (!this.speaking) {
      if (level >= VAD.on) {
        this.aboveSince = this.aboveSince || now;
        if (now - this.aboveSince >= VAD.startMs) this.set(true);
      } else {
        this.aboveSince = 0;
      }
    } else if (!on) {
      this.set(false);
    } else if (level < VAD.off) {
      this.belowSince = this.belowSince || now;
      if (now - this.belowSince >= VAD.hangMs) this.set(false);
    } else {
      this.belowSince = 0;
    }
  }

  set(speaking) {
    this.speaking = speaking;
    this.aboveSince = this.belowSince = 0;
    this.onChange(speaking);
  }

  disconnect() {
    if (this.source) this.source.disconnect();
    this.source = this.analyser = null;
    this.trackId = null;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    this.disconnect();
    if (this.speaking) this.set(false);
    return undefined;
  }
}

export function install(ctx) {
  const link = el("link", { rel: "stylesheet", href: "/client/engagement.css" });
  document.head.append(link);

  const state = {
    mounted: false,
    sockets: new WeakSet(),
    hand: false,
    hands: new Set(), // participants whose hand is up, as announced
    overviewTimer: 0,
    lastOverview: null,
    speakingSent: false,
  };
  const vad = new VoiceActivity((speaking) => {
    state.speakingSent = speaking;
    ctx.emit("speaking", { speaking }).then((ack) => {
      if (ack && ack.ok === false && ack.error && ack.error.code === "not_allowed") state.speakingSent = false;
    });
  });

  // For tests and support.
  window.tandemEngagement = {
    get speaking() {
      return vad.speaking;
    },
    get hand() {
      return state.hand;
    },
    get overview() {
      return state.lastOverview;
    },
  };

  // -- controls --------------------------------------------------------------------------------

  const handButton = controlButton("ctl-hand", "hand", "Raise hand");
  handButton.setAttribute("aria-pressed", "false");
  const reactButton = controlButton("ctl-react", "smile", "React");
  reactButton.setAttribute("aria-expanded", "false");
  reactButton.setAttribute("aria-controls", "reaction-menu");
  const overviewButton = controlButton("ctl-participation", "chart", "Participation");
  overviewButton.setAttribute("aria-expanded", "false");
  overviewButton.setAttribute("aria-controls", "participation-panel");
  // On narrow screens the three collapse into "More", so the call controls fit on a phone.
  const moreButton = controlButton("ctl-more", "more", "More", "control-more");
  moreButton.setAttribute("aria-expanded", "false");
  moreButton.setAttribute("aria-controls", "engage-more-menu");
  const moreMenu = el("div", { id: "engage-more-menu", class: "engage-more-menu", role: "group", "aria-label": "More actions", hidden: "" });
  const moreHand = el("button", { type: "button", class: "engage-more-item" }, "Raise hand");
  const moreReact = el("button", { type: "button", class: "engage-more-item" }, "React");
  const moreOverview = el("button", { type: "button", class: "engage-more-item" }, "Participation");
  moreMenu.append(moreHand, moreReact, moreOverview);
  function closeMore() {
    moreMenu.hidden = true;
    moreButton.setAttribute("aria-expanded", "false");
  }
  moreButton.addEventListener("click", () => {
    const open = moreMenu.hidden;
    moreMenu.hidden = !open;
    moreButton.setAttribute("aria-expanded", String(open));
    if (open) moreHand.focus();
  });
  moreMenu.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      closeMore();
      moreButton.focus();
    }
  });
  moreHand.addEventListener("click", () => {
    closeMore();
    handButton.click();
  });
  moreReact.addEventListener("click", () => {
    closeMore();
    reactButton.click();
  });
  moreOverview.addEventListener("click", () => {
    closeMore();
    overviewButton.click();
  });

  const menu = el("div", { id: "reaction-menu", class: "reaction-menu", role: "group", "aria-label": "Reactions", hidden: "" });
  for (const [id, emoji, label] of REACTIONS) {
    const b = el("button", { type: "button", class: "reaction-choice", "data-reaction": id, "aria-label": label, title: label }, emoji);
    b.addEventListener("click", () => {
      closeMenu();
      ctx.emit("reaction", { reaction: id }).then((ack) => {
        if (ack && ack.ok === false && ack.error && ack.error.code === "rate_limited") ctx.announce("Too many reactions; wait a moment.");
      });
    });
    menu.append(b);
  }

  const panel = el("section", { id: "participation-panel", class: "participation-panel", "aria-labelledby": "participation-title", hidden: "" });
  const panelHead = el("div", { class: "participation-head" });
  const panelTitle = el("h2", { id: "participation-title" }, "Participation");
  const panelClose = el("button", { type: "button", class: "participation-close", "aria-label": "Close participation" }, "✕");
  panelHead.append(panelTitle, panelClose);
  const panelSummary = el("p", { class: "participation-summary", "aria-live": "polite" });
  const panelTimeline = el("div", { class: "participation-timeline" });
  const panelTableWrap = el("div", { class: "participation-table" });
  const panelTable = el("table");
  panelTableWrap.append(panelTable);
  panel.append(panelHead, panelSummary, panelTimeline, panelTableWrap);

  function mount() {
    if (state.mounted) return;
    const controls = document.querySelector("#screen-call .controls");
    const leaveButton = document.getElementById("ctl-leave");
    if (!controls) return;
    for (const b of [handButton, reactButton, overviewButton, moreButton]) {
      if (leaveButton && leaveButton.parentElement === controls) controls.insertBefore(b, leaveButton);
      else controls.append(b);
    }
    const screen = document.getElementById("screen-call");
    screen.append(menu, moreMenu, panel);
    state.mounted = true;
  }

  function closeMenu() {
    menu.hidden = true;
    reactButton.setAttribute("aria-expanded", "false");
  }

  handButton.addEventListener("click", async () => {
    const raised = !state.hand;
    const ack = await ctx.emit("hand", { raised });
    if (ack && ack.ok) {
      setOwnHand(raised);
      ctx.announce(raised ? "Your hand is raised." : "Your hand is lowered.");
    }
  });
  reactButton.addEventListener("click", () => {
    const open = menu.hidden;
    menu.hidden = !open;
    reactButton.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button").focus();
  });
  menu.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      closeMenu();
      reactButton.focus();
    }
  });
  overviewButton.addEventListener("click", () => (panel.hidden ? openOverview() : closeOverview()));
  panelClose.addEventListener("click", () => {
    closeOverview();
    overviewButton.focus();
  });

  function setOwnHand(raised) {
    state.hand = raised;
    handButton.setAttribute("aria-pressed", String(raised));
    handButton.querySelector(".control-label").textContent = raised ? "Lower hand" : "Raise hand";
    moreHand.textContent = raised ? "Lower hand" : "Raise hand";
    const me = ctx.participantId();
    if (me) {
      if (raised) state.hands.add(me);
      else state.hands.delete(me);
      paintHands();
    }
  }

  // -- what others do ------------------------------------------------------------------------

  function tileOf(id) {
    return document.querySelector(`#video-grid li[data-id="${CSS.escape(id)}"]`);
  }

  function paintHands() {
    for (const tile of document.querySelectorAll("#video-grid li[data-id]")) {
      const up = state.hands.has(tile.dataset.id);
      let badge = tile.querySelector(".hand-badge");
      if (up && !badge) {
        badge = el("span", { class: "hand-badge", role: "img", "aria-label": "Hand raised" });
        badge.innerHTML = GLYPHS.hand;
        tile.append(badge);
      } else if (!up && badge) {
        badge.remove();
      }
    }
    for (const item of document.querySelectorAll("#participant-list li[data-id]")) {
      item.classList.toggle("hand-raised", state.hands.has(item.dataset.id));
    }
  }

  function onReaction({ participant_id: id, reaction } = {}) {
    const found = REACTIONS.find(([r]) => r === reaction);
    if (!found || !id) return;
    const tile = tileOf(id);
    if (tile) {
      const bubble = el("span", { class: "reaction-bubble", "aria-hidden": "true" }, found[1]);
      tile.append(bubble);
      setTimeout(() => bubble.remove(), REACTION_SHOW_MS);
    }
    const who = id === ctx.participantId() ? "You" : ctx.nameOf(id) || "Someone";
    ctx.announce(`${who}: ${found[2]}`);
  }

  function onHand({ participant_id: id, raised } = {}) {
    if (!id) return;
    if (raised) state.hands.add(id);
    else state.hands.delete(id);
    paintHands();
    if (id !== ctx.participantId()) {
      ctx.announce(`${ctx.nameOf(id) || "Someone"} ${raised ? "raised their hand" : "lowered their hand"}`);
    }
  }

  function onLeft({ participant_id: id } = {}) {
    if (id && state.hands.delete(id)) paintHands();
  }

  // Tiles are re-rendered by the call page; keep the hand badges on them.
  let handPainter = 0;

  // -- check-in ------------------------------------------------------------------------------

  function checkInKey() {
    return `tandem:checkin:${ctx.sessionId()}:${ctx.participantId()}`;
  }

  function showCheckIn() {
    try {
      if (localStorage.getItem(checkInKey())) return;
    } catch (e) {
      /* no storage: ask anyway */
    }
    if (document.getElementById("checkin-card")) return;
    const card = el("form", { id: "checkin-card", class: "checkin-card", "aria-label": "Check-in" });
    const label = el("label", { id: "checkin-label", for: "checkin-goal" }, "What do you want from this session?");
    const input = el("textarea", { id: "checkin-goal", rows: "2", maxlength: String(GOAL_MAX), placeholder: "For example: a plan for my first month" });
    const error = el("p", { class: "checkin-error", role: "alert", hidden: "" });
    const actions = el("div", { class: "checkin-actions" });
    const save = el("button", { type: "submit", class: "button button-primary" }, "Save");
    const skip = el("button", { type: "button", class: "button button-secondary" }, "Not now");
    actions.append(save, skip);
    card.append(label, input, error, actions);
    const remember = () => {
      try {
        localStorage.setItem(checkInKey(), "1");
      } catch (e) {
        /* ignore */
      }
    };
    skip.addEventListener("click", () => {
      remember();
      card.remove();
    });
    card.addEventListener("submit", async (e) => {
      e.preventDefault();
      const goal = input.value.trim();
      if (!goal) {
        error.textContent = "Write a few words, or choose “Not now”.";
        error.hidden = false;
        input.focus();
        return;
      }
      save.disabled = true;
      const ack = await ctx.emit("check_in", { goal });
      save.disabled = false;
      if (ack && ack.ok) {
        remember();
        card.replaceChildren(el("p", { class: "checkin-done", role: "status" }, "Thanks, your goal is saved."));
        setTimeout(() => card.remove(), 2500);
      } else {
        error.textContent = (ack && ack.error && ack.error.message) || "Could not save it; try again.";
        error.hidden = false;
      }
    });
    document.getElementById("screen-call").append(card);
  }

  // -- participation (live overview) ---------------------------------------------------------

  async function refreshOverview() {
    const ack = await ctx.emit("attendance", {});
    if (!ack || !ack.ok) return;
    const report = ack.report;
    state.lastOverview = report;
    const everyone = report.people.length > 1 || ["mentor", "admin"].includes(ctx.role());
    panelTitle.textContent = everyone ? "Participation: everyone" : "Your participation";
    const me = report.people.find((p) => p.participant_ids.includes(ctx.participantId()));
    panelSummary.textContent = me
      ? `You: ${fmtMinutes(me.minutes_present)} here, ${fmtMinutes(me.speaking_minutes)} speaking` +
        (me.talk_share !== null ? ` (${Math.round(me.talk_share * 100)}% of the talk)` : "") + "."
      : "";
    renderTimeline(panelTimeline, report);
    renderTable(panelTable, report, { compact: true, caption: everyone ? "Everyone in this session" : "Your record" });
  }

  function openOverview() {
    panel.hidden = false;
    overviewButton.setAttribute("aria-expanded", "true");
    refreshOverview();
    clearInterval(state.overviewTimer);
    state.overviewTimer = setInterval(() => !document.hidden && refreshOverview(), OVERVIEW_MS);
  }

  function closeOverview() {
    panel.hidden = true;
    overviewButton.setAttribute("aria-expanded", "false");
    clearInterval(state.overviewTimer);
  }

  // -- rating after leaving --------------------------------------------------------------------

  function showRating() {
    const resume = ctx.resume();
    const sessionId = ctx.sessionId();
    if (!resume || !sessionId || document.getElementById("rating-form")) return;
    const card = document.querySelector("#screen-message .card");
    if (!card) return;
    const form = el("form", { id: "rating-form", class: "rating-form" });
    const fieldset = el("fieldset");
    fieldset.append(el("legend", {}, "How was this session?"));
    const stars = el("div", { class: "rating-choices" });
    for (let i = 1; i <= 5; i++) {
      const id = `rating-${i}`;
      const input = el("input", { type: "radio", name: "rating", id, value: String(i) });
      const label = el("label", { for: id }, `${i}`);
      label.title = ["", "Poor", "Fair", "Good", "Very good", "Excellent"][i];
      stars.append(input, label);
    }
    fieldset.append(stars, el("p", { class: "rating-scale" }, "1 = poor, 5 = excellent"));
    const commentLabel = el("label", { for: "rating-comment" }, "Anything to add? (optional)");
    const comment = el("textarea", { id: "rating-comment", rows: "2", maxlength: String(COMMENT_MAX) });
    const anonLabel = el("label", { class: "rating-anon" });
    const anon = el("input", { type: "checkbox", id: "rating-anonymous" });
    anonLabel.append(anon, document.createTextNode(" Send without my name"));
    const status = el("p", { class: "rating-status", role: "status" });
    const send = el("button", { type: "submit", class: "button button-primary" }, "Send rating");
    form.append(fieldset, commentLabel, comment, anonLabel, send, status);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const chosen = form.querySelector('input[name="rating"]:checked');
      if (!chosen) {
        status.textContent = "Choose a number from 1 to 5 first.";
        return;
      }
      send.disabled = true;
      let res;
      try {
        res = await fetch("/api/attendance/check-out", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            session_id: sessionId, resume, rating: Number(chosen.value),
            comment: comment.value.trim() || null, anonymous: anon.checked,
          }),
        });
      } catch (err) {
        send.disabled = false;
        status.textContent = "Tandem could not be reached; try again.";
        return;
      }
      if (res.ok || res.status === 409) {
        form.replaceChildren(el("p", { class: "rating-done", role: "status" },
          res.ok ? "Thank you for your feedback." : "You have already rated this session. Thank you."));
      } else {
        send.disabled = false;
        status.textContent = "Your rating could not be saved; try again.";
      }
    });
    card.append(form);
    // Another message (a refusal, a rejoin) replaces this screen: the form goes with it.
    const title = document.getElementById("message-title");
    const shown = title ? title.textContent : "";
    const watch = new MutationObserver(() => {
      if (title.textContent !== shown) {
        form.remove();
        watch.disconnect();
      }
    });
    if (title) watch.observe(title, { childList: true, characterData: true, subtree: true });
  }

  // -- the call page's hooks ---------------------------------------------------------------------

  return {
    /** After every successful join (first join and rejoins). */
    joined(ack) {
      mount();
      const socket = ctx.socket();
      if (socket && !state.sockets.has(socket)) {
        state.sockets.add(socket);
        socket.on("reaction", onReaction);
        socket.on("hand", onHand);
        socket.on("participant_left", onLeft);
      }
      // The server forgets a hand and speaking on rejoin; so do we.
      state.hands.clear();
      setOwnHand(false);
      if (!handPainter) handPainter = setInterval(() => state.hands.size && paintHands(), 1000);
      vad.stop();
      vad.start(ctx.stream(), () => ctx.micOn());
      if (!ack || !ack.rejoined) showCheckIn();
      if (!panel.hidden) refreshOverview();
    },
    /** The person left, or the session ended: offer the rating. */
    left() {
      vad.stop();
      closeOverview();
      closeMenu();
      closeMore();
      const card = document.getElementById("checkin-card");
      if (card) card.remove();
      showRating();
    },
    /** The call page stopped everything (left, ended, replaced, refused). */
    stop() {
      vad.stop();
      closeOverview();
      clearInterval(handPainter);
      handPainter = 0;
    },
  };
}
