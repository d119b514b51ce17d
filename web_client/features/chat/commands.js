// Chat commands.

import { CLIENT_EVENTS } from "../../core/events.js";

/**
 * Send a chat message to my room. `clientId` is this page's id for it: sent again with the same
 * id (after a lost connection), it is posted once.
 * @param {{request: (event: string, payload: object) => Promise<import("../../core/types.js").Ack>}} transport
 * @param {string} text
 * @param {string} clientId
 */
export function sendChat(transport, text, clientId) {
  return transport.request(CLIENT_EVENTS.CHAT, { text, client_id: clientId });
}
