// Tandem browser client: join page and call page. See docs/PROTOCOL.md for the wire protocol.
//
// Flow: read the token from the URL fragment -> POST /api/join/preview to greet the person ->
// camera preview and name -> socket.io connect (auth {token}) -> `join` -> call screen.

import { acquireMedia, acquireTrack, stopStream, MicMeter } from "./media.js";
import { PeerManager } from "./peers.js";
import { CallView } from "./call.js";
import { ChatPanel } from "./chat.js";
import { QualityMonitor } from "./quality.js";
import { setIcon } from "./icons.js";
import { refusal, NETWORK, roleSentence, mediaProblem } from "./messages.js";
import { install as installEngagement } from "./engagement.js";
import { install as installBreakouts } from "./breakouts.js";
import { install as installWhiteboard } from "./whiteboard.js";

const $ = (id) => document.getElementById(id);
const JOIN_TIMEOUT_MS = 10000;
const AUTO_REJOIN_MS = 10 * 60 * 1000; // a reload or reopened tab within this time goes straight back in
const HEARTBEAT_MS = 15000;

// ---------------------------------------------------------------------------------------------
// State

const app = {
  state: "loading", // loading | refused | join | joining | call | reconnecting | left | ended | replaced
  token: null,
  sessionId: null,
  preview: null, // POST /api/join/preview response
  session: null, // from the join ack
  participantId: null,
  role: null,
  name: "",
  resume: null,
  joinedOnce: false,
  socket: null,
  media: { stream: null, audioError: null, videoError: null },
  micOn: true,
  camOn: true,
  stopReason: null, // set when the server or the person ends this connection on purpose
  heartbeat: 0,
  reconnectTimer: 0,
  room: "main", // our room: media connections and chat are per room
  breakouts: null, // the current breakout round (PROTOCOL.md "Breakouts"), or null
  clockOffset: 0, // server time minus our clock, in seconds
  roomTimer: 0,
};

const view = new CallView();
const peers = new PeerManager({
  sendSignal: (msg) => {
    if (!app.socket || !app.socket.connected) return;
    app.socket.emit("signal", msg, (ack) => {
      if (ack && ack.ok === false && ack.error && ack.error.code !== "not_same_room") {
        console.warn("signal refused", ack.error);
      }
    });
  },
  onRemoteStream: (id, stream) => view.setRemoteStream(id, stream),
  onStateChange: (id, state) => view.setPeerState(id, state),
});
const chat = new ChatPanel({
  send: (text) => emitWithAck("chat", { text }),
  isVisible: () => chatVisible(),
});
const meter = new MicMeter($("mic-meter"));
const quality = new QualityMonitor(peers.connections, (id, info) => view.setQuality(id, info));
// What every feature module's install(ctx) is given about the call, beside its own entries.
const callContext = {
  socket: () => app.socket,
  participantId: () => app.participantId,
  role: () => app.role,
  emit: (event, payload) => emitWithAck(event, payload),
  announce: (text) => announce(text),
};
// Check-in, reactions, hand, voice activity, participation and rating: engagement.js.
const engagement = installEngagement({
  ...callContext,
  sessionId: () => app.sessionId,
  resume: () => app.resume,
  stream: () => app.media.stream,
  micOn: () => payload_audio(),
  nameOf: (id) => view.name(id),
});
// The mentor's breakout-room panel and the mentees' room chooser: breakouts.js.
const breakouts = installBreakouts({
  ...callContext,
  room: () => app.room,
  people: () => view.participants,
  notice: (text) => notice(text),
});
// The room's shared whiteboard: whiteboard.js, shown and hidden with the Whiteboard button.
const board = installWhiteboard({ ...callContext, container: $("whiteboard") });
$("ctl-board").addEventListener("click", () => {
  const open = $("whiteboard").hidden;
  $("whiteboard").hidden = !open;
  $("ctl-board").setAttribute("aria-pressed", String(open));
});

// Debug hook for tests and support: the peer connections can be asked for getStats().
window.tandem = {
  get participantId() {
    return app.participantId;
  },
  get state() {
    return app.state;
  },
  get socket() {
    return app.socket;
  },
  peers: peers.connections,
};

// ---------------------------------------------------------------------------------------------
// Screens

function showScreen(name) {
  for (const s of ["message", "join", "call"]) $(`screen-${s}`).hidden = s !== name;
  document.body.dataset.screen = name;
}

function focusHeading(id) {
  const h = $(id);
  if (!h) return;
  h.setAttribute("tabindex", "-1");
  h.focus({ preventScroll: true });
}

