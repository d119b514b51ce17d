// Match health: the pairs at risk first (who, and why), then a row per published pair: sessions
// planned and held, minutes, last contact, no-shows, talk balance, ratings, fit and risks; the
// same as CSV or XLSX.

import { byId, el } from "../ui/dom.js";
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
      status.fail(err, "Could not load how the pairs are doing");
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
      riskBox.replaceChildren(el("h3", { id: "at-risk-title" }, `At risk: ${risky.length} ${risky.length === 1 ? "pair" : "pairs"}`), ul);
      ul.setAttribute("aria-labelledby", "at-risk-title");
    } else {
      riskBox.replaceChildren();
    }
    const rows = healthRows(health);
    byId("health-table").replaceChildren(rows.length ? dataTable({
      caption: "Every published pair, at-risk pairs first",
      columns: ["Pair", "Sessions held", "Upcoming", "Minutes", "Last contact", "No-shows", "Talk balance", "Ratings", "Fit", "Risks"],
      className: "health-table",
      rows: rows.map((r) => [r.pair, r.sessions, r.upcoming, r.minutes, r.lastContact, r.noShows, r.talkBalance, r.ratings, r.fit, lines(r.risks, "None")]),
    }) : el("p", { class: "meta" }, "Nothing published yet."));
    status.say(rows.length ? `${rows.length} ${rows.length === 1 ? "pair" : "pairs"}, ${risky.length ? risky.length : "none"} at risk.` : "");
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
