// Webhooks: register a URL for some events (the signing secret is shown once, with a Copy
// button), list and delete them, see one's delivery log, send it a test event and follow the
// log until that test has an outcome.

import { byId, byIdAs, el } from "../ui/dom.js";
import { ApiError, seg } from "./api.js";
import { WEBHOOK_EVENTS, deliveryOutcome, fmtAt, isWebUrl, listOf, triedDelivery } from "./account_model.js";
import { button, copyField, dataTable, focusOn, statusOf } from "./view.js";

// A test's first attempt has 5 s on the server (docs/PROGRAMMES.md): the log is read again
// every second for a little longer than that, then left to the Refresh button.
const FOLLOW_MS = 1000;
const FOLLOW_TIMES = 12;

/** @param {import("./api.js").Api} api */
export function installWebhooks(api) {
  const status = statusOf(byId("webhooks-status"));
  const fieldset = byId("webhook-events");
  for (const [name, words] of WEBHOOK_EVENTS) {
    const label = el("label", { class: "choice" });
    label.append(el("input", { type: "checkbox", name: "events", value: name }), el("code", {}, name), el("span", { class: "choice-help" }, words));
    fieldset.append(label);
  }
  // Which webhook's log is on show; a newer choice (or a deletion) stops an older one's follow-up.
  let shown = 0;

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
      columns: ["URL", "Description", "Events", "Registered (UTC)", "Actions"],
      rows: hooks.map((h) => {
        const actions = el("span", { class: "row-actions" });
        actions.append(
          button("Deliveries", () => deliveries(h), { class: "button button-secondary button-small", "aria-label": `Deliveries to ${h.url}` }),
          button("Send a test", () => sendTest(h), { class: "button button-secondary button-small", "aria-label": `Send a test to ${h.url}` }),
          button("Delete", () => remove(h), { class: "button button-danger", "aria-label": `Delete the webhook to ${h.url}` }),
        );
        return [el("span", { class: "url" }, String(h.url)), String(h.description || "–"), (h.events || []).join(", ") || "–", fmtAt(h.created_at), actions];
      }),
    }) : el("p", { class: "meta" }, "No webhooks yet."));
  }

  byId("webhook-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = byId("webhook-error");
    error.textContent = "";
    const urlField = byIdAs("webhook-url", HTMLInputElement);
    const url = urlField.value.trim();
    const events = [...fieldset.querySelectorAll("input:checked")].map((i) => /** @type {HTMLInputElement} */ (i).value);
    if (!isWebUrl(url)) {
      error.textContent = "Give the full address, starting with https:// (or http://).";
      urlField.focus();
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
      const heading = el("h3", { id: "webhook-secret-title", tabindex: "-1" }, `The signing secret of the webhook to ${url}`);
      box.replaceChildren(
        heading,
        el("p", {}, "It is shown this once: keep it where the receiving service checks signatures with it."),
        copyField({ label: "Signing secret", value: String(hook.secret || ""), copyLabel: "Copy the signing secret",
          onCopied: (ok) => status.say(ok ? "Copied the secret." : "The secret is selected: press Ctrl+C.") }),
      );
      box.hidden = false;
      status.say(`Registered the webhook to ${url}.`);
      await load();
      heading.focus();
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "The webhook was not registered.";
      if (err instanceof ApiError && err.code === "webhook_url_refused") urlField.focus();
    }
  });

  /** @param {Record<string, any>} h */
  async function remove(h) {
    if (!confirm(`Delete the webhook to ${h.url}? Nothing more is sent to it.`)) return;
    try {
      await api.del(`/api/webhooks/${seg(h.id)}`);
      status.say(`Deleted the webhook to ${h.url}.`);
      shown += 1;
      byId("webhook-deliveries").replaceChildren();
      const secret = byId("webhook-secret");
      secret.hidden = true;
      secret.replaceChildren();
      await load();
      focusOn(byId("webhooks-title"));
    } catch (err) {
      status.fail(err, "The webhook was not deleted");
    }
  }

  /** @param {Record<string, any>} h */
  async function sendTest(h) {
    let id;
    try {
      id = String((await api.post(`/api/webhooks/${seg(h.id)}/test`)).delivery_id ?? "");
    } catch (err) {
      status.fail(err, "The test was not sent");
      return;
    }
    status.say(`Sending a test to ${h.url}…`);
    const mine = await deliveries(h, false);
    for (let i = 0; i < FOLLOW_TIMES && mine === shown; i++) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_MS));
      if (mine !== shown) return;
      const log = await readLog(h);
      if (mine !== shown) return;
      if (log) showLog(h, log, mine);
      const tried = log && triedDelivery(log, id);
      if (tried) {
        if (tried.state === "delivered") status.say(`The test to ${h.url} was delivered.`);
        else status.warn(`The test to ${h.url} was not delivered: ${deliveryOutcome(tried)}.`);
        return;
      }
    }
    if (mine === shown) status.say(`The test to ${h.url} is still waiting: press Refresh to see how it went.`);
  }

  /** @param {Record<string, any>} h @returns {Promise<Record<string, any>[] | null>} */
  async function readLog(h) {
    try {
      return listOf(await api.get(`/api/webhooks/${seg(h.id)}/deliveries`), ["deliveries", "items"]);
    } catch (err) {
      status.fail(err, "Could not load the deliveries");
      return null;
    }
  }

  /** @param {Record<string, any>} h @param {Record<string, any>[]} list @param {number} which */
  function showLog(h, list, which) {
    const box = byId("webhook-deliveries");
    // drawing the log again keeps the focus on its heading or its Refresh button
    const focused = box.contains(document.activeElement) ? document.activeElement : null;
    const heading = el("h3", { id: "webhook-deliveries-title", tabindex: "-1" }, `Deliveries to ${h.url}`);
    const refresh = button("Refresh", async () => {
      const log = await readLog(h);
      if (log && which === shown) showLog(h, log, which);
    }, { class: "button button-secondary button-small log-refresh", "aria-label": `Refresh the deliveries to ${h.url}` });
    box.replaceChildren(heading, refresh, list.length ? dataTable({
      caption: "Newest first",
      columns: ["When (UTC)", "Event", "Outcome"],
      rows: list.map((d) => [fmtAt(d.at ?? d.created_at ?? d.sent_at), String(d.event ?? d.type ?? "–"), deliveryOutcome(d)]),
    }) : el("p", { class: "meta" }, "Nothing delivered yet."));
    if (focused instanceof HTMLElement && focused.classList.contains("log-refresh")) refresh.focus();
    else if (focused) heading.focus();
  }

  /** @param {Record<string, any>} h @param {boolean} [focus] @returns {Promise<number>} which showing this is */
  async function deliveries(h, focus = true) {
    const which = ++shown;
    const list = await readLog(h);
    if (list && which === shown) {
      showLog(h, list, which);
      if (focus) byId("webhook-deliveries-title").focus();
    }
    return which;
  }

  return { load };
}
