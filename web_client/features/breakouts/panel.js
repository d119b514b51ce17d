// The mentor's "Breakout rooms" panel (mentors and admins): create numbered or named rooms or rooms
// from the session's groups, assign people, shuffle, open with a duration, the live overview of
// who is where, speaking and muted, help requests, time, broadcast, visit, reassign, close with a
// countdown. Drawn from the store; commands from ./commands.js.

import { el, focusElement } from "../../ui/dom.js";
import { PSEUDO_CLOSE, PSEUDO_OPEN, formatTime, t } from "../../ui/i18n.js";
import { MAIN } from "../../core/store.js";
import { SentOnce } from "../../core/sent_once.js";
import { refusalText } from "./commands.js";
import {
  CLOSE_COUNTDOWNS, DEFAULT_MINUTES, MAX_MINUTES, MAX_ROOMS, agoText, clockInfo, createPayload, helpQueue, isManager,
  newHelp, openDuration, phaseChangeText, phaseOf, placeable, roomNameIn, suggestedRoomCount, timeDone, words,
} from "./state.js";
import { draftCards, liveCards, paintSpeaking } from "./rooms_view.js";

/**
 * @typedef {import("../../core/types.js").Ack} Ack
 * @typedef {HTMLButtonElement | HTMLSelectElement} Control
 */

/**
 * A catalogue message with elements in place of some of its placeholders (a name in bold, a
 * time that changes), wherever the language puts them.
 * @param {(marks: Record<string, string>) => string} message  t() of the message, with the marks as those placeholders' values
 * @param {Record<string, Node>} nodes
 * @returns {(string | Node)[]}
 */
export function withNodes(message, nodes) {
  const names = Object.keys(nodes);
  /** @type {Record<string, string>} */
  const marks = {};
  // Marks that no message or name holds: private-use characters around the node's number.
  names.forEach((name, i) => (marks[name] = `\uE000${i}\uE001`));
  let depth = 0; // the pseudo-language's marks open around each piece (tests only)
  return message(marks)
    .split(/\uE000(\d+)\uE001/)
    .map((part, i) => {
      if (i % 2) return nodes[names[Number(part)]];
      const before = depth;
      for (const ch of part) depth += ch === PSEUDO_OPEN ? 1 : ch === PSEUDO_CLOSE ? -1 : 0;
      return PSEUDO_OPEN.repeat(before) + part + PSEUDO_CLOSE.repeat(Math.max(0, depth));
    })
    .filter((part) => part !== "");
}

/** @param {string} text @param {Record<string, string>} [attrs] */
function button(text, attrs = {}) {
  return el("button", { type: "button", class: "button button-secondary bo-button", ...attrs }, text);
}

/**
 * @param {object} ctx
 * @param {import("../../core/store.js").Store} ctx.store
 * @param {import("./commands.js").BreakoutCommands} ctx.commands
 * @param {(text: string, about?: string[]) => void} ctx.notice  about: the participants it names
 */
