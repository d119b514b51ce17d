// Who is in the call, as the people list and the video tiles show them. Pure functions.

import { t } from "../../ui/i18n.js";

/** @typedef {import("../../core/types.js").Participant} Participant */

/** "Ana María López" -> "AL"; "" -> "?". @param {string | null | undefined} name */
export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  const first = Array.from(parts[0])[0] || "";
  const last = parts.length > 1 ? Array.from(parts[parts.length - 1])[0] || "" : "";
  return (first + last).toUpperCase();
}

/**
 * A stable, pleasant background colour per participant id, for initials in white: at 30%
 * lightness every hue keeps white text above 4.5:1 (yellows were 3.6:1 at 38%).
 * @param {string} id
 */
export function colourFor(id) {
  let h = 0;
  for (const ch of String(id)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 45% 30%)`;
}

/**
 * Me first, then the others by join time: a stable order, so tiles and rows do not jump around.
 * @param {string | null} selfId
 * @returns {(a: Participant, b: Participant) => number}
 */
export function tileOrder(selfId) {
  return (a, b) => (a.id === selfId ? -1 : b.id === selfId ? 1 : (a.joined_at || 0) - (b.joined_at || 0));
}

/**
 * The people list: those present (me included), then those reconnecting.
 * @param {Iterable<Participant>} everyone
 * @param {string | null} selfId
 */
export function listed(everyone, selfId) {
  const all = [...everyone];
  const order = tileOrder(selfId);
  const present = all.filter((p) => p.state === "connected" || p.id === selfId).sort(order);
  const away = all.filter((p) => p.state === "disconnected" && p.id !== selfId).sort(order);
  return { present, away };
}

/**
 * The small print under a name: role, room when elsewhere, reconnecting, muted, camera off.
 * @param {Participant} p
 * @param {{selfId: string | null, inMyRoom: boolean, roomName: string}} where
 */
export function personDetail(p, { selfId, inMyRoom, roomName }) {
  const self = p.id === selfId;
  const bits = [t("people.role", { role: p.role })];
  if (!self && p.state === "connected" && !inMyRoom) bits.push(t("people.detail.in_room", { room: roomName }));
  if (p.state === "disconnected" && !self) bits.push(t("people.detail.reconnecting"));
  else if (p.role === "observer") bits.push(t("people.detail.watching"));
  else if (p.role === "captioner") bits.push(t("people.detail.captioning"));
  else {
    if (!p.audio) bits.push(t("people.detail.muted"));
    if (!p.video) bits.push(t("people.detail.camera_off"));
  }
  return bits.join(" · ");
}
