// Webhooks: register a URL for some events (the signing secret is shown once, with a Copy
// button), list and delete them, see one's delivery log, send it a test event and follow the
// log until that test has an outcome.

import { byId, byIdAs, el } from "../ui/dom.js";
import { t } from "../ui/i18n.js";
import { ApiError, seg, errorText } from "./api.js";
import { WEBHOOK_EVENTS, deliveryOutcome, fmtAt, isWebUrl, listOf, triedDelivery, words } from "./account_model.js";
import { button, copyField, dataTable, focusOn, statusOf } from "./view.js";

// A test's first attempt has 5 s on the server (docs/PROGRAMMES.md): the log is read again
// every second for a little longer than that, then left to the Refresh button.
const FOLLOW_MS = 1000;
const FOLLOW_TIMES = 12;

/** @param {import("./api.js").Api} api */
export function installWebhooks(api) {
  const status = statusOf(byId("webhooks-status"));
  const fieldset = byId("webhook-events");
  for (const [name, ref] of WEBHOOK_EVENTS) {
    const label = el("label", { class: "choice" });
    label.append(el("input", { type: "checkbox", name: "events", value: name }), el("code", { translate: "no" }, name),
      el("span", { class: "choice-help" }, words(ref)));
    fieldset.append(label);
  }
  // Which webhook's log is on show; a newer choice (or a deletion) stops an older one's follow-up.
  let shown = 0;

  async function load() {
    let hooks;
    try {
      hooks = listOf(await api.get("/api/webhooks"), ["webhooks", "items"]);
    } catch (err) {
      status.fail(err, t("admin.webhooks.load_failed"));
      return;
    }
    byId("webhooks-list").replaceChildren(hooks.length ? dataTable({
      caption: t("admin.webhooks.list.caption", { count: hooks.length }),
      columns: [t("admin.webhooks.list.column_url"), t("admin.webhooks.list.column_description"), t("admin.webhooks.list.column_events"),
        t("admin.webhooks.list.column_registered"), t("admin.webhooks.list.column_actions")],
      rows: hooks.map((h) => {
        const url = String(h.url);
        const actions = el("span", { class: "row-actions" });
        actions.append(
          button(t("admin.webhooks.list.deliveries"), () => deliveries(h),
            { class: "button button-secondary button-small", "aria-label": t("admin.webhooks.list.deliveries_to", { url }) }),
          button(t("admin.webhooks.list.send_test"), () => sendTest(h),
            { class: "button button-secondary button-small", "aria-label": t("admin.webhooks.list.send_test_to", { url }) }),
          button(t("admin.webhooks.list.delete"), () => remove(h),
            { class: "button button-danger", "aria-label": t("admin.webhooks.list.delete_to", { url }) }),
        );
        const events = (h.events || []).length ? el("code", { translate: "no" }, h.events.join(", ")) : "–";
        return [el("span", { class: "url" }, url), String(h.description || "–"), events, fmtAt(h.created_at), actions];
      }),
    }) : el("p", { class: "meta" }, t("admin.webhooks.list.none")));
  }

  byId("webhook-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = byId("webhook-error");
    error.textContent = "";
    const urlField = byIdAs("webhook-url", HTMLInputElement);
    const url = urlField.value.trim();
    const events = [...fieldset.querySelectorAll("input:checked")].map((i) => /** @type {HTMLInputElement} */ (i).value);
    if (!isWebUrl(url)) {
      error.textContent = t("admin.webhooks.form.url_invalid");
      urlField.focus();
      return;
    }
    if (!events.length) {
      error.textContent = t("admin.webhooks.form.events_missing");
      fieldset.querySelector("input")?.focus();
      return;
    }
    try {
      const description = byIdAs("webhook-description", HTMLInputElement).value.trim();
      const hook = await api.post("/api/webhooks", description ? { url, events, description } : { url, events });
      byIdAs("webhook-form", HTMLFormElement).reset();
      const box = byId("webhook-secret");
      const heading = el("h3", { id: "webhook-secret-title", tabindex: "-1" }, t("admin.webhooks.secret.title", { url }));
      box.replaceChildren(
        heading,
        el("p", {}, t("admin.webhooks.secret.shown_once")),
        copyField({ label: t("admin.webhooks.secret.label"), value: String(hook.secret || ""), copyLabel: t("admin.webhooks.secret.copy"),
          onCopied: (ok) => status.say(ok ? t("admin.webhooks.secret.copied") : t("admin.webhooks.secret.selected")) }),
      );
      box.hidden = false;
      status.say(t("admin.webhooks.registered", { url }));
      await load();
      heading.focus();
    } catch (err) {
      error.textContent = err instanceof ApiError ? errorText(err) : t("admin.webhooks.register_failed");
      if (err instanceof ApiError && err.code === "webhook_url_refused") urlField.focus();
    }
  });

  /** @param {Record<string, any>} h */
  async function remove(h) {
    const url = String(h.url);
    if (!confirm(t("admin.webhooks.delete.confirm", { url }))) return;
    try {
      await api.del(`/api/webhooks/${seg(h.id)}`);
      status.say(t("admin.webhooks.delete.done", { url }));
      shown += 1;
      byId("webhook-deliveries").replaceChildren();
      const secret = byId("webhook-secret");
      secret.hidden = true;
      secret.replaceChildren();
      await load();
      focusOn(byId("webhooks-title"));
    } catch (err) {
      status.fail(err, t("admin.webhooks.delete.failed"));
    }
  }

  /** @param {Record<string, any>} h */
  async function sendTest(h) {
    const url = String(h.url);
    let id;
    try {
      id = String((await api.post(`/api/webhooks/${seg(h.id)}/test`)).delivery_id ?? "");
    } catch (err) {
      status.fail(err, t("admin.webhooks.test.failed"));
      return;
    }
    status.say(t("admin.webhooks.test.sending", { url }));
    const mine = await deliveries(h, false);
    for (let i = 0; i < FOLLOW_TIMES && mine === shown; i++) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_MS));
      if (mine !== shown) return;
      const log = await readLog(h);
      if (mine !== shown) return;
      if (log) showLog(h, log, mine);
      const tried = log && triedDelivery(log, id);
      if (tried) {
        if (tried.state === "delivered") status.say(t("admin.webhooks.test.delivered", { url }));
        else status.warn(t("admin.webhooks.test.not_delivered", { url, outcome: deliveryOutcome(tried) }));
        return;
      }
    }
    if (mine === shown) status.say(t("admin.webhooks.test.waiting", { url }));
  }

  /** @param {Record<string, any>} h @returns {Promise<Record<string, any>[] | null>} */
  async function readLog(h) {
    try {
      return listOf(await api.get(`/api/webhooks/${seg(h.id)}/deliveries`), ["deliveries", "items"]);
    } catch (err) {
      status.fail(err, t("admin.webhooks.log.load_failed"));
      return null;
    }
  }

  /** @param {Record<string, any>} h @param {Record<string, any>[]} list @param {number} which */
  function showLog(h, list, which) {
    const box = byId("webhook-deliveries");
    // drawing the log again keeps the focus on its heading or its Refresh button
    const focused = box.contains(document.activeElement) ? document.activeElement : null;
    const url = String(h.url);
    const heading = el("h3", { id: "webhook-deliveries-title", tabindex: "-1" }, t("admin.webhooks.log.title", { url }));
    const refresh = button(t("admin.webhooks.log.refresh"), async () => {
      const log = await readLog(h);
      if (log && which === shown) showLog(h, log, which);
    }, { class: "button button-secondary button-small log-refresh", "aria-label": t("admin.webhooks.log.refresh_label", { url }) });
    box.replaceChildren(heading, refresh, list.length ? dataTable({
      caption: t("admin.webhooks.log.caption"),
      columns: [t("admin.webhooks.log.column_when"), t("admin.webhooks.log.column_event"), t("admin.webhooks.log.column_outcome")],
      rows: list.map((d) => [fmtAt(d.at ?? d.created_at ?? d.sent_at), el("code", { translate: "no" }, String(d.event ?? d.type ?? "–")),
        deliveryOutcome(d)]),
    }) : el("p", { class: "meta" }, t("admin.webhooks.log.none")));
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