/** The single "can't continue / please wait" screen. actions: [{label, onClick, primary}] */
function showMessage({ title, body, code, actions = [], state }) {
  if (state) app.state = state;
  $("message-title").textContent = title;
  $("message-body").textContent = body || "";
  const codeEl = $("message-code");
  codeEl.hidden = !code;
  codeEl.textContent = code ? `For support: error code ${code}` : "";
  const box = $("message-actions");
  box.replaceChildren();
  for (const a of actions) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button " + (a.primary === false ? "button-secondary" : "button-primary");
    b.textContent = a.label;
    b.addEventListener("click", a.onClick);
    box.append(b);
  }
  showScreen("message");
  document.title = `${title} · Tandem`;
  focusHeading("message-title");
}

function showBanner(text) {
  const b = $("connection-banner");
  b.textContent = text || "";
  b.hidden = !text;
}

function announce(text) {
  const a = $("announcer");
  a.textContent = "";
  // A fresh text node in a later frame makes screen readers read repeated messages too.
  setTimeout(() => {
    a.textContent = text;
  }, 50);
}

function toast(text) {
  const box = $("toasts");
  const t = document.createElement("div");
  t.className = "toast";
  t.textContent = text;
  box.append(t);
  setTimeout(() => t.remove(), 5000);
  while (box.children.length > 3) box.firstElementChild.remove();
}

function notice(text) {
  // The chat log is a polite live region: when it is on screen it reads the notice out itself.
  const readByLog = chatVisible();
  chat.addNotice(text);
  toast(text);
  if (!readByLog) announce(text);
}

// ---------------------------------------------------------------------------------------------
// Saved resume token (per session), so a reload or a reopened tab is the same participant.

function storageKey() {
  return `tandem:session:${app.sessionId}`;
}

function loadSaved() {
  try {
    const raw = localStorage.getItem(storageKey());
    return raw ? JSON.parse(raw) : null;
  } catch (e) {
    return null;
  }
}

function save(extra = {}) {
  if (!app.sessionId) return;
  const data = {
    resume: app.resume,
    participantId: app.participantId,
    role: app.role,
    name: app.name,
    audio: app.micOn,
    video: app.camOn,
    left: false,
    lastSeen: Date.now(),
    ...extra,
  };
  try {
    localStorage.setItem(storageKey(), JSON.stringify(data));
  } catch (e) {
    /* private mode or full storage: resuming just won't work */
  }
}

function forget() {
  try {
    localStorage.removeItem(storageKey());
  } catch (e) {
    /* ignore */
  }
}

// ---------------------------------------------------------------------------------------------
// Start: token -> preview

async function start() {
  const match = /^\/s\/([^/]+)\/?$/.exec(location.pathname);
  app.sessionId = match ? decodeURIComponent(match[1]) : null;
  app.token = new URLSearchParams(location.hash.replace(/^#/, "")).get("token");

  if (!app.token) {
    const r = refusal("token_missing");
    showMessage({ ...r, state: "refused" });
    return;
  }

  showMessage({ title: "Opening your session…", body: "Just a moment.", state: "loading" });
  let preview;
  try {
    const res = await fetch("/api/join/preview", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: app.token }),
      cache: "no-store",
    });
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!res.ok) {
      const err = (body && body.error) || {};
      showRefusal(err.code || `http_${res.status}`, err.message);
      return;
    }
    preview = body;
  } catch (e) {
    showMessage({
      ...NETWORK,
      state: "refused",
      actions: [{ label: "Try again", onClick: () => start() }],
    });
    return;
  }

  app.preview = preview;
  app.role = preview.role;
  if (preview.session_id) app.sessionId = preview.session_id;
  if (preview.state === "ended") {
    showRefusal("session_ended");
    return;
  }
  document.title = `${preview.title || "Session"} · Tandem`;

  const saved = loadSaved();
  const usable = saved && saved.resume && (!saved.role || saved.role === preview.role);
  if (usable) {
    app.resume = saved.resume;
    app.participantId = saved.participantId || null;
  }
  app.name = (usable && saved.name) || preview.name || "";
  if (usable) {
    app.micOn = saved.audio !== false;
    app.camOn = saved.video !== false;
  }

  if (usable && !saved.left && Date.now() - (saved.lastSeen || 0) < AUTO_REJOIN_MS) {
    await autoRejoin();
  } else {
    await showJoin();
  }
}

