// Moderation on the call page: for mentors and admins, the waiting room (admit, decline), the
// session's lock and "End for everyone" at the top of the People panel, and per person the
// actions of their row (mute, stop camera or share, allow, remove); for everyone, what a mentor
// did to them (turning their own microphone or camera off) and the lock's notices. Removing a
// person and ending the session for everyone are asked again in a dialog (ui/confirm_dialog.js).

import { SERVER_EVENTS } from "../../core/events.js";
import { addStylesheet, byId, byIdAs, el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { confirmDialog } from "../../ui/confirm_dialog.js";
import { actionsFor, canActOn, moderatedNotice, moderates, newlyWaiting, refusedText, waitingNotice, WORDS } from "./state.js";
import { admit, decline, endForEveryone, lockSession, moderate } from "./commands.js";
import { refusedWords } from "../../ui/wording.js";

/** @typedef {import("../../core/types.js").Participant} Participant */
/** @typedef {{id: string, name: string, role: string, since: number, returning: boolean, removed_before: boolean}} Waiter */

/**
 * @param {{
 *   store: import("../../core/store.js").Store,
 *   dispatcher: import("../../core/dispatcher.js").Dispatcher,
 *   transport: import("../../core/transport.js").Transport,
 *   notice: (text: string) => void,
 *   announce: (text: string) => void,
 *   alert: (text: string) => void,
 *   turnOff: (kind: "audio" | "video") => void,
 *   rerenderPeople: () => void,
 * }} deps
 */
export function installModeration({ store, dispatcher, transport, notice, alert, turnOff, rerenderPeople }) {
  addStylesheet("/client/features/moderation/moderation.css");
  const panel = byId("moderation");
  const lockButton = byIdAs("mod-lock", HTMLButtonElement);
  const endButton = byIdAs("mod-end", HTMLButtonElement);
  const keep = byIdAs("mod-keep", HTMLInputElement);
  const waitingSection = byId("waiting-room");
  const waitingList = byId("waiting-list");
  const waitingCount = byId("waiting-count");
  const admitAll = byIdAs("waiting-admit-all", HTMLButtonElement);

  /** @type {Waiter[]} */
  let waiting = [];
  let locked = false;
  /** @type {string | null} the person whose actions are open */
  let openFor = null;

  /**
   * @param {import("../../core/types.js").Ack} ack
   * @param {Parameters<typeof refusedText>[0]} action
   * @param {string} [name]
   */
  function refused(ack, action, name = "") {
    if (!ack.ok && ack.error.code !== "timeout") alert(refusedText(action, name, refusedWords(ack.error, "errors.generic.body")));
  }

  function render() {
    const mine = moderates(store.me.role);
    panel.hidden = !mine;
    if (!mine) return;
    lockButton.setAttribute("aria-pressed", String(locked));
    lockButton.textContent = locked ? t("moderation.unlock") : t("moderation.lock");
    lockButton.title = locked ? t("moderation.lock_title_locked") : t("moderation.lock_title_open");
    endButton.textContent = t("moderation.end_all");
    endButton.setAttribute("aria-haspopup", "dialog");
    waitingSection.hidden = waiting.length === 0;
    waitingCount.textContent = String(waiting.length);
    waitingList.replaceChildren(
      ...waiting.map((w) => {
        const li = el("li", { class: "waiter", "data-id": w.id });
        const name = w.name;
        const shown = w.removed_before ? t("moderation.waiter.removed_before", { name }) : w.returning ? t("moderation.waiter.returning", { name }) : name;
        li.append(el("span", { class: "waiter-name" }, shown));
        const yes = el("button", { type: "button", class: "button button-primary", "aria-label": t("moderation.admit_name", { name }) }, t("moderation.admit"));
        const no = el("button", { type: "button", class: "button button-secondary", "aria-label": t("moderation.decline_name", { name }) }, t("moderation.decline"));
        yes.addEventListener("click", () => admit(transport, w.id).then((ack) => refused(ack, "admit", name)));
        no.addEventListener("click", () => decline(transport, w.id).then((ack) => refused(ack, "decline", name)));
        li.append(yes, no);
        return li;
      }),
    );
  }

  lockButton.addEventListener("click", () => {
    const wanted = !locked;
    lockSession(transport, wanted).then((ack) => refused(ack, wanted ? "lock" : "unlock"));
  });
  endButton.addEventListener("click", async () => {
    const sure = await confirmDialog({
      title: t("moderation.end_dialog.title"),
      body: t("moderation.end_dialog.body"),
      confirm: t("moderation.end_all"),
      cancel: t("moderation.dialog.cancel"),
    });
    if (sure) endForEveryone(transport).then((ack) => refused(ack, "end"));
  });
  admitAll.addEventListener("click", () => {
    for (const w of waiting) admit(transport, w.id).then((ack) => refused(ack, "admit", w.name));
  });

  /** A person's button of the People list (it is drawn again on every change). @param {string} id @param {string} selector */
  function rowButton(id, selector) {
    return /** @type {HTMLElement | null} */ (document.querySelector(`#participant-list [data-id="${CSS.escape(id)}"] ${selector}`));
  }

  /** The People panel's heading, made focusable (after the person removed is gone from the list). */
  function headingOfPeople() {
    const heading = document.getElementById("people-heading");
    if (heading && !heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    return heading;
  }

  /** Ask, then remove `p` from the session. @param {Participant} p @param {string} label */
  async function removePerson(p, label) {
    const sure = await confirmDialog({
      title: t("moderation.remove_dialog.title", { name: p.name }),
      body: t("moderation.remove_dialog.body", { name: p.name }),
      confirm: label,
      cancel: t("moderation.dialog.cancel"),
      // The list is drawn again on every change: the same button of the new list, or its Manage.
      returnTo: () => rowButton(p.id, '[data-action="remove"]') || rowButton(p.id, ".person-manage") || headingOfPeople(),
    });
    if (!sure) return;
    openFor = null;
    rerenderPeople();
    // Their row is about to go: the focus waits on the People heading.
    headingOfPeople()?.focus();
    moderate(transport, p.id, "remove", keep.checked).then((ack) => refused(ack, "remove", p.name));
  }

  /**
   * The moderation part of a person's row in the People list (null when I may not act on them).
   * @param {Participant} p
   * @returns {HTMLElement | null}
   */
  function rowActions(p) {
    if (!canActOn(store.me, p) || (p.state !== "connected" && p.state !== "disconnected")) return null;
    const box = el("div", { class: "person-actions" });
    const open = openFor === p.id;
    const toggle = el("button", { type: "button", class: "button button-small button-secondary person-manage", "aria-expanded": String(open), "aria-label": t("moderation.manage_name", { name: p.name }) }, t("moderation.manage"));
    toggle.addEventListener("click", () => {
      openFor = open ? null : p.id;
      rerenderPeople();
      const again = rowButton(p.id, ".person-manage");
      if (again) again.focus();
    });
    box.append(toggle);
    if (open) {
      const group = el("div", { class: "person-action-list", role: "group", "aria-label": t("moderation.actions_for", { name: p.name }) });
      for (const { action, label } of actionsFor(p)) {
        const b = el("button", { type: "button", class: "button button-small " + (action === "remove" ? "button-danger" : "button-secondary"), "data-action": action }, label);
        if (action === "remove") b.setAttribute("aria-haspopup", "dialog");
        b.addEventListener("click", () => {
          if (action === "remove") return void removePerson(p, label);
          moderate(transport, p.id, action, keep.checked).then((ack) => refused(ack, action, p.name));
        });
        group.append(b);
      }
      box.append(group);
    }
    return box;
  }

  dispatcher.on(SERVER_EVENTS.WAITING, (/** @type {{waiting: Waiter[]}} */ { waiting: list }) => {
    const names = newlyWaiting(waiting, list);
    waiting = list;
    render();
    const text = waitingNotice(names);
    if (text) notice(text);
  });
  dispatcher.on(SERVER_EVENTS.SESSION_LOCKED, (/** @type {{locked: boolean}} */ { locked: now }) => {
    locked = now;
    render();
    notice(now ? WORDS.locked : WORDS.unlocked);
  });
  dispatcher.on(SERVER_EVENTS.MODERATED, (/** @type {{action: string, locked: boolean, by: string}} */ m) => {
    if (m.action === "mute") turnOff("audio");
    if (m.action === "stop_camera") turnOff("video");
    const text = moderatedNotice(m);
    if (text) notice(text);
  });

  return {
    rowActions,
    /** @param {{waiters?: Waiter[], session?: {locked?: boolean}}} ack */
    joined(ack) {
      waiting = ack.waiters || [];
      locked = !!(ack.session && ack.session.locked);
      render();
    },
    stop() {
      waiting = [];
    },
  };
}
