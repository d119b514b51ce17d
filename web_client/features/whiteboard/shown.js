// A breakout room's board shown in the main room: the mentor's "Show in the main room" select (the
// rooms' boards are asked for when it gets the focus) and, for everyone in the main room, the board
// shown, small, with its name and "Hide".

import { BOARD, drawBoard, readItems } from "./render.js";
import { readShown } from "./commands.js";
import { el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { refusedWords } from "../../ui/wording.js";

/**
 * @param {object} ctx
 * @param {() => Promise<import("../../core/types.js").Ack>} ctx.list  the rooms' boards
 * @param {(room: string | null) => Promise<import("../../core/types.js").Ack>} ctx.show
 * @param {(text: string) => void} ctx.say
 */
export function createShowing({ list, show, say }) {
  // A visible label, and "No room's board" from the start.
  const label = el("label", { class: "wb-show-label", hidden: true });
  const select = el("select", { class: "wb-show" });
  select.append(el("option", { value: "" }, t("whiteboard.show.none")));
  label.append(el("span", {}, t("whiteboard.show.label")), select);
  const panel = el("div", { class: "wb-shown", hidden: true });

  select.addEventListener("focus", () => refreshList());
  select.addEventListener("change", () => showRoom(select.value || null));

  async function refreshList() {
    const ack = await list();
    if (!ack.ok) return;
    const current = select.value;
    select.replaceChildren(el("option", { value: "" }, t("whiteboard.show.none")));
    for (const b of ack.boards) {
      if (b.room === "main") continue;
      select.append(el("option", { value: b.room }, t("whiteboard.show.option", { name: b.name, count: b.items })));
    }
    select.value = ack.shown || current || "";
  }

  /** @param {string | null} room */
  async function showRoom(room) {
    const ack = await show(room);
    if (!ack.ok) say(refusedWords(ack.error, "whiteboard.show.failed"));
  }

  return {
    label,
    panel,
    /** @param {import("./commands.js").Shown | null} shown */
    setShown(shown) {
      panel.replaceChildren();
      if (!shown || !shown.update) {
        panel.hidden = true;
        return;
      }
      const items = readShown(shown.update, readItems);
      const view = el("canvas", { class: "wb-shown-canvas", role: "img", "aria-label": t("whiteboard.shown.label", { name: shown.name, count: items.length }) });
      view.width = BOARD.w / 2;
      view.height = BOARD.h / 2;
      drawBoard(view, items);
      const close = el("button", { type: "button" }, t("whiteboard.shown.hide"));
      close.addEventListener("click", () => (panel.hidden = true));
      panel.append(el("h3", {}, t("whiteboard.shown.heading", { name: shown.name })), view, close);
      panel.hidden = false;
      say(t("whiteboard.shown.announce", { name: shown.name }));
    },
  };
}
