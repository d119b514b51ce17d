import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  csvCell, fileSlug, fmtStart, linkRows, linksCsv, schedulePayload, schedulePeople, scheduleSummary, showLocal, showStart,
} from "../../../web_client/admin/schedule_model.js";

const schedule = {
  id: "s1", match_id: "m1", group: false, title: "Mentoring", time_zone: "Europe/Madrid", repeat: "weekly",
  sessions: [
    { session_id: "x1", start: "2026-03-02T18:00:00+01:00", links: [
      { person_id: "ana", name: "Ana", role: "mentor", url: "http://h/s/x1?t=a", local_time: "2026-03-02 18:00 CET" },
      { person_id: "ben", name: "Ben, Jr", role: "mentee", url: "http://h/s/x1?t=b", local_time: "2026-03-02 12:00 EST" },
    ] },
    { session_id: "x2", start: "2026-03-09T18:00:00+01:00", links: [
      { person_id: "ana", name: "Ana", role: "mentor", url: "http://h/s/x2?t=a" },
      { person_id: "ben", name: "Ben, Jr", role: "mentee", url: "http://h/s/x2?t=b" },
    ] },
  ],
};

test("a pair's series and a group session from the form", () => {
  assert.deepEqual(schedulePayload({ target: "m1", title: " Weekly ", starts: "2026-03-02T18:00:00", time_zone: "Europe/Madrid",
    minutes: "45", repeat: "weekly", count: "6" }),
  { match_id: "m1", title: "Weekly", starts: "2026-03-02T18:00", time_zone: "Europe/Madrid", minutes: 45, repeat: "weekly", count: 6 });
  const group = schedulePayload({ target: "group", title: "All", starts: "2026-03-02T18:00", time_zone: "", minutes: "", repeat: "once", count: "5" });
  assert.equal(group.group, undefined);
  assert.equal(group.match_id, undefined);
  assert.equal(group.count, 1);
  assert.equal(group.time_zone, "UTC");
  assert.equal(schedulePayload({ target: "m", repeat: "daily" }).repeat, "once");
});

test("a server's epochs show in the schedule's zone", () => {
  const epoch = { ...schedule, sessions: [{ session_id: "x", start: 1772470800, links: [{ person_id: "a", name: "A", role: "mentor", url: "u" }] }] };
  assert.equal(linkRows(epoch)[0].start, "Mar 2, 2026, 6:00 PM"); // 17:00 UTC is 18:00 in Madrid
  assert.equal(linkRows(epoch)[0].localTimeText, "2026-03-02 18:00"); // for files
  assert.equal(scheduleSummary(epoch), "Weekly, 1 session from Mar 2, 2026, 6:00 PM (Europe/Madrid)");
  assert.equal(scheduleSummary({ ...epoch, repeat: "once", sessions: [] }), "Once, no sessions (Europe/Madrid)");
});

test("every personal link is a row, sessions in order", () => {
  const rows = linkRows(schedule);
  assert.deepEqual(rows.map((r) => [r.session, r.personId, r.url]), [
    [1, "ana", "http://h/s/x1?t=a"], [1, "ben", "http://h/s/x1?t=b"], [2, "ana", "http://h/s/x2?t=a"], [2, "ben", "http://h/s/x2?t=b"],
  ]);
  // each person's local time in their own zone where the cohort knows it, else the schedule's
  assert.equal(rows[1].localTime, "Mon, Mar 2, 2026, 6:00 PM GMT+1");
  const own = linkRows(schedule, (id) => (id === "ben" ? "America/New_York" : undefined));
  assert.equal(own[1].localTime, "Mon, Mar 2, 2026, 12:00 PM EST");
  assert.equal(own[0].localTime, "Mon, Mar 2, 2026, 6:00 PM GMT+1");
  // files keep the server's words, or the start in the schedule's zone
  assert.equal(rows[1].localTimeText, "2026-03-02 12:00 EST");
  assert.equal(rows[2].localTimeText, "2026-03-09 18:00");
  assert.deepEqual(schedulePeople(schedule).map((p) => p.id), ["ana", "ben"]);
  assert.equal(scheduleSummary(schedule), "Weekly, 2 sessions from Mar 2, 2026, 6:00 PM (Europe/Madrid)");
});

test("the links as CSV: quoted where needed, formulas guarded", () => {
  const csv = linksCsv(linkRows(schedule));
  const lines = csv.trimEnd().split("\r\n");
  assert.equal(lines[0], "name,role,session,local_time,link");
  assert.equal(lines[2], '"Ben, Jr",mentee,1,2026-03-02 12:00 EST,http://h/s/x1?t=b');
  assert.equal(lines.length, 5);
  assert.equal(csvCell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
});

test("starts and file names", () => {
  assert.equal(fmtStart("2026-03-02T18:00:00Z"), "2026-03-02 18:00");
  assert.equal(fmtStart(0, "Europe/Madrid"), "1970-01-01 01:00"); // an epoch in the schedule's zone
  assert.equal(fmtStart(0), "1970-01-01 00:00");
  assert.equal(fmtStart(0, "Mars/Olympus"), "1970-01-01 00:00");
  assert.equal(showStart(0, "Mars/Olympus"), "Jan 1, 1970, 12:00 AM"); // a zone this browser does not know: UTC
  assert.equal(showLocal("not a time", "UTC"), "not a time");
  assert.equal(fileSlug("Café: Weekly / 1"), "cafe-weekly-1");
  assert.equal(fileSlug("!!!"), "sessions");
});
