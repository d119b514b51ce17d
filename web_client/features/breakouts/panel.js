// Breakout rooms in the call page. For mentors and admins: the "Breakout rooms" panel (create
// numbered or named rooms or rooms from the session's groups, assign people, shuffle, open with a
// duration, the live overview of who is where, speaking and muted, help requests, time, broadcast,
// visit, reassign, close with a countdown). For mentees: "Choose a room" when the round lets them.
// Where one is and how long is left, and "Ask for help", are the call page's (app.js).
//
// Self-contained: the call page calls install(ctx) once, then joined(ack) after every successful
// `join` (a new socket after a reconnect too) and stop() when the call ends. ctx gives accessors,
// never state: socket(), participantId(), role(), room() (the room this page is in), people() (the
// page's Map of participant id -> Participant, kept up to date from the presence events),
// emit(event, payload) -> Promise<ack>, announce(text), notice(text) (optional: a visible notice).
// Protocol: docs/PROTOCOL.md, "Breakout rooms".

const MANAGERS = new Set(["mentor", "admin"]);
const ROLE_WORDS = { mentor: "mentor", observer: "observer", admin: "host" };
const CLOSE_COUNTDOWNS = [
  [10, "in 10 seconds"],
  [30, "in 30 seconds"],
  [60, "in 1 minute"],
  [0, "at once"],
];
const DEFAULT_MINUTES = 15;
const MAX_MINUTES = 240; // the server's limit: 60 s to 4 h
const MAX_ROOMS = 50;
const TICK_MS = 1000;

function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  if (text !== null) e.textContent = text;
  return e;
}

function button(text, attrs = {}) {
  return el("button", { type: "button", class: "button button-secondary bo-button", ...attrs }, text);
}

