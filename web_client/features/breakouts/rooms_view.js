// The room cards of the mentor's panel: the draft (who goes where) and the live overview (who is
// where now, muted, reconnecting, speaking, asking for help), with a room select per person.

import { el } from "../../ui/dom.js";
import { MAIN, roomOf } from "../../core/store.js";
import { t } from "../../ui/i18n.js";
import { assignments, mainRoomPeople, peopleCount, placeable, roomPeople, roomNameIn, draftLead } from "./state.js";

/**
 * @typedef {import("../../core/types.js").Participant} Participant
 * @typedef {import("../../core/types.js").Breakouts} Breakouts
 * @typedef {object} RoomsContext
 * @property {import("../../core/store.js").Store} store
 * @property {(participantId: string, room: string | null, control: HTMLSelectElement) => void} assign
 * @property {(room: string, control: HTMLButtonElement) => void} visit
 */

/** Roles named on a person's row (mentees, the most, are not). */
const NAMED_ROLES = new Set(["mentor", "observer", "admin"]);

/**
 * A room card. `key` gives the heading a page-unique id without using the (opaque) room id in it.
 * @param {string} roomId
 * @param {string} key
 * @param {string} title
 * @param {{count: string, list: HTMLElement, headerButtons?: HTMLElement[], highlight?: boolean, here?: boolean}} parts
 */
function roomCard(roomId, key, title, { count, list, headerButtons = [], highlight = false, here = false }) {
  const headingId = `bo-room-${key}`;
  const card = el("section", {
    class: "bo-room" + (highlight ? " bo-room-help" : "") + (here ? " bo-room-here" : ""),
    "data-room": roomId,
    "aria-labelledby": headingId,
  });
  const head = el("div", { class: "bo-room-head" });
  const h = el("h3", { id: headingId }, title);
  h.append(" ", el("span", { class: "bo-room-count" }, count));
  head.append(h, ...headerButtons);
  card.append(head, list);
  return card;
}

/**
 * @param {RoomsContext} ctx
 * @param {Breakouts} round
 * @param {Participant} p
 * @param {string | null} current
 * @param {string} label
 */
function roomSelect(ctx, round, p, current, label) {
  const select = el("select", { class: "bo-select", "aria-label": label, "data-key": `assign:${p.id}` });
  select.append(el("option", { value: "" }, t("breakouts.select.main")));
  for (const r of round.rooms) select.append(el("option", { value: r.id }, r.name));
  select.value = current || "";
  select.addEventListener("change", () => ctx.assign(p.id, select.value || null, select));
  return select;
}

/**
 * @param {RoomsContext} ctx
 * @param {Breakouts} round
 * @param {Participant} p
 * @param {{room: string | null, live: boolean, flags?: {text: string, cls: string}[]}} options
 */
function personRow(ctx, round, p, { room, live, flags = [] }) {
  const li = el("li", { class: "bo-person", "data-pid": p.id });
  const self = p.id === ctx.store.me.id;
  const text = el("span", { class: "bo-person-text" });
  text.append(el("span", { class: "bo-name" }, self ? t("breakouts.person_you", { name: p.name }) : p.name));
  const bits = el("span", { class: "bo-flags" });
  if (NAMED_ROLES.has(p.role)) bits.append(el("span", { class: "bo-flag bo-flag-role" }, t("breakouts.flag.role", { role: p.role })));
  if (live) {
    bits.append(el("span", { class: "bo-flag bo-flag-speaking", hidden: true }, t("breakouts.flag.speaking")));
    if (p.state === "disconnected") bits.append(el("span", { class: "bo-flag bo-flag-away" }, t("breakouts.flag.reconnecting")));
    else if (p.state === "connected" && p.role !== "observer") {
      if (!p.audio) bits.append(el("span", { class: "bo-flag bo-flag-muted" }, t("breakouts.flag.muted")));
      if (!p.video) bits.append(el("span", { class: "bo-flag" }, t("breakouts.flag.camera_off")));
    }
  } else if (p.state === "disconnected") {
    bits.append(el("span", { class: "bo-flag bo-flag-away" }, t("breakouts.flag.reconnecting")));
  }
  for (const f of flags) bits.append(el("span", { class: `bo-flag ${f.cls}` }, f.text));
  if (bits.childElementCount) text.append(bits);
  li.append(text);
  if (!self) li.append(roomSelect(ctx, round, p, room, live ? t("breakouts.select.move", { name: p.name }) : t("breakouts.select.room_for", { name: p.name })));
  return li;
}

/** @param {string} text */
function emptyRow(text) {
  return el("li", { class: "bo-empty" }, text);
}

