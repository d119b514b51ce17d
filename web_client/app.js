// Tandem's call page. The flow: the token from `#token=…` (then out of the address bar and kept
// for the tab: screens/link.js) -> POST /api/join/preview to greet the person -> camera preview
// and name -> socket.io connect with the token -> `join` (features/session/joining.js) -> the call;
// reconnects, `replaced`, `session_ended`, leave. The wire protocol is docs/PROTOCOL.md.
//
// The core (core/) holds the connection, the event routing and the store; each feature
// (features/<name>/, call/) installs itself here and talks only through those and its imports.

import { CLIENT_EVENTS, SERVER_EVENTS } from "./core/events.js";
import { Dispatcher } from "./core/dispatcher.js";
import { Transport } from "./core/transport.js";
import { Store, followServer, sendsNoMedia } from "./core/store.js";
import { Replay } from "./core/replay.js";
import { LocalMedia } from "./call/local_media.js";
import { installCall } from "./call/call.js";
import { ChatPanel } from "./features/chat/view.js";
import { installPeople } from "./features/people/view.js";
import { installBreakouts } from "./features/breakouts/install.js";
import { installEngagement } from "./features/engagement/install.js";
import { installWhiteboard } from "./features/whiteboard/view.js";
import { installScreenShare } from "./features/screen/view.js";
import { installDevices } from "./features/devices/install.js";
import { installCaptions } from "./features/captions/install.js";
import { installModeration } from "./features/moderation/install.js";
import { installProgramme } from "./features/programme/install.js";
import { installShortcuts } from "./features/shortcuts/view.js";
import { installSessionEnding } from "./features/session/ending.js";
import { installJoining } from "./features/session/joining.js";
import { WORDS as MODERATION_WORDS } from "./features/moderation/state.js";
import { announce, showBanner, toast } from "./ui/announce.js";
import { byId, el } from "./ui/dom.js";
import { network, refusal } from "./ui/wording.js";
import { focusHeading, showMessage, showScreen } from "./screens/message.js";
import { createJoinScreen } from "./screens/join.js";
import { createCallControls, createSidebar, showCallAlert } from "./screens/call_screen.js";
import { renderToggles } from "./screens/toggles.js";
import { dropStale, forget, linkIsDead, linkOwner, loadSaved, resumePlan, save } from "./screens/saved.js";
import { forgetPageLink, takePageLink } from "./screens/link.js";
import { exposeTestHooks } from "./test_hooks.js";
import { applyDisplay, displayOptions, installDisplayDialog } from "./features/display/view.js";
import { loadLanguage, t } from "./ui/i18n.js";

// The link's token leaves the address bar at once; this tab keeps it for a reload (screens/link.js).
const link = takePageLink();
// The catalogue of the person's language first: everything below speaks through it (ui/i18n.js).
await loadLanguage();
applyDisplay();
byId("join-display-slot").append(displayOptions("join-display"));

/** @typedef {import("./core/types.js").JoinAck} JoinAck */

const HEARTBEAT_MS = 15000;
// Refusals that trying again cannot fix.
const REFUSALS_FINAL = new Set(["token_missing", "token_invalid", "token_expired", "session_not_found", "session_ended", "not_allowed"]);

const page = {
  /** loading | refused | join | joining | waiting | call | reconnecting | left | ended | replaced */
  state: "loading",
  /** @type {string | null} */ token: null,
  /** @type {string | null} */ sessionId: null,
  /** @type {any} the POST /api/join/preview answer */ preview: null,
  /** @type {{title?: string, goal?: string} | null} */ session: null,
  /** @type {string | null} */ participantId: null,
  /** @type {string | null} */ role: null,
  name: "",
  /** @type {string | null} */ resume: null,
  /** whose link this page was opened with (saved.js `linkOwner`) */ owner: "",
  joinedOnce: false,
  /** @type {string | null} set when the server or the person ends this connection on purpose */ stopReason: null,
  heartbeat: 0,
};

