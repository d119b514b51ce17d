// Tandem admin page: sessions, one session's attendance (table, timeline, exports), a programme
// across sessions, and deleting one person's records on request. Uses the admin REST API
// (docs/PROTOCOL.md, "Attendance"); the admin key stays in this tab's sessionStorage.

import { renderTable, renderTimeline, fmtDateTime, fmtMinutes } from "./attendance_view.js";
import { byId as $, byIdAs } from "./ui/dom.js";
import { installConsole } from "./admin/console.js";
import { applyDisplay } from "./features/display/view.js";
import { loadLanguage } from "./ui/i18n.js";

// The catalogue of the person's language first: everything below speaks through it (ui/i18n.js).
await loadLanguage();
applyDisplay();

/** @param {string} id */
const input = (id) => byIdAs(id, HTMLInputElement);
/** @param {string} id */
const buttonEl = (id) => byIdAs(id, HTMLButtonElement);
const KEY_STORAGE = "tandem:admin-key";
const REFRESH_MS = 5000; // a live session's table and picture refresh at least this often

const state = {
  key: null,
  sessions: [],
  sessionId: null,
  report: null,
  refreshTimer: 0,
  filters: { programme: "", since: "", until: "" },
};

// Cohorts, matching, sessions, health, webhooks, admins: the programme console (admin/).
const programmeConsole = installConsole({
  key: () => state.key,
  onUnauthorized: () => {
    signOut();
    setStatus("That admin key was not accepted. Check it and try again.", true);
  },
});

// For tests and support: what the page shows (read-only; the page never reads it).
Object.defineProperty(window, "tandemTestHooks", {
  value: Object.freeze({
    get report() {
      return state.report;
    },
    get sessions() {
      return state.sessions;
    },
  }),
});

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function setStatus(text, isError = false) {
  // Attendance speaks here; a load that ends after the admin went to another section stays
  // quiet there (a refusal of the key is still said: it ends every section).
  if (!isError && $("view-attendance").hidden) return;
  const s = $("status");
  s.textContent = text || "";
  s.classList.toggle("error", !!isError);
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : "";
}

async function request(method, path, params = {}) {
  const res = await fetch(path + query(params), {
    method,
    headers: { Authorization: `Bearer ${state.key}` },
    cache: "no-store",
  });
  if (!res.ok) {
    let error = {};
    try {
      error = (await res.json()).error || {};
    } catch (e) {
      /* not JSON */
    }
    throw new ApiError(res.status, error.code || `http_${res.status}`, error.message || res.statusText);
  }
  return res;
}

async function getJson(path, params) {
  return (await request("GET", path, params)).json();
}

function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut();
    setStatus("That admin key was not accepted. Check it and try again.", true);
    return;
  }
  setStatus(err instanceof ApiError ? `${err.message} (${err.code})` : "Tandem could not be reached. Try again.", true);
}

// --------------------------------------------------------------------------------------------
// Key

function signIn(key) {
  state.key = key;
  try {
    sessionStorage.setItem(KEY_STORAGE, key);
  } catch (e) {
    /* private mode: the key lives in memory only */
  }
  $("key-panel").hidden = true;
  $("sessions-panel").hidden = false;
  $("sign-out").hidden = false;
  programmeConsole.start();
  loadSessions().then(() => {
    const wanted = new URLSearchParams(location.hash.replace(/^#/, "")).get("session");
    if (wanted) openSession(wanted);
  });
}

function signOut() {
  state.key = null;
  clearInterval(state.refreshTimer);
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch (e) {
    /* ignore */
  }
  for (const id of ["sessions-panel", "session-panel", "programme-panel"]) $(id).hidden = true;
  $("key-panel").hidden = false;
  $("sign-out").hidden = true;
  programmeConsole.stop();
  input("key-input").value = "";
  $("key-input").focus();
}

$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const key = input("key-input").value.trim();
  if (key) signIn(key);
});
$("sign-out").addEventListener("click", () => {
  signOut();
  setStatus("The key is forgotten in this tab.");
});

// --------------------------------------------------------------------------------------------
// Sessions