function showRefusal(code, message) {
  const r = refusal(code, message);
  stopEverything();
  if (code === "session_ended" || code === "token_invalid" || code === "session_not_found") forget();
  const retryable = code === "session_full" || code === "rate_limited" || !REFUSALS_FINAL.has(code);
  showMessage({
    ...r,
    state: code === "session_ended" ? "ended" : "refused",
    actions: retryable ? [{ label: "Try again", onClick: () => location.reload() }] : [],
  });
}

// Refusals that trying again cannot fix.
const REFUSALS_FINAL = new Set([
  "token_missing",
  "token_invalid",
  "token_expired",
  "session_not_found",
  "session_ended",
  "not_allowed",
]);

// ---------------------------------------------------------------------------------------------
// Join screen

const isObserver = () => app.role === "observer";
const hasTrack = (kind) =>
  !!app.media.stream && (kind === "audio" ? app.media.stream.getAudioTracks() : app.media.stream.getVideoTracks()).length > 0;

async function showJoin() {
  app.state = "join";
  const p = app.preview;
  $("join-title").textContent = p.title || "Mentoring session";
  $("join-role").textContent = (p.name ? `Hello ${p.name}. ` : "") + roleSentence(p.role);
  const goal = $("join-goal");
  goal.hidden = !p.goal;
  goal.textContent = p.goal ? `Goal: ${p.goal}` : "";
  $("name-input").value = app.name;
  $("join-error").hidden = true;
  showScreen("join");
  focusHeading("join-title");

  document.querySelector(".join-layout").classList.toggle("no-preview", isObserver());
  document.querySelector(".join-preview").hidden = isObserver();
  if (isObserver()) {
    $("media-problem").hidden = true;
    updateJoinButton();
    return;
  }
  await startPreview();
}

async function startPreview() {
  const btn = $("join-button");
  btn.disabled = true;
  btn.textContent = "Starting your camera…";
  stopStream(app.media.stream);
  meter.stop();
  app.media = await acquireMedia();
  $("preview-video").srcObject = app.media.stream;
  applyTrackState();
  renderMediaProblem();
  if (hasTrack("audio")) meter.start(app.media.stream);
  btn.disabled = false;
  updateJoinButton();
}

function renderMediaProblem() {
  const { audioError, videoError } = app.media;
  const box = $("media-problem");
  let text = "";
  if (audioError && videoError) {
    text = mediaProblem("both", videoError) + " You can still join to watch, listen and chat.";
  } else if (videoError) {
    text = mediaProblem("video", videoError) + " You can join with your microphone only.";
  } else if (audioError) {
    text = mediaProblem("audio", audioError) + " You can join with your camera only, and use the chat to talk.";
  }
  $("media-problem-text").textContent = text;
  box.hidden = !text;
}

function updateJoinButton() {
  const btn = $("join-button");
  if (isObserver()) btn.textContent = "Join to watch";
  else if (hasTrack("audio") && hasTrack("video")) btn.textContent = "Join now";
  else if (hasTrack("audio")) btn.textContent = "Join with microphone only";
  else if (hasTrack("video")) btn.textContent = "Join with camera only";
  else btn.textContent = "Join to watch and chat";
}

// Apply micOn/camOn to the tracks and to every toggle button (join screen and call screen).
function applyTrackState() {
  const stream = app.media.stream;
  if (stream) {
    for (const t of stream.getAudioTracks()) t.enabled = app.micOn;
    for (const t of stream.getVideoTracks()) t.enabled = app.camOn;
  }
  const audio = hasTrack("audio");
  const video = hasTrack("video");
  renderToggle($("preview-mic"), "mic", audio, app.micOn);
  renderToggle($("preview-cam"), "cam", video, app.camOn);
  renderToggle($("ctl-mic"), "mic", audio, app.micOn, true);
  renderToggle($("ctl-cam"), "cam", video, app.camOn, true);
  $("preview-tile").classList.toggle("tile-camoff", !video || !app.camOn);
  const av = document.querySelector("#preview-avatar span");
  av.textContent = initialsOf($("name-input").value || app.name);
  const observer = isObserver();
  $("ctl-mic").hidden = observer;
  $("ctl-cam").hidden = observer;
}