const store = new Store();
const dispatcher = new Dispatcher();
const transport = new Transport({ io: /** @type {any} */ (window).io, url: location.origin, dispatcher });
const media = new LocalMedia();
// The store follows the server first: every feature's handlers then see it up to date.
followServer(store, dispatcher);
/** @type {import("./core/types.js").ChatMessage[]} the chat of the last join acknowledgement */
let joinChat = [];
// Missed chat, captions and board updates after a reconnect; when they are no longer kept the
// room is loaded again: its chat from the join acknowledgement (room_changed brings its own),
// the board by its sync on every join and move, captions marked as possibly incomplete.
const replay = new Replay({
  store, dispatcher, transport,
  gone: (_room, how) => {
    if (how === "join") chat.addMessages(joinChat);
    captions.mayBeIncomplete();
  },
  reconnect: () => transport.reconnectNow(),
});

const sidebar = createSidebar({ callShown: () => page.state === "call", chatRead: () => chat.markRead() });
// The chat before the call: a room's history goes in before the call's "You are now in" notice.
const chat = new ChatPanel({ store, dispatcher, transport, isVisible: () => sidebar.chatVisible() });
const call = installCall({ store, dispatcher, transport, notice, onScreens: () => screenShare.screensChanged() });
const people = installPeople(store, { rowExtras: (p) => moderation.rowActions(p) });
const breakouts = installBreakouts({ store, dispatcher, transport, announce, notice, alert: showCallAlert });
const engagement = installEngagement({
  store, dispatcher, transport, announce,
  showReaction: (id, emoji) => call.grid.showReaction(id, emoji),
  sessionId: () => page.sessionId,
  resume: () => page.resume,
});
const screenShare = installScreenShare({ store, dispatcher, transport, call, notice, announce, alert: showCallAlert });
const captions = installCaptions({
  store, dispatcher, transport, notice, announce, alert: showCallAlert,
  sessionId: () => page.sessionId,
  resume: () => page.resume,
  micOn: () => media.sending().audio,
});
const moderation = installModeration({
  store, dispatcher, transport, notice, announce, alert: showCallAlert,
  rerenderPeople: () => people.render(),
  turnOff(kind) {
    if (kind === "audio") media.micOn = false;
    else media.camOn = false;
    toggles();
    sendMediaState();
  },
});
// A programme's personal link: a mentor's mentees' goals, the fit question after the first session.
const programme = installProgramme({
  token: () => page.token,
  personal: () => !!(page.preview && page.preview.name),
  resume: () => page.resume,
  sessionId: () => page.sessionId,
  participantId: () => page.participantId,
  role: () => page.role,
  showMentees: (mentees) => people.showMentees(mentees),
  announce,
});
// My microphone and camera buttons follow a mentor's lock on them.
store.subscribe("participants", () => page.joinedOnce && toggles());
// The room's shared whiteboard, shown and hidden with the Whiteboard button.
const board = installWhiteboard({
  container: byId("whiteboard"), transport, dispatcher, participantId: () => store.me.id, announce,
  nameOf: (id) => {
    const p = store.participants.get(id);
    return p ? p.name : null;
  },
});
const devices = installDevices({
  store, media, call, notice, announce, alert: showCallAlert,
  inCall: () => page.joinedOnce && (page.state === "call" || page.state === "reconnecting"),
  localChanged(kind) {
    if (!page.joinedOnce) {
      joinScreen.localChanged();
      return;
    }
    call.grid.setLocalStream(media.stream);
    if (kind === "audio") engagement.microphoneChanged(media.stream);
  },
  mediaChanged: () => {
    toggles();
    sendMediaState();
  },
});
const joinScreen = createJoinScreen({
  media,
  devices,
  submit(name) {
    page.name = name;
    page.state = "joining";
    joining.connect();
  },
});
const callControls = createCallControls({
  media,
  state: () => page.state,
  mediaChanged: () => {
    toggles();
    sendMediaState();
  },
  trackAdded: (track, stream) => call.addLocalTrack(track, stream),
  leave: () => leave(),
  announce,
});

