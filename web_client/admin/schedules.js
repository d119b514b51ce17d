// Sessions: schedule one session or a series for a published pair or for the whole cohort, in a
// time zone; then each session's personal links, ready to copy, the links as CSV for a mail
// merge, and each person's calendar invitations (.ics).

import { byId, byIdAs, el } from "../ui/dom.js";
import { t } from "../ui/i18n.js";
import { ApiError, seg, errorText } from "./api.js";
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
  const title = byIdAs("schedule-title", HTMLInputElement);
  if (!title.value) title.value = t("admin.schedules.default_title");

  function fillTargets() {
    const names = namesById(ctx.shared.people);
    const live = ctx.shared.matches.filter((m) => m.state !== "ended");
    const before = target.value;
    target.replaceChildren(
      el("option", { value: "group" }, t("admin.schedules.target_group")),
      ...live.map((m) => el("option", { value: m.id }, matchLabel(m, names))),
    );
    target.value = [...target.options].some((o) => o.value === before) ? before : (live[0]?.id || "group");
  }
  ctx.on("matches", fillTargets);
  ctx.on("people", fillTargets);
  // each person's local time comes from their profile: the cards follow the people as they load
  ctx.on("people", () => { if (schedules.length) render(); });

  ctx.on("cohort", async () => {
    schedules = [];
    byId("schedules-list").replaceChildren();
    status.clear();
    if (!ctx.shared.cohort) return;
    try {
      schedules = (await api.get(ctx.cohortPath("/schedules"))).schedules || [];
      render();
    } catch (err) {
      status.fail(err, t("admin.schedules.load_failed"));
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
      status.say(t("admin.schedules.scheduled", { summary: scheduleSummary(schedule) }));
      focusOn(document.getElementById(`schedule-${schedule.id}`));
    } catch (err) {
      error.textContent = err instanceof ApiError ? errorText(err) : t("admin.schedules.not_scheduled");
      target.focus();
    }
  });

  function render() {
    const box = byId("schedules-list");
    if (!schedules.length) {
      box.replaceChildren(el("p", { class: "meta" }, t("admin.schedules.none")));
      return;
    }
    box.replaceChildren(...[...schedules].reverse().map(scheduleCard));
  }

  /** @param {Schedule} s */
  function scheduleCard(s) {
    const card = el("article", { class: "schedule", "aria-labelledby": `schedule-${s.id}` });
    const names = namesById(ctx.shared.people);
    const match = ctx.shared.matches.find((m) => m.id === s.match_id);
    const who = s.group || !match ? t("admin.schedules.everyone") : matchLabel(match, names);
    card.append(
      el("h3", { id: `schedule-${s.id}`, tabindex: "-1" }, `${s.title}: ${who}`),
      el("p", { class: "meta" }, scheduleSummary(s)),
    );
    const path = ctx.cohortPath(`/schedules/${seg(s.id)}`);
    const slug = fileSlug(s.title);
    const actions = el("div", { class: "exports" });
    actions.append(button(t("admin.schedules.links_csv"), () => download(api, `${path}/links.csv`, {}, `${slug}-links.csv`, status)));
    const invites = el("div", { class: "exports", role: "group", "aria-label": t("admin.schedules.invites_label", { title: s.title }) });
    invites.append(el("span", { class: "exports-label" }, t("admin.schedules.invites")));
    for (const p of schedulePeople(s)) {
      invites.append(button(p.name, () => download(api, `${path}/invites.ics`, { person: p.id }, `${slug}-${fileSlug(p.name)}.ics`, status),
        { class: "button button-secondary button-small", "aria-label": t("admin.schedules.invites_for", { name: p.name }) }));
    }
    const zones = new Map(ctx.shared.people.map((p) => [p.id, p.profile?.time_zone]));
    const rows = linkRows(s, (id) => zones.get(id));
    const table = dataTable({
      caption: t("admin.schedules.links_caption", { title: s.title }),
      columns: [
        t("admin.schedules.col_person"), t("admin.schedules.col_role"), t("admin.schedules.col_session"),
        t("admin.schedules.col_local_time"), t("admin.schedules.col_link"),
      ],
      className: "links-table",
      rows: rows.map((r) => [r.name, t("attendance.role", { role: r.role }), t("admin.schedules.session_at", { session: r.session, start: r.start }), r.localTime,
        copyField({
          label: t("admin.schedules.link_label", { name: r.name, session: r.session }), value: r.url,
          copyLabel: t("admin.schedules.copy_label", { name: r.name, session: r.session }),
          onCopied: (ok) => status.say(ok ? t("admin.schedules.copied", { name: r.name, session: r.session }) : t("admin.schedules.copy_refused")),
        })]),
    });
    const scroll = el("div", { class: "table-scroll" });
    scroll.append(table);
    card.append(actions, invites, scroll);
    return card;
  }
}
