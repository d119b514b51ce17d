// The participation panel: the live overview (everyone's for mentors, one's own for others),
// refreshed every 5 s while it is open.

import { el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { renderTable, renderTimeline } from "../../attendance_view.js";
import { overviewSummary } from "./state.js";

const OVERVIEW_MS = 5000;

/**
 * @param {object} ctx
 * @param {() => Promise<import("../../core/types.js").Ack>} ctx.fetchReport
 * @param {() => {participantId: string | null, role: string | null}} ctx.me
 * @param {(open: boolean) => void} ctx.opened
 * @param {() => void} ctx.closedByButton  the panel's own close button was pressed
 */
export function createParticipation({ fetchReport, me, opened, closedByButton }) {
  const panel = el("section", { id: "participation-panel", class: "participation-panel", "aria-labelledby": "participation-title", hidden: true });
  const head = el("div", { class: "participation-head" });
  const title = el("h2", { id: "participation-title" }, t("engagement.participation.button"));
  const close = el("button", { type: "button", class: "participation-close", "aria-label": t("engagement.participation.close") }, "✕");
  head.append(title, close);
  const summary = el("p", { class: "participation-summary", "aria-live": "polite" });
  const timeline = el("div", { class: "participation-timeline" });
  const tableWrap = el("div", { class: "participation-table" });
  const table = el("table");
  tableWrap.append(table);
  panel.append(head, summary, timeline, tableWrap);
  let timer = 0;
  /** @type {unknown} */
  let last = null;

  close.addEventListener("click", () => {
    hide();
    closedByButton();
  });

  async function refresh() {
    const ack = await fetchReport();
    if (!ack.ok) return;
    const report = ack.report;
    last = report;
    const words = overviewSummary(report, me());
    title.textContent = words.title;
    summary.textContent = words.summary;
    renderTimeline(timeline, report);
    renderTable(table, report, { compact: true, caption: words.caption });
  }

  function show() {
    panel.hidden = false;
    opened(true);
    refresh();
    clearInterval(timer);
    timer = window.setInterval(() => !document.hidden && refresh(), OVERVIEW_MS);
  }

  function hide() {
    panel.hidden = true;
    opened(false);
    clearInterval(timer);
  }

  return {
    element: panel,
    toggle: () => (panel.hidden ? show() : hide()),
    hide,
    /** After a rejoin: fresh numbers if it is open. */
    refreshIfOpen: () => !panel.hidden && refresh(),
    /** The last report shown (for the test hooks). */
    last: () => last,
  };
}
