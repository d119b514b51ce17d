// Screen sharing, the rules and the words (no DOM, no network): who shares in my room, what the
// stage says about each share, and who may stop someone else's.

import { sendsNoMedia } from "../../core/store.js";
import { t } from "../../ui/i18n.js";

/** @typedef {import("../../core/types.js").Participant} Participant */
/** @typedef {import("../../core/types.js").Role} Role */

/**
 * The people sharing their screen in my room, in the order they joined (me included).
 * @param {Iterable<Participant>} participants
 * @param {(p: Participant) => boolean} inMyRoom
 * @returns {Participant[]}
 */
export function sharersHere(participants, inMyRoom) {
  return [...participants]
    .filter((p) => p.screen === true && p.state === "connected" && inMyRoom(p))
    .sort((a, b) => (a.joined_at || 0) - (b.joined_at || 0) || (a.id < b.id ? -1 : 1));
}

/** The stage's line about one share. @param {Participant} p @param {string | null} selfId */
export function shareCaption(p, selfId) {
  return p.id === selfId ? t("screen.sharing_self") : t("screen.sharing_other", { name: p.name });
}

/**
 * Said when the server refuses a share because someone else shares (`screen_busy`).
 * @param {Participant[]} sharers  those sharing in my room now
 * @param {string | null} selfId
 */
export function busyNotice(sharers, selfId) {
  const other = sharers.find((p) => p.id !== selfId);
  return other ? t("screen.busy_named", { name: other.name }) : t("screen.busy");
}

/** Mentors (and admins) stop other people's shares and set how many may share. @param {Role | null} role */
export function mayModerateShares(role) {
  return role === "mentor" || role === "admin";
}

/** Observers only watch; captioners send nothing either. @param {Role | null} role */
export function mayShare(role) {
  return !!role && !sendsNoMedia(role);
}