const callTools = byId("call-tools");
const displayDialog = installDisplayDialog();
const shortcuts = installShortcuts({
  inCall: () => page.state === "call",
  actions: {
    mic: callControls.toggleMic,
    camera: callControls.toggleCam,
    hand: () => engagement.toggleHand(),
    react: () => engagement.openReactions(),
    chat: () => sidebar.openChat(),
    board: callControls.toggleBoard,
  },
  announce,
});

exposeTestHooks({
  state: () => page.state,
  store,
  transport,
  peers: call.connections,
  routes: call.routes,
  server: call.server,
  speaking: () => engagement.speaking,
  overview: () => engagement.overview(),
  captions: () => captions.shown(),
  captionsOn: () => captions.on,
  replay: () => replay.last,
});

/** The microphone and camera buttons, with what a mentor keeps off. */
function toggles() {
  const me = store.me.id ? store.participants.get(store.me.id) : undefined;
  renderToggles(media, page.name, { audio: !!(me && me.audio_locked), video: !!(me && me.video_locked) });
}

/**
 * A notice in the chat log and a toast; read out when the chat log (a live region) is not on screen.
 * @param {string} text
 * @param {string[]} [about]  the participants it names (it leaves the log if one of them is erased)
 */
function notice(text, about = []) {
  const readByLog = sidebar.chatVisible();
  chat.addNotice(text, undefined, about);
  toast(text);
  if (!readByLog) announce(text);
}

/** @param {Parameters<typeof showMessage>[0] & {state?: string}} message */
function message({ state, ...rest }) {
  if (state) page.state = state;
  showMessage(rest);
}

// -- saved resume token ------------------------------------------------------------------------

/** @param {{left?: boolean}} [extra] */
function saveNow(extra = {}) {
  save(page.sessionId, {
    resume: page.resume, participantId: page.participantId, role: page.role, name: page.name,
    audio: media.micOn, video: media.camOn, left: false, lastSeen: Date.now(), link: page.owner, ...extra,
  });
}

window.addEventListener("pagehide", () => {
  if (page.state === "call" || page.state === "reconnecting") saveNow();
});

// -- start: token -> preview -------------------------------------------------------------------

async function start() {
  ({ sessionId: page.sessionId, token: page.token } = link);
  if (!page.token) {
    message({ ...refusal("token_missing"), state: "refused" });
    return;
  }
  message({ title: t("message.opening.title"), body: t("message.opening.body"), state: "loading" });
  let preview;
  try {
    const res = await fetch("/api/join/preview", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: page.token }),
      cache: "no-store",
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const err = (body && body.error) || {};
      showRefusal(err.code || `http_${res.status}`);
      return;
    }
    preview = body;
  } catch (e) {
    message({ ...network(), state: "refused", actions: [{ label: t("message.try_again"), onClick: () => start() }] });
    return;
  }

  page.preview = preview;
  page.role = preview.role;
  media.observer = sendsNoMedia(preview.role);
  if (preview.session_id) page.sessionId = preview.session_id;
  if (preview.state === "ended") {
    showRefusal("session_ended");
    return;
  }
  document.title = t("app.page_title", { title: preview.title || t("app.default_title") });

  // A personal link is its own person's: nothing another person left in this browser is used,
  // and a personal link clears it (the browser is shared).
  page.owner = linkOwner(preview);
  dropStale(page.owner, !!preview.name);
  const saved = loadSaved(page.sessionId, page.owner);
  const plan = resumePlan(saved, preview.role, Date.now());
  if (plan.usable && saved) {
    page.resume = saved.resume;
    page.participantId = saved.participantId || null;
    media.micOn = saved.audio !== false;
    media.camOn = saved.video !== false;
  }
  page.name = (plan.usable && saved && saved.name) || preview.name || "";
  if (plan.straightIn) await autoRejoin();
  else await showJoin();
}

async function showJoin() {
  page.state = "join";
  captions.showJoinConsent(page.preview.captions);
  await joinScreen.show(page.preview, page.name);
}

async function autoRejoin() {
  message({ title: t("message.resuming"), body: page.preview.title || "", state: "joining" });
  if (!media.observer) {
    await media.acquire(devices.preferred());
    if (!media.stream) {
      // The camera and microphone worked before and don't now: let the person see why.
      await showJoin();
      return;
    }
    toggles();
  }
  joining.connect();
}

