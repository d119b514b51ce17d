// Matching: the rules, a proposal with every pair's score and its reasons, Pin and Forbid per
// pair (kept for the next run), who is left unmatched and why, publishing with dates and a
// meeting frequency, and the published matches.

import { byId, byIdAs, el } from "../ui/dom.js";
import { ApiError } from "./api.js";
import { namesById } from "./cohort_model.js";
import {
  PairChoices, fmtPoints, matchLabel, proposalRows, proposalSummary, reasonText, rulesFromForm,
} from "./match_model.js";
import { button, dataTable, focusOn, formValues, lines, statusOf } from "./view.js";

/** @typedef {import("./match_model.js").Proposal} Proposal */

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
      if (!(err instanceof ApiError && err.status === 404)) status.fail(err, "Could not load the draft proposal");
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
      box.replaceChildren(el("p", { class: "meta" }, "No pairs could be made with these rules."));
    } else {
      box.replaceChildren(dataTable({
        caption: "Proposed pairs, with each pair's score and why",
        columns: ["Mentor", "Mentee", "Score", "Why", "Decide"],
        className: "proposal-table",
        rows: rows.map((r) => {
          const who = `${r.mentor} and ${r.mentee}`;
          const pin = button(r.choice === "pin" ? "Pinned" : "Pin", () => decide(r.pair, "pin", who),
            { "aria-pressed": r.choice === "pin" ? "true" : "false", "aria-label": `Pin ${who}`, class: "button button-secondary button-small", "data-key": r.key });
          const forbid = button("Forbid", () => decide(r.pair, "forbid", who),
            { "aria-pressed": r.choice === "forbid" ? "true" : "false", "aria-label": `Forbid ${who}`, class: "button button-secondary button-small" });
          const decideCell = el("span", { class: "row-actions" });
          decideCell.append(pin, forbid);
          if (r.pinned) decideCell.append(el("span", { class: "tag" }, "kept by the pin"));
          const score = el("span", { class: "score" }, r.score);
          return [r.mentor, r.mentee, score, lines(r.reasons, "No points either way"), decideCell];
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
      const li = el("li", {}, `${f.mentorName} and ${f.menteeName} `);
      li.append(button("Allow again", () => {
        choices.set({ mentor_id: f.mentor, mentee_id: f.mentee }, null);
        status.say(`${f.mentorName} and ${f.menteeName} may be paired again when you run matching.`);
        renderPairs();
        focusOn(byId("proposal-title"));
      }, { class: "button button-secondary button-small", "aria-label": `Allow ${f.mentorName} and ${f.menteeName} again` }));
      ul.append(li);
    }
    fbox.replaceChildren(el("h4", {}, "Forbidden for the next run"), ul);
  }

  /**
   * @param {import("./match_model.js").ProposedPair} pair @param {"pin" | "forbid"} choice @param {string} who
   */
  function decide(pair, choice, who) {
    choices.toggle(pair, choice);
    const now = choices.state(pair.mentor_id, pair.mentee_id);
    status.say(now === "pin" ? `Pinned ${who}: run matching again to keep them together.`
      : now === "forbid" ? `Forbade ${who}: run matching again to find them others.`
        : `${who}: no longer ${choice === "pin" ? "pinned" : "forbidden"}.`);
    renderPairs();
    // the same button again, re-drawn
    const again = byId("proposal-pairs").querySelector(`button[aria-label="${CSS.escape(`${choice === "pin" ? "Pin" : "Forbid"} ${who}`)}"]`);
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
      caption: "Not matched, and why",
      columns: ["Name", "Role", "Why"],
      rows: unmatched.map((u) => [u.name, u.role === "mentor" ? "Mentor" : "Mentee", u.why]),
    }));
  }

  byId("rules-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const rules = rulesFromForm(formValues(byIdAs("rules-form", HTMLFormElement)), choices);
    status.say("Matching…");
    try {
      show(await api.post(ctx.cohortPath("/proposal"), rules));
      status.say(`Matching done. ${proposalSummary(/** @type {Proposal} */ (proposal))}`);
      focusOn(byId("proposal-title"));
    } catch (err) {
      status.fail(err, "Matching did not run");
    }
  });

  byId("clear-choices").addEventListener("click", () => {
    choices.clear();
    renderPairs();
    status.say("Pins and forbids are forgotten.");
  });

  byId("publish-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(byIdAs("publish-form", HTMLFormElement));
    const error = byId("publish-error");
    error.textContent = "";
    if (v.ends_on <= v.starts_on) {
      error.textContent = "The planned end comes after the start.";
      byIdAs("publish-end", HTMLInputElement).focus();
      return;
    }
    // The server keeps a match's length in weeks: the planned end rounds up to a whole week.
    const weeks = Math.ceil((Date.parse(v.ends_on) - Date.parse(v.starts_on)) / (7 * 86400000));
    try {
      const body = await api.post(ctx.cohortPath("/publish"),
        { starts_on: v.starts_on, weeks, frequency: v.frequency });
      const n = (body.matches || []).length;
      status.say(`Published ${n} ${n === 1 ? "match" : "matches"}. Their sessions can be scheduled below.`);
      byId("proposal").hidden = true;
      proposal = null;
      choices.clear();
      await ctx.loadMatches();
      focusOn(byId("matches-title"));
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "The matches were not published.";
    }
  });

  function renderMatches() {
    const box = byId("matches-list");
    const names = namesById(ctx.shared.people);
    const matches = ctx.shared.matches;
    if (!matches.length) {
      box.replaceChildren(el("p", { class: "meta" }, "Nothing published yet."));
      return;
    }
    box.replaceChildren(dataTable({
      caption: `${matches.length} published ${matches.length === 1 ? "match" : "matches"}`,
      columns: ["Pair", "Score", "Why", "From", "Until", "Meets", "State", "Re-match"],
      rows: matches.map((m) => [matchLabel(m, names), m.score === undefined ? "–" : fmtPoints(m.score),
        lines([...(m.reasons || [])].sort((a, b) => Math.abs(b.points) - Math.abs(a.points)).map(reasonText)), m.starts_on || "–", m.ends_on || "–", m.frequency || "–", m.state || "–",
        m.state === "published" ? button("End match", () => endMatch(m, names), { "aria-label": `End match of ${matchLabel(m, names)}`, title: "Its people can then be matched again" }) : "–"]),
    }));
  }
  ctx.on("people", renderMatches);

  /** End a match: its people are free for the next proposal (a re-match). @param {import("./match_model.js").Match} m @param {Map<string, string>} names */
  async function endMatch(m, names) {
    if (!window.confirm(`End the match of ${matchLabel(m, names)}? Its people can then be matched again.`)) return;
    try {
      await api.post(ctx.cohortPath(`/matches/${encodeURIComponent(m.id)}/end`), {});
      status.say(`The match of ${matchLabel(m, names)} has ended; its people can be matched again.`);
      await ctx.loadMatches();
      focusOn(byId("matches-title"));
    } catch (err) {
      status.fail(err, "The match did not end");
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
