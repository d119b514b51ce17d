// The "People" list of the side panel and its count, drawn from the store; for a mentor of a
// programme, their own mentees' goals under it (given by the programme feature).

import { byId, el } from "../../ui/dom.js";
import { colourFor, initials, listed, personDetail } from "./state.js";
import { MAIN, roomOf } from "../../core/store.js";
import { t } from "../../ui/i18n.js";

/**
 * @param {import("../../core/store.js").Store} store
 * @param {{rowExtras?: (p: import("../../core/types.js").Participant) => HTMLElement | null}} [options]
 *   rowExtras: what another feature adds at the end of a person's row (a mentor's actions)
 */
export function installPeople(store, { rowExtras = () => null } = {}) {
  const list = byId("participant-list");
  const count = byId("people-count");

  function render() {
    const selfId = store.me.id;
    const { present, away } = listed(store.participants.values(), selfId);
    count.textContent = String(present.length);
    list.replaceChildren(
      ...[...present, ...away].map((p) => {
        const self = p.id === selfId;
        const li = el("li", {
          class: "person" + (p.state !== "connected" && !self ? " person-away" : "") + (store.handRaised(p.id) ? " hand-raised" : ""),
          "data-id": p.id,
          "data-state": p.state,
        });
        const avatar = el("span", { class: "person-avatar", "aria-hidden": "true", translate: "no" }, initials(p.name));
        avatar.style.background = colourFor(p.id);
        const text = el("span", { class: "person-text" });
        const room = roomOf(p);
        const roomName = room === MAIN ? t("breakouts.main_room") : store.roomName(room);
        const detail = personDetail(p, { selfId, inMyRoom: store.inMyRoom(p), roomName });
        text.append(el("span", { class: "person-name" }, self ? t("people.name_you", { name: p.name }) : p.name), el("span", { class: "person-detail" }, detail));
        li.append(avatar, text);
        const extras = rowExtras(p);
        if (extras) li.append(extras);
        return li;
      }),
    );
  }

  /**
   * "Your mentees' goals": each mentee's name and goals in words (an empty list hides it).
   * @param {{name: string, goals: string}[]} mentees
   */
  function showMentees(mentees) {
    const section = byId("mentee-goals");
    byId("mentee-goals-list").replaceChildren(
      ...mentees.map((m) => {
        const li = el("li", { class: "mentee-goal" });
        li.append(el("span", { class: "mentee-name" }, m.name), document.createTextNode(`: ${m.goals}`));
        return li;
      }),
    );
    section.hidden = mentees.length === 0;
  }

  store.subscribe("participants", render);
  store.subscribe("room", render);
  return { render, showMentees };
}
