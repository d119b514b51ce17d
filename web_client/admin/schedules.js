// Sessions: schedule one session or a series for a published pair or for the whole cohort, in a
// time zone; then each session's personal links, ready to copy, the links as CSV for a mail
// merge, and each person's calendar invitations (.ics).

import { byId, byIdAs, el } from "../ui/dom.js";
import { ApiError, seg } from "./api.js";
import { namesById } from "./cohort_model.js";
import { matchLabel } from "./match_model.js";
import { fileSlug, linkRows, schedulePayload, schedulePeople, scheduleSummary } from "./schedule_model.js";
import { button, copyField, dataTable, download, focusOn, formValues, statusOf } from "./view.js";

/** @typedef {import("./schedule_model.js").Schedule} Schedule */

/** @param {import("./console.js").ConsoleContext} ctx */
export function installSchedules(ctx) {
  const { api } = ctx;
  const status = statusOf(byId("schedules-status"));
  const target = byIdAs("schedule-target", HTMLSelectElement);
  /** @type {Schedule[]} */
  let schedules = [];

  const zone = byIdAs("schedule-zone", HTMLInputElement);
  zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  function fillTargets() {
    const names = namesById(ctx.shared.people);
    const live = ctx.shared.matches.filter((m) => m.state !== "ended");
    const before = target.value;
    target.replaceChildren(
      el("option", { value: "group" }, "Everyone matched (a group session)"),
      ...live.map((m) => el("option", { value: m.id }, matchLabel(m, names))),
    );
    target.value = [...target.options].some((o) => o.value === before) ? before : (live[0]?.id || "group");
  }
  ctx.on("matches", fillTargets);
  ctx.on("people", fillTargets);

  ctx.on("cohort", async () => {
    schedules = [];
    byId("schedules-list").replaceChildren();
    status.clear();
    if (!ctx.shared.cohort) return;
    try {
      schedules = (await api.get(ctx.cohortPath("/schedules"))).schedules || [];
      render();
    } catch (err) {
      status.fail(err, "Could not load the sessions");
    }
  });

  byIdAs("schedule-repeat", HTMLSelectElement).addEventListener("change", (e) => {
    const once = /** @type {HTMLSelectElement} */ (e.target).value === "once";
    const count = byIdAs("schedule-count", HTMLInputElement);
    count.disabled = once;
    if (!once && Number(count.value) < 2) count.value = "6";
  });
  byIdAs("schedule-count", HTMLInputElement).disabled = true;

  byId("schedule-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = byId("schedule-error");
    error.textContent = "";
    const body = schedulePayload(formValues(byIdAs("schedule-form", HTMLFormElement)));
    try {
      const schedule = await api.post(ctx.cohortPath("/schedules"), body);
      schedules.push(schedule);
      render();
      ctx.notify("schedules");
      status.say(`Scheduled ${scheduleSummary(schedule)}. The personal links are below.`);
      focusOn(document.getElementById(`schedule-${schedule.id}`));
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "Nothing was scheduled.";
      target.focus();
    }
  });

  function render() {
    const box = byId("schedules-list");
    if (!schedules.length) {
      box.replaceChildren(el("p", { class: "meta" }, "No sessions scheduled yet."));
      return;
    }
    box.replaceChildren(...[...schedules].reverse().map(scheduleCard));
  }

  /** @param {Schedule} s */
  function scheduleCard(s) {
    const card = el("article", { class: "schedule", "aria-labelledby": `schedule-${s.id}` });
    const names = namesById(ctx.shared.people);
    const match = ctx.shared.matches.find((m) => m.id === s.match_id);
    const who = s.group || !match ? "Everyone matched" : matchLabel(match, names);
    card.append(
      el("h3", { id: `schedule-${s.id}`, tabindex: "-1" }, `${s.title}: ${who}`),
      el("p", { class: "meta" }, scheduleSummary(s)),
    );
    const path = ctx.cohortPath(`/schedules/${seg(s.id)}`);
    const slug = fileSlug(s.title);
    const actions = el("div", { class: "exports" });
    actions.append(button("Download links CSV (mail merge)", () => download(api, `${path}/links.csv`, {}, `${slug}-links.csv`, status)));
    const invites = el("div", { class: "exports", role: "group", "aria-label": `Calendar invitations of ${s.title}` });
    invites.append(el("span", { class: "exports-label" }, "Calendar (.ics):"));
    for (const p of schedulePeople(s)) {
      invites.append(button(p.name, () => download(api, `${path}/invites.ics`, { person: p.id }, `${slug}-${fileSlug(p.name)}.ics`, status),
        { class: "button button-secondary button-small", "aria-label": `Calendar invitations for ${p.name}` }));
    }
    const rows = linkRows(s);
    const table = dataTable({
      caption: `Personal links of ${s.title}: one per person and session`,
      columns: ["Person", "Role", "Session", "Their local time", "Personal link"],
      className: "links-table",
      rows: rows.map((r) => [r.name, r.role === "mentor" ? "Mentor" : r.role === "mentee" ? "Mentee" : r.role, `${r.session} · ${r.start}`, r.localTime,
        copyField({
          label: `Personal link of ${r.name}, session ${r.session}`, value: r.url,
          copyLabel: `Copy the link of ${r.name} for session ${r.session}`,
          onCopied: (ok) => status.say(ok ? `Copied ${r.name}'s link for session ${r.session}.` : "The browser did not allow copying: the link is selected, press Ctrl+C."),
        })]),
    });
    const scroll = el("div", { class: "table-scroll" });
    scroll.append(table);
    card.append(actions, invites, scroll);
    return card;
  }
}
