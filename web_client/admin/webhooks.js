// Webhooks: register a URL for some events (the signing secret is shown once, with a Copy
// button), list and delete them, see one's delivery log, send it a test event.

import { byId, byIdAs, el } from "../ui/dom.js";
import { ApiError, seg } from "./api.js";
import { WEBHOOK_EVENTS, deliveryOutcome, fmtAt, isHttpsUrl, listOf } from "./account_model.js";
import { button, copyField, dataTable, focusOn, statusOf } from "./view.js";

/** @param {import("./api.js").Api} api */
export function installWebhooks(api) {
  const status = statusOf(byId("webhooks-status"));
  const fieldset = byId("webhook-events");
  for (const name of WEBHOOK_EVENTS) {
    const label = el("label", { class: "choice" });
    label.append(el("input", { type: "checkbox", name: "events", value: name }), document.createTextNode(` ${name}`));
    fieldset.append(label);
  }

  async function load() {
    let hooks;
    try {
      hooks = listOf(await api.get("/api/webhooks"), ["webhooks", "items"]);
    } catch (err) {
      status.fail(err, "Could not load the webhooks");
      return;
    }
    byId("webhooks-list").replaceChildren(hooks.length ? dataTable({
      caption: `${hooks.length} ${hooks.length === 1 ? "webhook" : "webhooks"}`,
      columns: ["URL", "Description", "Events", "Registered", "Actions"],
      rows: hooks.map((h) => {
        const actions = el("span", { class: "row-actions" });
        actions.append(
          button("Deliveries", () => deliveries(h), { class: "button button-secondary button-small", "aria-label": `Deliveries to ${h.url}` }),
          button("Send a test", () => sendTest(h), { class: "button button-secondary button-small", "aria-label": `Send a test to ${h.url}` }),
          button("Delete", () => remove(h), { class: "button button-danger", "aria-label": `Delete the webhook to ${h.url}` }),
        );
        return [String(h.url), String(h.description || "–"), (h.events || []).join(", ") || "–", fmtAt(h.created_at), actions];
      }),
    }) : el("p", { class: "meta" }, "No webhooks yet."));
  }

  byId("webhook-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = byId("webhook-error");
    error.textContent = "";
    const url = byIdAs("webhook-url", HTMLInputElement).value.trim();
    const events = [...fieldset.querySelectorAll("input:checked")].map((i) => /** @type {HTMLInputElement} */ (i).value);
    if (!isHttpsUrl(url)) {
      error.textContent = "Give the full address, starting with https://.";
      byIdAs("webhook-url", HTMLInputElement).focus();
      return;
    }
    if (!events.length) {
      error.textContent = "Choose at least one event.";
      fieldset.querySelector("input")?.focus();
      return;
    }
    try {
      const description = byIdAs("webhook-description", HTMLInputElement).value.trim();
      const hook = await api.post("/api/webhooks", description ? { url, events, description } : { url, events });
      byIdAs("webhook-form", HTMLFormElement).reset();
      const box = byId("webhook-secret");
      const heading = el("h3", { id: "webhook-secret-title", tabindex: "-1" }, "The webhook's signing secret");
      box.replaceChildren(
        heading,
        el("p", {}, "It is shown this once: keep it where the receiving service can check signatures with it."),
        copyField({ label: "Signing secret", value: String(hook.secret || ""), copyLabel: "Copy the signing secret",
          onCopied: (ok) => status.say(ok ? "Copied the secret." : "The secret is selected: press Ctrl+C.") }),
      );
      box.hidden = false;
      status.say(`Registered the webhook to ${url}.`);
      await load();
      heading.focus();
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "The webhook was not registered.";
    }
  });

  /** @param {Record<string, any>} h */
  async function remove(h) {
    if (!confirm(`Delete the webhook to ${h.url}? Nothing more is sent to it.`)) return;
    try {
      await api.del(`/api/webhooks/${seg(h.id)}`);
      status.say(`Deleted the webhook to ${h.url}.`);
      byId("webhook-deliveries").replaceChildren();
      await load();
      focusOn(byId("webhooks-title"));
    } catch (err) {
      status.fail(err, "The webhook was not deleted");
    }
  }

  /** @param {Record<string, any>} h */
  async function sendTest(h) {
    try {
      await api.post(`/api/webhooks/${seg(h.id)}/test`);
      status.say(`Sent a test event to ${h.url}.`);
      await deliveries(h, false);
    } catch (err) {
      status.fail(err, "The test was not sent");
    }
  }

  /** @param {Record<string, any>} h @param {boolean} [focus] */
  async function deliveries(h, focus = true) {
    let list;
    try {
      list = listOf(await api.get(`/api/webhooks/${seg(h.id)}/deliveries`), ["deliveries", "items"]);
    } catch (err) {
      status.fail(err, "Could not load the deliveries");
      return;
    }
    const heading = el("h3", { tabindex: "-1" }, `Deliveries to ${h.url}`);
    byId("webhook-deliveries").replaceChildren(heading, list.length ? dataTable({
      caption: "Newest first",
      columns: ["When", "Event", "Outcome"],
      rows: list.map((d) => [fmtAt(d.at ?? d.created_at ?? d.sent_at), String(d.event ?? d.type ?? "–"), deliveryOutcome(d)]),
    }) : el("p", { class: "meta" }, "Nothing delivered yet."));
    if (focus) heading.focus();
  }

  return { load };
}
