// "Choose a breakout room" for mentees, while a round with `allow_choice` is a draft or open: a
// button per room, `aria-pressed` on their choice.

import { el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { chooserInfo, roomNameIn } from "./state.js";
import { refusalText } from "./commands.js";

/**
 * @param {object} ctx
 * @param {import("../../core/store.js").Store} ctx.store
 * @param {import("./commands.js").BreakoutCommands} ctx.commands
 * @param {(text: string) => void} ctx.announce
 */
export function createChooser({ store, commands, announce }) {
  const chooser = el("section", { id: "breakouts-choose", class: "bo-panel bo-choose", "aria-labelledby": "bo-choose-title", hidden: true });
  const help = el("p", { class: "bo-help" });
  const list = el("div", { class: "bo-choose-list", role: "group", "aria-labelledby": "bo-choose-title" });
  const error = el("p", { class: "bo-error", role: "alert" });
  chooser.append(el("h2", { id: "bo-choose-title", class: "bo-choose-title" }, t("breakouts.choose.title")), help, list, error);

  /** @param {string} room @param {HTMLButtonElement} control */
  async function choose(room, control) {
    if (control.dataset.busy) return;
    control.dataset.busy = "1";
    control.setAttribute("aria-disabled", "true");
    error.textContent = "";
    const ack = await commands.choose(room);
    delete control.dataset.busy;
    control.removeAttribute("aria-disabled");
    if (ack.ok) announce(t("breakouts.choose.chosen", { room: roomNameIn(store.round, room) }));
    else {
      error.textContent = refusalText(ack);
      render();
    }
  }

  function render() {
    const info = chooserInfo(store.round, store.me.role, store.me.id);
    chooser.hidden = !info;
    if (!info) return;
    help.textContent = info.help;
    const buttons = info.rooms.map((r) => {
      const b = el("button", { type: "button", class: "bo-choose-room", "aria-pressed": String(r.chosen), "data-key": `choose:${r.id}` });
      b.append(el("span", { class: "bo-choose-name" }, r.name), el("span", { class: "visually-hidden" }, ", "), el("span", { class: "bo-choose-count" }, r.count));
      b.addEventListener("click", () => !r.chosen && choose(r.id, b));
      return b;
    });
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const key = active && chooser.contains(active) ? active.dataset.key : undefined;
    list.replaceChildren(...buttons);
    const again = key ? /** @type {HTMLElement | null} */ (list.querySelector(`[data-key="${CSS.escape(key)}"]`)) : null;
    if (again) again.focus({ preventScroll: true });
  }

  return { element: chooser, render, hide: () => (chooser.hidden = true) };
}
