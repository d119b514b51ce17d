// The check-in card after joining: "What do you want from this session?", with who reads the
// answer and the choice (off until ticked) to show it to the mentor.

import { el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { CHECK_IN_SHARE, GOAL_MAX, goalProblem, words } from "./state.js";

/**
 * Show the card on the call screen. `remember()` is called once it is answered or skipped.
 * @param {object} ctx
 * @param {(goal: string, share: boolean) => Promise<import("../../core/types.js").Ack>} ctx.checkIn
 * @param {() => void} ctx.remember
 */
export function showCheckIn({ checkIn, remember }) {
  if (document.getElementById("checkin-card")) return;
  const screen = document.getElementById("screen-call");
  if (!screen) return;
  const card = el("form", { id: "checkin-card", class: "checkin-card", "aria-label": t("engagement.checkin.region") });
  const label = el("label", { id: "checkin-label", for: "checkin-goal" }, t("engagement.checkin.question"));
  const input = el("textarea", { id: "checkin-goal", rows: "2", maxlength: String(GOAL_MAX), placeholder: t("engagement.checkin.placeholder") });
  // Who reads it is said by the choice itself, beside the buttons: the card stays small, so it
  // takes little of the call's height.
  const shareLabel = el("label", { class: "checkin-share" });
  const share = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: "checkin-share" }));
  shareLabel.append(share, document.createTextNode(` ${words(CHECK_IN_SHARE)}`));
  const error = el("p", { class: "checkin-error", role: "alert", hidden: true });
  const actions = el("div", { class: "checkin-actions" });
  const save = el("button", { type: "submit", class: "button button-primary" }, t("engagement.checkin.save"));
  const skip = el("button", { type: "button", class: "button button-secondary" }, t("engagement.checkin.not_now"));
  actions.append(save, skip, shareLabel);
  card.append(label, input, error, actions);
  skip.addEventListener("click", () => {
    remember();
    card.remove();
  });
  card.addEventListener("submit", async (e) => {
    e.preventDefault();
    const goal = input.value.trim();
    const problem = goalProblem(goal);
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      input.focus();
      return;
    }
    save.disabled = true;
    const ack = await checkIn(goal, share.checked);
    save.disabled = false;
    if (ack.ok) {
      remember();
      card.replaceChildren(el("p", { class: "checkin-done", role: "status" }, t("engagement.checkin.saved")));
      setTimeout(() => card.remove(), 2500);
    } else {
      error.textContent = t("engagement.checkin.failed");
      error.hidden = false;
    }
  });
  // In the flow above the stage, not over it: it must not hide the videos or the whiteboard.
  const body = screen.querySelector(".call-body");
  if (body) body.before(card);
  else screen.append(card);
}

export function removeCheckIn() {
  const card = document.getElementById("checkin-card");
  if (card) card.remove();
}
