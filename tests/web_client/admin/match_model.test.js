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

const reason = (criterion, points, code, params, detail = "the server's words") => ({ criterion, points, detail, code, params });

test("each reason is a sentence of the catalogue built from its code and params, terms as they came", () => {
  assert.equal(reasonText(reason("goals", 12, "shared_goals", { goals: ["Public speaking", "Careers"] })),
    "Goals +12: both want Public speaking and Careers");
  assert.equal(reasonText(reason("interests", 3.25, "shared_interests", { interests: ["Chess"] })), "Interests +3.3: both like Chess");
  assert.equal(reasonText(reason("skills", 20, "skills_offered", { skills: ["Python"], offered: 1, wanted: 2 })),
    "Skills +20: offers 1 of the 2 skills wanted: Python");
  assert.equal(reasonText(reason("skills", 20, "skills_offered", { skills: ["Python"], offered: 1, wanted: 1 })),
    "Skills +20: offers the one skill wanted: Python");
  assert.equal(reasonText(reason("availability", 5, "availability_overlap", { minutes: 150 })),
    "Availability +5: 2 hr 30 min a week free at the same time");
  assert.equal(reasonText(reason("availability", 1, "availability_overlap", { minutes: 45 })),
    "Availability +1: 45 min a week free at the same time");
  assert.equal(reasonText(reason("availability", 2, "availability_overlap", { minutes: 120 })),
    "Availability +2: 2 hr a week free at the same time");
  assert.equal(reasonText(reason("language", 0, "shared_languages", { languages: ["English", "Spanish", "French"] })),
    "Language 0: both speak English, Spanish, and French");
  assert.equal(reasonText(reason("time_zone", 0, "time_zones", { hours_apart: 4.75, max_hours: 6 })),
    "Time zone 0: 4.75 h apart (at most 6 h)");
});

test("a reason's English words are shown only for a code the page does not know, or params it cannot read", () => {
  // a code of a newer server, or a match published before reasons had codes
  assert.equal(reasonText(reason("goals", 2, "shared_dreams", { dreams: ["x"] }, "Both dream: x")), "Goals +2: Both dream: x");
  assert.equal(reasonText(reason("goals", 2, null, undefined, "Both want: Careers")), "Goals +2: Both want: Careers");
  assert.equal(reasonText({ criterion: "goals", points: 2, detail: "Both want: Careers" }), "Goals +2: Both want: Careers");
  // params that are not what the code promises
  assert.equal(reasonText(reason("goals", 2, "shared_goals", { goals: [] }, "Both want: ?")), "Goals +2: Both want: ?");
  assert.equal(reasonText(reason("skills", 2, "skills_offered", { skills: ["SQL"], offered: "one", wanted: 2 }, "Offers one")),
    "Skills +2: Offers one");
  assert.equal(reasonText(reason("availability", 2, "availability_overlap", {}, "Some time")), "Availability +2: Some time");
});

const unmatched = (code, params, why = "The server's sentence.") => ({ why, code, params });

test("why someone is left unmatched, from its code and params", () => {
  assert.equal(whyText(unmatched("no_partners", { partner_role: "mentor" })), "The cohort has no mentors.");
  assert.equal(whyText(unmatched("no_partners", { partner_role: "mentee" })), "The cohort has no mentees.");
  assert.equal(whyText(unmatched("mentors_full", { count: 3 })), "Every compatible mentor (3) is full.");
  assert.equal(whyText(unmatched("mentors_full", { count: 1 })), "The only compatible mentor is full.");
  assert.equal(whyText(unmatched("mentees_taken", { count: 2 })), "Every compatible mentee (2) is matched with another mentor.");
  assert.equal(whyText(unmatched("no_one_meets_rule", { partner_role: "mentor", rule: "language" })), "No mentor shares a language with them.");
  assert.equal(whyText(unmatched("no_one_meets_rule", { partner_role: "mentee", rule: "forbids" })), "No mentee is allowed by the admin.");
  assert.equal(whyText(unmatched("no_one_meets_all_rules", { partner_role: "mentor", ruled_out: [
    { rule: "language", count: 2 }, { rule: "time_zone", count: 1 }, { rule: "never_pair", count: 1 }] })),
  "No mentor meets every rule with them at once (2 ruled out by language, 1 ruled out by time zone, and 1 ruled out by never-pair requests).");
  // the server's sentence: an unknown code, none (a proposal kept before codes), unreadable params
  assert.equal(whyText(unmatched("moon_phase", { phase: "new" }, "The moon is new.")), "The moon is new.");
  assert.equal(whyText({ why: "Every compatible mentor (3) is full." }), "Every compatible mentor (3) is full.");
  assert.equal(whyText(unmatched("no_one_meets_rule", { partner_role: "mentor", rule: "astrology" }, "No mentor fits.")), "No mentor fits.");
  assert.equal(whyText(unmatched("no_one_meets_all_rules", { partner_role: "mentor", ruled_out: [] }, "Ruled out.")), "Ruled out.");
  assert.equal(whyText(unmatched("mentors_full", { count: -1 }, "Full.")), "Full.");
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
    assert.equal(reasonText(reason("skills", 20, "skills_offered", { skills: ["Python", "SQL"], offered: 2, wanted: 3 })),
      "Habilidades +20: ofrece 2 de las 3 habilidades buscadas: Python y SQL");
    assert.equal(reasonText(reason("goals", 12.5, "shared_goals", { goals: ["Oratoria", "Carrera", "Liderazgo"] })),
      "Objetivos +12,5: comparten Oratoria, Carrera y Liderazgo");
    assert.equal(reasonText(reason("availability", 4, "availability_overlap", { minutes: 90 })),
      "Disponibilidad +4: 1 h 30 min a la semana libres a la vez");
    assert.equal(reasonText(reason("time_zone", 0, "time_zones", { hours_apart: 1.5, max_hours: 3 })),
      "Zona horaria 0: 1,5 h de diferencia (como máximo 3 h)");
    assert.equal(whyText(unmatched("mentors_full", { count: 4 })), "Los 4 mentores compatibles no tienen plazas libres.");
    assert.equal(whyText(unmatched("no_partners", { partner_role: "mentee" })), "La cohorte no tiene mentorados.");
    assert.equal(whyText(unmatched("no_one_meets_all_rules", { partner_role: "mentee", ruled_out: [
      { rule: "department", count: 1 }, { rule: "availability", count: 3 }] })),
    "Ningún mentorado cumple a la vez todas las reglas con esta persona (1 descartado por el departamento y 3 descartados por la disponibilidad).");
    // an unknown code: the server's words, as they are
    assert.equal(whyText(unmatched("moon_phase", {}, "The moon is new.")), "The moon is new.");
  } finally {
    useCatalogue("en", catalogue("en"));
  }
});
