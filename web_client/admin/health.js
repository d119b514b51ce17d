// Match health: the pairs at risk first (who, and why), then a row per published pair: sessions
// planned and held, minutes, last contact, no-shows, talk balance, ratings, fit and risks; the
// same as CSV or XLSX.

import { byId, el } from "../ui/dom.js";
import { t } from "../ui/i18n.js";
import { atRisk, healthRows } from "./health_model.js";
import { dataTable, download, lines, statusOf } from "./view.js";

/** @param {import("./console.js").ConsoleContext} ctx */
export function installHealth(ctx) {
  const { api } = ctx;
  const status = statusOf(byId("health-status"));

  async function load() {
    if (!ctx.shared.cohort) return;
    let health;
    try {
      health = await api.get(ctx.cohortPath("/health"));
    } catch (err) {
      status.fail(err, t("admin.health.load_failed"));
      return;
    }
    const risky = atRisk(health);
    const riskBox = byId("health-at-risk");
    if (risky.length) {
      const ul = el("ul", { class: "at-risk-list" });
      for (const r of risky) {
        const li = el("li");
        li.append(el("strong", {}, r.pair), document.createTextNode(`: ${r.why}`));
        ul.append(li);
      }
      riskBox.replaceChildren(el("h3", { id: "at-risk-title" }, t("admin.health.at_risk_title", { count: risky.length })), ul);
      ul.setAttribute("aria-labelledby", "at-risk-title");
    } else {
      riskBox.replaceChildren();
    }
    const rows = healthRows(health);
    byId("health-table").replaceChildren(rows.length ? dataTable({
      caption: t("admin.health.caption"),
      columns: [
        t("admin.health.col_pair"), t("admin.health.col_sessions"), t("admin.health.col_upcoming"), t("admin.health.col_minutes"),
        t("admin.health.col_last_contact"), t("admin.health.col_no_shows"), t("admin.health.col_talk_balance"),
        t("admin.health.col_ratings"), t("admin.health.col_fit"), t("admin.health.col_risks"),
      ],
      className: "health-table",
      rows: rows.map((r) => [r.pair, r.sessions, r.upcoming, r.minutes, r.lastContact, r.noShows, r.talkBalance, r.ratings, r.fit, lines(r.risks, t("admin.health.no_risks"))]),
    }) : el("p", { class: "meta" }, t("admin.health.nothing_published")));
    status.say(rows.length ? t("admin.health.summary", { pairs: rows.length, risky: risky.length }) : "");
  }

  ctx.on("cohort", () => {
    byId("health-at-risk").replaceChildren();
    byId("health-table").replaceChildren();
    load();
  });
  ctx.on("matches", load);
  ctx.on("schedules", load);
  byId("health-refresh").addEventListener("click", load);
  for (const format of ["csv", "xlsx"]) {
    byId(`health-${format}`).addEventListener("click", () => {
      const c = ctx.shared.cohort;
      if (c) download(api, ctx.cohortPath(`/health.${format}`), {}, `health-${c.id}.${format}`, status);
    });
  }
}
