import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  PairChoices, dayText, fmtPoints, matchLabel, proposalRows, proposalSummary, reasonText, rulesFromForm, whyText,
} from "../../../web_client/admin/match_model.js";
import { importSummary } from "../../../web_client/admin/cohort_model.js";
import { useCatalogue } from "../../../web_client/ui/i18n.js";

const catalogue = (code) => JSON.parse(readFileSync(new URL(`../../../web_client/i18n/${code}.json`, import.meta.url), "utf8"));

const pair = (mentor, mentee, score, reasons = [], pinned = false) => ({
  mentor_id: mentor, mentor_name: mentor.toUpperCase(), mentee_id: mentee, mentee_name: mentee.toUpperCase(), score, reasons, pinned,
});

test("pin and forbid are exclusive per pair, pressing again clears, and a mentee has one pin", () => {
  const c = new PairChoices();
  c.toggle(pair("ana", "ben"), "pin");
  assert.equal(c.state("ana", "ben"), "pin");
  c.toggle(pair("ana", "ben"), "forbid");
  assert.equal(c.state("ana", "ben"), "forbid");
  c.toggle(pair("ana", "ben"), "forbid");
  assert.equal(c.state("ana", "ben"), null);
  c.set(pair("ana", "ben"), "pin");
  c.set(pair("carl", "ben"), "pin"); // Ben's other pin goes
  c.set(pair("ana", "dora"), "forbid");
  assert.deepEqual(c.pins(), [["carl", "ben"]]);
  assert.deepEqual(c.forbids(), [["ana", "dora"]]);
  assert.deepEqual(c.forbidden().map((f) => [f.mentorName, f.menteeName]), [["ANA", "DORA"]]);
  c.clear();
  assert.deepEqual([c.pins(), c.forbids()], [[], []]);
});

test("the rules come from the form, empty numbers left to the server, with pins and forbids", () => {
  const c = new PairChoices();
  c.set(pair("ana", "ben"), "pin");
  c.set(pair("ana", "dora"), "forbid");
  const rules = rulesFromForm({
    objective: "most_matched", common_language: "on", exclude_same_department: "", max_time_zone_hours: "3",
    min_availability_minutes: "", weight_goals: "3", weight_interests: "", weight_skills: "2", weight_availability: "0",
  }, c);
  assert.deepEqual(rules, {
    objective: "most_matched", common_language: true, exclude_same_department: false, max_time_zone_hours: 3,
    weights: { goals: 3, skills: 2, availability: 0 }, pins: [["ana", "ben"]], forbids: [["ana", "dora"]],
  });
  assert.equal(rulesFromForm({ objective: "anything" }, new PairChoices()).objective, "best_fit");
  const bare = rulesFromForm({}, new PairChoices());
  assert.equal(bare.weights, undefined);
  assert.equal(bare.max_time_zone_hours, null); // an empty box: no limit
});

test("a proposal's pairs become rows with the score and the reasons in words, largest first", () => {
  const c = new PairChoices();
  c.set(pair("ana", "ben"), "pin");
  const rows = proposalRows({
    pairs: [pair("ana", "ben", 12.345, [
      { criterion: "interests", points: 1, detail: "both like chess" },
      { criterion: "goals", points: 6, detail: "public speaking" },
      { criterion: "time_zone", points: -2, detail: "3 h apart" },
    ], true), pair("carl", "dora", 4)],
    unmatched: [],
  }, c);
  assert.equal(rows[0].mentor, "ANA");
  assert.equal(rows[0].score, "12.3");
  assert.deepEqual(rows[0].reasons, ["Goals +6: public speaking", "Time zone -2: 3 h apart", "Interests +1: both like chess"]);
  assert.equal(rows[0].pinned, true);
  assert.equal(rows[0].choice, "pin");
  assert.equal(rows[1].choice, null);
  assert.deepEqual(rows[1].reasons, []);
});

test("points and reasons read naturally", () => {
  assert.equal(fmtPoints(3), "3");
  assert.equal(fmtPoints(2.25, true), "+2.3");
  assert.equal(fmtPoints(0, true), "0");
  assert.equal(reasonText({ criterion: "common_language", points: 0, detail: "" }), "Language 0");
  assert.equal(reasonText({ criterion: "same_city", points: 1.5 }), "Same city +1.5");
});

