// "How was this session?" on the message screen after leaving (or when the session ends). The
// form says who will see what; sharing with the mentor is off until the person ticks it, and an
// anonymous rating cannot be shared.

import { el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { ANONYMOUS_PRIVACY, COMMENT_MAX, RATING_PRIVACY, ratingOutcome, words } from "./state.js";
import { sendRating } from "./commands.js";
import { messageCard, onMessageReplaced } from "../../screens/message.js";

/** @param {{sessionId: string, resume: string}} who */
export function showRating({ sessionId, resume }) {
  const card = messageCard();
  if (card.querySelector("#rating-form")) return;
  const form = el("form", { id: "rating-form", class: "rating-form" });
  const fieldset = el("fieldset");
  fieldset.append(el("legend", {}, t("engagement.rating.question")));
  const stars = el("div", { class: "rating-choices" });
  const scores = ["", t("engagement.rating.score_1"), t("engagement.rating.score_2"), t("engagement.rating.score_3"), t("engagement.rating.score_4"), t("engagement.rating.score_5")];
  for (let i = 1; i <= 5; i++) {
    const id = `rating-${i}`;
    stars.append(el("input", { type: "radio", name: "rating", id, value: String(i) }), el("label", { for: id, title: scores[i] }, `${i}`));
  }
  fieldset.append(stars, el("p", { class: "rating-scale" }, t("engagement.rating.scale")));
  const commentLabel = el("label", { for: "rating-comment" }, t("engagement.rating.comment"));
  const comment = el("textarea", { id: "rating-comment", rows: "2", maxlength: String(COMMENT_MAX) });
  const privacy = el("p", { id: "rating-privacy", class: "rating-privacy" }, words(RATING_PRIVACY));
  const shareLabel = el("label", { class: "rating-anon" });
  const share = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: "rating-share" }));
  shareLabel.append(share, document.createTextNode(` ${t("engagement.rating.share")}`));
  const anonLabel = el("label", { class: "rating-anon" });
  const anon = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: "rating-anonymous", "aria-describedby": "rating-anonymous-note" }));
  anonLabel.append(anon, document.createTextNode(` ${t("engagement.rating.anonymous")}`));
  const anonNote = el("p", { id: "rating-anonymous-note", class: "rating-privacy" }, words(ANONYMOUS_PRIVACY));
  anon.addEventListener("change", () => {
    if (anon.checked) share.checked = false;
    share.disabled = anon.checked;
  });
  const status = el("p", { class: "rating-status", role: "status" });
  const send = el("button", { type: "submit", class: "button button-primary" }, t("engagement.rating.send"));
  form.append(fieldset, commentLabel, comment, privacy, shareLabel, anonLabel, anonNote, send, status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = /** @type {HTMLInputElement | null} */ (form.querySelector('input[name="rating"]:checked'));
    if (!chosen) {
      status.textContent = t("engagement.rating.choose");
      return;
    }
    send.disabled = true;
    const answer = await sendRating((url, init) => fetch(url, init), {
      sessionId, resume, rating: Number(chosen.value), comment: comment.value, anonymous: anon.checked, share: share.checked,
    });
    if (answer.status === 0) {
      send.disabled = false;
      status.textContent = t("engagement.rating.unreachable");
      return;
    }
    const outcome = ratingOutcome(answer);
    if (outcome.done) form.replaceChildren(el("p", { class: "rating-done", role: "status" }, outcome.text));
    else {
      send.disabled = false;
      status.textContent = outcome.text;
    }
  });
  card.append(form);
  // Another message (a refusal, a rejoin) replaces this screen: the form goes with it.
  onMessageReplaced(() => form.remove());
}
