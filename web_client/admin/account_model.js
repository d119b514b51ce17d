// Webhooks, admins and the audit log as the console shows them (`/api/webhooks`, `/api/admins`,
// `/api/audit?after=&limit=`; docs/PROGRAMMES.md, "Admins and audit"). Answers are read
// leniently (a list or `{<name>: list}`, a few spellings of a field), as these features are
// newer than the page. Words come from the language catalogue (ui/i18n.js); the server's
// identifiers (events, actions, targets) stay as they are. Pure: no DOM.

import { formatDateTime, formatTime, t } from "../ui/i18n.js";

/** A catalogue reference of a table ("i18n:<key>") in the person's language. @param {string} ref */
export const words = (ref) => t(ref.replace(/^i18n:/, ""));

/** The events a webhook can ask for (the server refuses one it does not know), with their words. */
export const WEBHOOK_EVENTS = /** @type {const} */ ([
  ["participant.joined", "i18n:admin.webhooks.event.participant_joined"],
  ["participant.left", "i18n:admin.webhooks.event.participant_left"],
  ["session.ended", "i18n:admin.webhooks.event.session_ended"],
  ["rating.given", "i18n:admin.webhooks.event.rating_given"],
  ["pair.at_risk", "i18n:admin.webhooks.event.pair_at_risk"],
]);

/** What the audit log records (docs/PROGRAMMES.md, "Admins and audit"), with its words. */
const ACTION_WORDS = /** @type {const} */ ({
  "admin.created": "i18n:admin.admins.action.admin_created",
  "admin.disabled": "i18n:admin.admins.action.admin_disabled",
  "admin.key_rotated": "i18n:admin.admins.action.admin_key_rotated",
  "attendance.exported": "i18n:admin.admins.action.attendance_exported",
  "board.downloaded": "i18n:admin.admins.action.board_downloaded",
  "boards.deleted": "i18n:admin.admins.action.boards_deleted",
  "cohort.created": "i18n:admin.admins.action.cohort_created",
  "cohort.deleted": "i18n:admin.admins.action.cohort_deleted",
  "groups.set": "i18n:admin.admins.action.groups_set",
  "health.exported": "i18n:admin.admins.action.health_exported",
  "link.created": "i18n:admin.admins.action.link_created",
  "link.revoked": "i18n:admin.admins.action.link_revoked",
  "match.ended": "i18n:admin.admins.action.match_ended",
  "matches.published": "i18n:admin.admins.action.matches_published",
  "matching.proposed": "i18n:admin.admins.action.matching_proposed",
  "participant.deleted": "i18n:admin.admins.action.participant_deleted",
  "people.exported": "i18n:admin.admins.action.people_exported",
  "people.imported": "i18n:admin.admins.action.people_imported",
  "person.added": "i18n:admin.admins.action.person_added",
  "person.changed": "i18n:admin.admins.action.person_changed",
  "person.deleted": "i18n:admin.admins.action.person_deleted",
  "person.removed": "i18n:admin.admins.action.person_removed",
  "schedule.created": "i18n:admin.admins.action.schedule_created",
  "session.created": "i18n:admin.admins.action.session_created",
  "session.ended": "i18n:admin.admins.action.session_ended",
  "transcript.downloaded": "i18n:admin.admins.action.transcript_downloaded",
  "webhook.created": "i18n:admin.admins.action.webhook_created",
  "webhook.deleted": "i18n:admin.admins.action.webhook_deleted",
});

/** The actions the audit log records, to filter by. @type {readonly string[]} */
export const AUDIT_ACTIONS = Object.freeze(Object.keys(ACTION_WORDS));

/** An action in words ("Created a cohort"), or null for one this page does not know. @param {string} action */
export function actionWords(action) {
  const ref = /** @type {Record<string, string>} */ (ACTION_WORDS)[action];
  return ref ? words(ref) : null;
}

/** The owner's id in the audit log and the admins list (the server's own key). */
const OWNER_ID = "owner";

/** The audit log's page sizes (the server takes 1 to 500). */
export const AUDIT_PAGE_SIZES = /** @type {const} */ ([10, 50, 200]);

/** Is this something the server could take as an action filter? @param {string} text */
export const isActionName = (text) => /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/.test(text);

