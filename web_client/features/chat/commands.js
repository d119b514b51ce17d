// Chat commands.

import { CLIENT_EVENTS } from "../../core/events.js";

/**
 * Send a chat message to my room.
 * @param {{request: (event: string, payload: object) => Promise<import("../../core/types.js").Ack>}} transport
 * @param {string} text
 */
export function sendChat(transport, text) {
  return transport.request(CLIENT_EVENTS.CHAT, { text });
}