// Call-screen buttons are "Mute" (pressed = muted); join-screen buttons say what is on.
function renderToggle(button, kind, available, on, callStyle = false) {
  const label = button.querySelector(".control-label");
  const noun = kind === "mic" ? "microphone" : "camera";
  button.disabled = !available;
  button.classList.toggle("control-off", !available || !on);
  setIcon(button, !available || !on ? (kind === "mic" ? "micOff" : "camOff") : kind === "mic" ? "mic" : "cam");
  if (!available && callStyle) {
    // In the call, a missing device shows as off; pressing the button asks for it again.
    button.disabled = false;
    button.setAttribute("aria-label", kind === "mic" ? "Mute microphone" : "Turn camera off");
    label.textContent = kind === "mic" ? "Mute" : "Camera off";
    button.setAttribute("aria-pressed", "true");
    button.title = `Your ${noun} is not in use: press to try to turn it on`;
    return;
  }
  if (!available) {
    label.textContent = kind === "mic" ? "No microphone" : "No camera";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", `No ${noun} available`);
    return;
  }
  if (callStyle) {
    // Toggle buttons keep one name (containing the visible text); aria-pressed tells the state,
    // and the pressed look (light button, crossed-out icon) and the tooltip show it.
    button.setAttribute("aria-label", kind === "mic" ? "Mute microphone" : "Turn camera off");
    label.textContent = kind === "mic" ? "Mute" : "Camera off";
    button.setAttribute("aria-pressed", String(!on));
    button.title =
      kind === "mic"
        ? on ? "Mute your microphone (M)" : "Your microphone is muted: press to unmute (M)"
        : on ? "Turn your camera off (V)" : "Your camera is off: press to turn it on (V)";
  } else {
    label.textContent = `${kind === "mic" ? "Microphone" : "Camera"} ${on ? "on" : "off"}`;
    button.setAttribute("aria-label", kind === "mic" ? "Microphone" : "Camera");
    button.setAttribute("aria-pressed", String(on));
  }
}

function initialsOf(name) {
  const parts = String(name || "").trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return "";
  return ((Array.from(parts[0])[0] || "") + (parts.length > 1 ? Array.from(parts[parts.length - 1])[0] || "" : "")).toUpperCase();
}

$("preview-mic").addEventListener("click", () => {
  app.micOn = !app.micOn;
  applyTrackState();
});
$("preview-cam").addEventListener("click", () => {
  app.camOn = !app.camOn;
  applyTrackState();
});
$("media-retry").addEventListener("click", () => startPreview());
$("name-input").addEventListener("input", () => {
  $("name-error").hidden = true;
  $("name-input").removeAttribute("aria-invalid");
  applyTrackState();
});

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("name-input");
  const name = input.value.trim();
  if (!name && !app.preview.name) {
    showNameError("Please type your name, so the others know who you are.");
    return;
  }
  if (name.length > 60) {
    showNameError("Please use a shorter name (60 characters at most).");
    return;
  }
  app.name = name || app.preview.name;
  meter.stop();
  app.state = "joining";
  $("join-button").disabled = true;
  $("join-button").textContent = "Joining…";
  connect();
});

function showNameError(text) {
  const el = $("name-error");
  el.textContent = text;
  el.hidden = false;
  $("name-input").setAttribute("aria-invalid", "true");
  $("name-input").focus();
}

function joinFailedOnJoinScreen(text) {
  app.state = "join";
  const el = $("join-error");
  el.textContent = text;
  el.hidden = false;
  $("join-button").disabled = false;
  updateJoinButton();
}

async function autoRejoin() {
  app.state = "joining";
  showMessage({ title: "Taking you back to your session…", body: app.preview.title || "", state: "joining" });
  if (!isObserver()) {
    app.media = await acquireMedia();
    if (!app.media.stream) {
      // The camera and microphone worked before and don't now: let the person see why.
      await showJoin();
      return;
    }
    applyTrackState();
  }
  connect();
}

// ---------------------------------------------------------------------------------------------
// Socket.IO connection