export function createPanel({ store, commands, notice }) {
  const ui = {
    expanded: true,
    helpSeen: /** @type {Set<string>} */ (new Set()),
    groupsMessage: /** @type {string | null} */ (null),
    pending: 0,
    countTouched: false,
  };
  const roomName = (/** @type {string} */ id) => roomNameIn(store.round, id);

  const panel = el("section", { id: "breakouts-panel", class: "bo-panel", "aria-labelledby": "bo-title", hidden: true });
  const heading = el("h2", { id: "bo-title", class: "bo-title" });
  const toggle = el("button", { type: "button", class: "bo-toggle", "aria-expanded": "true", "aria-controls": "bo-body" });
  const summary = el("span", { class: "bo-summary" });
  toggle.append(el("span", { class: "bo-toggle-label" }, t("breakouts.panel.title")), summary);
  heading.append(toggle);
  const bodyBox = el("div", { id: "bo-body", class: "bo-body" });
  const errorBox = el("p", { class: "bo-error", role: "alert" });
  const statusBox = el("p", { class: "bo-status", role: "status" });
  panel.append(heading, bodyBox);

  // (a) No round: create rooms.
  const createBox = el("div", { class: "bo-create" });
  const createForm = el("form", { class: "bo-form", "aria-label": t("breakouts.create.form"), novalidate: true });
  const countInput = el("input", { id: "bo-count", type: "number", min: "1", max: String(MAX_ROOMS), value: "2", inputmode: "numeric", class: "bo-input bo-input-short" });
  const namesInput = el("textarea", { id: "bo-names", rows: "2", class: "bo-input", "aria-describedby": "bo-names-help", placeholder: t("breakouts.create.names_placeholder") });
  const choiceInput = el("input", { id: "bo-choice", type: "checkbox" });
  const choiceLabel = el("label", { class: "bo-check" });
  choiceLabel.append(choiceInput, document.createTextNode(` ${t("breakouts.create.allow_choice")}`));
  const createButton = el("button", { type: "submit", class: "button button-primary bo-button" }, t("breakouts.create.submit"));
  const countField = el("div", { class: "bo-field" });
  countField.append(el("label", { for: "bo-count" }, t("breakouts.create.count")), countInput);
  const namesField = el("div", { class: "bo-field" });
  namesField.append(
    el("label", { for: "bo-names" }, t("breakouts.create.names")),
    namesInput,
    el("p", { id: "bo-names-help", class: "bo-help" }, t("breakouts.create.names_help")),
  );
  createForm.append(countField, namesField, choiceLabel, createButton);
  const groupsBox = el("div", { class: "bo-groups" });
  const groupsButton = button(t("breakouts.create.from_groups"), { "aria-describedby": "bo-groups-help" });
  const groupsHelp = el("p", { id: "bo-groups-help", class: "bo-help" });
  groupsBox.append(groupsButton, groupsHelp);
  createBox.append(createForm, groupsBox);
  countInput.addEventListener("input", () => (ui.countTouched = true));

  // (b) Draft: assign, shuffle, duration, open, discard.
  const draftBox = el("div", { class: "bo-draft" });
  const draftLeadBox = el("p", { class: "bo-lead" });
  const draftRooms = el("div", { class: "bo-rooms" });
  const shuffleButton = button(t("breakouts.draft.shuffle"), { title: t("breakouts.draft.shuffle_title") });
  const openForm = el("form", { class: "bo-form bo-open-form", "aria-label": t("breakouts.draft.open_form"), novalidate: true });
  const minutesField = el("div", { class: "bo-field bo-inline" });
  const minutesInput = el("input", { id: "bo-minutes", type: "number", min: "1", max: String(MAX_MINUTES), value: String(DEFAULT_MINUTES), inputmode: "numeric", class: "bo-input bo-input-short" });
  minutesField.append(el("label", { for: "bo-minutes" }, t("breakouts.draft.minutes")), minutesInput);
  const noLimitLabel = el("label", { class: "bo-check" });
  const noLimitInput = el("input", { id: "bo-nolimit", type: "checkbox" });
  noLimitLabel.append(noLimitInput, document.createTextNode(` ${t("breakouts.draft.no_limit")}`));
  noLimitInput.addEventListener("change", () => (minutesInput.disabled = noLimitInput.checked));
  const openButton = el("button", { type: "submit", class: "button button-primary bo-button" }, t("breakouts.draft.open"));
  const discardButton = button(t("breakouts.draft.discard"));
  const openActions = el("div", { class: "bo-actions" });
  openActions.append(openButton, discardButton);
  openForm.append(minutesField, noLimitLabel, openActions);
  const draftTools = el("div", { class: "bo-actions" });
  draftTools.append(shuffleButton);
  draftBox.append(draftLeadBox, draftTools, draftRooms, openForm);

  // (c) Open and (d) closing: the overview.
  const liveBox = el("div", { class: "bo-live" });
  const clockRow = el("div", { class: "bo-clock-row" });
  const clock = el("p", { class: "bo-clock" });
  const addButton = button(t("breakouts.time.add", { minutes: 5 }), { title: t("breakouts.time.add_title", { minutes: 5 }) });
  const cutButton = button(t("breakouts.time.cut", { minutes: 1 }), { title: t("breakouts.time.cut_title", { minutes: 1 }) });
  const timeButtons = el("div", { class: "bo-time-buttons", role: "group", "aria-label": t("breakouts.time.group") });
  timeButtons.append(addButton, cutButton);
  clockRow.append(clock, timeButtons);
  const whereRow = el("div", { class: "bo-where-row" });
  const where = el("p", { class: "bo-where", tabindex: "-1" });
  const backButton = button(t("breakouts.live.back"));
  whereRow.append(where, backButton);
  const helpBox = el("section", { class: "bo-help-box", "aria-labelledby": "bo-help-title", hidden: true });
  const helpTitle = el("h3", { id: "bo-help-title" });
  const helpList = el("ul", { class: "bo-help-list" });
  helpBox.append(helpTitle, helpList);
  const liveRooms = el("div", { class: "bo-rooms" });
  const liveNote = el("p", { class: "bo-help" }, t("breakouts.live.speaking_note"));
  const broadcastForm = el("form", { class: "bo-form bo-broadcast", novalidate: true });
  const broadcastInput = el("textarea", { id: "bo-broadcast", rows: "2", maxlength: "2000", class: "bo-input", placeholder: t("breakouts.broadcast.placeholder") });
  const broadcastButton = el("button", { type: "submit", class: "button button-primary bo-button" }, t("breakouts.broadcast.send"));
  broadcastForm.append(el("label", { for: "bo-broadcast" }, t("breakouts.broadcast.label")), broadcastInput, broadcastButton);
  const closeForm = el("form", { class: "bo-form bo-close-form", "aria-label": t("breakouts.close.form"), novalidate: true });
  const closeSelect = el("select", { id: "bo-countdown", class: "bo-input" });
  for (const [value, label] of CLOSE_COUNTDOWNS) closeSelect.append(el("option", { value: String(value) }, words(label)));
  const closeButton = el("button", { type: "submit", class: "button bo-button bo-danger" }, t("breakouts.close.submit"));
  const closeRow = el("div", { class: "bo-actions" });
  closeRow.append(closeSelect, closeButton);
  closeForm.append(el("label", { for: "bo-countdown" }, t("breakouts.close.label")), closeRow);
  liveBox.append(clockRow, whereRow, helpBox, liveRooms, liveNote, broadcastForm, closeForm);

  bodyBox.append(errorBox, statusBox, createBox, draftBox, liveBox);

  // -- commands ------------------------------------------------------------------------------------

  /** @param {string} text */
  const say = (text) => (statusBox.textContent = text || "");
  /** @param {string} text */
  const fail = (text) => (errorBox.textContent = text || "");

  /**
   * Run a command; show the server's message when it is refused. While it waits, its buttons are
   * aria-disabled and ignore presses (not `disabled`: that would drop the keyboard focus).
   * @param {() => Promise<Ack>} command
   * @param {{controls?: Control[], done?: string | ((ack: Ack) => string)}} [options]
   * @returns {Promise<Ack>}
   */
  async function run(command, { controls = [], done } = {}) {
    const buttons = controls.filter((c) => c instanceof HTMLButtonElement);
    if (buttons.some((c) => c.dataset.busy)) return { ok: false, error: { code: "busy" } };
    fail("");
    for (const c of buttons) {
      c.dataset.busy = "1";
      c.setAttribute("aria-disabled", "true");
    }
    ui.pending += 1;
    let ack;
    try {
      ack = await command();
    } finally {
      ui.pending -= 1;
      for (const c of buttons) {
        delete c.dataset.busy;
        c.removeAttribute("aria-disabled");
      }
    }
    if (ack.ok) {
      if (done) say(typeof done === "function" ? done(ack) : done);
    } else {
      fail(refusalText(ack));
      render(true); // put selects back to what the server has
    }
    return ack;
  }

  // A broadcast and a change of the time carry the page's id for them; the same one sent again
  // soon after it failed keeps its id (core/sent_once.js), so that it is applied once even if the
  // first try was applied after all (its answer lost with the connection).
  const broadcastIds = new SentOnce();
  const addIds = new SentOnce();
  const cutIds = new SentOnce();
  /**
   * @param {SentOnce} ids
   * @param {string} key  the request (the same one sent again has the same key)
   * @param {(clientId: string) => Promise<Ack>} command
   * @param {{controls?: Control[], done?: string | ((ack: Ack) => string)}} options
   */
  async function runOnce(ids, key, command, options) {
    /** @type {string | null} */
    let id = null;
    // The id is taken only when the command goes: a press while it is busy changes nothing.
    const ack = await run(() => command((id = ids.take(key))), options);
    if (!ack.ok && id !== null) ids.fail(key, id);
    return ack;
  }

  /** @param {Ack} ack */
  const roomsMade = (ack) => (ack.ok && ack.breakouts ? ack.breakouts.rooms.length : 0);

  createForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const form = createPayload({ names: namesInput.value, count: countInput.value, allowChoice: choiceInput.checked });
    if ("problem" in form) {
      fail(form.problem);
      countInput.focus();
      return;
    }
    run(() => commands.create(form.payload), {
      controls: [createButton],
      done: (ack) => t("breakouts.done.created", { count: roomsMade(ack) }),
    }).then((ack) => ack.ok && focusLater(draftLeadBox));
  });

  groupsButton.addEventListener("click", async () => {
    const ack = await run(() => commands.createFromGroups(choiceInput.checked), {
      controls: [groupsButton],
      done: (a) => t("breakouts.done.from_groups", { count: roomsMade(a) }),
    });
    if (ack.ok) {
      focusLater(draftLeadBox);
    } else if (ack.error.code === "invalid_payload" && /group/i.test(ack.error.message || "")) {
      // The session has no groups: say so beside the button, and keep it from being pressed again.
      ui.groupsMessage = t("breakouts.groups.none");
      fail("");
      renderGroups();
      focusLater(groupsHelp);
    }
  });

  shuffleButton.addEventListener("click", () =>
    run(() => commands.autoAssign(), { controls: [shuffleButton], done: t("breakouts.done.shuffled") }),
  );

  openForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const form = openDuration({ minutes: minutesInput.value, noLimit: noLimitInput.checked });
    if ("problem" in form) {
      fail(form.problem);
      minutesInput.focus();
      return;
    }
    const duration = form.duration;
    run(() => commands.open(duration), {
      controls: [openButton, discardButton],
      done: duration ? t("breakouts.done.opened", { minutes: duration / 60 }) : t("breakouts.done.opened_no_limit"),
    }).then((ack) => ack.ok && focusLater(clock));
  });

  discardButton.addEventListener("click", () =>
    run(() => commands.discard(), { controls: [openButton, discardButton], done: t("breakouts.phase.discarded") }).then(
      (ack) => ack.ok && focusLater(countInput),
    ),
  );

  addButton.addEventListener("click", () =>
    runOnce(addIds, "+300", (id) => commands.adjust(300, id), { controls: [addButton], done: () => timeDone(300, store.round, store.serverNow()) }),
  );
  cutButton.addEventListener("click", () =>
    runOnce(cutIds, "-60", (id) => commands.adjust(-60, id), { controls: [cutButton], done: () => timeDone(-60, store.round, store.serverNow()) }),
  );
  backButton.addEventListener("click", () => visit(MAIN, backButton));

  broadcastForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = broadcastInput.value.trim();
    if (!text) {
      fail(t("breakouts.broadcast.empty"));
      broadcastInput.focus();
      return;
    }
    const ack = await runOnce(broadcastIds, text, (id) => commands.broadcast(text, id), { controls: [broadcastButton], done: t("breakouts.broadcast.sent") });
    if (ack.ok) broadcastInput.value = "";
  });
  broadcastInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      broadcastForm.requestSubmit();
    }
  });

  closeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const countdown = Number(closeSelect.value);
    run(() => commands.close(countdown), {
      controls: [closeButton],
      done: countdown ? t("breakouts.done.closing", { seconds: countdown }) : t("breakouts.phase.closed"),
    });
  });

  toggle.addEventListener("click", () => {
    ui.expanded = !ui.expanded;
    renderExpanded();
  });

  /** @param {string} room @param {HTMLButtonElement} control */
  function visit(room, control) {
    const name = roomName(room);
    return run(() => commands.visit(room), {
      controls: [control],
      done: room === MAIN ? t("breakouts.done.back_in_main") : t("breakouts.done.visiting", { room: name }),
    }).then((ack) => ack.ok && focusLater(where));
  }

  /** @param {string} pid @param {string | null} room @param {HTMLSelectElement} control */
  function assign(pid, room, control) {
    const name = store.name(pid);
    const open = !!store.round && store.round.state === "open";
    run(() => commands.assign(pid, room), {
      controls: [control],
      done: room
        ? open ? t("breakouts.done.moving", { name, room: roomName(room) }) : t("breakouts.done.will_go", { name, room: roomName(room) })
        : open ? t("breakouts.done.back_to_main", { name }) : t("breakouts.done.stays_in_main", { name }),
    });
  }

  /** Focus after the re-render that the acknowledgement caused. @param {HTMLElement} target */
  function focusLater(target) {
    requestAnimationFrame(() => {
      if (!target.closest("[hidden]")) focusElement(target);
    });
  }

  // -- the round changes ---------------------------------------------------------------------------

  /** @param {import("../../core/types.js").Breakouts | null} before @param {boolean} quiet */
  function roundChanged(before, quiet) {
    if (!isManager(store.me.role)) return;
    const text = phaseChangeText(phaseOf(before), phaseOf(store.round));
    // Changes not made from this panel (the timer, another mentor) are said too.
    if (!quiet && text && ui.pending === 0) say(text);
    const { fresh, seen } = newHelp(store.round, ui.helpSeen);
    ui.helpSeen = seen;
    if (!quiet) for (const h of fresh) notice(t("breakouts.help.asks", { name: store.name(h.participant_id), room: roomName(h.room) }), [h.participant_id]);
  }

  // -- drawing -------------------------------------------------------------------------------------

  let signature = "";
  const roomsContext = { store, assign, visit };

  /** Everything the panel shows but the clock and speaking, so that needless re-renders are skipped. */
  function currentSignature() {
    const ps = [...store.participants.values()].map((p) => [p.id, p.name, p.role, p.state, p.room, !!p.audio, !!p.video]);
    return JSON.stringify([store.me.role, store.me.id, store.room, store.round, ps, ui.groupsMessage]);
  }

  /** @param {boolean} [force] */
  function render(force = false) {
    const show = isManager(store.me.role) && !!store.me.id;
    panel.hidden = !show;
    if (!show) return;
    const sig = currentSignature();
    if (force || sig !== signature) {
      signature = sig;
      renderBody();
    }
    renderClock();
  }

  function renderExpanded() {
    toggle.setAttribute("aria-expanded", String(ui.expanded));
    bodyBox.hidden = !ui.expanded;
    panel.classList.toggle("bo-collapsed", !ui.expanded);
  }

  function renderGroups() {
    groupsButton.disabled = !!ui.groupsMessage;
    groupsHelp.textContent = ui.groupsMessage
      ? `${ui.groupsMessage} ${t("breakouts.create.no_groups_help")}`
      : t("breakouts.create.from_groups_help");
    groupsHelp.classList.toggle("bo-unavailable", !!ui.groupsMessage);
  }

  function renderBody() {
    const round = store.round;
    const phase = phaseOf(round);
    createBox.hidden = phase !== "none";
    draftBox.hidden = phase !== "draft";
    liveBox.hidden = phase !== "open" && phase !== "closing";
    renderGroups();
    if (phase === "none" && !ui.countTouched) {
      countInput.value = String(suggestedRoomCount(placeable(store.participants.values(), null, store.me.id)));
    }
    keepFocus(() => {
      // Only one list of rooms at a time (ids and data-room stay unique on the page).
      if (round && phase === "draft") {
        const { cards, lead } = draftCards(roomsContext, round);
        draftLeadBox.textContent = lead;
        draftRooms.replaceChildren(...cards);
      } else {
        draftRooms.replaceChildren();
      }
      if (round && (phase === "open" || phase === "closing")) {
        renderLive(round);
      } else {
        liveRooms.replaceChildren();
        helpList.replaceChildren();
      }
    });
  }

  /** @param {import("../../core/types.js").Breakouts} round */
  function renderLive(round) {
    const open = round.state === "open";
    const myRoom = store.room;
    where.textContent = myRoom === MAIN ? t("breakouts.live.in_main") : t("breakouts.live.visiting", { room: roomName(myRoom) });
    backButton.hidden = myRoom === MAIN || !open;
    timeButtons.hidden = !open;
    broadcastForm.hidden = false;
    closeForm.hidden = !open;
    const help = helpQueue(round);
    helpBox.hidden = help.length === 0;
    helpTitle.textContent = t("breakouts.help.title", { count: help.length });
    helpList.replaceChildren(
      ...help.map((h) => {
        const li = el("li", { class: "bo-help-item" });
        const text = el("p", { class: "bo-help-text" });
        const when = el("span", { class: "bo-ago", "data-asked-at": String(h.asked_at) }, agoText(store.serverNow() - h.asked_at));
        const at = formatTime(new Date((h.asked_at - store.clockOffset) * 1000));
        text.append(...withNodes((marks) => t("breakouts.help.item", { room: roomName(h.room), time: at, ...marks }), { name: el("strong", {}, store.name(h.participant_id)), ago: when }));
        const here = h.room === myRoom;
        const go = el("button", { type: "button", class: "button button-primary bo-button", "data-key": `help:${h.participant_id}` }, here ? t("breakouts.help.answered") : t("breakouts.help.go", { room: roomName(h.room) }));
        go.disabled = !open;
        go.addEventListener("click", () => visit(h.room, go));
        li.append(text, go);
        return li;
      }),
    );
    liveRooms.replaceChildren(...liveCards(roomsContext, round, help));
    paintSpeaking(liveRooms, store);
  }

  /** Re-render with the focused control found again afterwards (by its data-key). @param {() => void} fn */
  function keepFocus(fn) {
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const inside = !!active && panel.contains(active);
    const key = inside && active ? active.dataset.key : undefined;
    fn();
    if (!inside || (active && panel.contains(active))) return;
    const again = key ? /** @type {HTMLButtonElement | null} */ (panel.querySelector(`[data-key="${CSS.escape(key)}"]`)) : null;
    if (again && !again.disabled) again.focus({ preventScroll: true });
    else if (!liveBox.hidden) focusLater(where);
    else if (!draftBox.hidden) focusLater(draftLeadBox);
  }

  /** Once a second: the countdown, "asked … ago", who is speaking. */
  function renderClock() {
    const round = store.round;
    const info = clockInfo(round, store.serverNow());
    clock.textContent = info.text;
    clock.classList.toggle("bo-urgent", info.urgent);
    cutButton.disabled = !info.canCut;
    cutButton.hidden = info.hideCut;
    const help = (round && round.help && round.help.length) || 0;
    summary.textContent = (info.short ? ` · ${info.short}` : "") + (help ? ` · ${t("breakouts.summary.help", { count: help })}` : "");
    summary.classList.toggle("bo-summary-help", help > 0);
    for (const span of panel.querySelectorAll(".bo-ago[data-asked-at]")) {
      span.textContent = agoText(store.serverNow() - Number(/** @type {HTMLElement} */ (span).dataset.askedAt));
    }
    paintSpeaking(liveRooms, store);
  }

  renderExpanded();
  renderGroups();
  return {
    element: panel,
    render,
    roundChanged,
    paintSpeaking: () => paintSpeaking(liveRooms, store),
    tick: renderClock,
    hide: () => (panel.hidden = true),
    /**
     * Back in the session: a request that failed as the connection dropped, sent again soon, is a
     * retry. @param {number} droppedAt
     */
    back: (droppedAt) => [broadcastIds, addIds, cutIds].forEach((ids) => ids.renew(droppedAt)),
  };
}
