// The end of the session, however it reaches the page. It comes as the `session_ended` event on
// the page's connection; but when that connection was down at that moment (a lost network, a
// missed ping under load, the server closing it before the event left), the page learns it from
// the refusal of what it does next: its reconnect (connect_error, code `session_ended`) or its
// rejoin (the join's acknowledgement, same code). Someone who was in the session sees the
// session-ended view whichever way it came; someone waiting to be let in, the waiting room's
// words for it; only a page that never got in shows the refusal a link of an ended session gets.

import { SERVER_EVENTS } from "../../core/events.js";

export const ENDED_CODE = "session_ended";

/** @typedef {"ended" | "ended_while_waiting"} EndedView */

/**
 * How to tell this page that its session ended, or null when it was never in it (the refusal
 * of its link says it then).
 * @param {{joinedOnce: boolean, state: string}} page  joined at least once on this page; its state
 * @returns {EndedView | null}
 */
export function endedView({ joinedOnce, state }) {
  if (joinedOnce) return "ended"; // in the call, or reconnecting to it
  if (state === "waiting") return "ended_while_waiting";
  return null;
}

/**
 * Shows the end of the session once, from the event or from a refusal with its code.
 * @param {object} ctx
 * @param {import("../../core/dispatcher.js").Dispatcher} ctx.dispatcher
 * @param {() => {joinedOnce: boolean, state: string}} ctx.page
 * @param {(view: EndedView) => void} ctx.show  stops the connection and the call, and shows the view
 */
export function installSessionEnding({ dispatcher, page, show }) {
  /** @type {EndedView | null} */
  let shown = null;
  /** @param {EndedView} view */
  const end = (view) => {
    if (shown) return;
    shown = view;
    show(view);
  };
  // Sent only to the connections of the session's participants: this page was in it.
  dispatcher.on(SERVER_EVENTS.SESSION_ENDED, () => end("ended"));
  return {
    /**
     * A connection or a join was refused with `code`: whether that was the end of the session
     * this page was in (now shown), or a refusal for the page to show as one.
     * @param {string} code
     * @returns {boolean}
     */
    refused(code) {
      if (code !== ENDED_CODE) return false;
      const view = endedView(page());
      if (!view) return false;
      end(view);
      return true;
    },
    /** The view shown, if the end was. */
    get shown() {
      return shown;
    },
  };
}