function connect() {
  if (app.socket) {
    app.socket.removeAllListeners();
    app.socket.disconnect();
  }
  app.stopReason = null;
  // eslint-disable-next-line no-undef
  const socket = io(location.origin, {
    auth: { token: app.token },
    transports: ["websocket", "polling"],
    tryAllTransports: true, // fall back to long-polling where websockets are blocked
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
  });
  app.socket = socket;

  socket.on("connect", () => sendJoin());
  socket.on("connect_error", (err) => {
    if (err && err.data && err.data.code) {
      // Refused by the server: retrying would not help.
      socket.disconnect();
      showRefusal(err.data.code, err.data.message || err.message);
      return;
    }
    if (app.state === "call" || app.state === "reconnecting") {
      app.state = "reconnecting";
      showBanner("Connection lost. Reconnecting…");
    } else if (app.state === "joining") {
      if ($("screen-join").hidden) {
        showMessage({
          title: "Trying to connect…",
          body: "We can't reach Tandem at the moment. Check your internet connection; we keep trying.",
          state: "joining",
        });
      } else {
        $("join-error").textContent = "We can't reach Tandem at the moment. Check your internet connection; we keep trying.";
        $("join-error").hidden = false;
      }
    }
  });
  socket.on("disconnect", (reason) => onDisconnect(reason));

  // Presence events come for the whole session; media connections only within our room.
  socket.on("participant_joined", ({ participant } = {}) => {
    if (!participant || participant.id === app.participantId) return;
    view.upsert(participant);
    if (!view.inRoom(participant)) return;
    peers.expect(participant.id);
    notice(`${participant.name} joined`);
  });
  socket.on("participant_rejoined", ({ participant } = {}) => {
    if (!participant || participant.id === app.participantId) return;
    view.upsert(participant);
    if (!view.inRoom(participant)) {
      peers.close(participant.id);
      return;
    }
    peers.expect(participant.id);
    notice(`${participant.name} is back`);
  });
  socket.on("participant_left", ({ participant_id: id, reason } = {}) => {
    if (!id || id === app.participantId) return;
    const name = view.name(id);
    const wasHere = view.inRoom(view.participants.get(id));
    peers.close(id);
    view.markGone(id, reason);
    if (wasHere) notice(reason === "disconnected" ? `${name} lost connection` : `${name} left`);
  });
  socket.on("participant_moved", ({ participant, from_room: from } = {}) => {
    if (!participant) return;
    if (participant.id === app.participantId) return; // room_changed follows for us
    view.upsert(participant);
    if (view.inRoom(participant)) {
      peers.expect(participant.id); // the newcomer offers
      notice(`${participant.name} joined ${view.roomName(app.room)}`);
    } else if ((from || "main") === app.room) {
      peers.close(participant.id);
      notice(`${participant.name} went to ${view.roomName(participant.room)}`);
    }
  });
  socket.on("room_changed", ({ room, chat: history } = {}) => {
    if (!room || !room.id) return;
    if (room.name) view.roomNames.set(room.id, room.name);
    app.room = room.id;
    peers.closeAll();
    view.setRoom(room.id);
    chat.setHistory(history, app.participantId);
    // We are the newcomer in this room: we offer to everyone connected here.
    for (const p of view.participants.values()) {
      if (p.id !== app.participantId && p.state === "connected" && view.inRoom(p)) peers.call(p.id);
    }
    renderRoomStatus();
    notice(`You are now in ${view.roomName(room.id)}`);
  });
  socket.on("breakouts", ({ breakouts } = {}) => applyBreakouts(breakouts));
  socket.on("breakout_warning", ({ seconds_left: left } = {}) => {
    const minutes = Math.max(1, Math.round((Number(left) || 60) / 60));
    notice(`About ${minutes} minute${minutes === 1 ? "" : "s"} left in the breakout rooms.`);
  });
  socket.on("participant_updated", ({ participant } = {}) => {
    if (!participant) return;
    if (participant.id === app.participantId) {
      view.upsert({ ...participant, audio: app.micOn && hasTrack("audio"), video: app.camOn && hasTrack("video") });
    } else {
      view.upsert(participant);
    }
  });
  socket.on("chat", ({ message } = {}) => chat.addMessage(message));
  socket.on("signal", (msg) => peers.handleSignal(msg));
  socket.on("replaced", () => {
    app.stopReason = "replaced";
    stopEverything();
    showMessage({
      title: "You opened this session somewhere else",
      body: "This session is now open in another tab or window, so this one has been disconnected. Close this tab, or use this one instead.",
      state: "replaced",
      actions: [{ label: "Use this tab instead", onClick: () => location.reload() }],
    });
  });
  socket.on("session_ended", () => {
    app.stopReason = "ended";
    stopEverything();
    forget();
    showMessage({
      title: "The session has ended",
      body: "Thank you for taking part. You can close this page.",
      state: "ended",
    });
    engagement.left();
    board.left();
  });
}

function sendJoin(retryWithoutResume = true) {
  const socket = app.socket;
  const payload = {
    audio: !isObserver() && hasTrack("audio") && app.micOn,
    video: !isObserver() && hasTrack("video") && app.camOn,
  };
  if (app.name) payload.name = app.name;
  if (app.resume) payload.resume = app.resume;
  socket.timeout(JOIN_TIMEOUT_MS).emit("join", payload, (err, ack) => {
    if (socket !== app.socket) return; // an older connection
    if (err) {
      // No answer in time: the connection is probably broken. Start a fresh one.
      showBanner(app.joinedOnce ? "Connection lost. Reconnecting…" : "");
      socket.disconnect();
      clearTimeout(app.reconnectTimer);
      app.reconnectTimer = setTimeout(() => socket === app.socket && socket.connect(), 1000);
      return;
    }
    if (!ack || !ack.ok) {
      const error = (ack && ack.error) || {};
      onJoinRefused(error, payload, retryWithoutResume);
      return;
    }
    onJoined(ack);
  });
}