/** @param {string} code */
function showRefusal(code) {
  if (ending.refused(code)) return; // the end of the session this page was in
  stopEverything();
  if (linkIsDead(code)) {
    forget(page.sessionId);
    forgetPageLink();
  }
  const retryable = code === "session_full" || code === "rate_limited" || !REFUSALS_FINAL.has(code);
  message({
    ...refusal(code),
    state: code === "session_ended" ? "ended" : "refused",
    actions: retryable ? [{ label: t("message.try_again"), onClick: () => location.reload() }] : [],
  });
}

// -- the connection ----------------------------------------------------------------------------

const joining = installJoining({
  page, transport, replay, media, captions, joinScreen, showJoin, message,
  refused: showRefusal,
  waiting: () => onWaiting(),
  joined: (ack) => onJoined(ack),
  disconnected: (reason) => onDisconnect(reason),
});

/** A mentor lets people in: wait on the message screen, ready to go in. */
function onWaiting() {
  page.state = "waiting";
  showMessage({
    ...MODERATION_WORDS.waiting,
    actions: [{ label: t("message.waiting.leave"), primary: false, onClick: () => {
      page.stopReason = "left";
      stopEverything();
      message({ title: t("message.left_waiting.title"), body: t("message.left_waiting.body"), state: "left", actions: [{ label: t("message.left_waiting.back"), onClick: () => location.reload() }] });
    } }],
  });
  announce(MODERATION_WORDS.waiting.title);
}

/** @param {JoinAck} ack */
function onJoined(ack) {
  const first = !page.joinedOnce;
  const me = ack.participant;
  const samePerson = page.participantId === me.id;
  page.participantId = me.id;
  page.resume = ack.resume || page.resume;
  page.session = ack.session || page.session;
  page.name = me.name;
  page.role = me.role;
  page.joinedOnce = true;
  page.state = "call";
  saveNow();
  clearInterval(page.heartbeat);
  page.heartbeat = window.setInterval(() => page.state === "call" && saveNow(), HEARTBEAT_MS);
  showBanner("");

  const title = (page.session && page.session.title) || (page.preview && page.preview.title) || t("app.default_title");
  byId("call-title").replaceChildren(el("bdi", {}, title));
  byId("call-subtitle").replaceChildren(el("bdi", {}, (page.session && page.session.goal) || ""));
  document.title = t("app.page_title", { title });

  breakouts.joining();
  const roomBefore = store.room;
  store.joined(ack, media.sending());
  joinChat = Array.isArray(ack.chat) ? ack.chat : [];
  call.joined({
    selfId: me.id,
    iceServers: ack.ice_servers,
    stream: media.stream,
    route: ack.media_route,
    privateAddresses: !!(ack.session && ack.session.private_addresses),
  });
  if (first || !samePerson || roomBefore !== store.room) {
    store.positions.clear();
    chat.setHistory(ack.chat);
  } else if (!store.position(store.room)) chat.addMessages(ack.chat);
  // else what the room said meanwhile comes from its history (replay, below), or, when that is
  // gone, from this acknowledgement's chat.
  chat.setEnabled(true);
  chat.resend(); // what a lost connection took before its answer
  toggles();
  if (first) {
    showScreen("call");
    focusHeading("call-title");
  }
  engagement.joined({ rejoined: !!ack.rejoined, stream: media.stream, micOn: () => media.sending().audio });
  shortcuts.mount(callTools);
  displayDialog.mount(callTools);
  breakouts.joined();
  board.joined(store.room);
  screenShare.joined(!!ack.screens_many);
  devices.joined();
  captions.joined({ consent: (ack.session && ack.session.captions) || (page.preview && page.preview.captions) });
  moderation.joined(ack);
  replay.joined(ack);
  programme.joined();

  if (first) {
    const others = store.othersHere();
    const n = others.length;
    announce(t("app.joined", { title, count: n, name: n ? others[0].name : "" }));
    if (ack.rejoined) chat.addNotice(t("app.back_in_session"));
  } else {
    notice(t("app.back_in_session"));
  }
}

