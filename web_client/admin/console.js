// The programme console of the admin page: the sections beside attendance (Programme, Webhooks,
// Admins and audit), the navigation between them, and what the programme's sections share: the
// chosen cohort, its people and its published matches. Each section is its own module; they
// talk through this context, never through each other's DOM.

import { byId } from "../ui/dom.js";
import { Api, seg } from "./api.js";
import { installCohorts } from "./cohorts.js";
import { installMatching } from "./matching.js";
import { installSchedules } from "./schedules.js";
import { installHealth } from "./health.js";
import { installWebhooks } from "./webhooks.js";
import { installAdmins } from "./admins.js";

/**
 * @typedef {import("./cohort_model.js").Cohort} Cohort
 * @typedef {import("./cohort_model.js").Person} Person
 * @typedef {import("./match_model.js").Match} Match
 * @typedef {"cohort" | "people" | "matches" | "schedules"} Topic
 * @typedef {{
 *   api: Api,
 *   shared: {cohort: Cohort | null, people: Person[], matches: Match[]},
 *   on: (topic: Topic, fn: () => void) => void,
 *   loadPeople: () => Promise<void>,
 *   loadMatches: () => Promise<void>,
 *   notify: (topic: Topic) => void,
 *   cohortPath: (rest?: string) => string,
 * }} ConsoleContext
 */

const VIEWS = ["attendance", "programme", "webhooks", "admins"];

/**
 * Wire the console once; `start` after sign-in, `stop` at sign-out.
 * @param {{key: () => string | null, onUnauthorized: () => void}} options
 */
export function installConsole(options) {
  const api = new Api(options.key, { onUnauthorized: options.onUnauthorized });
  /** @type {Record<Topic, (() => void)[]>} */
  const listeners = { cohort: [], people: [], matches: [], schedules: [] };
  /** @param {Topic} topic */
  const emit = (topic) => {
    for (const fn of listeners[topic]) {
      try {
        fn();
      } catch (err) {
        console.error(err); // one section's failure leaves the others working
      }
    }
  };
  /** @type {ConsoleContext} */
  const ctx = {
    api,
    shared: { cohort: null, people: [], matches: [] },
    on: (topic, fn) => { listeners[topic].push(fn); },
    notify: emit,
    cohortPath(rest = "") {
      if (!ctx.shared.cohort) throw new Error("no cohort chosen");
      return `/api/cohorts/${seg(ctx.shared.cohort.id)}${rest}`;
    },
    async loadPeople() {
      const body = await api.get(ctx.cohortPath("/people"));
      ctx.shared.people = body.people || [];
      emit("people");
    },
    async loadMatches() {
      const body = await api.get(ctx.cohortPath("/matches"));
      ctx.shared.matches = body.matches || [];
      emit("matches");
    },
  };

  const cohorts = installCohorts(ctx, (cohort) => {
    ctx.shared.cohort = cohort;
    ctx.shared.people = [];
    ctx.shared.matches = [];
    emit("cohort");
  });
  installMatching(ctx);
  installSchedules(ctx);
  installHealth(ctx);
  const webhooks = installWebhooks(api);
  const admins = installAdmins(api);

  /** @param {string} view @param {boolean} [focus] */
  function show(view, focus = false) {
    for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
    // the page's status line speaks for attendance; each console section has its own
    if (view !== "attendance") byId("status").textContent = "";
    for (const b of byId("views-nav").querySelectorAll("button[data-view]")) {
      if (b instanceof HTMLElement) {
        if (b.dataset.view === view) b.setAttribute("aria-current", "true");
        else b.removeAttribute("aria-current");
      }
    }
    if (view === "programme") cohorts.load();
    if (view === "webhooks") webhooks.load();
    if (view === "admins") admins.load();
    if (focus) {
      const heading = byId(`view-${view}`).querySelector("h2");
      if (heading instanceof HTMLElement) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  }

  byId("views-nav").addEventListener("click", (e) => {
    const b = e.target instanceof Element ? e.target.closest("button[data-view]") : null;
    if (b instanceof HTMLElement && b.dataset.view) show(b.dataset.view, true);
  });

  return {
    start() {
      byId("views-nav").hidden = false;
      show("attendance");
    },
    stop() {
      byId("views-nav").hidden = true;
      for (const name of VIEWS) byId(`view-${name}`).hidden = name !== "attendance";
    },
  };
}
