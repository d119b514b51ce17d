// Moderation as the page sees it: who may act on whom, which actions a person's row offers, and
// the words people are told. Pure functions (no DOM, no network).

/** @typedef {import("../../core/types.js").Participant} Participant */

/** Mentors and admins moderate. @param {string | null | undefined} role */
export function moderates(role) {
  return role === "mentor" || role === "admin";
}

/**
 * Whether I may act on `p`: not myself, and a mentor acts on mentees, observers and captioners
 * (an admin on anyone).
 * @param {{id: string | null, role: string | null}} me
 * @param {Participant} p
 */
export function canActOn(me, p) {
  if (!moderates(me.role) || p.id === me.id) return false;
  return me.role === "admin" || !moderates(p.role);
}

/**
 * The actions a person's row offers now, in order.
 * @param {Participant} p
 * @returns {{action: "mute" | "stop_camera" | "stop_screen" | "allow" | "remove", label: string}[]}
 */
export function actionsFor(p) {
  /** @type {{action: "mute" | "stop_camera" | "stop_screen" | "allow" | "remove", label: string}[]} */
  const out = [];
  const present = p.state === "connected";
  if (present && p.audio) out.push({ action: "mute", label: `Mute ${p.name}` });
  if (present && p.video) out.push({ action: "stop_camera", label: `Stop ${p.name}'s camera` });
  if (present && p.screen) out.push({ action: "stop_screen", label: `Stop ${p.name}'s screen share` });
  if (present && (p.audio_locked || p.video_locked)) out.push({ action: "allow", label: `Let ${p.name} unmute` });
  out.push({ action: "remove", label: `Remove ${p.name}` });
  return out;
}

/**
 * What the person acted on is told.
 * @param {{action: string, locked: boolean, by: string}} m
 */
export function moderatedNotice({ action, locked, by }) {
  const who = by === "admin" ? "An admin" : "The mentor";
  switch (action) {
    case "mute":
      return locked ? `${who} muted you. You can unmute once they allow it; raise your hand to ask.` : `${who} muted you. You can unmute when you need to.`;
    case "stop_camera":
      return locked ? `${who} turned your camera off. You can turn it on once they allow it.` : `${who} turned your camera off.`;
    case "stop_screen":
      return `${who} stopped your screen share.`;
    case "allow":
      return `${who} lets you turn your microphone and camera on again.`;
    default:
      return "";
  }
}

/**
 * Names of people who started waiting since the last list.
 * @param {{id: string}[]} before
 * @param {{id: string, name: string}[]} after
 */
export function newlyWaiting(before, after) {
  const known = new Set(before.map((w) => w.id));
  return after.filter((w) => !known.has(w.id)).map((w) => w.name);
}

/** @param {string[]} names */
export function waitingNotice(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is waiting to join. Admit them from the People panel.`;
  return `${names.length} people are waiting to join. Admit them from the People panel.`;
}

/** The messages of the waiting room and after. */
export const WORDS = Object.freeze({
  waiting: {
    title: "Waiting for the mentor to let you in",
    body: "The mentor knows you are here and will let you in shortly. Keep this page open.",
  },
  declined: {
    title: "You were not let into this session",
    body: "The mentor did not let you in this time. If you think this is a mistake, contact your mentor or programme coordinator.",
  },
  endedWhileWaiting: {
    title: "The session has ended",
    body: "The session ended before you were let in. Contact your programme coordinator if you need a new time.",
  },
  removed: {
    title: "You have been removed from this session",
    body: "A mentor removed you from this session. If you think this was a mistake, contact your mentor or programme coordinator.",
  },
  locked: "The mentor locked the session: nobody new can join.",
  unlocked: "The mentor unlocked the session: people can join again.",
});
