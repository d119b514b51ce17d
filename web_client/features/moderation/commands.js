// What moderation sends to the server (docs/PROTOCOL.md, "Moderation and the waiting room").

import { CLIENT_EVENTS } from "../../core/events.js";

/** @typedef {import("../../core/transport.js").Transport} Transport */

/**
 * @param {Transport} transport
 * @param {string} participantId
 * @param {"mute" | "stop_camera" | "stop_screen" | "allow" | "remove"} action
 * @param {boolean} lock
 */
export function moderate(transport, participantId, action, lock) {
  return transport.request(CLIENT_EVENTS.MODERATE, { participant_id: participantId, action, lock });
}

/** @param {Transport} transport @param {string} waitingId */
export function admit(transport, waitingId) {
  return transport.request(CLIENT_EVENTS.ADMIT, { waiting_id: waitingId });
}

/** @param {Transport} transport @param {string} waitingId */
export function decline(transport, waitingId) {
  return transport.request(CLIENT_EVENTS.DECLINE, { waiting_id: waitingId });
}

/** @param {Transport} transport @param {boolean} locked */
export function lockSession(transport, locked) {
  return transport.request(CLIENT_EVENTS.SESSION_LOCK, { locked });
}

/** @param {Transport} transport */
export function endForEveryone(transport) {
  return transport.request(CLIENT_EVENTS.END_SESSION, {});
}
