// Tandem admin page: sessions, one session's attendance (table, timeline, exports), a programme
// across sessions, and deleting one person's records on request. Uses the admin REST API
// (docs/PROTOCOL.md, "Attendance"); the admin key stays in this tab's sessionStorage.

import { renderTable, renderTimeline, fmtDateTime, fmtMinutes } from "./attendance_view.js";
import { byId as $, byIdAs } from "./ui/dom.js";
import { installConsole } from "./admin/console.js";
import { ApiError, errorText } from "./admin/api.js";
import { applyDisplay, displayOptions } from "./features/display/view.js";
import { formatDateTime, formatNumber, loadLanguage, t } from "./ui/i18n.js";
import { languagePicker } from "./ui/language_picker.js";

// The catalogue of the person's language first: everything below speaks through it (ui/i18n.js).
await loadLanguage();
applyDisplay();
$("language-slot").append(languagePicker("admin-language"), displayOptions("admin-display"));

/** @param {string} id */
const input = (id) => byIdAs(id, HTMLInputElement);
/** @param {string} id */
const buttonEl = (id) => byIdAs(id, HTMLButtonElement);
const KEY_STORAGE = "tandem:admin-key";
// Why the page was started afresh (`signOut`), said once it is back.
const NOTICE_STORAGE = "tandem:admin-notice";
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
  onUnauthorized: () => signOut("refused"),
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
    headers: { Authorization: "Bearer " + state.key },
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
    signOut("refused");
    return;
  }
  setStatus(err instanceof ApiError ? errorText(err) : t("admin.status.unreachable"), true);
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

/**
 * Forget the key and start the page afresh: nothing it showed (names, e-mail addresses, goals)
 * stays in it, hidden or not, for whoever uses this computer next. `notice` is said once the
 * page is back.
 * @param {"refused" | "forgotten"} notice
 */
function signOut(notice) {
  state.key = null;
  clearInterval(state.refreshTimer);
  programmeConsole.stop();
  try {
    sessionStorage.removeItem(KEY_STORAGE);
    sessionStorage.setItem(NOTICE_STORAGE, notice);
  } catch (e) {
    /* storage refused: the key lived in memory only, which the new page does not have */
  }
  location.replace(location.pathname + location.search);
}

$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const key = input("key-input").value.trim();
  if (key) signIn(key);
});
$("sign-out").addEventListener("click", () => signOut("forgotten"));

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
  setStatus(t("admin.sessions.loading"));
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
      s.session_ended_at ? fmtDateTime(s.session_ended_at) : t("admin.sessions.not_ended"),
      formatNumber(s.participants),
      formatNumber(s.roster),
    ]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    const open = document.createElement("button");
    open.type = "button";
    open.className = "button button-secondary";
    open.textContent = t("admin.sessions.open");
    open.setAttribute("aria-label", t("admin.sessions.open_label", { title: s.session_title }));
    open.addEventListener("click", () => openSession(s.session_id));
    td.append(open);
    if (s.captions === "keep") td.append(transcriptLinks(s));
    tr.append(td);
    tbody.append(tr);
  }
  setStatus(state.sessions.length ? t("admin.sessions.count", { count: state.sessions.length }) : t("admin.sessions.none"));
}

// A session that keeps a transcript (captions "keep"): WebVTT, SRT and plain text, fetched with the key.
function transcriptLinks(s) {
  const group = document.createElement("span");
  group.className = "transcript-links";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", t("admin.sessions.transcript_label", { title: s.session_title }));
  // WebVTT and SRT are the formats' own names; "Text" is a word
  for (const [format, name] of [["vtt", "WebVTT"], ["srt", "SRT"], ["txt", ""]]) {
    const label = name || t("admin.sessions.transcript_text");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button button-secondary button-small";
    b.textContent = label;
    if (name) b.setAttribute("translate", "no");
    b.dataset.transcript = format;
    b.setAttribute("aria-label", t("admin.sessions.transcript_as", { title: s.session_title, format: label }));
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
  if (s.programme) bits.push(t("admin.session.meta_programme", { programme: s.programme }));
  if (s.scheduled_start) bits.push(t("admin.session.meta_scheduled", { start: fmtDateTime(s.scheduled_start), end: fmtDateTime(s.scheduled_end) }));
  bits.push(report.started_at ? t("admin.session.meta_started", { when: fmtDateTime(report.started_at) }) : t("admin.session.meta_not_started"));
  bits.push(report.ended_at ? t("admin.session.meta_ended", { when: fmtDateTime(report.ended_at) }) : t("admin.session.meta_live"));
  $("session-meta").textContent = bits.join(" · ");
  renderTimeline($("timeline"), report);
  renderTable(byIdAs("people-table", HTMLTableElement), report, {
    caption: t("admin.session.caption", { title: s.session_title }),
    actions: (p) => personActions(p),
  });
  renderFeedback(report.feedback);
  await renderModeration(report);
  if (focus) {
    $("session-title").setAttribute("tabindex", "-1");
    $("session-title").focus();
  }
  setStatus(t("admin.session.updated", { time: formatDateTime(new Date(), { timeStyle: "medium" }) }));
}

/** Each moderation action as a sentence ({who}, {target}, {locked}: "yes" or "no"). */
const MODERATION_WORDS = {
  mute: "i18n:admin.moderation.mute", stop_camera: "i18n:admin.moderation.stop_camera",
  stop_screen: "i18n:admin.moderation.stop_screen", allow: "i18n:admin.moderation.allow",
  remove: "i18n:admin.moderation.remove", admit: "i18n:admin.moderation.admit",
  decline: "i18n:admin.moderation.decline", lock: "i18n:admin.moderation.lock",
  unlock: "i18n:admin.moderation.unlock", end: "i18n:admin.moderation.end",
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
    const who = names.get(actor) || t("admin.moderation.a_mentor");
    const target = r.participant_id ? names.get(r.participant_id) || t("admin.moderation.someone_waiting") : "";
    const values = { who, target, action, locked: r.value === 1 ? "yes" : "no" };
    const ref = MODERATION_WORDS[action];
    const what = ref ? t(ref.slice("i18n:".length), values) : `${who}: ${action}`;
    const li = document.createElement("li");
    li.textContent = `${fmtDateTime(r.at)}: ${what}`;
    return li;
  }));
}

