// Cohorts and their people: choose or create a cohort; add a person, import a CSV (all or
// nothing: a refused file's errors are listed by row and column, and "Show" selects that row in
// the text box so it can be fixed there), see and remove people, download them as CSV.

import { byId, byIdAs, el } from "../ui/dom.js";
import { ApiError, seg } from "./api.js";
import {
  editedPerson, formOfPerson, importErrorRows, importErrorSummary, importSummary, lineRange, personCells,
  personFromForm,
} from "./cohort_model.js";
import { button, dataTable, download, focusOn, formValues, statusOf } from "./view.js";

/** @typedef {import("./cohort_model.js").Cohort} Cohort */

/**
 * @param {import("./console.js").ConsoleContext} ctx
 * @param {(cohort: Cohort | null) => void} choose  tells the console which cohort is open
 */
export function installCohorts(ctx, choose) {
  const { api } = ctx;
  const select = byIdAs("cohort-select", HTMLSelectElement);
  const cohortStatus = statusOf(byId("cohort-status"));
  const peopleStatus = statusOf(byId("people-status"));
  const importText = byIdAs("import-text", HTMLTextAreaElement);
  /** @type {Cohort[]} */
  let cohorts = [];

  function fillSelect() {
    const current = ctx.shared.cohort?.id || "";
    select.replaceChildren(...(cohorts.length
      ? cohorts.map((c) => el("option", { value: c.id }, `${c.programme} · ${c.name}`))
      : [el("option", { value: "" }, "No cohorts yet")]));
    select.value = cohorts.some((c) => c.id === current) ? current : (cohorts[0]?.id || "");
  }

  async function load() {
    try {
      cohorts = (await api.get("/api/cohorts")).cohorts || [];
    } catch (err) {
      cohortStatus.fail(err, "Could not load the cohorts");
      return;
    }
    fillSelect();
    const chosen = cohorts.find((c) => c.id === select.value) || null;
    if (chosen?.id !== ctx.shared.cohort?.id || chosen === null) open(chosen);
    else cohortStatus.say(`${cohorts.length} ${cohorts.length === 1 ? "cohort" : "cohorts"}.`);
  }

  /** @param {Cohort | null} cohort */
  function open(cohort) {
    choose(cohort);
    byId("cohort-delete").hidden = !cohort;
    for (const id of ["people-panel", "matching-panel", "schedules-panel", "health-panel"]) byId(id).hidden = !cohort;
    if (!cohort) {
      cohortStatus.say("Create a cohort to start.");
      return;
    }
    byId("people-title").textContent = `People of ${cohort.name}`;
    ctx.loadPeople().catch((err) => peopleStatus.fail(err, "Could not load the people"));
    ctx.loadMatches().catch(() => { /* the matching section says so */ });
  }

  select.addEventListener("change", () => open(cohorts.find((c) => c.id === select.value) || null));

  byId("cohort-delete").addEventListener("click", async () => {
    const cohort = ctx.shared.cohort;
    if (!cohort || !confirm(`Delete the cohort ${cohort.name}? Its people, profiles, matches, schedules and answers are deleted for good; the sessions already scheduled stay.`)) return;
    try {
      await api.del(`/api/cohorts/${seg(cohort.id)}`);
      cohorts = cohorts.filter((c) => c.id !== cohort.id);
      ctx.shared.cohort = null;
      fillSelect();
      open(cohorts.find((c) => c.id === select.value) || null);
      cohortStatus.say(`Deleted the cohort ${cohort.name}.`);
      select.focus();
    } catch (err) {
      cohortStatus.fail(err, "The cohort was not deleted");
    }
  });

  byId("cohort-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = byIdAs("cohort-form", HTMLFormElement);
    const v = formValues(form);
    try {
      const cohort = await api.post("/api/cohorts", { programme: v.programme.trim(), name: v.name.trim() });
      cohorts.push(cohort);
      byIdAs("cohort-name", HTMLInputElement).value = "";
      ctx.shared.cohort = null;
      fillSelect();
      select.value = cohort.id;
      open(cohort);
      cohortStatus.say(`Created the cohort ${cohort.name}. Add its people below.`);
      focusOn(byId("people-title"));
    } catch (err) {
      cohortStatus.fail(err, "The cohort was not created");
    }
  });

  // ------------------------------------------------------------------------------- people

  function renderPeople() {
    const people = ctx.shared.people;
    const mentors = people.filter((p) => p.role === "mentor").length;
    const box = byId("people-list");
    if (!people.length) {
      box.replaceChildren(el("p", { class: "meta" }, "Nobody in this cohort yet."));
      return;
    }
    box.replaceChildren(dataTable({
      caption: `${people.length} people: ${mentors} mentors, ${people.length - mentors} mentees`,
      columns: ["Name", "Role", "Email", "Languages", "Time zone", "Department", "Goals", "Actions"],
      rows: people.map((p) => {
        const c = personCells(p);
        const actions = el("div", { class: "row-actions" });
        actions.append(
          button("Edit", () => startEdit(p), { "aria-label": `Edit ${p.name}` }),
          button("Remove", () => removePerson(p), { class: "button button-danger", "aria-label": `Remove ${p.name}` }));
        return [c.name, c.role, c.email, c.languages, c.timeZone, c.department, c.goals, actions];
      }),
    }));
  }
  ctx.on("people", renderPeople);

  /** @param {import("./cohort_model.js").Person} p */
  async function removePerson(p) {
    if (!confirm(`Remove ${p.name} from the cohort? Their profile, matches and fit answers go; their attendance records stay (a deletion request removes those).`)) return;
    try {
      await api.del(ctx.cohortPath(`/people/${seg(p.id)}`));
      peopleStatus.say(`Removed ${p.name}.`);
      await ctx.loadPeople();
      focusOn(byId("people-title"));
    } catch (err) {
      peopleStatus.fail(err, `${p.name} was not removed`);
    }
  }

  /** The person being edited in the form, or null when the form adds someone. @type {import("./cohort_model.js").Person | null} */
  let editing = null;

  /** Fill the form with a person to change them. @param {import("./cohort_model.js").Person} p */
  function startEdit(p) {
    editing = p;
    const form = byIdAs("person-form", HTMLFormElement);
    for (const [name, value] of Object.entries(formOfPerson(p))) {
      const field = form.elements.namedItem(name);
      if (field instanceof HTMLInputElement || field instanceof HTMLSelectElement) field.value = value;
    }
    byId("person-form-title").textContent = `Edit ${p.name}`;
    byId("person-submit").textContent = "Save changes";
    byId("person-cancel").hidden = false;
    byId("person-error").textContent = "";
    byIdAs("person-name", HTMLInputElement).focus();
  }

  function stopEdit() {
    editing = null;
    byIdAs("person-form", HTMLFormElement).reset();
    byId("person-form-title").textContent = "Add a person";
    byId("person-submit").textContent = "Add person";
    byId("person-cancel").hidden = true;
  }

  byId("person-cancel").addEventListener("click", () => {
    stopEdit();
    focusOn(byId("people-title"));
  });

  byId("person-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = byIdAs("person-form", HTMLFormElement);
    const error = byId("person-error");
    error.textContent = "";
    if (editing) {
      const before = editing;
      try {
        const saved = await api.put(ctx.cohortPath(`/people/${seg(before.id)}`), editedPerson(before, formValues(form)));
        stopEdit();
        peopleStatus.say(`Saved ${saved.name}.`);
        await ctx.loadPeople();
        focusOn(byId("people-title"));
      } catch (err) {
        const changed = err instanceof ApiError && err.code === "conflict";
        error.textContent = changed
          ? `Someone else changed ${before.name} meanwhile. The list is reloaded: open them again to edit.`
          : err instanceof ApiError ? err.message : "The changes were not saved.";
        if (changed) {
          stopEdit();
          await ctx.loadPeople();
        }
        byIdAs("person-name", HTMLInputElement).focus();
      }
      return;
    }
    try {
      const person = await api.post(ctx.cohortPath("/people"), personFromForm(formValues(form)));
      form.reset();
      peopleStatus.say(`Added ${person.name}.`);
      await ctx.loadPeople();
      byIdAs("person-name", HTMLInputElement).focus();
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "The person was not added.";
      byIdAs("person-name", HTMLInputElement).focus();
    }
  });

  byIdAs("import-file", HTMLInputElement).addEventListener("change", async (e) => {
    const file = /** @type {HTMLInputElement} */ (e.target).files?.[0];
    if (!file) return;
    importText.value = await file.text();
    peopleStatus.say(`Read ${file.name}. Check it below, then press Import.`);
  });

  byId("import-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = importText.value;
    const box = byId("import-errors");
    if (!text.trim()) {
      peopleStatus.fail(new ApiError(400, "empty", "Choose a CSV file or paste its text first."));
      importText.focus();
      return;
    }
    try {
      const result = await api.json("POST", ctx.cohortPath("/import"), { csv: text });
      box.hidden = true;
      box.replaceChildren();
      peopleStatus.say(importSummary(result));
      await ctx.loadPeople();
      focusOn(byId("people-title"));
    } catch (err) {
      if (!(err instanceof ApiError) || !err.body || !Array.isArray(err.body.rows)) {
        peopleStatus.fail(err, "The import failed");
        return;
      }
      showImportErrors(importErrorRows(err.body));
    }
  });

  /** @param {ReturnType<typeof importErrorRows>} rows */
  function showImportErrors(rows) {
    const box = byId("import-errors");
    const summary = importErrorSummary(rows);
    const heading = el("h4", { id: "import-errors-title", tabindex: "-1" }, summary);
    box.replaceChildren(heading, dataTable({
      caption: "Rows to fix (row 1 is the first row after the header)",
      columns: ["Row", "Column", "What to fix", "Find it"],
      rows: rows.map((r) => [r.row, r.column, r.message,
        button("Show", () => selectLine(r.line), { class: "button button-secondary button-small", "aria-label": `Show row ${r.row} in the CSV text` })]),
      className: "errors-table",
    }));
    box.hidden = false;
    peopleStatus.say(summary);
    heading.focus();
  }

  /** @param {number} line */
  function selectLine(line) {
    const [start, end] = lineRange(importText.value, line);
    importText.focus();
    importText.setSelectionRange(start, end);
  }

  byId("people-csv").addEventListener("click", () => {
    const c = ctx.shared.cohort;
    if (c) download(api, ctx.cohortPath("/people.csv"), {}, `people-${c.id}.csv`, peopleStatus);
  });

  return { load };
}
