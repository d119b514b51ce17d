// Moderation as the page sees it: who may act on whom, which actions a person's row offers, and
// the words people are told. Pure functions (no DOM, no network; words from the catalogue,
// ui/i18n.js).

import { t } from "../../ui/i18n.js";

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
  const name = p.name;
  if (present && p.audio) out.push({ action: "mute", label: t("moderation.action.mute", { name }) });
  if (present && p.video) out.push({ action: "stop_camera", label: t("moderation.action.stop_camera", { name }) });
  if (present && p.screen) out.push({ action: "stop_screen", label: t("moderation.action.stop_screen", { name }) });
  if (present && (p.audio_locked || p.video_locked)) out.push({ action: "allow", label: t("moderation.action.allow", { name }) });
  out.push({ action: "remove", label: t("moderation.action.remove", { name }) });
  return out;
}

/**
 * What the person acted on is told.
 * @param {{action: string, locked: boolean, by: string}} m
 */
export function moderatedNotice({ action, locked, by }) {
  const who = by === "admin" ? "admin" : "mentor";
  switch (action) {
    case "mute":
      return locked ? t("moderation.notice.mute_locked", { by: who }) : t("moderation.notice.mute", { by: who });
    case "stop_camera":
      return locked ? t("moderation.notice.stop_camera_locked", { by: who }) : t("moderation.notice.stop_camera", { by: who });
    case "stop_screen":
      return t("moderation.notice.stop_screen", { by: who });
    case "allow":
      return t("moderation.notice.allow", { by: who });
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
  return t("moderation.waiting_notice", { count: names.length, name: names[0] });
}

/**
 * What someone refused by the server was trying to do, and the server's reason.
 * @param {"admit" | "decline" | "lock" | "unlock" | "end" | "mute" | "stop_camera" | "stop_screen" | "allow" | "remove"} action
 * @param {string} name  the person acted on ("" for the session's own actions)
 * @param {string} reason
 */
export function refusedText(action, name, reason) {
  return t("moderation.refused", { action, name, reason });
}

/**
 * The messages of the waiting room and after, in the page's language when they are read.
 * @type {{readonly waiting: {title: string, body: string}, readonly declined: {title: string, body: string}, readonly endedWhileWaiting: {title: string, body: string}, readonly removed: {title: string, body: string}, readonly locked: string, readonly unlocked: string}}
 */
export const WORDS = Object.freeze({
  get waiting() {
    return { title: t("moderation.waiting.title"), body: t("moderation.waiting.body") };
  },
  get declined() {
    return { title: t("moderation.declined.title"), body: t("moderation.declined.body") };
  },
  get endedWhileWaiting() {
    return { title: t("moderation.ended_waiting.title"), body: t("moderation.ended_waiting.body") };
  },
  get removed() {
    return { title: t("moderation.removed.title"), body: t("moderation.removed.body") };
  },
  get locked() {
    return t("moderation.locked");
  },
  get unlocked() {
    return t("moderation.unlocked");
  },
});