function onJoinRefused(error, payload, retryWithoutResume) {
  const code = error.code;
  if (code === "invalid_payload" && payload.resume && retryWithoutResume) {
    // The saved resume token is no longer accepted: join as a new participant.
    app.resume = null;
    forget();
    sendJoin(false);
    return;
  }
  if (code === "rate_limited") {
    setTimeout(() => app.socket && app.socket.connected && sendJoin(retryWithoutResume), 2000);
    return;
  }
  if (code === "already_joined") {
    app.socket.disconnect();
    app.socket.connect();
    return;
  }
  app.socket.disconnect();
  if (code === "invalid_payload" && !app.joinedOnce) {
    if (!$("screen-join").hidden || app.state === "joining") {
      showJoin().then(() => joinFailedOnJoinScreen(error.message || "Please check your name and try again."));
      return;
    }
  }
  showRefusal(code, error.message);
}

function onJoined(ack) {
  const first = !app.joinedOnce;
  const me = ack.participant;
  const samePerson = app.participantId === me.id;
  app.participantId = me.id;
  app.resume = ack.resume || app.resume;
  app.session = ack.session || app.session;
  app.name = me.name;
  app.role = me.role;
  app.joinedOnce = true;
  app.state = "call";
  save();
  startHeartbeat();
  showBanner("");

  const title = (app.session && app.session.title) || (app.preview && app.preview.title) || "Session";
  $("call-title").textContent = title;
  $("call-subtitle").textContent = app.session && app.session.goal ? app.session.goal : "";
  document.title = `${title} · Tandem`;

  const self = { ...me, audio: payload_audio(), video: payload_video() };
  const participants = (ack.participants || []).map((p) => (p.id === me.id ? self : p));
  if (!participants.some((p) => p.id === me.id)) participants.push(self);

  app.room = (ack.room && ack.room.id) || me.room || "main";
  if (ack.room && ack.room.name) view.roomNames.set(ack.room.id, ack.room.name);
  if (typeof ack.server_time === "number") app.clockOffset = ack.server_time - Date.now() / 1000;
  app.breakouts = null;
  if (ack.breakouts) applyBreakouts(ack.breakouts, { quiet: true });

  peers.closeAll();
  peers.configure({ selfId: me.id, iceServers: ack.ice_servers, localStream: app.media.stream });
  view.reset(me.id, participants, app.media.stream, app.room);
  if (first || !samePerson) chat.setHistory(ack.chat, me.id);
  else for (const m of ack.chat || []) chat.addMessage(m);
  chat.setEnabled(true);
  applyTrackState();

  if (first) {
    showScreen("call");
    focusHeading("call-title");
  }
  const others = participants.filter((p) => p.id !== me.id && p.state === "connected" && view.inRoom(p));
  for (const p of others) peers.call(p.id);
  quality.start();
  engagement.joined(ack);
  breakouts.joined(ack);
  board.joined(ack);
  renderRoomStatus();

  if (first) {
    const n = others.length;
    announce(
      `You joined ${title}. ` +
        (n === 0 ? "Nobody else is here yet." : n === 1 ? `${others[0].name} is here.` : `${n} others are here.`),
    );
    if (ack.rejoined) chat.addNotice("You are back in the session.");
  } else {
    notice("You are back in the session.");
  }
}

const payload_audio = () => !isObserver() && hasTrack("audio") && app.micOn;
const payload_video = () => !isObserver() && hasTrack("video") && app.camOn;

function onDisconnect(reason) {
  clearInterval(app.heartbeat);
  if (app.stopReason) return; // replaced, ended or left: already handled
  peers.closeAll();
  if (reason === "io client disconnect") return; // our own disconnect() call
  if (!app.joinedOnce) return;
  app.state = "reconnecting";
  showBanner("Connection lost. Reconnecting…");
  announce("Connection lost. Reconnecting.");
  chat.setEnabled(false);
  if (reason === "io server disconnect") {
    // The server closed this connection without saying why: try once more after a pause.
    clearTimeout(app.reconnectTimer);
    const socket = app.socket;
    app.reconnectTimer = setTimeout(() => socket === app.socket && !app.stopReason && socket.connect(), 2000);
  }
}

