// Breakout commands (PROTOCOL.md "Breakout rooms"). Each resolves with the server's
// acknowledgement. The round itself reaches the store through the `breakouts` event, which the
// server sends before it acknowledges a command; the acknowledgement's copy of the round is not
// applied, because it can be older than an event from someone else that arrived just before it.

import { CLIENT_EVENTS } from "../../core/events.js";
import { t } from "../../ui/i18n.js";
import { refusedWords } from "../../ui/wording.js";

/**
 * @typedef {import("../../core/types.js").Ack} Ack
 * @typedef {{request: (event: string, payload: object) => Promise<Ack>}} Requester
 */

const E = CLIENT_EVENTS;

/** @param {Requester} transport */
export function breakoutCommands(transport) {
  /** @param {string} event @param {object} [payload] */
  const send = (event, payload = {}) => transport.request(event, payload);
  return {
    /** @param {{count?: number, names?: string[], allow_choice: boolean}} rooms */
    create: (rooms) => send(E.BREAKOUT_CREATE, rooms),
    /** @param {boolean} allowChoice */
    createFromGroups: (allowChoice) => send(E.BREAKOUT_CREATE, { from_groups: true, allow_choice: allowChoice }),
    /** @param {string} participantId @param {string | null} room */
    assign: (participantId, room) => send(E.BREAKOUT_ASSIGN, { participant_id: participantId, room: room || null }),
    autoAssign: () => send(E.BREAKOUT_AUTO_ASSIGN),
    /** @param {number | null} durationSeconds */
    open: (durationSeconds) => send(E.BREAKOUT_OPEN, { duration_seconds: durationSeconds }),
    // These two carry the page's id for them (core/sent_once.js): sent again with it after a
    // lost connection, they are applied once.
    /** @param {number} seconds @param {string} [clientId] */
    adjust: (seconds, clientId) => send(E.BREAKOUT_ADJUST, clientId ? { add_seconds: seconds, client_id: clientId } : { add_seconds: seconds }),
    /** @param {string} text @param {string} [clientId] */
    broadcast: (text, clientId) => send(E.BREAKOUT_BROADCAST, clientId ? { text, client_id: clientId } : { text }),
    /** @param {string} room */
    visit: (room) => send(E.BREAKOUT_VISIT, { room }),
    /** @param {number} countdownSeconds */
    close: (countdownSeconds) => send(E.BREAKOUT_CLOSE, { countdown_seconds: countdownSeconds }),
    discard: () => send(E.BREAKOUT_DISCARD),
    /** @param {string} room */
    choose: (room) => send(E.BREAKOUT_CHOOSE, { room }),
    requestHelp: () => send(E.HELP_REQUEST),
    withdrawHelp: () => send(E.HELP_WITHDRAW),
  };
}

/** @typedef {ReturnType<typeof breakoutCommands>} BreakoutCommands */

/**
 * The words for a refused command.
 * @param {Ack} ack
 */
export function refusalText(ack) {
  if (ack.ok) return "";
  if (ack.error.code === "timeout") return t("breakouts.refused.timeout");
  if (ack.error.code === "invalid_payload") return t("breakouts.refused.invalid");
  return refusedWords(ack.error, "breakouts.refused.other");
}
