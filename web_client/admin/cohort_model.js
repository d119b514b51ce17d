// Cohorts and people as the console shows and sends them (docs/PROGRAMMES.md, "Cohorts and
// people"): a person from the add form, an import's row errors as table rows, and where a row
// is in the pasted CSV. Words come from the language catalogue (ui/i18n.js). Pure: no DOM, no
// network.

import { t } from "../ui/i18n.js";

/**
 * @typedef {{weekday: number, start: number, end: number}} Slot
 * @typedef {{goals?: string[], interests?: string[], skills_offered?: string[], skills_wanted?: string[],
 *   languages?: string[], time_zone?: string, availability?: Slot[], department?: string, free_text?: string}} Profile
 * @typedef {{id: string, name: string, email?: string | null, role: string, capacity?: number,
 *   never_pair?: string[], profile?: Profile, version?: number}} Person
 * @typedef {{id: string, programme: string, name: string, people?: number, created_at?: number | string, version?: number}} Cohort
 * @typedef {{row: number, column: string | null, code: string, message: string}} RowError
 */

/** Terms typed as "a; b, c": split on ; or , and trimmed, empty ones dropped. @param {string | undefined} text */
export function splitTerms(text) {
  return String(text || "").split(/[;,]/).map((t) => t.trim()).filter(Boolean);
}

/**
 * The body of `POST /api/cohorts/{cohort}/people` from the add form's values.
 * @param {Record<string, string>} v
 * @returns {Omit<Person, "id" | "version"> & {id?: string}}
 */
export function personFromForm(v) {
  /** @type {Profile} */
  const profile = {
    goals: splitTerms(v.goals),
    interests: splitTerms(v.interests),
    skills_offered: splitTerms(v.skills_offered),
    skills_wanted: splitTerms(v.skills_wanted),
    languages: splitTerms(v.languages),
    department: (v.department || "").trim(),
  };
  if ((v.time_zone || "").trim()) profile.time_zone = v.time_zone.trim();
  /** @type {Omit<Person, "id" | "version"> & {id?: string}} */
  const person = { name: (v.name || "").trim(), email: (v.email || "").trim() || null, role: v.role || "mentee", profile };
  const capacity = Number(v.capacity || 1);
  if (person.role === "mentor" && Number.isInteger(capacity) && capacity > 1) person.capacity = capacity;
  return person;
}

/**
 * An import's refusal as rows for the errors table, in file order: the row (0 is the header or
 * the file as a whole), the column (the CSV's own name; `named` is false for a whole row), what
 * to fix (the server's words).
 * @param {unknown} body  the answer of a refused import
 * @returns {{row: string, line: number, column: string, named: boolean, message: string}[]}
 */
export function importErrorRows(body) {
  const rows = /** @type {{rows?: RowError[]}} */ (body && typeof body === "object" ? body : {}).rows || [];
  return [...rows]
    .sort((a, b) => a.row - b.row || String(a.column || "").localeCompare(String(b.column || "")))
    .map((r) => ({
      row: r.row > 0 ? String(r.row) : t("admin.cohorts.import.header_row"),
      line: Math.max(0, r.row), // the header is line 0 of the text
      column: r.column || t("admin.cohorts.import.whole_row"),
      named: !!r.column,
      message: r.message,
    }));
}

/** "3 rows have errors" (distinct rows, the header counting as one). @param {{row: string}[]} rows */
export function importErrorSummary(rows) {
  return t("admin.cohorts.import.errors_summary", { count: new Set(rows.map((r) => r.row)).size });
}

/** "Imported 5 people (5 new, 0 updated)". @param {{created?: number, updated?: number}} result */
export function importSummary(result) {
  const created = result.created || 0;
  const updated = result.updated || 0;
  return t("admin.cohorts.import.done", { total: created + updated, created, updated });
}

/**
 * Where a line is in the text (0 = the first line), to select it in the text box: `[start, end]`
 * character offsets, end without the line break. A line past the end gives the end.
 * @param {string} text @param {number} line
 * @returns {[number, number]}
 */
export function lineRange(text, line) {
  let start = 0;
  for (let i = 0; i < line; i++) {
    const next = text.indexOf("\n", start);
    if (next < 0) return [text.length, text.length];
    start = next + 1;
  }
  let end = text.indexOf("\n", start);
  if (end < 0) end = text.length;
  if (end > start && text[end - 1] === "\r") end -= 1;
  return [start, end];
}

/** A person's role in words ("Mentor", "Mentee"). @param {string} role */
export const roleWord = (role) => t("admin.cohorts.role", { role: role === "mentor" ? "mentor" : "mentee" });

/** How a person's row reads. @param {Person} p */
export function personCells(p) {
  const profile = p.profile || {};
  return {
    name: p.name,
    role: p.role === "mentor" && p.capacity && p.capacity > 1
      ? t("admin.cohorts.role_mentor_capacity", { capacity: p.capacity }) : roleWord(p.role),
    email: p.email || "–",
    languages: (profile.languages || []).join(", ") || "–",
    timeZone: profile.time_zone || "UTC",
    department: profile.department || "–",
    goals: [...(profile.goals || []), ...(profile.skills_wanted || [])].join(", ") || "–",
  };
}

/**
 * The add form's values for a person being edited (lists joined with "; ").
 * @param {Person} p
 * @returns {Record<string, string>}
 */
export function formOfPerson(p) {
  const profile = p.profile || {};
  const list = (/** @type {string[] | undefined} */ terms) => (terms || []).join("; ");
  return {
    name: p.name, email: p.email || "", role: p.role, capacity: String(p.capacity || 1),
    languages: list(profile.languages), goals: list(profile.goals),
    skills_offered: list(profile.skills_offered), time_zone: profile.time_zone || "",
    department: profile.department || "",
  };
}

/**
 * The body of `PUT /api/cohorts/{cohort}/people/{id}`: the person as they were, with what the
 * form holds put over it. Fields the form does not show (interests, skills wanted,
 * availability, free text, never pair) are kept, and the version read goes with it, so that
 * a change made meanwhile by someone else is refused rather than overwritten.
 * @param {Person} before @param {Record<string, string>} v
 * @returns {Person}
 */
export function editedPerson(before, v) {
  const form = personFromForm(v);
  return {
    ...before,
    name: form.name,
    email: form.email,
    role: form.role,
    capacity: form.role === "mentor" ? (form.capacity || 1) : 1,
    profile: {
      ...(before.profile || {}),
      goals: form.profile?.goals || [],
      skills_offered: form.profile?.skills_offered || [],
      languages: form.profile?.languages || [],
      department: form.profile?.department || "",
      time_zone: form.profile?.time_zone || "UTC",
    },
  };
}

/** People by id, for names elsewhere. @param {Person[]} people */
export function namesById(people) {
  return new Map(people.map((p) => [p.id, p.name]));
}
