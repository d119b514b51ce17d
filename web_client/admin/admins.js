// Admins and the audit log. The owner creates admins (each key is shown once), gives one a new
// key and disables one; anyone else is told that only the owner does this. Everyone reads the
// audit log, oldest first, a page at a time, all of it or one action's entries.

import { byId, byIdAs, el } from "../ui/dom.js";
import { ApiError, seg } from "./api.js";
import { AUDIT_ACTIONS, AUDIT_PAGE_SIZES, auditCells, auditPage, fmtAt, isActionName, isDisabled, listOf } from "./account_model.js";
import { button, copyField, dataTable, focusOn, statusOf } from "./view.js";

/** @param {import("./api.js").Api} api */
export function installAdmins(api) {
  const status = statusOf(byId("admins-status"));
  const auditStatus = statusOf(byId("audit-status"));
  const pageSize = byIdAs("audit-limit", HTMLSelectElement);
  const actionField = byIdAs("audit-action", HTMLInputElement);
  for (const size of AUDIT_PAGE_SIZES) pageSize.append(el("option", { value: String(size), selected: size === 50 }, String(size)));
  const actions = byId("audit-actions");
  for (const name of AUDIT_ACTIONS) actions.append(el("option", { value: name }));
  // The listing on show: its page size and action, the cursor of the page shown and of the
  // pages before it (to go back: the server pages forwards only), the next page's cursor (null
  // at the end), and the number of the first entry shown.
  /** @type {{limit: number, action: string, after: string, before: string[], next: string | null, first: number}} */
  const audit = { limit: 50, action: "", after: "", before: [], next: null, first: 1 };
  /** Admin ids -> names, as the owner's list has them (an admin's target in the log). @type {Map<string, string>} */
  const names = new Map();
  /** Whose key the box shows, if any. @type {string | null} */
  let keyOf = null;

  async function loadAdmins() {
    let admins;
    try {
      admins = listOf(await api.get("/api/admins"), ["admins", "items"]);
    } catch (err) {
      const notOwner = err instanceof ApiError && err.status === 403;
      byId("admins-note").hidden = !notOwner;
      byId("admin-form").hidden = notOwner;
      byId("admins-list").replaceChildren();
      if (notOwner) status.clear();
      else status.fail(err, "Could not load the admins");
      return;
    }
    byId("admins-note").hidden = true;
    byId("admin-form").hidden = false;
    for (const a of admins) names.set(`admins/${a.id}`, String(a.name));
    byId("admins-list").replaceChildren(admins.length ? dataTable({
      caption: `${admins.length} ${admins.length === 1 ? "admin" : "admins"} besides the owner`,
      columns: ["Name", "Email", "State", "Created (UTC)", "Created by", "Actions"],
      rows: admins.map((a) => {
        const off = isDisabled(a);
        const actions = el("span", { class: "row-actions" }, off ? "–" : null);
        if (!off) {
          actions.append(
            button("New key", () => rotate(a), { class: "button button-secondary button-small", "aria-label": `New key for ${a.name}` }),
            button("Disable", () => disable(a), { class: "button button-danger", "aria-label": `Disable ${a.name}` }),
          );
        }
        return [String(a.name ?? a.id), String(a.email || "–"), off ? "Disabled" : "Active", fmtAt(a.created_at), String(a.created_by ?? "–"), actions];
      }),
    }) : el("p", { class: "meta" }, "No admins besides the owner yet."));
  }

  /** @param {Record<string, any>} who @param {string} key @param {string} what */
  function showKey(who, key, what) {
    const name = String(who.name);
    const box = byId("admin-key");
    const heading = el("h3", { id: "admin-key-title", tabindex: "-1" }, `${what} of ${name}`);
    box.replaceChildren(
      heading,
      el("p", {}, "It is shown this once: give it to them over a private channel. They sign in with it on this page."),
      copyField({ label: `Admin key of ${name}`, value: key, copyLabel: `Copy the key of ${name}`,
        onCopied: (ok) => status.say(ok ? `Copied ${name}'s key.` : "The key is selected: press Ctrl+C.") }),
    );
    box.hidden = false;
    keyOf = String(who.id);
    heading.focus();
  }

  function hideKey() {
    const box = byId("admin-key");
    box.hidden = true;
    box.replaceChildren();
    keyOf = null;
  }

  byId("admin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = byId("admin-error");
    error.textContent = "";
    const name = byIdAs("admin-name", HTMLInputElement).value.trim();
    const email = byIdAs("admin-email", HTMLInputElement).value.trim();
    try {
      const made = await api.post("/api/admins", email ? { name, email } : { name });
      byIdAs("admin-form", HTMLFormElement).reset();
      status.say(`Created the admin ${made.name ?? name}.`);
      await loadAdmins();
      showKey(made, String(made.key ?? ""), "The key");
      loadAudit("start");
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "The admin was not created.";
      byIdAs("admin-name", HTMLInputElement).focus();
    }
  });

  /** @param {Record<string, any>} a */
  async function rotate(a) {
    if (!confirm(`Give ${a.name} a new key? Their old key stops working at once.`)) return;
    try {
      const body = await api.post(`/api/admins/${seg(a.id)}/key`);
      status.say(`Rotated ${a.name}'s key: the old one no longer works.`);
      showKey(a, String(body.key ?? ""), "The new key");
      loadAudit("start");
    } catch (err) {
      status.fail(err, "The key was not rotated");
    }
  }

  /** @param {Record<string, any>} a */
  async function disable(a) {
    if (!confirm(`Disable ${a.name}? Their key stops working at once; what they did stays in the audit log.`)) return;
    try {
      await api.del(`/api/admins/${seg(a.id)}`);
      status.say(`Disabled ${a.name}.`);
      if (keyOf === String(a.id)) hideKey();
      await loadAdmins();
      focusOn(byId("admins-title"));
      loadAudit("start");
    } catch (err) {
      status.fail(err, `${a.name} was not disabled`);
    }
  }

  /** @param {"start" | "next" | "previous"} which @returns {Promise<boolean>} whether a page came */
  async function loadAudit(which) {
    const want = { ...audit, before: [...audit.before] };
    if (which === "start") {
      const action = actionField.value.trim();
      if (action && !isActionName(action)) {
        auditStatus.warn("An action is written like cohort.created: choose one from the list.");
        actionField.focus();
        return false;
      }
      Object.assign(want, { limit: Number(pageSize.value) || 50, action, after: "", before: [], first: 1 });
    } else if (which === "next" && audit.next) {
      want.before.push(audit.after);
      Object.assign(want, { after: audit.next, first: audit.first + audit.limit });
    } else if (which === "previous" && audit.before.length) {
      Object.assign(want, { after: want.before.pop() ?? "", first: Math.max(1, audit.first - audit.limit) });
    }
    let page;
    try {
      const query = { after: want.after, limit: want.limit, action: want.action };
      page = auditPage(await api.get("/api/audit", query), want.limit);
    } catch (err) {
      auditStatus.fail(err, "Could not load the audit log");
      return false;
    }
    Object.assign(audit, want, { next: page.next });
    const { first } = audit;
    const last = first + page.entries.length - 1;
    const only = audit.action ? ` (${audit.action} only)` : "";
    byId("audit-list").replaceChildren(page.entries.length ? dataTable({
      caption: `Audit log${only}, entries ${first} to ${last}`,
      columns: ["When (UTC)", "Who", "What", "On what"],
      rows: page.entries.map((e) => {
        const c = auditCells(e, names);
        return [c.at, c.actor, c.action, c.target];
      }),
    }) : el("p", { class: "meta" }, first === 1 ? `Nothing in the audit log${only} yet.` : "No more entries."));
    byId("audit-more").hidden = !audit.next;
    byId("audit-back").hidden = !audit.before.length;
    auditStatus.say(!page.entries.length ? "No entries."
      : audit.next ? `Entries ${first} to ${last}; more on the next page.`
        : first === 1 ? `All ${last} ${last === 1 ? "entry" : "entries"}.` : `Entries ${first} to ${last}, the last.`);
    return true;
  }

  /** @param {"next" | "previous"} which */
  async function turn(which) {
    if (await loadAudit(which)) {
      const title = byId("audit-title");
      focusOn(title);
      title.scrollIntoView({ block: "start" });
    }
  }

  byId("audit-more").addEventListener("click", () => turn("next"));
  byId("audit-back").addEventListener("click", () => turn("previous"));
  byId("audit-refresh").addEventListener("click", () => loadAudit("start"));
  byId("audit-form").addEventListener("submit", (e) => {
    e.preventDefault();
    loadAudit("start");
  });

  return {
    load() {
      hideKey();
      loadAdmins();
      loadAudit("start");
    },
  };
}
