// Webhooks, admins and the audit log as the console shows them (`/api/webhooks`, `/api/admins`,
// `/api/audit?after=&limit=`; docs/PROGRAMMES.md, "Admins and audit"). Answers are read
// leniently (a list or `{<name>: list}`, a few spellings of a field), as these features are
// newer than the page. Pure: no DOM.

/** The events a webhook can ask for (the server refuses one it does not know), in words. */
export const WEBHOOK_EVENTS = /** @type {const} */ ([
  ["participant.joined", "someone joined a session"],
  ["participant.left", "someone left, was removed or dropped"],
  ["session.ended", "a session ended"],
  ["rating.given", "someone rated a session"],
  ["pair.at_risk", "a pair's match health shows a risk"],
]);

/** What the audit log records (docs/PROGRAMMES.md, "Admins and audit"), to filter by. */
export const AUDIT_ACTIONS = /** @type {const} */ ([
  "admin.created", "admin.disabled", "admin.key_rotated", "attendance.exported", "board.downloaded",
  "boards.deleted", "cohort.created", "groups.set", "health.exported", "link.created", "link.revoked",
  "match.ended", "matches.published", "matching.proposed", "participant.deleted", "people.exported",
  "people.imported", "person.added", "person.changed", "person.deleted", "person.removed",
  "schedule.created", "session.created", "session.ended", "transcript.downloaded",
  "webhook.created", "webhook.deleted",
]);

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

/** @param {unknown} when */
export function fmtAt(when) {
  if (when === null || when === undefined || when === "") return "–";
  if (typeof when === "number") return new Date(when * 1000).toISOString().slice(0, 19).replace("T", " ");
  return String(when).slice(0, 19).replace("T", " ");
}

/** A delivery's outcome in words. @param {Record<string, any>} d */
export function deliveryOutcome(d) {
  const code = d.last_status ?? d.response_status ?? (typeof d.status === "number" ? d.status : null);
  const state = d.state ?? (typeof d.status === "string" ? d.status : null);
  const error = d.last_error ?? d.error;
  if (state === "pending" && !d.attempts && !error) return "pending · not sent yet";
  const bits = [];
  if (state) bits.push(String(state));
  if (code !== null && code !== undefined) bits.push(`HTTP ${code}`);
  if (error) bits.push(String(error));
  if (d.attempts) bits.push(`${d.attempts} ${d.attempts === 1 ? "attempt" : "attempts"}`);
  if (state === "pending" && typeof d.next_at === "number") bits.push(`next try ${fmtAt(d.next_at).slice(11)}`);
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

/**
 * An audit entry in words: when, who, what, on what. A target whose name is known (an admin's,
 * for the owner) is followed by it.
 * @param {Record<string, any>} e @param {Map<string, string>} [names]  target -> name
 */
export function auditCells(e, names = new Map()) {
  const actor = e.admin_name ?? e.admin ?? e.actor ?? e.by ?? "–";
  const path = e.target ?? e.subject ?? e.path ?? "";
  const target = names.has(path) ? `${path} (${names.get(path)})` : path;
  const detail = typeof e.detail === "string" ? e.detail : detailText(e.detail);
  return {
    at: fmtAt(e.at ?? e.time ?? e.created_at),
    actor: typeof actor === "object" ? String(actor.name ?? actor.id) : String(actor),
    action: String(e.action ?? e.event ?? e.method ?? "–"),
    target: [target, detail].filter(Boolean).join(" · ") || "–",
  };
}

/** An entry's `detail` (flat ids, counts and choices) as `key: value, …`. @param {unknown} detail */
function detailText(detail) {
  if (!detail || typeof detail !== "object") return "";
  return Object.entries(detail).map(([k, v]) => `${k}: ${v === null ? "none" : String(v)}`).join(", ");
}

/** Is this admin account switched off? @param {Record<string, any>} a */
export const isDisabled = (a) => a.disabled === true || a.state === "disabled" || a.active === false;