/** An http(s) address (the server checks the rest). @param {string} text */
export function isWebUrl(text) {
  try {
    const u = new URL(text);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch (err) {
    return false;
  }
}

/**
 * A list from an answer that is either the list itself or `{<name>: list}`.
 * @param {unknown} body @param {string[]} keys
 * @returns {any[]}
 */
export function listOf(body, keys) {
  if (Array.isArray(body)) return body;
  if (body && typeof body === "object") {
    const o = /** @type {Record<string, unknown>} */ (body);
    for (const k of keys) if (Array.isArray(o[k])) return /** @type {any[]} */ (o[k]);
  }
  return [];
}

/** How the log's moments read: date and time to the second. @type {Intl.DateTimeFormatOptions} */
export const AT_STYLE = Object.freeze({ dateStyle: "medium", timeStyle: "medium" });

/**
 * A moment of the server's (epoch seconds, or an ISO text) in the person's language and time
 * zone; a text that is no date is shown as it is.
 * @param {unknown} when
 */
export function fmtAt(when) {
  if (when === null || when === undefined || when === "") return "–";
  if (typeof when === "number") return formatDateTime(when * 1000, AT_STYLE);
  const parsed = Date.parse(String(when));
  return Number.isNaN(parsed) ? String(when) : formatDateTime(parsed, AT_STYLE);
}

/** A delivery's outcome in words. @param {Record<string, any>} d */
export function deliveryOutcome(d) {
  const code = d.last_status ?? d.response_status ?? (typeof d.status === "number" ? d.status : null);
  const state = d.state ?? (typeof d.status === "string" ? d.status : null);
  const error = d.last_error ?? d.error;
  if (state === "pending" && !d.attempts && !error) return t("admin.webhooks.delivery.not_sent_yet");
  const bits = [];
  if (state) bits.push(t("admin.webhooks.delivery.state", { state: String(state) }));
  const hasCode = code !== null && code !== undefined;
  if (hasCode) bits.push(t("admin.webhooks.delivery.http_status", { code: String(code) }));
  // "status_500" says again what the HTTP status says
  if (error && !(hasCode && /^status_\d+$/.test(String(error)))) bits.push(t("admin.webhooks.delivery.error", { error: String(error) }));
  if (d.attempts) bits.push(t("admin.webhooks.delivery.attempts", { count: Number(d.attempts) }));
  if (state === "pending" && typeof d.next_at === "number") bits.push(t("admin.webhooks.delivery.next_try", { time: formatTime(d.next_at * 1000) }));
  return bits.join(" · ") || "–";
}

/**
 * The delivery `id` of a log once its first attempt has an outcome (delivered, failed, or
 * waiting to be tried again); null while it waits for that attempt or is not in the log.
 * @param {Record<string, any>[]} log @param {string} id
 */
export function triedDelivery(log, id) {
  const d = log.find((x) => x.id === id);
  if (!d) return null;
  return d.state !== "pending" || d.attempts > 0 ? d : null;
}

/**
 * One page of the audit log: its entries and the `after` cursor of the next page (null at the
 * end). The cursor is the answer's `next`, or the last entry's `id`/`seq` when a full page came.
 * @param {unknown} body @param {number} limit
 */
export function auditPage(body, limit) {
  const entries = listOf(body, ["entries", "audit", "events", "items"]);
  const o = body && typeof body === "object" && !Array.isArray(body) ? /** @type {Record<string, any>} */ (body) : {};
  /** @type {string | null} */
  let next = null;
  if (o.next !== undefined && o.next !== null && o.next !== "") next = String(o.next);
  else if (!("next" in o) && entries.length >= limit) {
    const last = entries[entries.length - 1];
    const cursor = last && (last.id ?? last.seq ?? last.position);
    if (cursor !== undefined && cursor !== null) next = String(cursor);
  }
  return { entries, next };
}

/** Who made a change or an account: the owner in words, anyone else by name or id. @param {unknown} who */
export function whoText(who) {
  return who === OWNER_ID ? t("admin.admins.owner") : String(who ?? "–");
}

/**
 * An audit entry in words: when, who, what (the action's code and, when the page knows it, its
 * words), on what. A target whose name is known (an admin's, for the owner) is followed by it.
 * @param {Record<string, any>} e @param {Map<string, string>} [names]  target -> name
 */
export function auditCells(e, names = new Map()) {
  const actor = e.admin_name ?? e.admin ?? e.actor ?? e.by ?? "–";
  const path = e.target ?? e.subject ?? e.path ?? "";
  const target = names.has(path) ? `${path} (${names.get(path)})` : path;
  const detail = typeof e.detail === "string" ? e.detail : detailText(e.detail);
  const action = String(e.action ?? e.event ?? e.method ?? "–");
  return {
    at: fmtAt(e.at ?? e.time ?? e.created_at),
    actor: e.admin_id === OWNER_ID ? whoText(OWNER_ID)
      : typeof actor === "object" ? String(actor.name ?? actor.id) : String(actor),
    action,
    actionWords: actionWords(action),
    target: [target, detail].filter(Boolean).join(" · ") || "–",
  };
}

/** An entry's `detail` (flat ids, counts and choices) as `key: value, …`. @param {unknown} detail */
function detailText(detail) {
  if (!detail || typeof detail !== "object") return "";
  return Object.entries(detail).map(([k, v]) => `${k}: ${v === null ? t("admin.admins.audit.detail_none") : String(v)}`).join(", ");
}

/** Is this admin account switched off? @param {Record<string, any>} a */
export const isDisabled = (a) => a.disabled === true || a.state === "disabled" || a.active === false;
