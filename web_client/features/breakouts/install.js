// Breakout rooms in the call page: the mentor's panel, the mentees' chooser, my room's status line
// and "Ask for help". Everything follows the store; the panel and chooser go at the top of the
// side panel. The last-minute warning and "the rooms are closing" are urgent: shown as a toast and
// read out at once (an assertive live region), where other notices wait their turn.

import { addStylesheet, byId, el } from "../../ui/dom.js";
import { toast } from "../../ui/announce.js";
import { SERVER_EVENTS } from "../../core/events.js";
import { breakoutCommands } from "./commands.js";
import { createPanel } from "./panel.js";
import { createChooser } from "./chooser.js";
import { createRoomStatus } from "./room_status.js";
import { warningNotice } from "./state.js";

const TICK_MS = 1000;

/**
 * @param {object} ctx
 * @param {import("../../core/store.js").Store} ctx.store
 * @param {import("../../core/dispatcher.js").Dispatcher} ctx.dispatcher
 * @param {import("../../core/transport.js").Transport} ctx.transport
 * @param {(text: string) => void} ctx.announce
 * @param {(text: string, about?: string[]) => void} ctx.notice  about: the participants it names
 * @param {(text: string) => void} ctx.alert
 * @param {(text: string) => void} [ctx.urgent]  shown and read out at once (default: a toast and
 *   this feature's assertive live region)
 */
export function installBreakouts({ store, dispatcher, transport, announce, notice, alert, urgent }) {
  addStylesheet("/client/features/breakouts/breakouts.css");
  const assertive = el("div", { id: "breakouts-urgent", class: "visually-hidden", "aria-live": "assertive", "aria-atomic": "true" });
  byId("screen-call").append(assertive);
  const sayNow = urgent || ((/** @type {string} */ text) => {
    toast(text);
    // A fresh text in a later frame is read even when it repeats the last one.
    assertive.textContent = "";
    setTimeout(() => (assertive.textContent = text), 50);
  });
  const commands = breakoutCommands(transport);
  const panel = createPanel({ store, commands, notice });
  const chooser = createChooser({ store, commands, announce });
  const status = createRoomStatus({ store, commands, announce, urgent: sayNow, alert });
  byId("screen-call").querySelector(".sidebar")?.prepend(panel.element, chooser.element);

  let running = false;
  /** While a join is being handled, changes are not announced (a reloaded page shows the round as it is). */
  let quiet = false;
  let tick = 0;

  function render() {
    if (!running) return;
    panel.render();
    chooser.render();
    status.render();
  }

  store.subscribe("round", ({ before }) => {
    if (!running) return;
    const previous = /** @type {import("../../core/types.js").Breakouts | null} */ (before || null);
    panel.roundChanged(previous, quiet);
    status.roundChanged(previous, quiet);
    render();
  });
  for (const topic of /** @type {const} */ (["participants", "room", "me"])) store.subscribe(topic, render);
  store.subscribe("speaking", () => running && panel.paintSpeaking());
  store.subscribe("quality", () => running && panel.paintSpeaking());
  dispatcher.on(SERVER_EVENTS.BREAKOUT_WARNING, ({ seconds_left: left }) => sayNow(warningNotice(left)));

  return {
    /** Before the store takes a join acknowledgement: show what it brings without notices. */
    joining() {
      running = true;
      quiet = true;
    },
    /** After it. */
    joined() {
      quiet = false;
      panel.back(transport.droppedAt);
      render();
      clearInterval(tick);
      tick = window.setInterval(() => {
        if (!store.round) return;
        status.renderText();
        if (store.round.state !== "draft") panel.tick();
      }, TICK_MS);
    },
    stop() {
      running = false;
      clearInterval(tick);
      panel.hide();
      chooser.hide();
    },
  };
}
