import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  editedPerson, formOfPerson, importErrorRows, importErrorSummary, importSummary, lineRange, personCells, personFromForm, splitTerms,
} from "../../../web_client/admin/cohort_model.js";

test("terms split on semicolons and commas, trimmed", () => {
  assert.deepEqual(splitTerms(" English; Spanish ,, French "), ["English", "Spanish", "French"]);
  assert.deepEqual(splitTerms(""), []);
  assert.deepEqual(splitTerms(undefined), []);
});

test("the add form becomes a person; a mentor's capacity is sent only above one", () => {
  const p = personFromForm({ name: " Ana ", email: "ana@x.org", role: "mentor", capacity: "2", languages: "English; Spanish",
    goals: "", skills_offered: "Python", time_zone: "Europe/Madrid", department: " Physics " });
  assert.equal(p.name, "Ana");
  assert.equal(p.capacity, 2);
  assert.deepEqual(p.profile?.languages, ["English", "Spanish"]);
  assert.deepEqual(p.profile?.skills_offered, ["Python"]);
  assert.equal(p.profile?.time_zone, "Europe/Madrid");
  assert.equal(p.profile?.department, "Physics");
  const mentee = personFromForm({ name: "Ben", email: "", role: "mentee", capacity: "3", time_zone: "" });
  assert.equal(mentee.capacity, undefined);
  assert.equal(mentee.email, null);
  assert.equal(mentee.profile?.time_zone, undefined); // the server's default
});

test("an import's errors are rows in file order; the header is named", () => {
  const rows = importErrorRows({
    error: { code: "import_failed" },
    rows: [
      { row: 3, column: "role", code: "bad_role", message: "A role is mentor or mentee." },
      { row: 1, column: "email", code: "bad_email", message: "Give an email address." },
      { row: 0, column: "colour", code: "unknown_column", message: "Unknown column." },
      { row: 3, column: null, code: "x", message: "Whole row." },
    ],
  });
  assert.deepEqual(rows.map((r) => [r.row, r.column, r.line]), [
    ["Header", "colour", 0], ["1", "email", 1], ["3", "(whole row)", 3], ["3", "role", 3],
  ]);
  assert.deepEqual(rows.map((r) => r.named), [true, true, false, true]); // a whole row has no column name
  assert.equal(importErrorSummary(rows), "3 rows have errors: nothing was imported.");
  assert.equal(importErrorSummary(rows.slice(1, 2)), "1 row has errors: nothing was imported.");
  assert.deepEqual(importErrorRows({}), []);
  assert.deepEqual(importErrorRows(null), []);
});

test("an import's result in words", () => {
  assert.equal(importSummary({ created: 4, updated: 1 }), "Imported 5 people (4 new, 1 updated).");
  assert.equal(importSummary({ created: 1 }), "Imported 1 person (1 new, 0 updated).");
});

test("a row of the text is found for selecting it (line 0 is the header; CRLF kept out)", () => {
  const text = "name,email,role\r\nAna,ana@x.org,mentor\r\nBen,,mentee";
  assert.deepEqual(lineRange(text, 0), [0, 15]);
  assert.equal(text.slice(...lineRange(text, 1)), "Ana,ana@x.org,mentor");
  assert.equal(text.slice(...lineRange(text, 2)), "Ben,,mentee");
  assert.deepEqual(lineRange(text, 9), [text.length, text.length]);
});

test("a person's row reads in words", () => {
  const c = personCells({ id: "a", name: "Ana", role: "mentor", capacity: 2, email: null,
    profile: { languages: ["English", "Spanish"], goals: ["Careers"], skills_wanted: [] } });
  assert.equal(c.role, "Mentor (up to 2)");
  assert.equal(c.email, "–");
  assert.equal(c.languages, "English, Spanish");
  assert.equal(c.timeZone, "UTC");
  assert.equal(c.goals, "Careers");
});

test("editing a person keeps what the form does not show, and the version read", () => {
  const before = {
    id: "p-1", name: "Ana Ruiz", email: "ana@example.org", role: "mentor", capacity: 2, never_pair: ["p-9"], version: 3,
    profile: { goals: ["careers"], interests: ["chess"], skills_wanted: ["sql"], languages: ["English"],
      time_zone: "Europe/Madrid", availability: [{ weekday: 0, start: 1080, end: 1200 }], department: "Law", free_text: "Hi" },
  };
  const form = formOfPerson(before);
  assert.equal(form.languages, "English");
  assert.equal(form.capacity, "2");
  const after = editedPerson(before, { ...form, name: "Ana Ruiz Soto", goals: "careers; research" });
  assert.equal(after.name, "Ana Ruiz Soto");
  assert.equal(after.version, 3);
  assert.deepEqual(after.never_pair, ["p-9"]);
  assert.deepEqual(after.profile?.goals, ["careers", "research"]);
  assert.deepEqual(after.profile?.interests, ["chess"]);
  assert.deepEqual(after.profile?.availability, [{ weekday: 0, start: 1080, end: 1200 }]);
  assert.equal(after.profile?.free_text, "Hi");
  assert.equal(after.capacity, 2);
  assert.equal(editedPerson(before, { ...form, role: "mentee" }).capacity, 1);
});
