import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PairChoices, fmtPoints, matchLabel, proposalRows, proposalSummary, reasonText, rulesFromForm,
} from "../../../web_client/admin/match_model.js";

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