/** 75 -> "1:15"; 4000 -> "1 h 6 min". */
export function formatSeconds(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m}:${String(s % 60).padStart(2, "0")}`;
}

function agoText(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  return m === 1 ? "1 minute ago" : `${m} minutes ago`;
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

export function install(ctx) {
  document.head.append(el("link", { rel: "stylesheet", href: "/client/breakouts.css" }));

  const state = {
    round: null, // the current round (PROTOCOL.md "Breakouts"), null when there is none
    offset: 0, // the server's clock minus ours, in seconds
    sockets: new WeakSet(),
    mounted: false,
    stopped: true,
    expanded: true,
    helpSeen: new Set(), // "participant id@asked_at" of help requests already announced
    groupsMessage: null, // set when the server said the session has no groups
    signature: "",
    pending: 0,
    tick: 0,
  };
  const isManager = () => MANAGERS.has(ctx.role());
  const me = () => ctx.participantId();
  const serverNow = () => Date.now() / 1000 + state.offset;
  const people = () => ctx.people() || new Map();
  const person = (id) => people().get(id);
  const nameOf = (id) => (person(id) ? person(id).name : "Someone");
  const roomName = (id) => {
    if (!id || id === "main") return "Main room";
    const r = state.round && state.round.rooms.find((x) => x.id === id);
    return r ? r.name : id;
  };
  const active = () => !!state.round && state.round.state !== "closed";

  // For tests and support.
  window.tandemBreakouts = {
    get round() {
      return state.round;
    },
  };

  // -- the mentor's panel: skeleton (built once; the parts that change are re-rendered) ---------

  const panel = el("section", { id: "breakouts-panel", class: "bo-panel", "aria-labelledby": "bo-title", hidden: true });
  const heading = el("h2", { id: "bo-title", class: "bo-title" });
  const toggle = el("button", { type: "button", class: "bo-toggle", "aria-expanded": "true", "aria-controls": "bo-body" });
  const toggleLabel = el("span", { class: "bo-toggle-label" }, "Breakout rooms");
  const summary = el("span", { class: "bo-summary" });
  toggle.append(toggleLabel, summary);
  heading.append(toggle);
  const bodyBox = el("div", { id: "bo-body", class: "bo-body" });
  const errorBox = el("p", { class: "bo-error", role: "alert" });
  const statusBox = el("p", { class: "bo-status", role: "status" });
  panel.append(heading, bodyBox);

  // (a) No round: create rooms.
  const createBox = el("div", { class: "bo-create" });
  const createForm = el("form", { class: "bo-form", "aria-label": "Create breakout rooms", novalidate: true });
  const countLabel = el("label", { for: "bo-count" }, "Number of rooms");
  const countInput = el("input", { id: "bo-count", type: "number", min: "1", max: String(MAX_ROOMS), value: "2", inputmode: "numeric", class: "bo-input bo-input-short" });
  const namesLabel = el("label", { for: "bo-names" }, "Room names (optional)");
  const namesInput = el("textarea", { id: "bo-names", rows: "2", class: "bo-input", "aria-describedby": "bo-names-help", placeholder: "One name per line" });
  const namesHelp = el("p", { id: "bo-names-help", class: "bo-help" }, "Leave empty for Room 1, Room 2, … If you type names, one room is made for each line.");
  const choiceLabel = el("label", { class: "bo-check" });
  const choiceInput = el("input", { id: "bo-choice", type: "checkbox" });
  choiceLabel.append(choiceInput, document.createTextNode(" Let participants choose their room"));
  const createButton = el("button", { type: "submit", class: "button button-primary bo-button" }, "Create rooms");
  const countField = el("div", { class: "bo-field" });
  countField.append(countLabel, countInput);
  const namesField = el("div", { class: "bo-field" });
  namesField.append(namesLabel, namesInput, namesHelp);
  createForm.append(countField, namesField, choiceLabel, createButton);
  const groupsBox = el("div", { class: "bo-groups" });
  const groupsButton = button("Rooms from the session's groups", { "aria-describedby": "bo-groups-help" });
  const groupsHelp = el("p", { id: "bo-groups-help", class: "bo-help" }, "One room for each group set up for this session (for example the programme's pairs), with its members already placed.");
  groupsBox.append(groupsButton, groupsHelp);
  createBox.append(createForm, groupsBox);
  let countTouched = false;
  countInput.addEventListener("input", () => (countTouched = true));

  // (b) Draft: assign, shuffle, duration, open, discard.
  const draftBox = el("div", { class: "bo-draft" });
  const draftLead = el("p", { class: "bo-lead" });
  const draftRooms = el("div", { class: "bo-rooms" });
  const shuffleButton = button("Shuffle everyone", { title: "Spread the mentees (and other mentors) evenly over the rooms, at random" });
  const openForm = el("form", { class: "bo-form bo-open-form", "aria-label": "Open the rooms", novalidate: true });
  const minutesField = el("div", { class: "bo-field bo-inline" });
  const minutesLabel = el("label", { for: "bo-minutes" }, "Length in minutes");
  const minutesInput = el("input", { id: "bo-minutes", type: "number", min: "1", max: String(MAX_MINUTES), value: String(DEFAULT_MINUTES), inputmode: "numeric", class: "bo-input bo-input-short" });
  minutesField.append(minutesLabel, minutesInput);
  const noLimitLabel = el("label", { class: "bo-check" });
  const noLimitInput = el("input", { id: "bo-nolimit", type: "checkbox" });
  noLimitLabel.append(noLimitInput, document.createTextNode(" No time limit"));
  noLimitInput.addEventListener("change", () => (minutesInput.disabled = noLimitInput.checked));
  const openButton = el("button", { type: "submit", class: "button button-primary bo-button" }, "Open rooms");
  const discardButton = button("Discard");
  const openActions = el("div", { class: "bo-actions" });
  openActions.append(openButton, discardButton);
  openForm.append(minutesField, noLimitLabel, openActions);
  const draftTools = el("div", { class: "bo-actions" });
  draftTools.append(shuffleButton);
  draftBox.append(draftLead, draftTools, draftRooms, openForm);

  // (c) Open and (d) closing: the overview.
  const liveBox = el("div", { class: "bo-live" });
  const clockRow = el("div", { class: "bo-clock-row" });
  const clock = el("p", { class: "bo-clock" });
  const addButton = button("+5 min", { "aria-label": "Add 5 minutes", title: "Give the rooms 5 more minutes" });
  const cutButton = button("−1 min", { "aria-label": "Take 1 minute off", title: "End the rooms 1 minute sooner" });
  const timeButtons = el("div", { class: "bo-time-buttons", role: "group", "aria-label": "Change the time" });
  timeButtons.append(addButton, cutButton);
  clockRow.append(clock, timeButtons);
  const whereRow = el("div", { class: "bo-where-row" });
  const where = el("p", { class: "bo-where", tabindex: "-1" });
  const backButton = button("Back to main room");
  whereRow.append(where, backButton);
  const helpBox = el("section", { class: "bo-help-box", "aria-labelledby": "bo-help-title", hidden: true });
  const helpTitle = el("h3", { id: "bo-help-title" }, "Asking for help");
  const helpList = el("ul", { class: "bo-help-list" });
  helpBox.append(helpTitle, helpList);
  const liveRooms = el("div", { class: "bo-rooms" });
  const liveNote = el("p", { class: "bo-help" }, "“Speaking” shows for the room you are in.");
  const broadcastForm = el("form", { class: "bo-form bo-broadcast", novalidate: true });
  const broadcastLabel = el("label", { for: "bo-broadcast" }, "Message to every room");
  const broadcastInput = el("textarea", { id: "bo-broadcast", rows: "2", maxlength: "2000", class: "bo-input", placeholder: "For example: 5 minutes left, please wrap up" });
  const broadcastButton = el("button", { type: "submit", class: "button button-primary bo-button" }, "Send to all rooms");
  broadcastForm.append(broadcastLabel, broadcastInput, broadcastButton);
  const closeForm = el("form", { class: "bo-form bo-close-form", "aria-label": "Close the rooms", novalidate: true });
  const closeLabel = el("label", { for: "bo-countdown" }, "Everyone returns to the main room");
  const closeSelect = el("select", { id: "bo-countdown", class: "bo-input" });
  for (const [value, label] of CLOSE_COUNTDOWNS) closeSelect.append(el("option", { value: String(value) }, label));
  const closeButton = el("button", { type: "submit", class: "button bo-button bo-danger" }, "Close rooms");
  const closeRow = el("div", { class: "bo-actions" });
  closeRow.append(closeSelect, closeButton);
  closeForm.append(closeLabel, closeRow);
  liveBox.append(clockRow, whereRow, helpBox, liveRooms, liveNote, broadcastForm, closeForm);

  bodyBox.append(errorBox, statusBox, createBox, draftBox, liveBox);

  // -- the mentees' room chooser ------------------------------------------------------------------

  const chooser = el("section", { id: "breakouts-choose", class: "bo-panel bo-choose", "aria-labelledby": "bo-choose-title", hidden: true });
  const chooserTitle = el("h2", { id: "bo-choose-title", class: "bo-choose-title" }, "Choose a breakout room");
  const chooserHelp = el("p", { class: "bo-help" });
  const chooserList = el("div", { class: "bo-choose-list", role: "group", "aria-labelledby": "bo-choose-title" });
  const chooserError = el("p", { class: "bo-error", role: "alert" });
  chooser.append(chooserTitle, chooserHelp, chooserList, chooserError);

  function mount() {
    if (state.mounted) return;
    const sidebar = document.querySelector("#screen-call .sidebar");
    if (!sidebar) return;
    sidebar.prepend(panel, chooser);
    state.mounted = true;
  }

  // -- talking to the server -------------------------------------------------------------------

  function say(text) {
    statusBox.textContent = text || "";
  }

  function fail(text, box = errorBox) {
    box.textContent = text || "";
  }

  /** Send a command; show the server's message when it is refused. Returns the ack. While it
   * waits, its buttons are aria-disabled and ignore presses (not `disabled`: that would drop
   * the keyboard focus to the page). */
  async function run(event, payload, { control = null, done = null, box = errorBox } = {}) {
    const controls = Array.isArray(control) ? control : control ? [control] : [];
    const buttons = controls.filter((c) => c.tagName === "BUTTON");
    if (buttons.some((c) => c.dataset.busy)) return { ok: false, error: { code: "busy" } };
    fail("", box);
    for (const c of buttons) {
      c.dataset.busy = "1";
      c.setAttribute("aria-disabled", "true");
    }
    state.pending += 1;
    let ack;
    try {
      ack = await ctx.emit(event, payload);
    } finally {
      state.pending -= 1;
      for (const c of buttons) {
        delete c.dataset.busy;
        c.removeAttribute("aria-disabled");
      }
    }
    if (ack && ack.ok) {
      if ("breakouts" in ack) setRound(ack.breakouts);
      if (done) say(typeof done === "function" ? done(ack) : done);
    } else {
      const error = (ack && ack.error) || {};
      const message =
        error.code === "timeout" ? "No answer from Tandem: check your connection and try again." : error.message || "That did not work. Try again.";
      fail(message, box);
      render(true); // put selects back to what the server has
    }
    return ack || { ok: false, error: {} };
  }

  createForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const names = namesInput.value.split("\n").map((s) => s.trim()).filter(Boolean);
    const payload = { allow_choice: choiceInput.checked };
    if (names.length) {
      payload.names = names;
    } else {
      const count = Number(countInput.value);
      if (!Number.isInteger(count) || count < 1 || count > MAX_ROOMS) {
        fail(`Type a number of rooms from 1 to ${MAX_ROOMS}.`);
        countInput.focus();
        return;
      }
      payload.count = count;
    }
    run("breakout_create", payload, {
      control: createButton,
      done: (ack) => `${plural(ack.breakouts.rooms.length, "room", "rooms")} created. Choose a room for each person, then open the rooms.`,
    }).then((ack) => ack.ok && focusLater(draftLead));
  });

  groupsButton.addEventListener("click", async () => {
    const ack = await run("breakout_create", { from_groups: true, allow_choice: choiceInput.checked }, {
      control: groupsButton,
      done: (a) => `${plural(a.breakouts.rooms.length, "room", "rooms")} made from the session's groups. Check who is where, then open the rooms.`,
    });
    if (ack.ok) {
      focusLater(draftLead);
    } else if (ack.error && ack.error.code === "invalid_payload" && /group/i.test(ack.error.message || "")) {
      // The session has no groups: say so beside the button, and keep it from being pressed again.
      state.groupsMessage = ack.error.message;
      fail("");
      renderGroups();
      focusLater(groupsHelp);
    }
  });

  shuffleButton.addEventListener("click", () =>
    run("breakout_auto_assign", {}, { control: shuffleButton, done: "Everyone has been spread over the rooms at random." }),
  );

  openForm.addEventListener("submit", (e) => {
    e.preventDefault();
    let duration = null;
    if (!noLimitInput.checked) {
      const minutes = Number(minutesInput.value);
      if (!Number.isFinite(minutes) || minutes < 1 || minutes > MAX_MINUTES) {
        fail(`Type a length from 1 to ${MAX_MINUTES} minutes, or choose “No time limit”.`);
        minutesInput.focus();
        return;
      }
      duration = Math.round(minutes * 60);
    }
    run("breakout_open", { duration_seconds: duration }, {
      control: [openButton, discardButton],
      done: duration ? `The rooms are open for ${plural(duration / 60, "minute", "minutes")}.` : "The rooms are open, with no time limit.",
    }).then((ack) => ack.ok && focusLater(clock));
  });

  discardButton.addEventListener("click", () =>
    run("breakout_discard", {}, { control: [openButton, discardButton], done: "The draft rooms have been discarded." }).then(
      (ack) => ack.ok && focusLater(countInput),
    ),
  );

  addButton.addEventListener("click", () =>
    run("breakout_adjust", { add_seconds: 300 }, { control: addButton, done: (a) => timeDone("5 minutes added", a.breakouts) }),
  );
  cutButton.addEventListener("click", () =>
    run("breakout_adjust", { add_seconds: -60 }, { control: cutButton, done: (a) => timeDone("1 minute taken off", a.breakouts) }),
  );
  function timeDone(what, round) {
    return round && round.ends_at ? `${what}: ${formatSeconds(round.ends_at - serverNow())} left.` : `${what}.`;
  }

  backButton.addEventListener("click", () => visit("main", backButton));

  broadcastForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = broadcastInput.value.trim();
    if (!text) {
      fail("Write the message first.");
      broadcastInput.focus();
      return;
    }
    const ack = await run("breakout_broadcast", { text }, { control: broadcastButton, done: "Your message was sent to every room." });
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
    run("breakout_close", { countdown_seconds: countdown }, {
      control: closeButton,
      done: countdown ? `The rooms are closing: everyone returns in ${countdown} seconds.` : "The rooms are closed: everyone is back in the main room.",
    });
  });

  toggle.addEventListener("click", () => {
    state.expanded = !state.expanded;
    renderExpanded();
  });

  function visit(room, control) {
    return run("breakout_visit", { room }, {
      control,
      done: room === "main" ? "You are back in the main room." : `You are now in ${roomName(room)}.`,
    }).then((ack) => ack.ok && focusLater(where));
  }

  function assign(pid, room, control) {
    const name = nameOf(pid);
    const open = state.round && state.round.state === "open";
    run("breakout_assign", { participant_id: pid, room: room || null }, {
      control,
      done: room
        ? `${name} ${open ? "is moving to" : "will go to"} ${roomName(room)}.`
        : `${name} ${open ? "is back in" : "stays in"} the main room.`,
    });
  }

  function choose(room, control) {
    run("breakout_choose", { room }, {
      control,
      box: chooserError,
      done: null,
    }).then((ack) => ack.ok && ctx.announce(`You chose ${roomName(room)}.`));
  }

  function focusLater(target) {
    // After the re-render that the acknowledgement caused.
    requestAnimationFrame(() => {
      if (!target || target.closest("[hidden]")) return;
      if (!target.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus({ preventScroll: false });
    });
  }

  // -- the round -------------------------------------------------------------------------------

  function setRound(round, { quiet = false } = {}) {
    const before = state.round ? state.round.state : "none";
    state.round = round && round.state !== "closed" ? round : null;
    const after = state.round ? state.round.state : "none";
    if (!quiet && isManager() && before !== after && state.pending === 0) {
      // Changes not made from this panel (the timer, another mentor) are said too.
      if (after === "closing") say("The rooms are closing: everyone returns to the main room soon.");
      else if (after === "none" && (before === "open" || before === "closing")) say("The rooms are closed: everyone is back in the main room.");
      else if (after === "none" && before === "draft") say("The draft rooms have been discarded.");
    }
    noticeHelp(quiet);
    render();
  }

  function noticeHelp(quiet) {
    const help = (state.round && state.round.help) || [];
    const now = new Set(help.map((h) => `${h.participant_id}@${h.asked_at}`));
    if (isManager() && !quiet) {
      for (const h of help) {
        const key = `${h.participant_id}@${h.asked_at}`;
        if (state.helpSeen.has(key)) continue;
        const text = `${nameOf(h.participant_id)} asks for help in ${roomName(h.room)}.`;
        if (ctx.notice) ctx.notice(text);
        else ctx.announce(text);
      }
    }
    state.helpSeen = now;
  }

  // -- rendering -------------------------------------------------------------------------------

  /** Everything the panel shows except the clock and speaking, to skip needless re-renders. */
  function signature() {
    const ps = [...people().values()].map((p) => [p.id, p.name, p.role, p.state, p.room, !!p.audio, !!p.video]);
    return JSON.stringify([ctx.role(), me(), ctx.room(), state.round, ps, state.groupsMessage]);
  }

  function render(force = false) {
    if (state.stopped) return;
    const sig = signature();
    if (!force && sig === state.signature) {
      renderClock();
      return;
    }
    state.signature = sig;
    if (isManager()) {
      chooser.hidden = true;
      panel.hidden = false;
      renderPanel();
    } else {
      panel.hidden = true;
      renderChooser();
    }
    renderClock();
  }

  function renderExpanded() {
    toggle.setAttribute("aria-expanded", String(state.expanded));
    bodyBox.hidden = !state.expanded;
    panel.classList.toggle("bo-collapsed", !state.expanded);
  }

  function renderGroups() {
    groupsButton.disabled = !!state.groupsMessage;
    groupsHelp.textContent = state.groupsMessage
      ? `${state.groupsMessage} An admin can add them (for example the programme's pairs); reload this page afterwards.`
      : "One room for each group set up for this session (for example the programme's pairs), with its members already placed.";
    groupsHelp.classList.toggle("bo-unavailable", !!state.groupsMessage);
  }

  /** The people a mentor can place: everyone connected but oneself, and anyone assigned. */
  function placeable() {
    const assigned = new Set();
    for (const r of (state.round && state.round.rooms) || []) for (const id of r.assigned) assigned.add(id);
    return [...people().values()]
      .filter((p) => p.id !== me() && (p.state === "connected" || (assigned.has(p.id) && p.state !== "left")))
      .sort((a, b) => (a.joined_at || 0) - (b.joined_at || 0));
  }

  function renderPanel() {
    const round = state.round;
    const phase = round ? round.state : "none";
    createBox.hidden = phase !== "none";
    draftBox.hidden = phase !== "draft";
    liveBox.hidden = phase !== "open" && phase !== "closing";
    renderGroups();
    if (phase === "none" && !countTouched) {
      const n = placeable().filter((p) => p.role === "mentee").length;
      countInput.value = String(Math.min(MAX_ROOMS, Math.max(1, Math.floor(n / 2) || 1)));
    }
    keepFocus(() => {
      // Only one list of rooms at a time (ids and data-room must stay unique on the page).
      if (phase === "draft") renderDraft(round);
      else draftRooms.replaceChildren();
      if (phase === "open" || phase === "closing") {
        renderLive(round);
      } else {
        liveRooms.replaceChildren();
        helpList.replaceChildren();
      }
    });
  }

  /** Re-render with the focused control found again afterwards (by its data-key). */
  function keepFocus(fn) {
    const active = document.activeElement;
    const inside = active && panel.contains(active);
    const key = inside && active.dataset ? active.dataset.key : null;
    fn();
    if (!inside || panel.contains(active)) return;
    const again = key && panel.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again && !again.disabled) again.focus({ preventScroll: true });
    else if (!liveBox.hidden) focusLater(where);
    else if (!draftBox.hidden) focusLater(draftLead);
  }

  function roomSelect(p, current, label) {
    const select = el("select", { class: "bo-select", "aria-label": label, "data-key": `assign:${p.id}` });
    select.append(el("option", { value: "" }, "Main room (no breakout room)"));
    for (const r of state.round.rooms) select.append(el("option", { value: r.id }, r.name));
    select.value = current || "";
    select.addEventListener("change", () => assign(p.id, select.value || null, select));
    return select;
  }

  function personRow(p, { room, live, flags = [] }) {
    const li = el("li", { class: "bo-person", "data-pid": p.id });
    const self = p.id === me();
    const text = el("span", { class: "bo-person-text" });
    const name = el("span", { class: "bo-name" }, self ? `${p.name} (you)` : p.name);
    text.append(name);
    const bits = el("span", { class: "bo-flags" });
    const role = ROLE_WORDS[p.role];
    if (role) bits.append(el("span", { class: "bo-flag bo-flag-role" }, role));
    if (live) {
      bits.append(el("span", { class: "bo-flag bo-flag-speaking", hidden: true }, "speaking"));
      if (p.state === "disconnected") bits.append(el("span", { class: "bo-flag bo-flag-away" }, "reconnecting…"));
      else if (p.state === "connected" && p.role !== "observer") {
        if (!p.audio) bits.append(el("span", { class: "bo-flag bo-flag-muted" }, "muted"));
        if (!p.video) bits.append(el("span", { class: "bo-flag" }, "camera off"));
      }
    } else if (p.state === "disconnected") {
      bits.append(el("span", { class: "bo-flag bo-flag-away" }, "reconnecting…"));
    }
    for (const f of flags) bits.append(el("span", { class: `bo-flag ${f.cls || ""}` }, f.text));
    if (bits.childElementCount) text.append(bits);
    li.append(text);
    if (!self) li.append(roomSelect(p, room, live ? `Move ${p.name} to` : `Room for ${p.name}`));
    return li;
  }

  function roomCard(id, title, { count, extra = [], headerButtons = [], highlight = false, here = false }) {
    const card = el("section", { class: "bo-room" + (highlight ? " bo-room-help" : "") + (here ? " bo-room-here" : ""), "data-room": id, "aria-labelledby": `bo-room-${id}` });
    const head = el("div", { class: "bo-room-head" });
    const h = el("h3", { id: `bo-room-${id}` }, title);
    const meta = el("span", { class: "bo-room-count" }, count);
    h.append(" ", meta);
    head.append(h, ...headerButtons);
    card.append(head, ...extra);
    return card;
  }

  function renderDraft(round) {
    const assignedTo = new Map();
    for (const r of round.rooms) for (const id of r.assigned) assignedTo.set(id, r.id);
    const everyone = placeable();
    const waiting = everyone.filter((p) => !assignedTo.has(p.id));
    draftLead.textContent =
      `Draft: ${plural(round.rooms.length, "room", "rooms")}, nobody has moved yet. ` +
      (round.allow_choice ? "Participants can choose their room; you can also place them. " : "Choose a room for each person. ") +
      (waiting.length ? `${plural(waiting.length, "person is", "people are")} not assigned.` : "Everyone is assigned.");
    const cards = [];
    for (const r of round.rooms) {
      const list = el("ul", { class: "bo-people" });
      for (const id of r.assigned) {
        const p = person(id);
        if (!p || p.state === "left") continue;
        list.append(personRow(p, { room: r.id, live: false }));
      }
      if (!list.childElementCount) list.append(el("li", { class: "bo-empty" }, "Nobody yet"));
      cards.push(roomCard(r.id, r.name, { count: plural(list.querySelectorAll(".bo-person").length, "person", "people"), extra: [list] }));
    }
    const rest = el("ul", { class: "bo-people" });
    for (const p of waiting) rest.append(personRow(p, { room: null, live: false }));
    if (!rest.childElementCount) rest.append(el("li", { class: "bo-empty" }, "Nobody: everyone has a room"));
    cards.push(roomCard("unassigned", "Not assigned", { count: "(stay in the main room)", extra: [rest] }));
    draftRooms.replaceChildren(...cards);
  }

  function renderLive(round) {
    const open = round.state === "open";
    const myRoom = ctx.room() || "main";
    // Where am I; the way back.
    where.textContent = myRoom === "main" ? "You are in the main room." : `You are visiting ${roomName(myRoom)}.`;
    backButton.hidden = myRoom === "main" || !open;
    timeButtons.hidden = !open;
    broadcastForm.hidden = false;
    closeForm.hidden = !open;

    // Help requests, oldest first.
    const help = [...(round.help || [])].sort((a, b) => a.asked_at - b.asked_at);
    helpBox.hidden = help.length === 0;
    helpTitle.textContent = help.length === 1 ? "1 person is asking for help" : `${help.length} people are asking for help`;
    helpList.replaceChildren(
      ...help.map((h) => {
        const li = el("li", { class: "bo-help-item" });
        const text = el("p", { class: "bo-help-text" });
        const strong = el("strong", {}, nameOf(h.participant_id));
        const when = el("span", { class: "bo-ago", "data-asked-at": String(h.asked_at) }, agoText(serverNow() - h.asked_at));
        const at = clockFormat.format(new Date((h.asked_at - state.offset) * 1000));
        text.append(strong, ` in ${roomName(h.room)}, asked at ${at} (`, when, ")");
        const here = h.room === myRoom;
        const go = button(here ? "Mark as answered" : `Go to ${roomName(h.room)}`, {
          class: "button button-primary bo-button",
          "data-key": `help:${h.participant_id}`,
        });
        if (!open) go.disabled = true;
        go.addEventListener("click", () => visit(h.room, go));
        li.append(text, go);
        return li;
      }),
    );

    // One card per room (who is there now, who is assigned but away), then the main room.
    const helpRooms = new Set(help.map((h) => h.room));
    const askers = new Set(help.map((h) => h.participant_id));
    const cards = [];
    for (const r of round.rooms) {
      const list = el("ul", { class: "bo-people" });
      const shown = new Set();
      for (const id of r.members) {
        const p = person(id);
        if (!p) continue;
        shown.add(id);
        list.append(personRow(p, { room: r.id, live: true, flags: askers.has(id) ? [{ text: "asked for help", cls: "bo-flag-help" }] : [] }));
      }
      for (const id of r.assigned) {
        const p = person(id);
        if (!p || shown.has(id) || p.state === "left") continue;
        const flags = p.state === "connected" ? [{ text: `in ${roomName(p.room)}`, cls: "bo-flag-away" }] : [];
        list.append(personRow(p, { room: r.id, live: true, flags }));
      }
      if (!list.childElementCount) list.append(el("li", { class: "bo-empty" }, "Empty"));
      const here = r.id === myRoom;
      const buttons = [];
      if (here) {
        buttons.push(el("span", { class: "bo-here" }, "You are here"));
      } else if (open) {
        const go = button("Visit", { "aria-label": `Visit ${r.name}`, "data-key": `visit:${r.id}` });
        go.addEventListener("click", () => visit(r.id, go));
        buttons.push(go);
      }
      const n = r.members.length;
      const count = plural(n, "person", "people") + (helpRooms.has(r.id) ? " · needs help" : "");
      cards.push(roomCard(r.id, r.name, { count, extra: [list], headerButtons: buttons, highlight: helpRooms.has(r.id), here }));
    }
    const mainList = el("ul", { class: "bo-people" });
    const inMain = [...people().values()]
      .filter((p) => (p.room || "main") === "main" && (p.state === "connected" || p.id === me()))
      .sort((a, b) => (a.id === me() ? -1 : b.id === me() ? 1 : (a.joined_at || 0) - (b.joined_at || 0)));
    for (const p of inMain) mainList.append(personRow(p, { room: null, live: true }));
    if (!mainList.childElementCount) mainList.append(el("li", { class: "bo-empty" }, "Empty"));
    const mainButtons = [];
    if (myRoom === "main") mainButtons.push(el("span", { class: "bo-here" }, "You are here"));
    cards.push(roomCard("main", "Main room", { count: plural(inMain.length, "person", "people"), extra: [mainList], headerButtons: mainButtons, here: myRoom === "main" }));
    liveRooms.replaceChildren(...cards);
    renderSpeaking();
  }

  function renderChooser() {
    const round = state.round;
    const show = !!round && round.allow_choice && (round.state === "draft" || round.state === "open") && ctx.role() === "mentee";
    chooser.hidden = !show;
    if (!show) return;
    const mine = round.rooms.find((r) => r.assigned.includes(me()));
    chooserHelp.textContent =
      round.state === "draft"
        ? mine
          ? `You chose ${mine.name}. You go there when the mentor opens the rooms; you can still change.`
          : "Pick the room you want to join. You go there when the mentor opens the rooms."
        : mine
          ? `You are in ${mine.name}. You can change room at any time.`
          : "Pick a room to join it now.";
    const buttons = round.rooms.map((r) => {
      const n = round.state === "open" ? r.members.length : r.assigned.length;
      const chosen = !!mine && mine.id === r.id;
      const b = el("button", { type: "button", class: "bo-choose-room", "aria-pressed": String(chosen), "data-key": `choose:${r.id}` });
      b.append(
        el("span", { class: "bo-choose-name" }, r.name),
        el("span", { class: "visually-hidden" }, ", "),
        el("span", { class: "bo-choose-count" }, plural(n, "person", "people")),
      );
      b.addEventListener("click", () => !chosen && choose(r.id, b));
      return b;
    });
    const active = document.activeElement;
    const key = active && chooser.contains(active) ? active.dataset.key : null;
    chooserList.replaceChildren(...buttons);
    if (key) {
      const again = chooserList.querySelector(`[data-key="${CSS.escape(key)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  /** Once a second: the countdown, "asked … ago", who is speaking in our room. */
  function renderClock() {
    const round = state.round;
    let text = "";
    let short = "";
    let urgent = false;
    if (round && round.state === "open") {
      if (round.ends_at) {
        const left = round.ends_at - serverNow();
        text = `${formatSeconds(left)} left`;
        short = `open · ${formatSeconds(left)} left`;
        urgent = left <= 60;
        cutButton.disabled = left <= 60;
      } else {
        const open = round.opened_at ? serverNow() - round.opened_at : 0;
        text = `No time limit · open for ${formatSeconds(open)}`;
        short = "open, no time limit";
        cutButton.disabled = true;
      }
    } else if (round && round.state === "closing") {
      const left = round.closing_ends_at ? round.closing_ends_at - serverNow() : 0;
      text = `Closing: everyone is back in the main room in ${formatSeconds(left)}`;
      short = `closing · ${formatSeconds(left)}`;
      urgent = true;
    } else if (round && round.state === "draft") {
      short = "draft";
    }
    clock.textContent = text;
    clock.classList.toggle("bo-urgent", urgent);
    cutButton.hidden = !!round && round.state === "open" && !round.ends_at;
    const help = (round && round.help && round.help.length) || 0;
    summary.textContent = short ? ` · ${short}` : "";
    summary.classList.toggle("bo-summary-help", help > 0);
    if (help && isManager()) summary.textContent += ` · ${help} asking for help`;
    for (const span of panel.querySelectorAll(".bo-ago[data-asked-at]")) {
      span.textContent = agoText(serverNow() - Number(span.dataset.askedAt));
    }
    renderSpeaking();
  }

  /** Who is speaking in rooms other than ours, from `participant_speaking` (mentors only). */
  const remoteSpeaking = new Set();

  function renderSpeaking() {
    const myRoom = ctx.room() || "main";
    for (const li of liveRooms.querySelectorAll(".bo-person[data-pid]")) {
      const id = li.dataset.pid;
      const p = person(id);
      // Other rooms: what the server relays. Our own room: the tiles, which react faster.
      let speaking = remoteSpeaking.has(id);
      if (p && (p.room || "main") === myRoom) {
        if (id === me()) speaking = !!(window.tandemEngagement && window.tandemEngagement.speaking);
        else {
          const tile = document.querySelector(`#video-grid li[data-id="${CSS.escape(id)}"]`);
          speaking = !!tile && tile.classList.contains("tile-speaking");
        }
      }
      li.classList.toggle("bo-speaking", speaking);
      const flag = li.querySelector(".bo-flag-speaking");
      if (flag) flag.hidden = !speaking;
    }
  }

  // -- events ----------------------------------------------------------------------------------

  function attach(socket) {
    if (!socket || state.sockets.has(socket)) return;
    state.sockets.add(socket);
    // The call page's own listeners were added first, so its participant map is up to date here.
    socket.on("breakouts", ({ breakouts } = {}) => setRound(breakouts));
    // Mentors and admins are told who starts and stops speaking in every room (no audio).
    socket.on("participant_speaking", ({ participant_id: id, speaking } = {}) => {
      if (!id) return;
      if (speaking) remoteSpeaking.add(id);
      else remoteSpeaking.delete(id);
      renderSpeaking();
    });
    for (const event of ["participant_joined", "participant_rejoined", "participant_left", "participant_updated", "participant_moved", "room_changed"]) {
      socket.on(event, (data = {}) => {
        // Leaving, moving or muting ends speaking, whatever was said last.
        const p = data.participant;
        if (data.participant_id) remoteSpeaking.delete(data.participant_id);
        if (p && (event !== "participant_updated" || !p.audio)) remoteSpeaking.delete(p.id);
        render();
      });
    }
  }

  function startTicking() {
    clearInterval(state.tick);
    state.tick = setInterval(() => {
      if (!state.round || state.round.state === "draft") return;
      renderClock();
    }, TICK_MS);
  }

  return {
    /** After each successful `join`: follow this socket; show the round as the server has it. */
    joined(ack) {
      mount();
      state.stopped = false;
      if (ack && typeof ack.server_time === "number") state.offset = ack.server_time - Date.now() / 1000;
      attach(ctx.socket());
      state.round = null;
      setRound(ack ? ack.breakouts : null, { quiet: true });
      renderExpanded();
      render(true);
      startTicking();
    },
    /** The call ended (left, ended, replaced, refused). */
    stop() {
      state.stopped = true;
      clearInterval(state.tick);
      panel.hidden = true;
      chooser.hidden = true;
    },
    /** For tests and the page. */
    round: () => state.round,
  };
}
