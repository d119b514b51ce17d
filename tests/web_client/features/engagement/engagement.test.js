import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { engagementCommands, sendRating } from "../../../../web_client/features/engagement/commands.js";
import * as S from "../../../../web_client/features/engagement/state.js";
import { feedbackCells } from "../../../../web_client/attendance_view.js";
import { FakeTransport } from "../../fakes.js";

test("engagement commands send their event names and payloads", async () => {
  const transport = new FakeTransport(() => ({ ok: true }));
  const c = engagementCommands(transport);
  await c.react("clap");
  await c.hand(true);
  await c.speaking(false);
  await c.checkIn("Plan my thesis");
  await c.overview();
  assert.deepEqual(transport.sent, [
    { event: "reaction", payload: { reaction: "clap" } },
    { event: "hand", payload: { raised: true } },
    { event: "speaking", payload: { speaking: false } },
    { event: "check_in", payload: { goal: "Plan my thesis", share: false } },
    { event: "attendance", payload: {} },
  ]);
});

test("the rating goes to the REST endpoint with the resume credential; a network failure is status 0", async () => {
  const calls = [];
  const answer = await sendRating(async (url, init) => {
    calls.push([url, init.method, JSON.parse(init.body)]);
    return { status: 409, json: async () => ({ error: { code: "illegal_transition" } }) };
  }, { sessionId: "s1", resume: "r1", rating: 4, comment: "  ", anonymous: true, share: true });
  assert.deepEqual(answer, { status: 409, code: "illegal_transition" });
  // anonymous wins over share: an anonymous rating is shown to nobody by name
  assert.deepEqual(calls, [["/api/attendance/check-out", "POST", { session_id: "s1", resume: "r1", rating: 4, comment: null, anonymous: true, share: false }]]);
  assert.deepEqual(await sendRating(async () => Promise.reject(new Error("offline")), { sessionId: "s", resume: "r", rating: 1, comment: "", anonymous: false }), { status: 0, code: null });
  assert.deepEqual(S.ratingOutcome({ status: 409, code: "illegal_transition" }), { done: true, text: "You have already rated this session. Thank you." });
  assert.equal(S.ratingOutcome({ status: 401, code: "resume_expired" }).text, "The time for rating this session has passed.");
  assert.equal(S.ratingOutcome({ status: 409, code: "rating_closed" }).done, true);
  assert.equal(S.ratingOutcome({ status: 503, code: "not_recorded" }).done, false);
});

test("the mentor's cells: a check-in and rating only where shared, otherwise that they were given", () => {
  assert.deepEqual(feedbackCells({ checked_in: true, check_in: null, rated: true, rating: null, rating_comment: null }),
    { checkIn: "Checked in (private)", rating: "Rated (private)" });
  assert.deepEqual(feedbackCells({ checked_in: true, check_in: "Plan", rated: true, rating: 4, rating_comment: "Kind" }),
    { checkIn: "Plan", rating: "4/5 “Kind”" });
  assert.deepEqual(feedbackCells({ checked_in: false, check_in: null, rated: false, rating: null }), { checkIn: "–", rating: "–" });
});

test("voice activity starts after 200 ms above the threshold and ends after 900 ms below it", () => {
  let state = S.vadInitial();
  // Times in ms, as performance.now() gives them (never 0 in a page).
  const feed = (now, level, micOn = true) => {
    const r = S.vadStep(state, { now, level, micOn });
    state = r.state;
    return r.changed;
  };
  assert.equal(feed(1000, 0.05), false);
  assert.equal(feed(1100, 0.05), false);
  assert.equal(feed(1200, 0.05), true);
  assert.equal(state.speaking, true);
  // A pause shorter than the hang time is not a stop.
  assert.equal(feed(1300, 0.001), false);
  assert.equal(feed(1700, 0.03), false);
  assert.equal(feed(1800, 0.001), false);
  assert.equal(feed(2600, 0.001), false);
  assert.equal(feed(2700, 0.001), true);
  assert.equal(state.speaking, false);
  // Muting ends speaking at once.
  feed(3000, 0.05);
  feed(3200, 0.05);
  assert.equal(state.speaking, true);
  assert.equal(feed(3300, 0.05, false), true);
  assert.equal(state.speaking, false);
  assert.equal(S.rms(new Float32Array([0.5, -0.5])), 0.5);
});

test("the check-in is asked once: not on a rejoin, not when the server or this browser knows it", () => {
  assert.equal(S.shouldAskCheckIn({ rejoined: false, checkIn: null, remembered: false }), true);
  assert.equal(S.shouldAskCheckIn({ rejoined: true, checkIn: null, remembered: false }), false);
  assert.equal(S.shouldAskCheckIn({ rejoined: false, checkIn: { goal: "x", at: 1 }, remembered: false }), false);
  assert.equal(S.shouldAskCheckIn({ rejoined: false, checkIn: null, remembered: true }), false);
  assert.equal(S.checkInKey("s1", "p1"), "tandem:checkin:s1:p1");
  assert.match(S.goalProblem(""), /Not now/);
  assert.equal(S.goalProblem("Plan"), null);
});

test("the participation summary: everyone's for mentors, my own minutes and share", () => {
  const report = { people: [{ participant_ids: ["me"], minutes_present: 10, speaking_minutes: 4, talk_share: 0.5 }] };
  const words = S.overviewSummary(report, { participantId: "me", role: "mentee" });
  assert.equal(words.title, "Your participation");
  assert.equal(words.summary, "You: 10 minutes here, 4 minutes speaking (50% of the talk).");
  assert.equal(S.overviewSummary(report, { participantId: "me", role: "mentor" }).title, "Participation: everyone");
  const mentors = { ...report, feedback: { ratings: 3, average_rating: 4.33 } };
  assert.match(S.overviewSummary(mentors, { participantId: "me", role: "mentor" }).summary, /Ratings so far: 3, average 4.33\/5\.$/);
  const alone = { people: [{ participant_ids: ["me"], minutes_present: 1, speaking_minutes: 0.5, talk_share: null }] };
  assert.equal(S.overviewSummary(alone, { participantId: "me", role: "mentee" }).summary, "You: 1 minute here, 30 seconds speaking.");
  assert.equal(S.durationText(4.25), "4.3 minutes");
  assert.equal(S.durationText(12.6), "13 minutes");
  assert.equal(S.durationText(null), "–");
  assert.deepEqual(S.reactionOf("clap"), { id: "clap", emoji: "👏", label: "Applause" });
  assert.equal(S.reactionOf("nope"), null);
});