function emitWithAck(event, payload, timeout = 8000) {
  return new Promise((resolve) => {
    const socket = app.socket;
    if (!socket || !socket.connected) {
      resolve({ ok: false, error: { code: "timeout", message: "Not connected" } });
      return;
    }
    socket.timeout(timeout).emit(event, payload, (err, ack) => {
      if (err) resolve({ ok: false, error: { code: "timeout", message: "No answer from the server" } });
      else resolve(ack || { ok: false, error: { code: "unknown" } });
    });
  });
}

function startHeartbeat() {
  clearInterval(app.heartbeat);
  app.heartbeat = setInterval(() => app.state === "call" && save(), HEARTBEAT_MS);
}

window.addEventListener("pagehide", () => {
  if (app.state === "call" || app.state === "reconnecting") save();
});

// ---------------------------------------------------------------------------------------------
// Breakout rooms (the participant's side: where am I, how long is left, ask for help)

function applyBreakouts(b, { quiet = false } = {}) {
  const before = app.breakouts;
  app.breakouts = b && b.state !== "closed" ? b : null;
  for (const r of (b && b.rooms) || []) if (r.id && r.name) view.roomNames.set(r.id, r.name);
  if (!quiet && b && before && before.state !== "closing" && b.state === "closing" && app.room !== "main") {
    const seconds = b.closing_ends_at ? Math.max(0, Math.round(b.closing_ends_at - serverNow())) : null;
    notice(
      "The breakout rooms are closing" +
        (seconds ? `: everyone goes back to the main room in ${seconds} seconds.` : "."),
    );
  }
  view.render();
  renderRoomStatus();
}

const serverNow = () => Date.now() / 1000 + app.clockOffset;