function renderFeedback(feedback) {
  const box = $("feedback");
  box.replaceChildren();
  if (!feedback || !feedback.ratings) return;
  const h = document.createElement("h3");
  h.textContent = t("admin.feedback.ratings", { count: feedback.ratings, average: formatNumber(feedback.average_rating) });
  box.append(h);
  if (!feedback.anonymous.length) return;
  const p = document.createElement("p");
  p.textContent = t("admin.feedback.anonymous");
  const ul = document.createElement("ul");
  for (const f of feedback.anonymous) {
    const li = document.createElement("li");
    li.textContent = f.comment ? t("admin.feedback.rating_with_comment", { rating: f.rating, comment: f.comment }) : `${f.rating}/5`;
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
  revoke.textContent = t("admin.links.revoke_person");
  revoke.setAttribute("aria-label", t("admin.links.revoke_person_label", { name: person.name }));
  revoke.addEventListener("click", () => revokeLink({ person_id: person.person_id }, { link: "person", name: person.name }));
  box.append(revoke);
  if (del) box.append(del);
  return box;
}

/**
 * Revoke a link of the open session and show the one issued in its place. `what` names the link
 * in the messages: {link: "person", name} or {link: a role}.
 */
async function revokeLink(body, what) {
  if (!confirm(t("admin.links.revoke_confirm", what))) return;
  try {
    const res = await fetch(`/api/sessions/${encodeURIComponent(state.sessionId)}/links/revoke`, {
      method: "POST",
      headers: { Authorization: "Bearer " + state.key, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
    const out = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, (out.error && out.error.code) || `http_${res.status}`, (out.error && out.error.message) || res.statusText);
    $("new-link").hidden = false;
    $("new-link-label").textContent = t("admin.links.new_in_place", what);
    input("new-link-url").value = out.url || "";
    input("new-link-url").select();
    setStatus(t("admin.links.revoked", what));
  } catch (err) {
    failed(err);
  }
}

function deleteButton(person) {
  if (!person.participant_ids.length && !person.on_roster) return null;
  const b = document.createElement("button");
  b.type = "button";
  b.className = "button button-danger";
  b.textContent = t("admin.records.delete");
  b.setAttribute("aria-label", t("admin.records.delete_label", { name: person.name }));
  b.addEventListener("click", async () => {
    const scope = person.on_roster ? "every" : "this";
    if (!confirm(t("admin.records.delete_confirm", { name: person.name, scope }))) return;
    const path = person.on_roster
      ? `/api/attendance/people/${encodeURIComponent(person.person_id)}`
      : `/api/attendance/sessions/${encodeURIComponent(state.sessionId)}/participants/${encodeURIComponent(person.person_id)}`;
    try {
      const body = await (await request("DELETE", path)).json();
      setStatus(t("admin.records.deleted", { count: body.deleted.records, name: person.name }));
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
  setStatus(t("admin.exports.preparing", { filename }));
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
    setStatus(t("admin.exports.done", { filename }));
  } catch (err) {
    failed(err);
  }
}

document.addEventListener("click", (e) => {
  const r = /** @type {HTMLElement | null} */ (e.target instanceof Element ? e.target.closest("[data-revoke-role]") : null);
  if (r && r.dataset.revokeRole) revokeLink({ role: r.dataset.revokeRole }, { link: r.dataset.revokeRole, name: "" });
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
  $("programme-title").textContent = t("admin.programme.heading", { name, count: body.sessions });
  const table = $("programme-table");
  table.replaceChildren();
  const head = [
    t("admin.programme.col_name"), t("admin.programme.col_role"), t("admin.programme.col_attended"),
    t("admin.programme.col_no_shows"), t("admin.programme.col_upcoming"), t("admin.programme.col_total"),
    t("admin.programme.col_lateness"), t("admin.programme.col_rating"), t("admin.programme.col_trend"),
  ];
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
      p.name, p.role ? t("attendance.role", { role: p.role }) : "–",
      t("admin.programme.attended_of", { attended: p.sessions_attended, scheduled: p.sessions_scheduled }),
      formatNumber(p.no_shows), formatNumber(p.sessions_upcoming),
      fmtMinutes(p.total_minutes), fmtMinutes(p.average_lateness_minutes),
      p.average_rating === null ? "–" : `${formatNumber(p.average_rating)}/5`,
      p.trend_minutes_per_session === null ? "–" : formatNumber(p.trend_minutes_per_session, { signDisplay: "exceptZero" }),
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
let notice = null;
try {
  saved = sessionStorage.getItem(KEY_STORAGE);
  notice = sessionStorage.getItem(NOTICE_STORAGE);
  sessionStorage.removeItem(NOTICE_STORAGE);
} catch (e) {
  saved = null;
}
if (notice === "refused") setStatus(t("admin.sign_in.refused"), true);
if (notice === "forgotten") setStatus(t("admin.sign_in.forgotten"));
if (saved) signIn(saved);
else $("key-input").focus();