function readFilters() {
  state.filters = {
    programme: input("filter-programme").value.trim(),
    since: input("filter-since").value,
    until: input("filter-until").value,
  };
  buttonEl("programme-button").disabled = !state.filters.programme;
}

async function loadSessions() {
  readFilters();
  setStatus("Loading sessions…");
  try {
    const body = await getJson("/api/attendance/sessions", state.filters);
    state.sessions = body.sessions;
  } catch (err) {
    failed(err);
    return;
  }
  const tbody = $("sessions-table").querySelector("tbody");
  tbody.replaceChildren();
  for (const s of state.sessions) {
    const tr = document.createElement("tr");
    const title = document.createElement("th");
    title.scope = "row";
    title.textContent = s.session_title;
    tr.append(title);
    for (const text of [
      s.programme || "–",
      fmtDateTime(s.scheduled_start ?? s.created_at),
      s.session_ended_at ? fmtDateTime(s.session_ended_at) : "not ended",
      String(s.participants),
      String(s.roster),
    ]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "button button-secondary";
    open.textContent = "Open";
    open.setAttribute("aria-label", `Open ${s.session_title}`);
    open.addEventListener("click", () => openSession(s.session_id));
    td.append(open);
    if (s.captions === "keep") td.append(transcriptLinks(s));
    tr.append(td);
    tbody.append(tr);
  }
  setStatus(state.sessions.length ? `${state.sessions.length} sessions.` : "No sessions match.");
}

// A session that keeps a transcript (captions "keep"): WebVTT, SRT and plain text, fetched with the key.
function transcriptLinks(s) {
  const group = document.createElement("span");
  group.className = "transcript-links";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", `Transcript of ${s.session_title}`);
  for (const [format, label] of [["vtt", "WebVTT"], ["srt", "SRT"], ["txt", "Text"]]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button button-secondary button-small";
    b.textContent = label;
    b.dataset.transcript = format;
    b.setAttribute("aria-label", `Transcript of ${s.session_title} as ${label}`);
    b.addEventListener("click", () =>
      download(`/api/sessions/${encodeURIComponent(s.session_id)}/transcript`, { format }, `transcript-${s.session_id}.${format}`));
    group.append(b);
  }
  return group;
}

$("filter-form").addEventListener("submit", (e) => {
  e.preventDefault();
  loadSessions();
});
$("filter-programme").addEventListener("input", () => {
  buttonEl("programme-button").disabled = !input("filter-programme").value.trim();
});

// --------------------------------------------------------------------------------------------
// One session

async function openSession(sessionId) {
  state.sessionId = sessionId;
  clearInterval(state.refreshTimer);
  history.replaceState(null, "", `#session=${encodeURIComponent(sessionId)}`);
  await refreshSession(true);
  state.refreshTimer = setInterval(() => {
    const live = state.report && !state.report.ended_at;
    if (live && input("auto-refresh").checked && !document.hidden) refreshSession(false);
  }, REFRESH_MS);
}

async function refreshSession(focus) {
  let report;
  try {
    report = await getJson(`/api/attendance/sessions/${encodeURIComponent(state.sessionId)}`);
  } catch (err) {
    failed(err);
    return;
  }
  state.report = report;
  const s = report.session;
  $("session-panel").hidden = false;
  $("session-title").textContent = s.session_title;
  const bits = [];
  if (s.programme) bits.push(`Programme ${s.programme}`);
  if (s.scheduled_start) bits.push(`scheduled ${fmtDateTime(s.scheduled_start)}–${fmtDateTime(s.scheduled_end)}`);
  bits.push(report.started_at ? `started ${fmtDateTime(report.started_at)}` : "nobody has joined yet");
  bits.push(report.ended_at ? `ended ${fmtDateTime(report.ended_at)}` : "live now");
  $("session-meta").textContent = bits.join(" · ");
  renderTimeline($("timeline"), report);
  renderTable(byIdAs("people-table", HTMLTableElement), report, {
    caption: `Attendance in ${s.session_title}`,
    actions: (p) => personActions(p),
  });
  renderFeedback(report.feedback);
  await renderModeration(report);
  if (focus) {
    $("session-title").setAttribute("tabindex", "-1");
    $("session-title").focus();
  }
  setStatus(`Updated ${new Date().toLocaleTimeString()}.`);
}

const MODERATION_WORDS = {
  mute: "muted", stop_camera: "turned off the camera of", stop_screen: "stopped the screen share of",
  allow: "let unmute", remove: "removed", admit: "let in", decline: "turned away",
  lock: "locked the session", unlock: "unlocked the session", end: "ended the session",
};

/** Who did what to whom, from the session's moderation records (the ledger keeps them). */
async function renderModeration(report) {
  const names = new Map();
  for (const p of report.people || []) for (const id of p.participant_ids || []) names.set(id, p.name || p.person_id);
  let records = [];
  try {
    const res = await request("GET", `/api/attendance/sessions/${encodeURIComponent(state.sessionId)}/export`, { view: "records", format: "json" });
    records = (await res.json()).filter((r) => r.kind === "moderation");
  } catch (err) {
    failed(err);
    return;
  }
  $("moderation-empty").hidden = records.length > 0;
  $("moderation-log").replaceChildren(...records.map((r) => {
    const [action, , actor] = String(r.text || "").split(" ");
    const who = names.get(actor) || "A mentor";
    const verb = MODERATION_WORDS[action] || action;
    const target = r.participant_id ? ` ${names.get(r.participant_id) || "someone waiting"}` : "";
    const locked = r.value === 1 ? " until allowed" : "";
    const li = document.createElement("li");
    li.textContent = `${fmtDateTime(r.at)}: ${who} ${verb}${target}${locked}`;
    return li;
  }));
}

function renderFeedback(feedback) {
  const box = $("feedback");
  box.replaceChildren();
  if (!feedback || !feedback.ratings) return;
  const h = document.createElement("h3");
  h.textContent = `Ratings: ${feedback.ratings}, average ${feedback.average_rating}/5`;
  box.append(h);
  if (!feedback.anonymous.length) return;
  const p = document.createElement("p");
  p.textContent = "Given anonymously:";
  const ul = document.createElement("ul");
  for (const f of feedback.anonymous) {
    const li = document.createElement("li");
    li.textContent = `${f.rating}/5${f.comment ? ` – “${f.comment}”` : ""}`;
    ul.append(li);
  }
  box.append(p, ul);
}

/** A roster person's row: revoke their personal link, delete their records. */
function personActions(person) {
  const del = deleteButton(person);
  if (!person.on_roster) return del;
  const box = document.createElement("span");
  box.className = "row-actions";
  const revoke = document.createElement("button");
  revoke.type = "button";
  revoke.className = "button button-secondary";
  revoke.textContent = "Revoke link";
  revoke.setAttribute("aria-label", `Revoke link of ${person.name} (their personal link)`);
  revoke.addEventListener("click", () => revokeLink({ person_id: person.person_id }, `${person.name}'s personal link`));
  box.append(revoke);
  if (del) box.append(del);
  return box;
}

/** Revoke a link of the open session and show the one issued in its place. */
async function revokeLink(body, what) {
  if (!confirm(`Revoke ${what}? It stops working at once; you get a new one to send.`)) return;
  try {
    const res = await fetch(`/api/sessions/${encodeURIComponent(state.sessionId)}/links/revoke`, {
      method: "POST",
      headers: { Authorization: `Bearer ${state.key}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
    const out = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, (out.error && out.error.code) || `http_${res.status}`, (out.error && out.error.message) || res.statusText);
    $("new-link").hidden = false;
    $("new-link-label").textContent = `New link in place of ${what}`;
    input("new-link-url").value = out.url || "";
    input("new-link-url").select();
    setStatus(`Revoked ${what}. The new link is shown below the people.`);
  } catch (err) {
    failed(err);
  }
}

function deleteButton(person) {
  if (!person.participant_ids.length && !person.on_roster) return null;
  const b = document.createElement("button");
  b.type = "button";
  b.className = "button button-danger";
  b.textContent = "Delete";
  b.setAttribute("aria-label", `Delete the records of ${person.name}`);
  b.addEventListener("click", async () => {
    const scope = person.on_roster ? "in every session" : "in this session";
    if (!confirm(`Delete all attendance records of ${person.name} ${scope}? This cannot be undone.`)) return;
    const path = person.on_roster
      ? `/api/attendance/people/${encodeURIComponent(person.person_id)}`
      : `/api/attendance/sessions/${encodeURIComponent(state.sessionId)}/participants/${encodeURIComponent(person.person_id)}`;
    try {
      const body = await (await request("DELETE", path)).json();
      setStatus(`Deleted ${body.deleted.records} records of ${person.name}.`);
      await refreshSession(false);
    } catch (err) {
      failed(err);
    }
  });
  return b;
}

// --------------------------------------------------------------------------------------------
// Exports: fetched with the key, saved as a file.

async function download(path, params, filename) {
  setStatus(`Preparing ${filename}…`);
  try {
    const res = await request("GET", path, params);
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    setStatus(`Exported ${filename}.`);
  } catch (err) {
    failed(err);
  }
}

document.addEventListener("click", (e) => {
  const r = /** @type {HTMLElement | null} */ (e.target instanceof Element ? e.target.closest("[data-revoke-role]") : null);
  if (r && r.dataset.revokeRole) revokeLink({ role: r.dataset.revokeRole }, `the ${r.dataset.revokeRole} link`);
});

document.addEventListener("click", (e) => {
  const b = /** @type {HTMLElement | null} */ (e.target instanceof Element ? e.target.closest("[data-export]") : null);
  if (!b) return;
  const { format, view } = b.dataset;
  if (b.dataset.export === "session") {
    download(`/api/attendance/sessions/${encodeURIComponent(state.sessionId)}/export`, { format, view },
      `attendance-${state.sessionId}-${view}.${format}`);
  } else {
    readFilters();
    download("/api/attendance/export", { format, view, ...state.filters }, `attendance-${view}.${format}`);
  }
});

// --------------------------------------------------------------------------------------------
// A programme

async function openProgramme() {
  readFilters();
  const name = state.filters.programme;
  if (!name) return;
  let body;
  try {
    body = await getJson(`/api/attendance/programmes/${encodeURIComponent(name)}`, {
      since: state.filters.since, until: state.filters.until,
    });
  } catch (err) {
    failed(err);
    return;
  }
  $("programme-panel").hidden = false;
  $("programme-title").textContent = `Programme ${name}: ${body.sessions} sessions`;
  const table = $("programme-table");
  table.replaceChildren();
  const head = ["Name", "Role", "Attended", "No-shows", "Upcoming", "Total", "Average lateness", "Average rating", "Trend (min per session)"];
  const thead = document.createElement("thead");
  const tr = document.createElement("tr");
  for (const h of head) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    tr.append(th);
  }
  thead.append(tr);
  const tbody = document.createElement("tbody");
  for (const p of body.people) {
    const row = document.createElement("tr");
    const cells = [
      p.name, p.role, `${p.sessions_attended} of ${p.sessions_scheduled}`, String(p.no_shows), String(p.sessions_upcoming),
      fmtMinutes(p.total_minutes), fmtMinutes(p.average_lateness_minutes),
      p.average_rating === null ? "–" : `${p.average_rating}/5`,
      p.trend_minutes_per_session === null ? "–" : `${p.trend_minutes_per_session > 0 ? "+" : ""}${p.trend_minutes_per_session}`,
    ];
    cells.forEach((text, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.textContent = text;
      row.append(cell);
    });
    tbody.append(row);
  }
  table.append(thead, tbody);
  $("programme-title").setAttribute("tabindex", "-1");
  $("programme-title").focus();
}

$("programme-button").addEventListener("click", () => openProgramme());
$("programme-csv").addEventListener("click", () => {
  const name = state.filters.programme;
  download(`/api/attendance/programmes/${encodeURIComponent(name)}`, {
    format: "csv", since: state.filters.since, until: state.filters.until,
  }, `programme-${name}.csv`);
});

// --------------------------------------------------------------------------------------------

let saved = null;
try {
  saved = sessionStorage.getItem(KEY_STORAGE);
} catch (e) {
  saved = null;
}
if (saved) signIn(saved);
else $("key-input").focus();
