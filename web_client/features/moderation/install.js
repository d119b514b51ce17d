// Moderation on the call page: for mentors and admins, the waiting room (admit, decline), the
// session's lock and "End for everyone" at the top of the People panel, and per person the
// actions of their row (mute, stop camera or share, allow, remove); for everyone, what a mentor
// did to them (turning their own microphone or camera off) and the lock's notices.

import { SERVER_EVENTS } from "../../core/events.js";
import { addStylesheet, byId, byIdAs, el } from "../../ui/dom.js";
import { actionsFor, canActOn, moderatedNotice, moderates, newlyWaiting, waitingNotice, WORDS } from "./state.js";
import { admit, decline, endForEveryone, lockSession, moderate } from "./commands.js";

/** @typedef {import("../../core/types.js").Participant} Participant */
/** @typedef {{id: string, name: string, role: string, since: number, returning: boolean, removed_before: boolean}} Waiter */

const CONFIRM_MS = 5000;

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
export function installModeration({ store, dispatcher, transport, notice, announce, alert, turnOff, rerenderPeople }) {
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
  /** @type {string | null} an action waiting for its confirming second press: "end" or "remove:<id>" */
  let confirming = null;
  let confirmTimer = 0;

  /** @param {import("../../core/types.js").Ack} ack @param {string} what */
  function refused(ack, what) {
    if (!ack.ok && ack.error.code !== "timeout") alert(`Could not ${what}: ${ack.error.message || ack.error.code}`);
  }

  /** @param {string | null} key */
  function confirmNext(key) {
    confirming = key;
    clearTimeout(confirmTimer);
    if (key) confirmTimer = window.setTimeout(() => { confirming = null; render(); rerenderPeople(); }, CONFIRM_MS);
  }

  function render() {
    const mine = moderates(store.me.role);
    panel.hidden = !mine;
    if (!mine) return;
    lockButton.setAttribute("aria-pressed", String(locked));
    lockButton.textContent = locked ? "Unlock session" : "Lock session";
    lockButton.title = locked ? "Nobody new can join; press to let people join again" : "Stop anyone new from joining";
    endButton.textContent = confirming === "end" ? "Press again to end for everyone" : "End for everyone";
    waitingSection.hidden = waiting.length === 0;
    waitingCount.textContent = String(waiting.length);
    waitingList.replaceChildren(
      ...waiting.map((w) => {
        const li = el("li", { class: "waiter", "data-id": w.id });
        const note = w.removed_before ? " (removed earlier)" : w.returning ? " (was here before)" : "";
        li.append(el("span", { class: "waiter-name" }, `${w.name}${note}`));
        const yes = el("button", { type: "button", class: "button button-primary", "aria-label": `Admit ${w.name}` }, "Admit");
        const no = el("button", { type: "button", class: "button button-secondary", "aria-label": `Decline ${w.name}` }, "Decline");
        yes.addEventListener("click", () => admit(transport, w.id).then((ack) => refused(ack, `admit ${w.name}`)));
        no.addEventListener("click", () => decline(transport, w.id).then((ack) => refused(ack, `decline ${w.name}`)));
        li.append(yes, no);
        return li;
      }),
    );
  }

  lockButton.addEventListener("click", () => {
    lockSession(transport, !locked).then((ack) => refused(ack, locked ? "unlock the session" : "lock the session"));
  });
  endButton.addEventListener("click", () => {
    if (confirming !== "end") {
      confirmNext("end");
      render();
      announce("Press again to end the session for everyone.");
      return;
    }
    confirmNext(null);
    endForEveryone(transport).then((ack) => refused(ack, "end the session"));
  });
  admitAll.addEventListener("click", () => {
    for (const w of waiting) admit(transport, w.id).then((ack) => refused(ack, `admit ${w.name}`));
  });

  /**
   * The moderation part of a person's row in the People list (null when I may not act on them).
   * @param {Participant} p
   * @returns {HTMLElement | null}
   */
  function rowActions(p) {
    if (!canActOn(store.me, p) || (p.state !== "connected" && p.state !== "disconnected")) return null;
    const box = el("div", { class: "person-actions" });
    const open = openFor === p.id;
    const toggle = el("button", { type: "button", class: "button button-small button-secondary person-manage", "aria-expanded": String(open), "aria-label": `Manage ${p.name}` }, "Manage");
    toggle.addEventListener("click", () => {
      openFor = open ? null : p.id;
      rerenderPeople();
      const again = /** @type {HTMLElement | null} */ (document.querySelector(`#participant-list [data-id="${CSS.escape(p.id)}"] .person-manage`));
      if (again) again.focus();
    });
    box.append(toggle);
    if (open) {
      const group = el("div", { class: "person-action-list", role: "group", "aria-label": `Actions for ${p.name}` });
      for (const { action, label } of actionsFor(p)) {
        const key = `remove:${p.id}`;
        const text = action === "remove" && confirming === key ? `Press again to remove ${p.name}` : label;
        const b = el("button", { type: "button", class: "button button-small " + (action === "remove" ? "button-danger" : "button-secondary"), "data-action": action }, text);
        b.addEventListener("click", () => {
          if (action === "remove" && confirming !== key) {
            confirmNext(key);
            rerenderPeople();
            announce(`Press again to remove ${p.name} from the session.`);
            return;
          }
          confirmNext(null);
          if (action === "remove") openFor = null;
          moderate(transport, p.id, action, keep.checked).then((ack) => refused(ack, label.toLowerCase()));
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
      clearTimeout(confirmTimer);
      waiting = [];
    },
  };
}
