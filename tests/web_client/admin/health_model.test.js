import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDateTime } from "../../../web_client/ui/i18n.js";
import { atRisk, fmtBalance, fmtFit, fmtRatings, fmtWhen, healthRows, names } from "../../../web_client/admin/health_model.js";

const health = {
  pairs: [
    { match_id: "m1", mentor: { id: "ana", name: "Ana" }, mentees: [{ id: "ben", name: "Ben" }], sessions_planned: 4, sessions_held: 3,
      upcoming: 1, minutes: 171.6, last_contact: "2026-03-20T18:55:00Z", no_shows: 0, talk_balance: 0.6, ratings: { average: 4.5, count: 2 },
      fit: "good", risks: [] },
    { match_id: "m2", mentor: "Carl", mentees: ["Dora"], sessions_planned: 4, sessions_held: 0, upcoming: 0, minutes: 0,
      last_contact: null, no_shows: 2, talk_balance: null, ratings: null, fit: null,
      risks: [{ code: "no_session_held", detail: "4 weeks since publishing" }, { code: "no_shows" }] },
  ],
  at_risk: ["m2"],
};

test("at-risk pairs come first, every value in words", () => {
  const rows = healthRows(health);
  assert.deepEqual(rows.map((r) => r.matchId), ["m2", "m1"]);
  assert.equal(rows[0].pair, "Carl & Dora");
  // a code this page does not know is put in words from the code
  assert.deepEqual(rows[0].risks, ["No session held: 4 weeks since publishing", "No shows"]);
  assert.equal(rows[0].lastContact, "Never");
  assert.equal(rows[0].fit, "Not answered");
  assert.equal(rows[1].pair, "Ana & Ben");
  assert.equal(rows[1].sessions, "3 of 4");
  assert.equal(rows[1].minutes, "172");
  assert.equal(rows[1].lastContact, formatDateTime(Date.parse("2026-03-20T18:55:00Z"))); // the person's zone
  // talk_balance is the mentees' share (rooms/match_health.py): 0.6 is the mentee speaking more.
  assert.equal(rows[1].talkBalance, "Mentor 40% · mentee 60%");
  assert.equal(rows[1].ratings, "4.5/5 (2)");
  assert.deepEqual(atRisk(health), [{ pair: "Carl & Dora", why: "No session held: 4 weeks since publishing; No shows" }]);
});

test("lenient readings of the values the contract leaves open", () => {
  assert.equal(names([{ name: "A" }, "B"]), "A, B");
  assert.equal(names(null), "–");
  assert.equal(fmtWhen(0), formatDateTime(0));
  assert.equal(fmtWhen(Date.UTC(2026, 2, 20) / 1000), formatDateTime(Date.UTC(2026, 2, 20)));
  assert.equal(fmtWhen("2026-03-20"), "Mar 20, 2026"); // a day alone stays that day
  assert.equal(fmtWhen("soon"), "soon");
  assert.equal(fmtRatings([4, { rating: 5 }]), "4.5/5 (2)");
  assert.equal(fmtRatings(3), "3/5");
  assert.equal(fmtRatings({ average: null, count: 0 }), "–");
  assert.equal(fmtFit({ ana: "good", ben: "not_a_good_fit" }), "ana: Good fit; ben: Not a good fit");
  assert.equal(fmtFit([{ name: "Ben", answer: "not_sure" }]), "Ben: Not sure");
  assert.equal(fmtBalance({ mentor: 0.25 }), "Mentor 25% · mentee 75%");
  assert.equal(fmtBalance({ mentee: 0.25 }), "Mentor 75% · mentee 25%");
  assert.equal(fmtRatings({ average: null, count: 2 }), "2 given");
  assert.deepEqual(healthRows({ pairs: [{ match_id: "m", mentor: "A", mentees: ["B"], risks: [{ code: "repeated_no_shows", detail: "3 sessions someone missed." }] }] })[0].risks,
    ["Repeated no-shows: 3 sessions someone missed."]);
  assert.equal(fmtFit("not_sure"), "Not sure");
});
