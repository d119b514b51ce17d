import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fetchMine, sendFit } from "../../../../web_client/features/programme/commands.js";
import * as S from "../../../../web_client/features/programme/state.js";

/** A fetch that records its calls and answers with `status` and `body`. */
function fakeFetch(status, body) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push([url, init.method, JSON.parse(init.body)]);
    return { status, json: async () => body };
  };
  return { fn, calls };
}

test("mine is asked with the join token; only a 200 gives a body", async () => {
  const ok = fakeFetch(200, { mentees: [{ name: "Tom", goals: ["portfolio"] }], ask_fit: false });
  assert.deepEqual(await fetchMine(ok.fn, "t1"), { status: 200, body: { mentees: [{ name: "Tom", goals: ["portfolio"] }], ask_fit: false } });
  assert.deepEqual(ok.calls, [["/api/mine", "POST", { token: "t1" }]]);
  const refused = fakeFetch(403, { error: { code: "not_allowed" } });
  assert.deepEqual(await fetchMine(refused.fn, "t2"), { status: 403, body: null });
  assert.deepEqual(await fetchMine(async () => Promise.reject(new Error("offline")), "t"), { status: 0, body: null });
});

test("an answer goes with the token and resume credential; refusals keep their code", async () => {
  const ok = fakeFetch(200, { answer: "not_sure" });
  assert.deepEqual(await sendFit(ok.fn, { token: "t", resume: "r", answer: "not_sure" }), { status: 200, code: null });
  assert.deepEqual(ok.calls, [["/api/fit", "POST", { token: "t", resume: "r", answer: "not_sure" }]]);
  const refused = fakeFetch(403, { error: { code: "not_allowed", message: "no" } });
  assert.deepEqual(await sendFit(refused.fn, { token: "t", resume: "r", answer: "good" }), { status: 403, code: "not_allowed" });
  const odd = fakeFetch(500, "<html>");
  assert.deepEqual(await sendFit(odd.fn, { token: "t", resume: "r", answer: "good" }), { status: 500, code: null });
  assert.deepEqual(await sendFit(async () => Promise.reject(new Error("offline")), { token: "t", resume: "r", answer: "good" }), { status: 0, code: null });
});

test("mine's answer is read defensively and bounded", () => {
  assert.equal(S.mineFrom(null), null);
  assert.equal(S.mineFrom("nope"), null);
  assert.deepEqual(S.mineFrom({ mentees: [], ask_fit: true }), { mentees: [], askFit: true });
  // ask_fit only when it is exactly true; a mentee without a name is left out, goals only strings
  assert.deepEqual(S.mineFrom({ mentees: [{ name: "Tom", goals: ["a", 3, " ", "b"] }, { name: "  " }, { goals: ["x"] }], ask_fit: "yes" }),
    { mentees: [{ name: "Tom", goals: ["a", "b"] }], askFit: false });
  const many = S.mineFrom({ mentees: Array.from({ length: 50 }, (_, i) => ({ name: `P${i}`, goals: Array(50).fill("g") })) });
  assert.equal(many?.mentees.length, S.MENTEES_SHOWN);
  assert.equal(many?.mentees[0].goals.length, S.GOALS_SHOWN);
});

test("goals in words, and who is not told of an answer", () => {
  assert.equal(S.goalsText({ name: "Tom", goals: ["portfolio", "careers"] }), "portfolio, careers");
  assert.equal(S.goalsText({ name: "Tom", goals: [] }), "no goals given yet");
  assert.match(S.fitPrivacy("mentee"), /^Only your programme's coordinators see your answer; your mentor is not told\.$/);
  assert.match(S.fitPrivacy("mentor"), /your mentee is not told/);
  assert.match(S.fitPrivacy(null), /the other person is not told/);
});

test("the question is asked when the server says so and this browser has not answered or skipped it", () => {
  const mine = { mentees: [], askFit: true };
  assert.equal(S.shouldAskFit({ mine, remembered: false }), true);
  assert.equal(S.shouldAskFit({ mine, remembered: true }), false);
  assert.equal(S.shouldAskFit({ mine: { mentees: [], askFit: false }, remembered: false }), false);
  assert.equal(S.shouldAskFit({ mine: null, remembered: false }), false);
  assert.equal(S.fitKey("s1", "p1"), "tandem:fit:s1:p1");
  assert.deepEqual(S.fitAnswers().map((a) => a.value), ["good", "not_sure", "not_a_good_fit"]);
});

test("the words after an answer: done unless trying again can help", () => {
  assert.deepEqual(S.fitOutcome({ status: 200, code: null }, "Not sure"), { done: true, text: "Thank you. “Not sure” went to your programme's coordinators only." });
  assert.equal(S.fitOutcome({ status: 0, code: null }, "Good fit").done, false);
  assert.equal(S.fitOutcome({ status: 503, code: "not_recorded" }, "Good fit").done, false);
  assert.deepEqual(S.fitOutcome({ status: 401, code: "resume_expired" }, "Good fit"), { done: true, text: "The time for answering from this page has passed." });
  assert.equal(S.fitOutcome({ status: 403, code: "not_allowed" }, "Good fit").text, "This question is not asked in this session.");
  assert.equal(S.fitOutcome({ status: 404, code: "not_found" }, "Good fit").done, true);
});
