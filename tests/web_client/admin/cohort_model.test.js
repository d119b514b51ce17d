import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  editedPerson, formOfPerson, importErrorRows, importErrorSummary, importErrorText, importSummary, lineRange, personCells, personFromForm,
  splitTerms,
} from "../../../web_client/admin/cohort_model.js";
import { useCatalogue } from "../../../web_client/ui/i18n.js";

const catalogue = (code) => JSON.parse(readFileSync(new URL(`../../../web_client/i18n/${code}.json`, import.meta.url), "utf8"));

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
      { row: 3, column: "role", code: "bad_role", message: "The role is mentor or mentee, not 'coach'.",
        params: { value: "coach", allowed: ["mentor", "mentee"] } },
      { row: 1, column: "email", code: "bad_email", message: "'x' is not an email address.", params: { value: "x" } },
      { row: 0, column: "colour", code: "unknown_column", message: "Unknown column.",
        params: { position: 4, value: "colour", allowed: ["id", "name", "email"] } },
      { row: 3, column: null, code: "x", message: "Whole row." },
    ],
  });
  assert.deepEqual(rows.map((r) => [r.row, r.column, r.line]), [
    ["Header", "colour", 0], ["1", "email", 1], ["3", "(whole row)", 3], ["3", "role", 3],
  ]);
  assert.deepEqual(rows.map((r) => r.message), [
    "Column 4 (“colour”) is not one of: id, name, or email.", "“x” is not an email address.",
    "Whole row.", // a code the page does not know: the server's words
    "The role is “mentor” or “mentee”, not “coach”.",
  ]);
  assert.deepEqual(rows.map((r) => r.named), [true, true, false, true]); // a whole row has no column name
  assert.equal(importErrorSummary(rows), "3 rows have errors: nothing was imported.");
  assert.equal(importErrorSummary(rows.slice(1, 2)), "1 row has errors: nothing was imported.");
  assert.deepEqual(importErrorRows({}), []);
  assert.deepEqual(importErrorRows(null), []);
});

const rowError = (code, params, column = "role", message = "The server's words.") => ({ row: 1, column, code, message, params });

test("each code of a refused row is a sentence of the catalogue built from its params", () => {
  const say = (code, params, column) => importErrorText(rowError(code, params, column));
  assert.equal(say("missing_value", {}, "name"), "A name is needed.");
  assert.equal(say("missing_value", {}, "email"), "An email is needed when the row has no id.");
  assert.equal(say("too_long", { max: 2000, length: 2001 }, "free_text"), "Too long: at most 2,000 characters (this has 2,001).");
  assert.equal(say("bad_name", { problem: "too_long", max: 60, length: 61 }), "A name is at most 60 characters long (this one has 61).");
  assert.equal(say("bad_name", { problem: "control_characters" }), "A name cannot contain control characters.");
  assert.equal(say("bad_id", { value: "-x", max: 64 }),
    "“-x” is not an id: an id is 1 to 64 letters, digits or . _ : @ - (starting with a letter or digit).");
  assert.equal(say("bad_list", { problem: "term_too_long", value: "xxxxx", max: 60 }), "“xxxxx…” is over 60 characters.");
  assert.equal(say("bad_list", { problem: "too_many", max: 20, count: 21 }), "At most 20 entries (this list has 21).");
  assert.equal(say("bad_time_zone", { value: "Mars/Base" }),
    "“Mars/Base” is not an IANA time zone (for example Europe/Madrid, America/New_York or UTC).");
  assert.equal(say("bad_availability", { problem: "format", value: "Someday 9-10" }),
    "“Someday 9-10”: write a weekly time as “Mon 18:00-20:00” (Mon to Sun, 24-hour times).");
  assert.equal(say("bad_availability", { problem: "time_range", value: "Tue 10:00-25:00" }), "“Tue 10:00-25:00”: times run from 00:00 to 24:00.");
  assert.equal(say("bad_availability", { problem: "order", value: "Mon 20:00-18:00" }),
    "“Mon 20:00-18:00”: a time starts before it ends, within one day.");
  assert.equal(say("bad_availability", { problem: "too_many", max: 28, count: 30 }), "At most 28 weekly times (this cell has 30).");
  assert.equal(say("bad_capacity", { problem: "range", value: "eleven", min: 1, max: 10 }),
    "Capacity is a whole number of mentees, 1 to 10, not “eleven”.");
  assert.equal(say("bad_capacity", { problem: "mentee" }), "Only a mentor takes more than one mentee.");
  assert.equal(say("bad_never_pair", { problem: "self", value: "ana@x.org" }), "A person cannot be kept from themselves (“ana@x.org”).");
  assert.equal(say("bad_never_pair", { problem: "too_many", max: 50, count: 51 }), "At most 50 people (this cell names 51).");
  assert.equal(say("unknown_never_pair", { value: "ghost" }), "“ghost” is no one in this file or the cohort (give an id or an email).");
  assert.equal(say("duplicate_column", { value: "name" }), "The column “name” appears twice.");
  assert.equal(say("missing_column", { value: "email" }), "The header row needs a column named “email”.");
  assert.equal(say("extra_cell", { position: 5 }), "Cell 5 has no column name in the header.");
  assert.equal(say("duplicate_id", { value: "a1", other_row: 1 }), "Row 1 is the same person (a1).");
  assert.equal(say("duplicate_email", { problem: "in_file", other_row: 2 }), "Row 2 has the same email.");
  assert.equal(say("duplicate_email", { problem: "in_cohort", name: "Ana Old", id: "ana-1" }), "The email belongs to Ana Old (ana-1) already.");
  assert.equal(say("too_many_rows", { max: 5000 }), "A file holds at most 5,000 people; split it and import each part.");
  assert.equal(say("bad_csv", { line: 5, detail: "unexpected end of data" }), "The text cannot be read as CSV at line 5: check its quotation marks.");
  assert.equal(say("bad_encoding", {}), "The file is not UTF-8 text; save it as CSV UTF-8.");
  assert.equal(say("bad_person", {}), "This row does not make a valid person; check its values.");
});