/** @param {string} reason */
function onDisconnect(reason) {
  clearInterval(page.heartbeat);
  if (page.stopReason) return; // replaced, ended or left: already handled
  call.disconnected();
  captions.disconnected();
  if (reason === "io client disconnect") return; // our own disconnect() call
  if (!page.joinedOnce) return;
  page.state = "reconnecting";
  showBanner(t("app.reconnecting"));
  announce(t("app.reconnecting_said"));
  chat.setEnabled(false);
  // The server closed this connection without saying why: try once more after a pause.
  if (reason === "io server disconnect") transport.reconnectSoon(2000);
}

dispatcher.on(SERVER_EVENTS.REPLACED, () => {
  page.stopReason = "replaced";
  chat.stop();
  stopEverything();
  message({
    title: t("message.replaced.title"),
    body: t("message.replaced.body"),
    state: "replaced",
    actions: [{ label: t("message.replaced.use_here"), onClick: () => location.reload() }],
  });
});
// The event, or the refusal of a reconnect or rejoin when the connection was down as it ended.
const ending = installSessionEnding({
  dispatcher,
  page: () => page,
  show(view) {
    page.stopReason = "ended";
    chat.stop();
    stopEverything();
    forget(page.sessionId);
    forgetPageLink();
    if (view === "ended_while_waiting") {
      message({ ...MODERATION_WORDS.endedWhileWaiting, state: "ended" });
      return;
    }
    message({ title: t("message.ended.title"), body: t("message.ended.body"), state: "ended" });
    engagement.left();
    board.left();
    programme.left();
  },
});

dispatcher.on(SERVER_EVENTS.ADMITTED, (/** @type {JoinAck} */ ack) => {
  if (page.state === "waiting") onJoined(ack);
});
dispatcher.on(SERVER_EVENTS.DECLINED, (/** @type {{reason: string}} */ { reason }) => {
  // The session ended while they waited: its end, shown as every other way it comes (the tab's
  // token goes with what was saved).
  if (reason === "session_ended" && ending.refused(reason)) return;
  page.stopReason = "declined";
  chat.stop();
  stopEverything();
  forget(page.sessionId);
  message({ ...(reason === "session_ended" ? MODERATION_WORDS.endedWhileWaiting : MODERATION_WORDS.declined), state: "ended" });
});
dispatcher.on(SERVER_EVENTS.REMOVED, () => {
  page.stopReason = "removed";
  chat.stop();
  stopEverything();
  forget(page.sessionId);
  message({ ...MODERATION_WORDS.removed, state: "ended" });
});

// -- in the call -------------------------------------------------------------------------------

function sendMediaState() {
  if (!page.joinedOnce) return;
  const state = media.sending();
  store.setOwnMedia(state);
  saveNow();
  transport.request(CLIENT_EVENTS.MEDIA_STATE, state).then((ack) => {
    if (!ack.ok && ack.error.code !== "timeout") console.warn("media_state", ack.error);
  });
}

async function leave() {
  page.stopReason = "left";
  const button = /** @type {HTMLButtonElement} */ (byId("ctl-leave"));
  button.disabled = true;
  await transport.request(CLIENT_EVENTS.LEAVE, {}, 3000);
  saveNow({ left: true });
  chat.stop(); // messages waiting for the connection are not sent after leaving
  stopEverything();
  button.disabled = false;
  message({
    title: t("message.left.title"),
    body: t("message.left.body"),
    state: "left",
    actions: [{ label: t("message.left.rejoin"), onClick: () => location.reload() }],
  });
  engagement.left();
  board.left();
  programme.left();
}

function stopEverything() {
  clearInterval(page.heartbeat);
  transport.close();
  screenShare.stop();
  call.stop();
  engagement.stop();
  breakouts.stop();
  board.stop();
  devices.stop();
  captions.stop();
  moderation.stop();
  joinScreen.stopMeter();
  media.release();
  showBanner("");
}

window.addEventListener("hashchange", () => location.reload());

start();