test("a proposal and a match in words", () => {
  assert.equal(proposalSummary({ pairs: [pair("a", "b", 1), pair("c", "d", 2)], unmatched: [{ person_id: "e", name: "E", role: "mentee", why: "x" }], total_score: 3 }),
    "Proposed 2 pairs, total score 3; 1 person unmatched.");
  assert.equal(proposalSummary({ pairs: [pair("a", "b", 1)], unmatched: [] }), "Proposed 1 pair; everyone is matched.");
  const names = new Map([["ana", "Ana"], ["ben", "Ben"]]);
  assert.equal(matchLabel({ id: "m", mentor_id: "ana", mentee_ids: ["ben", "zed"] }, names), "Ana & Ben, zed");
});

test("the server's reasons of known forms are sentences of the catalogue, names and terms as they came", () => {
  assert.equal(reasonText({ criterion: "goals", points: 12, detail: "Both want: Public speaking, Careers" }),
    "Goals +12: both want Public speaking, Careers");
  assert.equal(reasonText({ criterion: "interests", points: 3.25, detail: "Both like: Chess" }), "Interests +3.3: both like Chess");
  assert.equal(reasonText({ criterion: "skills", points: 20, detail: "Offers 1 of the 2 skills wanted: Python" }),
    "Skills +20: offers 1 of the 2 skills wanted: Python");
  assert.equal(reasonText({ criterion: "skills", points: 20, detail: "Offers 1 of the 1 skills wanted: Python" }),
    "Skills +20: offers the one skill wanted: Python");
  assert.equal(reasonText({ criterion: "availability", points: 5, detail: "2 h 30 min a week free at the same time" }),
    "Availability +5: 2 hr 30 min a week free at the same time");
  assert.equal(reasonText({ criterion: "availability", points: 1, detail: "45 min a week free at the same time" }),
    "Availability +1: 45 min a week free at the same time");
  assert.equal(reasonText({ criterion: "language", points: 0, detail: "Both speak: English, Spanish" }), "Language 0: both speak English, Spanish");
  assert.equal(reasonText({ criterion: "time_zone", points: 0, detail: "Time zones 1.5 h apart (at most 3 h)" }),
    "Time zone 0: 1.5 h apart (at most 3 h)");
  // another form: the criterion in words and the server's own sentence
  assert.equal(reasonText({ criterion: "goals", points: 2, detail: "Something new" }), "Goals +2: Something new");
});

test("why someone is left unmatched, from the server's sentences", () => {
  assert.equal(whyText("The cohort has no mentors."), "The cohort has no mentors.");
  assert.equal(whyText("Every compatible mentor (3) is full."), "Every compatible mentor (3) is full.");
  assert.equal(whyText("Every compatible mentor (1) is full."), "The only compatible mentor is full.");
  assert.equal(whyText("Every compatible mentee (2) is matched with another mentor."), "Every compatible mentee (2) is matched with another mentor.");
  assert.equal(whyText("No mentor shares a language with them."), "No mentor shares a language with them.");
  assert.equal(whyText("No mentee is allowed by the admin."), "No mentee is allowed by the admin.");
  assert.equal(whyText("No mentor meets every rule with them at once (ruled out by language 2, time zone 1)."),
    "No mentor meets every rule with them at once (ruled out by language 2, time zone 1).");
  assert.equal(whyText("Something the page does not know."), "Something the page does not know.");
});

test("a published match's days read as dates, whatever the device's time zone", () => {
  assert.equal(dayText("2026-12-07"), "Dec 7, 2026");
  assert.equal(dayText(undefined), "–");
  assert.equal(dayText("next week"), "next week");
});

test("in Spanish, counts take their plural forms and reasons read in Spanish", () => {
  useCatalogue("es", catalogue("es"), catalogue("en"));
  try {
    assert.equal(proposalSummary({ pairs: [pair("a", "b", 1), pair("c", "d", 2)], unmatched: [{ person_id: "e", name: "E", role: "mentee", why: "x" }], total_score: 3.5 }),
      "Se proponen 2 parejas, con una puntuación total de 3,5; 1 persona sin pareja.");
    assert.equal(proposalSummary({ pairs: [pair("a", "b", 1)], unmatched: [] }), "Se propone 1 pareja; todos tienen pareja.");
    assert.equal(importSummary({ created: 1, updated: 2 }), "Se importaron 3 personas (1 nueva, 2 actualizadas).");
    assert.equal(reasonText({ criterion: "skills", points: 20, detail: "Offers 2 of the 3 skills wanted: Python, SQL" }),
      "Habilidades +20: ofrece 2 de las 3 habilidades buscadas: Python, SQL");
    assert.equal(whyText("Every compatible mentor (4) is full."), "Los 4 mentores compatibles no tienen plazas libres.");
  } finally {
    useCatalogue("en", catalogue("en"));
  }
});
