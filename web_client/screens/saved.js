// The saved resume token, per session and per person, so that a reload or a reopened tab is the
// same participant (localStorage key `tandem:session:<session id>`). An entry belongs to the link
// it was saved through (its role and, for a personal link, its person's name): another person's
// link never uses it, and a personal link drops every entry of someone else, since the browser is
// evidently shared. Entries older than a resume credential's life are dropped.

import { localStore } from "../ui/storage.js";

/**
 * @typedef {object} Saved
 * @property {string | null} resume
 * @property {string | null} participantId
 * @property {string | null} role
 * @property {string} name
 * @property {boolean} audio
 * @property {boolean} video
 * @property {boolean} left
 * @property {number} lastSeen  ms since the epoch
 * @property {string} [link]  whose link it was saved through (`linkOwner`)
 */

export const AUTO_REJOIN_MS = 10 * 60 * 1000; // a reload or reopened tab within this time goes straight back in
export const SAVED_MAX_MS = 24 * 60 * 60 * 1000; // a resume credential's life (docs/PROTOCOL.md)
const PREFIX = "tandem:session:";

/** @param {string} sessionId */
function key(sessionId) {
  return `${PREFIX}${sessionId}`;
}

/**
 * Who a link is for: its role and the name signed into it (none for a link of a role).
 * @param {{role: string, name?: string | null}} preview  the POST /api/join/preview answer
 */
export function linkOwner(preview) {
  return `${preview.role}\n${preview.name || ""}`;
}

/**
 * Whether a saved entry may be used through the link of `owner`: only the same person's.
 * @param {Saved | null} saved
 * @param {string} owner
 */
export function sameOwner(saved, owner) {
  return !!saved && saved.link === owner;
}

/**
 * The keys to drop when a link of `owner` opens, given the entries saved: every entry past its
 * life, and, through a personal link, every entry of someone else.
 * @param {[string, Saved | null][]} entries  [storage key, entry]
 * @param {string} owner
 * @param {boolean} personal  the link names its person
 * @param {number} now  ms since the epoch
 */
export function staleKeys(entries, owner, personal, now) {
  return entries
    .filter(([, s]) => !s || now - (s.lastSeen || 0) >= SAVED_MAX_MS || (personal && s.link !== owner))
    .map(([k]) => k);
}

/** @param {string | null} raw @returns {Saved | null} */
function parse(raw) {
  try {
    return raw ? JSON.parse(raw) : null;
  } catch (e) {
    return null;
  }
}

/**
 * Drop what must not outlive the opening of this link (see `staleKeys`).
 * @param {string} owner @param {boolean} personal
 */
export function dropStale(owner, personal) {
  const store = localStore();
  if (!store) return;
  try {
    const entries = Object.keys(store)
      .filter((k) => k.startsWith(PREFIX))
      .map((k) => /** @type {[string, Saved | null]} */ ([k, parse(store.getItem(k))]));
    for (const k of staleKeys(entries, owner, personal, Date.now())) store.removeItem(k);
  } catch (e) {
    /* storage refused: nothing was kept either */
  }
}

/**
 * The entry of this session saved through the same person's link, or null (another person's
 * entry is dropped).
 * @param {string | null} sessionId @param {string} owner
 * @returns {Saved | null}
 */
export function loadSaved(sessionId, owner) {
  const store = localStore();
  if (!sessionId || !store) return null;
  try {
    const saved = parse(store.getItem(key(sessionId)));
    if (saved && !sameOwner(saved, owner)) {
      store.removeItem(key(sessionId));
      return null;
    }
    return saved;
  } catch (e) {
    return null;
  }
}

/** @param {string | null} sessionId @param {Saved} data */
export function save(sessionId, data) {
  const store = localStore();
  if (!sessionId || !store) return;
  try {
    store.setItem(key(sessionId), JSON.stringify(data));
  } catch (e) {
    /* private mode or full storage: resuming just won't work */
  }
}

/**
 * Whether a refusal with this code means the link (or its session) will never work again: what
 * was saved through it is then dropped at once (a revoked link is also how a deletion request
 * ends a personal link), not kept for the rest of a credential's life.
 * @param {string} code
 */
export function linkIsDead(code) {
  return ["session_ended", "session_not_found", "token_invalid", "token_expired", "link_revoked"].includes(code);
}

/** @param {string | null} sessionId */
export function forget(sessionId) {
  const store = localStore();
  if (!sessionId || !store) return;
  try {
    store.removeItem(key(sessionId));
  } catch (e) {
    /* ignore */
  }
}

/**
 * Whether a saved entry can be used for this link (same role), and whether to go straight back
 * into the call without the join screen.
 * @param {Saved | null} saved
 * @param {string} role  the link's role
 * @param {number} now  ms since the epoch
 */
export function resumePlan(saved, role, now) {
  const usable = !!saved && !!saved.resume && (!saved.role || saved.role === role);
  const straightIn = usable && !!saved && !saved.left && now - (saved.lastSeen || 0) < AUTO_REJOIN_MS;
  return { usable, straightIn };
}
