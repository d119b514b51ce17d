// What captions send (through the transport, no DOM). Each resolves with the server's
// acknowledgement.

import { CLIENT_EVENTS } from "../../core/events.js";

/** @typedef {{speaker_id: string, utterance: string, text: string, final: boolean, room?: string}} CaptionText */

/** @param {{request: (event: string, payload: object) => Promise<import("../../core/types.js").Ack>}} transport */
export function captionCommands(transport) {
  return {
    /** I want to see captions (true) or not. @param {boolean} on */
    view: (on) => transport.request(CLIENT_EVENTS.CAPTIONS_VIEW, { on }),
    /** Whether my speech may be captioned. @param {boolean} on */
    transcribe: (on) => transport.request(CLIENT_EVENTS.CAPTIONS_TRANSCRIBE, { on }),
    /** Who recognises my speech: the server, or this browser. @param {"server" | "browser"} source */
    source: (source) => transport.request(CLIENT_EVENTS.CAPTIONS_SOURCE, { source }),
    /**
     * Caption text, from my browser's recognition or a captioner's typing, with the room it was
     * said or typed in (the server shows it there only).
     * @param {CaptionText} caption
     */
    text: ({ speaker_id, utterance, text, final, room }) =>
      transport.request(CLIENT_EVENTS.CAPTION_TEXT, room ? { speaker_id, utterance, text, final, room } : { speaker_id, utterance, text, final }),
  };
}