/**
 * The draft's cards: one per room with those assigned, then "Not assigned".
 * @param {RoomsContext} ctx
 * @param {Breakouts} round
 * @returns {{cards: HTMLElement[], lead: string}}
 */
export function draftCards(ctx, round) {
  const { store } = ctx;
  const assignedTo = assignments(round);
  const everyone = placeable(store.participants.values(), round, store.me.id);
  const waiting = everyone.filter((p) => !assignedTo.has(p.id));
  const cards = round.rooms.map((r, i) => {
    const list = el("ul", { class: "bo-people" });
    for (const id of r.assigned) {
      const p = store.participants.get(id);
      if (p && p.state !== "left") list.append(personRow(ctx, round, p, { room: r.id, live: false }));
    }
    const n = list.childElementCount;
    if (!n) list.append(emptyRow(t("breakouts.room.nobody_yet")));
    return roomCard(r.id, String(i + 1), r.name, { count: peopleCount(n), list });
  });
  const rest = el("ul", { class: "bo-people" });
  for (const p of waiting) rest.append(personRow(ctx, round, p, { room: null, live: false }));
  if (!rest.childElementCount) rest.append(emptyRow(t("breakouts.room.all_placed")));
  cards.push(roomCard("unassigned", "unassigned", t("breakouts.room.unassigned"), { count: t("breakouts.room.unassigned_note"), list: rest }));
  return { cards, lead: draftLead(round, waiting.length) };
}

/**
 * The live overview's cards: one per room, then the main room.
 * @param {RoomsContext} ctx
 * @param {Breakouts} round
 * @param {import("../../core/types.js").HelpRequest[]} help
 */
export function liveCards(ctx, round, help) {
  const { store } = ctx;
  const open = round.state === "open";
  const myRoom = store.room;
  const helpRooms = new Set(help.map((h) => h.room));
  const askers = new Set(help.map((h) => h.participant_id));
  const cards = round.rooms.map((r, i) => {
    const list = el("ul", { class: "bo-people" });
    for (const { person: p, away } of roomPeople(r, store.participants)) {
      /** @type {{text: string, cls: string}[]} */
      let flags = [];
      if (away) flags = p.state === "connected" ? [{ text: t("breakouts.flag.in_room", { room: roomNameIn(round, roomOf(p)) }), cls: "bo-flag-away" }] : [];
      else if (askers.has(p.id)) flags = [{ text: t("breakouts.flag.asked_help"), cls: "bo-flag-help" }];
      list.append(personRow(ctx, round, p, { room: r.id, live: true, flags }));
    }
    if (!list.childElementCount) list.append(emptyRow(t("breakouts.room.empty")));
    const here = r.id === myRoom;
    /** @type {HTMLElement[]} */
    const buttons = [];
    if (here) {
      buttons.push(el("span", { class: "bo-here" }, t("breakouts.room.here")));
    } else if (open) {
      const go = el("button", { type: "button", class: "button button-secondary bo-button", "aria-label": t("breakouts.room.visit_named", { room: r.name }), "data-key": `visit:${r.id}` }, t("breakouts.room.visit"));
      go.addEventListener("click", () => ctx.visit(r.id, go));
      buttons.push(go);
    }
    const count = helpRooms.has(r.id) ? t("breakouts.room.count_help", { count: r.members.length }) : peopleCount(r.members.length);
    return roomCard(r.id, String(i + 1), r.name, { count, list, headerButtons: buttons, highlight: helpRooms.has(r.id), here });
  });
  const mainList = el("ul", { class: "bo-people" });
  const inMain = mainRoomPeople(store.participants.values(), store.me.id);
  for (const p of inMain) mainList.append(personRow(ctx, round, p, { room: null, live: true }));
  if (!mainList.childElementCount) mainList.append(emptyRow(t("breakouts.room.empty")));
  const here = myRoom === MAIN;
  cards.push(roomCard(MAIN, "main", t("breakouts.main_room"), {
    count: peopleCount(inMain.length),
    list: mainList,
    headerButtons: here ? [el("span", { class: "bo-here" }, t("breakouts.room.here"))] : [],
    here,
  }));
  return cards;
}

/** Mark who speaks now in the overview (once a second and on every change). @param {HTMLElement} box @param {import("../../core/store.js").Store} store */
export function paintSpeaking(box, store) {
  for (const li of box.querySelectorAll(".bo-person[data-pid]")) {
    const speaking = store.isSpeaking(/** @type {HTMLElement} */ (li).dataset.pid || "");
    li.classList.toggle("bo-speaking", speaking);
    const flag = /** @type {HTMLElement | null} */ (li.querySelector(".bo-flag-speaking"));
    if (flag) flag.hidden = !speaking;
  }
}
