// What screen sharing sends (through the transport, no DOM). Each resolves with the server's
// acknowledgement.

import { CLIENT_EVENTS } from "../../core/events.js";

/** @param {{request: (event: string, payload: object) => Promise<import("../../core/types.js").Ack>}} transport */
export function screenCommands(transport) {
  return {
    /** Start (true) or stop (false) sharing my screen. @param {boolean} on */
    share: (on) => transport.request(CLIENT_EVENTS.SCREEN_SHARE, { on }),
    /** A mentor stops someone's share. @param {string} participantId */
    stop: (participantId) => transport.request(CLIENT_EVENTS.SCREEN_STOP, { participant_id: participantId }),
    /** A mentor lets several people in the room share at once (or one again). @param {boolean} many */
    policy: (many) => transport.request(CLIENT_EVENTS.SCREEN_POLICY, { many }),
  };
}
