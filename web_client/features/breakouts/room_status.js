// Where I am and how long is left (the line under the call's title), the "Ask for help" button,
// and the urgent notice about the rooms closing.

import { byId, byIdAs } from "../../ui/dom.js";
import { setIcon } from "../../ui/icons.js";
import { t } from "../../ui/i18n.js";
import { closingNotice, helpButton, roomStatusText } from "./state.js";
import { refusedWords } from "../../ui/wording.js";

/**
 * @param {object} ctx
 * @param {import("../../core/store.js").Store} ctx.store
 * @param {import("./commands.js").BreakoutCommands} ctx.commands
 * @param {(text: string) => void} ctx.announce
 * @param {(text: string) => void} ctx.urgent  shown and read out at once
 * @param {(text: string) => void} ctx.alert  the call's alert line
 */
export function createRoomStatus({ store, commands, announce, urgent, alert }) {
  const status = byId("room-status");
  const help = byIdAs("ctl-help", HTMLButtonElement);
  const helpLabel = /** @type {HTMLElement} */ (help.querySelector(".control-label"));
  setIcon(help, "hand");

  help.addEventListener("click", async () => {
    const asked = help.getAttribute("aria-pressed") === "true";
    const ack = await (asked ? commands.withdrawHelp() : commands.requestHelp());
    if (ack.ok) announce(asked ? t("breakouts.help.withdrawn") : t("breakouts.help.asked_announce"));
    else alert(refusedWords(ack.error, "breakouts.refused.other"));
  });

  /** Also once a second while a countdown is on. */
  function renderText() {
    const text = roomStatusText(store.round, store.room, store.roomName(store.room), store.serverNow());
    status.textContent = text;
    status.hidden = !text;
  }

  function render() {
    renderText();
    const state = helpButton(store.round, { room: store.room, role: store.me.role, selfId: store.me.id });
    help.hidden = !state.visible;
    help.setAttribute("aria-pressed", String(state.asked));
    helpLabel.textContent = state.asked ? t("breakouts.help.asked") : t("breakouts.help.ask");
    help.title = state.asked ? t("breakouts.help.asked_title") : t("breakouts.help.ask_title");
  }

  /** @param {import("../../core/types.js").Breakouts | null} before @param {boolean} quiet */
  function roundChanged(before, quiet) {
    const text = quiet ? null : closingNotice(before, store.round, store.room, store.serverNow());
    if (text) urgent(text);
  }

  return { render, renderText, roundChanged };
}
