// Admins and the audit log. The owner creates admins (each key is shown once), rotates a key and
// disables an admin; anyone else sees that only the owner does this. Everyone reads the audit
// log, a page at a time.

import { byId, byIdAs, el } from "../ui/dom.js";
import { ApiError, seg } from "./api.js";
import { auditCells, auditPage, fmtAt, isDisabled, listOf } from "./account_model.js";
import { button, copyField, dataTable, focusOn, statusOf } from "./view.js";

const AUDIT_PAGE = 50;

/** @param {import("./api.js").Api} api */
export function installAdmins(api) {
  const status = statusOf(byId("admins-status"));
  const auditStatus = statusOf(byId("audit-status"));
  /** @type {string | null} */
  let nextAfter = null;

  async function loadAdmins() {
    let admins;
    try {
      admins = listOf(await api.get("/api/admins"), ["admins", "items"]);
    } catch (err) {
      const notOwner = err instanceof ApiError && err.status === 403;
      byId("admins-note").hidden = !notOwner;
      byId("admin-form").hidden = notOwner;
      byId("admins-list").replaceChildren();
      if (!notOwner) status.fail(err, "Could not load the admins");
      return;
    }
    byId("admins-note").hidden = true;
    byId("admin-form").hidden = false;
    byId("admins-list").replaceChildren(dataTable({
      caption: `${admins.length} ${admins.length === 1 ? "admin" : "admins"}`,
      columns: ["Name", "Email", "Role", "State", "Created", "Actions"],
      rows: admins.map((a) => {
        const off = isDisabled(a);
        const owner = a.role === "owner" || a.owner === true;
        const actions = el("span", { class: "row-actions" });
        if (!owner && !off) {
          actions.append(
            button("Rotate key", () => rotate(a), { class: "button button-secondary button-small", "aria-label": `Rotate the key of ${a.name}` }),
            button("Disable", () => disable(a), { class: "button button-danger", "aria-label": `Disable ${a.name}` }),
          );
        }
        return [String(a.name ?? a.id), String(a.email || "–"), owner ? "Owner" : "Admin", off ? "Disabled" : "Active", fmtAt(a.created_at), actions];
      }),
    }));
  }

  /** @param {string} name @param {string} key @param {string} what */
  function showKey(name, key, what) {
    const box = byId("admin-key");
    const heading = el("h3", { tabindex: "-1" }, `${what} for ${name}`);
    box.replaceChildren(
      heading,
      el("p", {}, "It is shown this once: give it to them over a private channel."),
      copyField({ label: `Admin key of ${name}`, value: key, copyLabel: `Copy the key of ${name}`,
        onCopied: (ok) => status.say(ok ? `Copied ${name}'s key.` : "The key is selected: press Ctrl+C.") }),
    );
    box.hidden = false;
    heading.focus();
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
      status.say(`Created the admin ${name}.`);
      await loadAdmins();
      showKey(name, String(made.key ?? ""), "The new key");
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "The admin was not created.";
    }
  });

  /** @param {Record<string, any>} a */
  async function rotate(a) {
    if (!confirm(`Give ${a.name} a new key? The old one stops working at once.`)) return;
    try {
      const body = await api.post(`/api/admins/${seg(a.id)}/key`);
      status.say(`Rotated ${a.name}'s key.`);
      showKey(String(a.name), String(body.key ?? ""), "The new key");
    } catch (err) {
      status.fail(err, "The key was not rotated");
    }
  }

  /** @param {Record<string, any>} a */
  async function disable(a) {
    if (!confirm(`Disable ${a.name}? Their key stops working at once.`)) return;
    try {
      await api.del(`/api/admins/${seg(a.id)}`);
      status.say(`Disabled ${a.name}.`);
      await loadAdmins();
      focusOn(byId("admins-title"));
    } catch (err) {
      status.fail(err, `${a.name} was not disabled`);
    }
  }

  /** @param {boolean} fromStart */
  async function loadAudit(fromStart) {
    if (fromStart) nextAfter = null;
    let page;
    try {
      page = auditPage(await api.get("/api/audit", { after: nextAfter, limit: AUDIT_PAGE }), AUDIT_PAGE);
    } catch (err) {
      auditStatus.fail(err, "Could not load the audit log");
      return;
    }
    const first = fromStart ? 1 : Number(byId("audit-list").dataset.next || 1);
    nextAfter = page.next;
    byId("audit-list").dataset.next = String(first + page.entries.length);
    byId("audit-list").replaceChildren(page.entries.length ? dataTable({
      caption: `Audit log, entries ${first} to ${first + page.entries.length - 1}`,
      columns: ["When", "Who", "What", "On what"],
      rows: page.entries.map((e) => {
        const c = auditCells(e);
        return [c.at, c.actor, c.action, c.target];
      }),
    }) : el("p", { class: "meta" }, fromStart ? "Nothing in the audit log yet." : "No more entries."));
    byId("audit-more").hidden = !nextAfter;
    auditStatus.say(`${page.entries.length} entries${nextAfter ? "; more on the next page" : ""}.`);
  }

  byId("audit-more").addEventListener("click", async () => {
    await loadAudit(false);
    focusOn(byId("audit-title"));
  });
  byId("audit-refresh").addEventListener("click", () => loadAudit(true));

  return {
    load() {
      byId("admin-key").hidden = true;
      loadAdmins();
      loadAudit(true);
    },
  };
}
