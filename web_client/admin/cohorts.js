// Cohorts and their people: choose or create a cohort; add a person, import a CSV (all or
// nothing: a refused file's errors are listed by row and column, and "Show" selects that row in
// the text box so it can be fixed there), see and remove people, download them as CSV.

import { byId, byIdAs, el } from "../ui/dom.js";
import { t } from "../ui/i18n.js";
import { ApiError, seg, errorText } from "./api.js";
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
      ? cohorts.map((c) => el("option", { value: c.id, translate: "no" }, `${c.programme} · ${c.name}`))
      : [el("option", { value: "" }, t("admin.cohorts.none_yet"))]));
    select.value = cohorts.some((c) => c.id === current) ? current : (cohorts[0]?.id || "");
  }

  async function load() {
    try {
      cohorts = (await api.get("/api/cohorts")).cohorts || [];
    } catch (err) {
      cohortStatus.fail(err, t("admin.cohorts.load_failed"));
      return;
    }
    fillSelect();
    const chosen = cohorts.find((c) => c.id === select.value) || null;
    if (chosen?.id !== ctx.shared.cohort?.id || chosen === null) open(chosen);
    else cohortStatus.say(t("admin.cohorts.count", { count: cohorts.length }));
  }

  /** @param {Cohort | null} cohort */
  function open(cohort) {
    choose(cohort);
    byId("cohort-delete").hidden = !cohort;
    for (const id of ["people-panel", "matching-panel", "schedules-panel", "health-panel"]) byId(id).hidden = !cohort;
    if (!cohort) {
      cohortStatus.say(t("admin.cohorts.create_first"));
      return;
    }
    byId("people-title").textContent = t("admin.cohorts.people.title", { name: cohort.name });
    ctx.loadPeople().catch((err) => peopleStatus.fail(err, t("admin.cohorts.people.load_failed")));
    ctx.loadMatches().catch(() => { /* the matching section says so */ });
  }

  select.addEventListener("change", () => open(cohorts.find((c) => c.id === select.value) || null));

  byId("cohort-delete").addEventListener("click", async () => {
    const cohort = ctx.shared.cohort;
    if (!cohort || !confirm(t("admin.cohorts.delete.confirm", { name: cohort.name }))) return;
    try {
      await api.del(`/api/cohorts/${seg(cohort.id)}`);
      cohorts = cohorts.filter((c) => c.id !== cohort.id);
      ctx.shared.cohort = null;
      fillSelect();
      open(cohorts.find((c) => c.id === select.value) || null);
      cohortStatus.say(t("admin.cohorts.delete.done", { name: cohort.name }));
      select.focus();
    } catch (err) {
      cohortStatus.fail(err, t("admin.cohorts.delete.failed"));
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
      cohortStatus.say(t("admin.cohorts.created", { name: cohort.name }));
      focusOn(byId("people-title"));
    } catch (err) {
      cohortStatus.fail(err, t("admin.cohorts.create_failed"));
    }
  });

  // ------------------------------------------------------------------------------- people

  function renderPeople() {
    const people = ctx.shared.people;
    const mentors = people.filter((p) => p.role === "mentor").length;
    const box = byId("people-list");
    if (!people.length) {
      box.replaceChildren(el("p", { class: "meta" }, t("admin.cohorts.people.none")));
      return;
    }
    box.replaceChildren(dataTable({
      caption: t("admin.cohorts.people.caption", { count: people.length, mentors, mentees: people.length - mentors }),
      columns: [t("admin.cohorts.people.column_name"), t("admin.cohorts.people.column_role"), t("admin.cohorts.people.column_email"),
        t("admin.cohorts.people.column_languages"), t("admin.cohorts.people.column_time_zone"), t("admin.cohorts.people.column_department"),
        t("admin.cohorts.people.column_goals"), t("admin.cohorts.people.column_actions")],
      rows: people.map((p) => {
        const c = personCells(p);
        const actions = el("div", { class: "row-actions" });
        actions.append(
          button(t("admin.cohorts.people.edit"), () => startEdit(p), { "aria-label": t("admin.cohorts.people.edit_label", { name: p.name }) }),
          button(t("admin.cohorts.people.remove"), () => removePerson(p),
            { class: "button button-danger", "aria-label": t("admin.cohorts.people.remove_label", { name: p.name }) }));
        // a time zone is its IANA name (Europe/Madrid), not words to translate
        const zone = el("span", { translate: "no" }, c.timeZone);
        return [c.name, c.role, c.email, c.languages, zone, c.department, c.goals, actions];
      }),
    }));
  }
  ctx.on("people", renderPeople);

  /** @param {import("./cohort_model.js").Person} p */
  async function removePerson(p) {
    if (!confirm(t("admin.cohorts.remove.confirm", { name: p.name }))) return;
    try {
      await api.del(ctx.cohortPath(`/people/${seg(p.id)}`));
      peopleStatus.say(t("admin.cohorts.remove.done", { name: p.name }));
      await ctx.loadPeople();
      focusOn(byId("people-title"));
    } catch (err) {
      peopleStatus.fail(err, t("admin.cohorts.remove.failed", { name: p.name }));
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
    byId("person-form-title").textContent = t("admin.cohorts.person.edit_title", { name: p.name });
    byId("person-submit").textContent = t("admin.cohorts.person.save");
    byId("person-cancel").hidden = false;
    byId("person-error").textContent = "";
    byIdAs("person-name", HTMLInputElement).focus();
  }

  function stopEdit() {
    editing = null;
    byIdAs("person-form", HTMLFormElement).reset();
    byId("person-form-title").textContent = t("admin.cohorts.person.add_title");
    byId("person-submit").textContent = t("admin.cohorts.person.add");
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
        peopleStatus.say(t("admin.cohorts.person.saved", { name: String(saved.name) }));
        await ctx.loadPeople();
        focusOn(byId("people-title"));
      } catch (err) {
        const changed = err instanceof ApiError && err.code === "conflict";
        error.textContent = changed
          ? t("admin.cohorts.person.conflict", { name: before.name })
          : err instanceof ApiError ? errorText(err) : t("admin.cohorts.person.save_failed");
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
      peopleStatus.say(t("admin.cohorts.person.added", { name: String(person.name) }));
      await ctx.loadPeople();
      byIdAs("person-name", HTMLInputElement).focus();
    } catch (err) {
      error.textContent = err instanceof ApiError ? errorText(err) : t("admin.cohorts.person.add_failed");
      byIdAs("person-name", HTMLInputElement).focus();
    }
  });

  byIdAs("import-file", HTMLInputElement).addEventListener("change", async (e) => {
    const file = /** @type {HTMLInputElement} */ (e.target).files?.[0];
    if (!file) return;
    importText.value = await file.text();
    peopleStatus.say(t("admin.cohorts.import.file_read", { file: file.name }));
  });

  byId("import-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = importText.value;
    const box = byId("import-errors");
    if (!text.trim()) {
      peopleStatus.warn(t("admin.cohorts.import.empty"));
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
        peopleStatus.fail(err, t("admin.cohorts.import.failed"));
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
      caption: t("admin.cohorts.import.errors_caption"),
      columns: [t("admin.cohorts.import.column_row"), t("admin.cohorts.import.column_column"), t("admin.cohorts.import.column_fix"),
        t("admin.cohorts.import.column_find")],
      rows: rows.map((r) => [r.row, r.named ? el("code", { translate: "no" }, r.column) : r.column, r.message,
        button(t("admin.cohorts.import.show"), () => selectLine(r.line), {
          class: "button button-secondary button-small",
          "aria-label": r.line > 0 ? t("admin.cohorts.import.show_row", { row: r.row }) : t("admin.cohorts.import.show_header"),
        })]),
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
