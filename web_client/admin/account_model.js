// Webhooks, admins and the audit log as the console shows them (`/api/webhooks`, `/api/admins`,
// `/api/audit?after=&limit=`; docs/PROGRAMMES.md, "Admins and audit"). Answers are read
// leniently (a list or `{<name>: list}`, a few spellings of a field), as these features are
// newer than the page. Pure: no DOM.

/** The events a webhook can ask for (the server refuses one it does not know). */
export const WEBHOOK_EVENTS = /** @type {const} */ ([
  "participant.joined", "participant.left", "session.ended", "rating.given", "pair.at_risk",
]);

/** @param {string} text */
export function isHttpsUrl(text) {
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
  const bits = [];
  if (state) bits.push(String(state));
  if (code !== null && code !== undefined) bits.push(`HTTP ${code}`);
  if (error) bits.push(String(error));
  if (d.attempts) bits.push(`${d.attempts} ${d.attempts === 1 ? "attempt" : "attempts"}`);
  return bits.join(" · ") || "–";
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

/** An audit entry in words: when, who, what, on what. @param {Record<string, any>} e */
export function auditCells(e) {
  const actor = e.admin_name ?? e.admin ?? e.actor ?? e.by ?? "–";
  const target = e.target ?? e.subject ?? e.path ?? "";
  const detail = typeof e.detail === "string" ? e.detail : e.detail ? JSON.stringify(e.detail) : "";
  return {
    at: fmtAt(e.at ?? e.time ?? e.created_at),
    actor: typeof actor === "object" ? String(actor.name ?? actor.id) : String(actor),
    action: String(e.action ?? e.event ?? e.method ?? "–"),
    target: [target, detail].filter(Boolean).join(" · ") || "–",
  };
}

/** Is this admin account switched off? @param {Record<string, any>} a */
export const isDisabled = (a) => a.disabled === true || a.state === "disabled" || a.active === false;
