// Admins and the audit log. The owner creates admins (each key is shown once), gives one a new
// key and disables one; anyone else is told that only the owner does this. Everyone reads the
// audit log, oldest first, a page at a time, all of it or one action's entries.

import { byId, byIdAs, el } from "../ui/dom.js";
import { formatNumber, t } from "../ui/i18n.js";
import { ApiError, seg, errorText } from "./api.js";
import {
  AUDIT_ACTIONS, AUDIT_PAGE_SIZES, auditCells, auditPage, fmtAt, isActionName, isDisabled, listOf, whoText,
} from "./account_model.js";
import { button, copyField, dataTable, focusOn, statusOf } from "./view.js";

/** @param {import("./api.js").Api} api */
export function installAdmins(api) {
  const status = statusOf(byId("admins-status"));
  const auditStatus = statusOf(byId("audit-status"));
  const pageSize = byIdAs("audit-limit", HTMLSelectElement);
  const actionField = byIdAs("audit-action", HTMLInputElement);
  for (const size of AUDIT_PAGE_SIZES) pageSize.append(el("option", { value: String(size), selected: size === 50 }, formatNumber(size)));
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
      else status.fail(err, t("admin.admins.load_failed"));
      return;
    }
    byId("admins-note").hidden = true;
    byId("admin-form").hidden = false;
    for (const a of admins) names.set(`admins/${a.id}`, String(a.name));
    byId("admins-list").replaceChildren(admins.length ? dataTable({
      caption: t("admin.admins.list.caption", { count: admins.length }),
      columns: [t("admin.admins.list.column_name"), t("admin.admins.list.column_email"), t("admin.admins.list.column_state"),
        t("admin.admins.list.column_created"), t("admin.admins.list.column_created_by"), t("admin.admins.list.column_actions")],
      rows: admins.map((a) => {
        const off = isDisabled(a);
        const actions = el("span", { class: "row-actions" }, off ? "–" : null);
        if (!off) {
          actions.append(
            button(t("admin.admins.list.new_key"), () => rotate(a),
              { class: "button button-secondary button-small", "aria-label": t("admin.admins.list.new_key_for", { name: String(a.name) }) }),
            button(t("admin.admins.list.disable"), () => disable(a),
              { class: "button button-danger", "aria-label": t("admin.admins.list.disable_name", { name: String(a.name) }) }),
          );
        }
        return [String(a.name ?? a.id), String(a.email || "–"), t("admin.admins.list.state", { state: off ? "disabled" : "active" }),
          fmtAt(a.created_at), whoText(a.created_by), actions];
      }),
    }) : el("p", { class: "meta" }, t("admin.admins.list.none")));
  }

  /** @param {Record<string, any>} who @param {string} key @param {boolean} rotated  a new key for an admin */
  function showKey(who, key, rotated) {
    const name = String(who.name);
    const box = byId("admin-key");
    const heading = el("h3", { id: "admin-key-title", tabindex: "-1" },
      rotated ? t("admin.admins.key.new_title", { name }) : t("admin.admins.key.title", { name }));
    box.replaceChildren(
      heading,
      el("p", {}, t("admin.admins.key.shown_once")),
      copyField({ label: t("admin.admins.key.label", { name }), value: key, copyLabel: t("admin.admins.key.copy", { name }),
        onCopied: (ok) => status.say(ok ? t("admin.admins.key.copied", { name }) : t("admin.admins.key.selected")) }),
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
      status.say(t("admin.admins.created", { name: String(made.name ?? name) }));
      await loadAdmins();
      showKey(made, String(made.key ?? ""), false);
      loadAudit("start");
    } catch (err) {
      error.textContent = err instanceof ApiError ? errorText(err) : t("admin.admins.create_failed");
      byIdAs("admin-name", HTMLInputElement).focus();
    }
  });

  /** @param {Record<string, any>} a */
  async function rotate(a) {
    if (!confirm(t("admin.admins.rotate.confirm", { name: String(a.name) }))) return;
    try {
      const body = await api.post(`/api/admins/${seg(a.id)}/key`);
      status.say(t("admin.admins.rotate.done", { name: String(a.name) }));
      showKey(a, String(body.key ?? ""), true);
      loadAudit("start");
    } catch (err) {
      status.fail(err, t("admin.admins.rotate.failed"));
    }
  }

  /** @param {Record<string, any>} a */
  async function disable(a) {
    if (!confirm(t("admin.admins.disable.confirm", { name: String(a.name) }))) return;
    try {
      await api.del(`/api/admins/${seg(a.id)}`);
      status.say(t("admin.admins.disable.done", { name: String(a.name) }));
      if (keyOf === String(a.id)) hideKey();
      await loadAdmins();
      focusOn(byId("admins-title"));
      loadAudit("start");
    } catch (err) {
      status.fail(err, t("admin.admins.disable.failed", { name: String(a.name) }));
    }
  }

  /** @param {"start" | "next" | "previous"} which @returns {Promise<boolean>} whether a page came */
  async function loadAudit(which) {
    const want = { ...audit, before: [...audit.before] };
    if (which === "start") {
      const action = actionField.value.trim();
      if (action && !isActionName(action)) {
        auditStatus.warn(t("admin.admins.audit.action_invalid", { example: "cohort.created" }));
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
      auditStatus.fail(err, t("admin.admins.audit.load_failed"));
      return false;
    }
    Object.assign(audit, want, { next: page.next });
    const { first } = audit;
    const last = first + page.entries.length - 1;
    const { action } = audit;
    byId("audit-list").replaceChildren(page.entries.length ? dataTable({
      caption: action ? t("admin.admins.audit.caption_action", { action, first, last }) : t("admin.admins.audit.caption", { first, last }),
      columns: [t("admin.admins.audit.column_when"), t("admin.admins.audit.column_who"), t("admin.admins.audit.column_what"),
        t("admin.admins.audit.column_target")],
      rows: page.entries.map((e) => {
        const c = auditCells(e, names);
        const what = el("span", { class: "audit-action" });
        if (c.actionWords) what.append(c.actionWords, " ");
        what.append(el("code", { translate: "no" }, c.action));
        return [c.at, c.actor, what, el("code", { translate: "no" }, c.target)];
      }),
    }) : el("p", { class: "meta" }, first !== 1 ? t("admin.admins.audit.no_more")
      : action ? t("admin.admins.audit.empty_action", { action }) : t("admin.admins.audit.empty")));
    byId("audit-more").hidden = !audit.next;
    byId("audit-back").hidden = !audit.before.length;
    auditStatus.say(!page.entries.length ? t("admin.admins.audit.status_none")
      : audit.next ? t("admin.admins.audit.status_more", { first, last })
        : first === 1 ? t("admin.admins.audit.status_all", { count: last }) : t("admin.admins.audit.status_last", { first, last }));
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
