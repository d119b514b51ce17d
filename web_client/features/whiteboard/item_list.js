// The board for screen readers and anyone who prefers words: a list of what is on it
// ("Rectangle", "Text note by Ana: Plan", "Your freehand line"), shown with the toolbar's
// "List of items" toggle and kept up to date as the board changes; items that others add are
// announced politely, gathered into at most one announcement every ANNOUNCE_MS (a stroke is one
// item, however many points it gets). The words are ./state.js's.

import { el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { addedAnnouncement, itemDescription, newFromOthers } from "./state.js";

/** @typedef {{id: string, type: string, author: string, text?: string}} ListedItem */

const ANNOUNCE_MS = 1200;

/**
 * @param {object} ctx
 * @param {() => string | null} ctx.me  my participant id
 * @param {(id: string) => string | null} ctx.nameOf  a person's name, null when unknown
 */
export function createItemList({ me, nameOf }) {
  const toggle = el("button", { type: "button", class: "wb-items-toggle", "aria-expanded": "false", "aria-controls": "wb-items" }, t("whiteboard.items.toggle"));
  const section = el("section", { id: "wb-items", class: "wb-items", "aria-labelledby": "wb-items-heading", hidden: true });
  const heading = el("h3", { id: "wb-items-heading" }, t("whiteboard.items.heading"));
  const list = el("ul", { class: "wb-items-list", "aria-labelledby": "wb-items-heading", tabindex: "0" });
  const empty = el("p", { class: "wb-items-empty" }, t("whiteboard.items.empty"));
  section.append(heading, list, empty);
  // Polite, and on the page from the start (a live region added already filled is often not read).
  const live = el("p", { class: "visually-hidden wb-items-live", "aria-live": "polite" });

  /** @type {ListedItem[]} */
  let items = [];
  let shownKey = "";
  /** @type {Set<string>} */
  const seen = new Set();
  /** @type {ListedItem[]} */
  let pending = [];
  let timer = 0;

  toggle.addEventListener("click", () => {
    const open = section.hidden;
    section.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) draw();
  });

  function draw() {
    if (section.hidden) return;
    const lines = items.map((i) => itemDescription(i, me(), nameOf));
    const key = lines.join("\n");
    if (key === shownKey && list.childElementCount === lines.length) return;
    shownKey = key;
    list.replaceChildren(...lines.map((line, n) => el("li", { "data-id": items[n].id }, line)));
    list.hidden = !lines.length;
    empty.hidden = !!lines.length;
  }

  function flush() {
    timer = 0;
    const text = addedAnnouncement(pending, me(), nameOf);
    pending = [];
    if (!text) return;
    // The same words twice in a row are read again only when the text changes.
    live.textContent = live.textContent === text ? `${text}\u00a0` : text;
  }

  return {
    toggle,
    section,
    live,
    /**
     * The board as it is now. `quiet`: the board was just loaded (a room's board on joining it),
     * so its items are not news.
     * @param {ListedItem[]} now
     * @param {boolean} quiet
     */
    update(now, quiet) {
      items = now;
      const added = newFromOthers(seen, now, me());
      if (!quiet && added.length) {
        pending.push(...added);
        if (!timer) timer = window.setTimeout(flush, ANNOUNCE_MS);
      }
      draw();
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