test("a row error's English message is shown for an unknown code or params the page cannot read", () => {
  assert.equal(importErrorText(rowError("bad_mood", { value: "grumpy" }, "mood", "Be nice.")), "Be nice.");
  assert.equal(importErrorText(rowError("bad_role", undefined, "role", "The role is mentor or mentee.")), "The role is mentor or mentee.");
  assert.equal(importErrorText(rowError("bad_capacity", { problem: "vibes" }, "capacity", "Capacity: 1 to 10.")), "Capacity: 1 to 10.");
  assert.equal(importErrorText(rowError("too_long", { max: "a lot" }, "name", "Too long.")), "Too long.");
  assert.equal(importErrorText(rowError("toString", {}, null, "Odd.")), "Odd."); // not a code: the table's own keys do not count
});

test("in Spanish, a refused row says what to fix in Spanish, the file's own values as they are", () => {
  useCatalogue("es", catalogue("es"), catalogue("en"));
  try {
    const [role, zone, rows] = importErrorRows({ rows: [
      rowError("bad_role", { value: "coach", allowed: ["mentor", "mentee"] }),
      rowError("bad_time_zone", { value: "Mars/Base" }, "time_zone"),
      { row: 7, column: null, code: "too_many_rows", message: "A file holds at most 5000 people.", params: { max: 5000 } },
    ] }).map((r) => r.message);
    assert.equal(role, "El rol es «mentor» o «mentee», no «coach».");
    assert.equal(zone, "«Mars/Base» no es una zona horaria IANA (por ejemplo, Europe/Madrid, America/New_York o UTC).");
    assert.equal(rows, "Un archivo tiene como máximo 5000 personas; divídelo e importa cada parte.");
    assert.equal(importErrorText(rowError("bad_capacity", { problem: "range", value: "once", min: 1, max: 10 }, "capacity")),
      "La capacidad es un número entero de mentorados, de 1 a 10, no «once».");
    assert.equal(importErrorText(rowError("unknown_column", { position: 4, value: "colour", allowed: ["id", "name", "email"] }, "colour")),
      "La columna 4 («colour») no es ninguna de estas: id, name o email.");
    assert.equal(importErrorText(rowError("bad_mood", {}, "mood", "Be nice.")), "Be nice.");
  } finally {
    useCatalogue("en", catalogue("en"));
  }
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