function formatLeft(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m}:${String(s % 60).padStart(2, "0")}`;
}

// The room we are in and the time left (visible text only: the spoken warnings are notices).
function renderRoomStatus() {
  renderRoomStatusText();
  const b = app.breakouts;
  const inBreakout = app.room !== "main";
  // Observers watch: the server refuses their help requests (not_allowed), so they get no button.
  const canAsk = !!b && b.state === "open" && inBreakout && app.role === "mentee";
  const help = $("ctl-help");
  help.hidden = !canAsk;
  const asked = !!b && (b.help || []).some((h) => h.participant_id === app.participantId);
  help.setAttribute("aria-pressed", String(asked));
  help.querySelector(".control-label").textContent = asked ? "Help asked" : "Ask for help";
  help.title = asked ? "Your mentor has been asked to come. Press to withdraw." : "Ask your mentor to come to this room";

  clearInterval(app.roomTimer);
  if (b && (b.ends_at || b.closing_ends_at)) app.roomTimer = setInterval(renderRoomStatusText, 1000);
}

// Also run once a second while a countdown is on.
function renderRoomStatusText() {
  const b = app.breakouts;
  const el = $("room-status");
  const inBreakout = app.room !== "main";
  let text = inBreakout ? view.roomName(app.room) : b && b.state === "open" ? "Main room" : "";
  if (b && b.state === "open" && b.ends_at) text += ` · ${formatLeft(b.ends_at - serverNow())} left`;
  if (b && b.state === "closing" && b.closing_ends_at && inBreakout) {
    text += ` · back to the main room in ${formatLeft(b.closing_ends_at - serverNow())}`;
  }
  el.textContent = text;
  el.hidden = !text;
  if (!b) clearInterval(app.roomTimer);
}

$("ctl-help").addEventListener("click", async () => {
  const asked = $("ctl-help").getAttribute("aria-pressed") === "true";
  const ack = await emitWithAck(asked ? "help_withdraw" : "help_request", {});
  if (ack && ack.ok && ack.breakouts) applyBreakouts(ack.breakouts, { quiet: true });
  else if (ack && ack.error) showCallAlert(ack.error.message || "That didn't work. Try again.");
  if (ack && ack.ok) announce(asked ? "Help request withdrawn" : "Your mentor has been asked to come to your room");
});

// ---------------------------------------------------------------------------------------------
// Call controls

function sendMediaState() {
  if (!app.joinedOnce) return;
  const state = { audio: payload_audio(), video: payload_video() };
  const me = view.participants.get(app.participantId);
  if (me) view.upsert({ ...me, ...state });
  save();
  emitWithAck("media_state", state).then((ack) => {
    if (ack && ack.ok === false && ack.error && ack.error.code !== "timeout") console.warn("media_state", ack.error);
  });
}

$("ctl-mic").addEventListener("click", () => {
  if (!hasTrack("audio")) {
    turnOnMissing("audio");
    return;
  }
  app.micOn = !app.micOn;
  applyTrackState();
  sendMediaState();
  announce(app.micOn ? "Microphone on" : "Microphone muted");
});
$("ctl-cam").addEventListener("click", () => {
  if (!hasTrack("video")) {
    turnOnMissing("video");
    return;
  }
  app.camOn = !app.camOn;
  applyTrackState();
  sendMediaState();
  announce(app.camOn ? "Camera on" : "Camera off");
});
// Someone joined without a microphone or camera (blocked, missing or busy) and now wants it.
async function turnOnMissing(kind) {
  const button = kind === "audio" ? $("ctl-mic") : $("ctl-cam");
  if (button.dataset.busy === "1") return;
  button.dataset.busy = "1";
  showCallAlert("");
  try {
    const track = await acquireTrack(kind);
    if (app.state !== "call" && app.state !== "reconnecting") {
      track.stop();
      return;
    }
    let stream = app.media.stream;
    if (!stream) {
      stream = new MediaStream();
      app.media.stream = stream;
    }
    stream.addTrack(track);
    if (kind === "audio") app.micOn = true;
    else app.camOn = true;
    applyTrackState();
    view.setLocalStream(stream);
    await peers.addLocalTrack(track, stream);
    sendMediaState();
    announce(kind === "audio" ? "Microphone on" : "Camera on");
  } catch (e) {
    showCallAlert(mediaProblem(kind, e));
  } finally {
    delete button.dataset.busy;
  }
}

function showCallAlert(text) {
  $("call-alert-text").textContent = text;
  $("call-alert").hidden = !text;
}
$("call-alert-close").addEventListener("click", () => showCallAlert(""));

$("ctl-leave").addEventListener("click", () => leave());
setIcon($("ctl-leave"), "leave");
setIcon($("ctl-board"), "board");
setIcon($("ctl-help"), "hand");

async function leave() {
  app.stopReason = "left";
  $("ctl-leave").disabled = true;
  await emitWithAck("leave", {}, 3000);
  save({ left: true });
  stopEverything();
  $("ctl-leave").disabled = false;
  showMessage({
    title: "You left the session",
    body: "Thank you for taking part. If you left by mistake, you can go back in.",
    state: "left",
    actions: [{ label: "Rejoin the session", onClick: () => location.reload() }],
  });
  engagement.left();
  board.left();
}

function stopEverything() {
  clearInterval(app.heartbeat);
  clearTimeout(app.reconnectTimer);
  clearInterval(app.roomTimer);
  if (app.socket) {
    app.socket.removeAllListeners();
    app.socket.disconnect();
  }
  peers.closeAll();
  quality.stop();
  engagement.stop();
  breakouts.stop();
  board.stop();
  meter.stop();
  stopStream(app.media.stream);
  app.media = { stream: null, audioError: null, videoError: null };
  showBanner("");
}

// Keyboard shortcuts in the call (not while typing): M = mute, V = camera.
document.addEventListener("keydown", (e) => {
  if (app.state !== "call" || e.ctrlKey || e.metaKey || e.altKey) return;
  const tag = (e.target && e.target.tagName) || "";
  if (tag === "INPUT" || tag === "TEXTAREA" || (e.target && e.target.isContentEditable)) return;
  if (e.key === "m" || e.key === "M") $("ctl-mic").click();
  else if (e.key === "v" || e.key === "V") $("ctl-cam").click();
});

// ---------------------------------------------------------------------------------------------
// Side panel: on narrow screens People and Chat are tabs; on wide screens both are shown.

const narrow = window.matchMedia("(max-width: 820px)");
let activeTab = "chat";

function chatVisible() {
  return !$("panel-chat").hidden && document.visibilityState === "visible" && app.state === "call";
}

function renderTabs() {
  const isNarrow = narrow.matches;
  for (const [tab, panel, name] of [
    ["tab-people", "panel-people", "people"],
    ["tab-chat", "panel-chat", "chat"],
  ]) {
    const open = !isNarrow || activeTab === name;
    $(panel).hidden = !open;
    $(tab).setAttribute("aria-expanded", String(open));
    $(tab).classList.toggle("tab-active", isNarrow && open);
  }
  if (chatVisible()) chat.markRead();
}
$("tab-people").addEventListener("click", () => {
  activeTab = "people";
  renderTabs();
});
$("tab-chat").addEventListener("click", () => {
  activeTab = "chat";
  renderTabs();
  $("chat-input").focus();
});
narrow.addEventListener("change", renderTabs);
document.addEventListener("visibilitychange", () => chatVisible() && chat.markRead());
renderTabs();

window.addEventListener("hashchange", () => location.reload());

start();
