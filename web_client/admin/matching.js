// Matching: the rules, a proposal with every pair's score and its reasons, Pin and Forbid per
// pair (kept for the next run), who is left unmatched and why, publishing with dates and a
// meeting frequency, and the published matches.

import { byId, byIdAs, el } from "../ui/dom.js";
import { t } from "../ui/i18n.js";
import { ApiError, errorText } from "./api.js";
import { namesById, roleWord } from "./cohort_model.js";
import {
  PairChoices, dayText, fmtPoints, matchLabel, proposalRows, proposalSummary, reasonText, rulesFromForm, whyText,
} from "./match_model.js";
import { button, dataTable, focusOn, formValues, lines, statusOf } from "./view.js";

/** @typedef {import("./match_model.js").Proposal} Proposal */

/** The names on a Pin or Forbid button. @param {"pin" | "forbid"} choice @param {{mentor: string, mentee: string}} who */
const decideLabel = (choice, who) => (choice === "pin" ? t("admin.matching.pairs.pin_label", who) : t("admin.matching.pairs.forbid_label", who));

/** @param {import("./console.js").ConsoleContext} ctx */
export function installMatching(ctx) {
  const { api } = ctx;
  const status = statusOf(byId("matching-status"));
  const choices = new PairChoices();
  /** @type {Proposal | null} */
  let proposal = null;

  ctx.on("cohort", async () => {
    choices.clear();
    proposal = null;
    byId("proposal").hidden = true;
    status.clear();
    if (!ctx.shared.cohort) return;
    try {
      show(await api.get(ctx.cohortPath("/proposal")));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) status.fail(err, t("admin.matching.load_failed"));
    }
  });
  ctx.on("matches", renderMatches);

  /** @param {Proposal} p */
  function show(p) {
    proposal = p;
    byId("proposal").hidden = false;
    byId("proposal-summary").textContent = proposalSummary(p);
    renderPairs();
    renderUnmatched();
  }

  function renderPairs() {
    if (!proposal) return;
    const rows = proposalRows(proposal, choices);
    const box = byId("proposal-pairs");
    if (!rows.length) {
      box.replaceChildren(el("p", { class: "meta" }, t("admin.matching.pairs.none")));
    } else {
      box.replaceChildren(dataTable({
        caption: t("admin.matching.pairs.caption"),
        columns: [t("admin.matching.pairs.column_mentor"), t("admin.matching.pairs.column_mentee"), t("admin.matching.pairs.column_score"),
          t("admin.matching.pairs.column_why"), t("admin.matching.pairs.column_decide")],
        className: "proposal-table",
        rows: rows.map((r) => {
          const who = { mentor: r.mentor, mentee: r.mentee };
          const pin = button(r.choice === "pin" ? t("admin.matching.pairs.pinned") : t("admin.matching.pairs.pin"), () => decide(r.pair, "pin", who),
            { "aria-pressed": r.choice === "pin" ? "true" : "false", "aria-label": decideLabel("pin", who), class: "button button-secondary button-small", "data-key": r.key });
          const forbid = button(t("admin.matching.pairs.forbid"), () => decide(r.pair, "forbid", who),
            { "aria-pressed": r.choice === "forbid" ? "true" : "false", "aria-label": decideLabel("forbid", who), class: "button button-secondary button-small" });
          const decideCell = el("span", { class: "row-actions" });
          decideCell.append(pin, forbid);
          if (r.pinned) decideCell.append(el("span", { class: "tag" }, t("admin.matching.pairs.kept_by_pin")));
          const score = el("span", { class: "score" }, r.score);
          return [r.mentor, r.mentee, score, lines(r.reasons, t("admin.matching.pairs.no_points")), decideCell];
        }),
      }));
    }
    const forbidden = choices.forbidden();
    const fbox = byId("proposal-forbidden");
    if (!forbidden.length) {
      fbox.replaceChildren();
      return;
    }
    const ul = el("ul", { class: "plain-list" });
    for (const f of forbidden) {
      const names = { mentor: f.mentorName, mentee: f.menteeName };
      const li = el("li", {}, `${t("admin.matching.forbidden.pair", names)} `);
      li.append(button(t("admin.matching.forbidden.allow"), () => {
        choices.set({ mentor_id: f.mentor, mentee_id: f.mentee }, null);
        status.say(t("admin.matching.forbidden.allowed", names));
        renderPairs();
        focusOn(byId("proposal-title"));
      }, { class: "button button-secondary button-small", "aria-label": t("admin.matching.forbidden.allow_label", names) }));
      ul.append(li);
    }
    fbox.replaceChildren(el("h4", {}, t("admin.matching.forbidden.title")), ul);
  }

  /**
   * @param {import("./match_model.js").ProposedPair} pair @param {"pin" | "forbid"} choice
   * @param {{mentor: string, mentee: string}} who
   */
  function decide(pair, choice, who) {
    choices.toggle(pair, choice);
    const now = choices.state(pair.mentor_id, pair.mentee_id);
    status.say(now === "pin" ? t("admin.matching.decide.pinned", who)
      : now === "forbid" ? t("admin.matching.decide.forbidden", who)
        : choice === "pin" ? t("admin.matching.decide.unpinned", who) : t("admin.matching.decide.allowed", who));
    renderPairs();
    // the same button again, re-drawn
    const again = byId("proposal-pairs").querySelector(`button[aria-label="${CSS.escape(decideLabel(choice, who))}"]`);
    if (again instanceof HTMLElement) again.focus();
    else focusOn(byId("proposal-title"));
  }

  function renderUnmatched() {
    const box = byId("proposal-unmatched");
    const unmatched = proposal?.unmatched || [];
    if (!unmatched.length) {
      box.replaceChildren();
      return;
    }
    box.replaceChildren(dataTable({
      caption: t("admin.matching.unmatched.caption"),
      columns: [t("admin.matching.unmatched.column_name"), t("admin.matching.unmatched.column_role"), t("admin.matching.unmatched.column_why")],
      rows: unmatched.map((u) => [u.name, roleWord(u.role), whyText(u)]),
    }));
  }

  byId("rules-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const rules = rulesFromForm(formValues(byIdAs("rules-form", HTMLFormElement)), choices);
    status.say(t("admin.matching.running"));
    try {
      show(await api.post(ctx.cohortPath("/proposal"), rules));
      status.say(t("admin.matching.done", { summary: proposalSummary(/** @type {Proposal} */ (proposal)) }));
      focusOn(byId("proposal-title"));
    } catch (err) {
      status.fail(err, t("admin.matching.failed"));
    }
  });

  byId("clear-choices").addEventListener("click", () => {
    choices.clear();
    renderPairs();
    status.say(t("admin.matching.choices_cleared"));
  });

  byId("publish-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(byIdAs("publish-form", HTMLFormElement));
    const error = byId("publish-error");
    error.textContent = "";
    if (v.ends_on <= v.starts_on) {
      error.textContent = t("admin.matching.publish.end_before_start");
      byIdAs("publish-end", HTMLInputElement).focus();
      return;
    }
    // The server keeps a match's length in weeks: the planned end rounds up to a whole week.
    const weeks = Math.ceil((Date.parse(v.ends_on) - Date.parse(v.starts_on)) / (7 * 86400000));
    try {
      const body = await api.post(ctx.cohortPath("/publish"),
        { starts_on: v.starts_on, weeks, frequency: v.frequency });
      const n = (body.matches || []).length;
      status.say(t("admin.matching.publish.done", { count: n }));
      byId("proposal").hidden = true;
      proposal = null;
      choices.clear();
      await ctx.loadMatches();
      focusOn(byId("matches-title"));
    } catch (err) {
      error.textContent = err instanceof ApiError ? errorText(err) : t("admin.matching.publish.failed");
    }
  });

  function renderMatches() {
    const box = byId("matches-list");
    const names = namesById(ctx.shared.people);
    const matches = ctx.shared.matches;
    if (!matches.length) {
      box.replaceChildren(el("p", { class: "meta" }, t("admin.matching.matches.none")));
      return;
    }
    box.replaceChildren(dataTable({
      caption: t("admin.matching.matches.caption", { count: matches.length }),
      columns: [t("admin.matching.matches.column_pair"), t("admin.matching.matches.column_score"), t("admin.matching.matches.column_why"),
        t("admin.matching.matches.column_from"), t("admin.matching.matches.column_until"), t("admin.matching.matches.column_meets"),
        t("admin.matching.matches.column_state"), t("admin.matching.matches.column_rematch")],
      rows: matches.map((m) => [matchLabel(m, names), m.score === undefined ? "–" : fmtPoints(m.score),
        lines([...(m.reasons || [])].sort((a, b) => Math.abs(b.points) - Math.abs(a.points)).map(reasonText)), dayText(m.starts_on), dayText(m.ends_on),
        m.frequency ? t("admin.matching.matches.frequency", { frequency: m.frequency }) : "–",
        m.state ? t("admin.matching.matches.state", { state: m.state }) : "–",
        m.state === "published" ? button(t("admin.matching.matches.end"), () => endMatch(m, names),
          { "aria-label": t("admin.matching.matches.end_label", { pair: matchLabel(m, names) }), title: t("admin.matching.matches.end_title") }) : "–"]),
    }));
  }
  ctx.on("people", renderMatches);

  /** End a match: its people are free for the next proposal (a re-match). @param {import("./match_model.js").Match} m @param {Map<string, string>} names */
  async function endMatch(m, names) {
    if (!window.confirm(t("admin.matching.end.confirm", { pair: matchLabel(m, names) }))) return;
    try {
      await api.post(ctx.cohortPath(`/matches/${encodeURIComponent(m.id)}/end`), {});
      status.say(t("admin.matching.end.done", { pair: matchLabel(m, names) }));
      await ctx.loadMatches();
      focusOn(byId("matches-title"));
    } catch (err) {
      status.fail(err, t("admin.matching.end.failed"));
    }
  }

  // Sensible dates to start from: next Monday, for three months.
  const start = new Date();
  start.setDate(start.getDate() + ((8 - start.getDay()) % 7 || 7));
  const end = new Date(start);
  end.setMonth(end.getMonth() + 3);
  byIdAs("publish-start", HTMLInputElement).value = isoDate(start);
  byIdAs("publish-end", HTMLInputElement).value = isoDate(end);
}

/** @param {Date} d */
function isoDate(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
