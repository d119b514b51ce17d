// The saved resume token, per session, so that a reload or a reopened tab is the same participant
// (localStorage key `tandem:session:<session id>`).

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
 */

export const AUTO_REJOIN_MS = 10 * 60 * 1000; // a reload or reopened tab within this time goes straight back in

/** @param {string} sessionId */
function key(sessionId) {
  return `tandem:session:${sessionId}`;
}

/** @param {string | null} sessionId @returns {Saved | null} */
export function loadSaved(sessionId) {
  if (!sessionId) return null;
  try {
    const raw = localStorage.getItem(key(sessionId));
    return raw ? JSON.parse(raw) : null;
  } catch (e) {
    return null;
  }
}

/** @param {string | null} sessionId @param {Saved} data */
export function save(sessionId, data) {
  if (!sessionId) return;
  try {
    localStorage.setItem(key(sessionId), JSON.stringify(data));
  } catch (e) {
    /* private mode or full storage: resuming just won't work */
  }
}

/** @param {string | null} sessionId */
export function forget(sessionId) {
  if (!sessionId) return;
  try {
    localStorage.removeItem(key(sessionId));
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
