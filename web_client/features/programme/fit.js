// "Is this a good fit?" on the message screen after the pair's first session: three answers in a
// labelled group and "Skip", with who sees the answer said first. The outcome is read out from a
// polite status line that is on the page from the start (a live region added already filled is
// often not read).

import { el, focusElement } from "../../ui/dom.js";
import { messageCard, onMessageReplaced } from "../../screens/message.js";
import { t } from "../../ui/i18n.js";
import { fitAnswers, fitOutcome, fitPrivacy, fitQuestion } from "./state.js";

/**
 * @param {object} fit
 * @param {string | null} fit.role  the asking person's, for who is not told
 * @param {(answer: import("./state.js").FitAnswer) => Promise<{status: number, code: string | null}>} fit.send
 * @param {() => void} fit.remember  answered or skipped: not asked again on this browser
 */
export function showFit({ role, send, remember }) {
  const card = messageCard();
  if (card.querySelector("#fit-question")) return;
  const section = el("section", { id: "fit-question", class: "fit-question", "aria-labelledby": "fit-title" });
  const title = el("h2", { id: "fit-title" }, fitQuestion());
  const intro = el("p", { id: "fit-intro", class: "fit-intro" }, t("programme.fit.intro"));
  const privacy = el("p", { id: "fit-privacy", class: "fit-privacy" }, fitPrivacy(role));
  const group = el("div", { role: "group", class: "fit-choices", "aria-labelledby": "fit-title", "aria-describedby": "fit-intro fit-privacy" });
  const skip = el("button", { type: "button", class: "button fit-skip" }, t("programme.fit.skip"));
  const status = el("p", { id: "fit-status", class: "fit-status", role: "status" });
  const buttons = fitAnswers().map(({ value, label }) => {
    const b = el("button", { type: "button", class: "button fit-choice", "data-answer": value }, label);
    b.addEventListener("click", () => answer(value, label));
    return b;
  });
  group.append(...buttons);

  /** @param {boolean} busy */
  function setBusy(busy) {
    for (const b of [...buttons, skip]) b.disabled = busy;
  }

  /** @param {string} text */
  function finish(text) {
    remember();
    group.remove();
    skip.remove();
    status.textContent = text;
    focusElement(status);
  }

  /** @param {import("./state.js").FitAnswer} value @param {string} label */
  async function answer(value, label) {
    setBusy(true);
    status.textContent = t("programme.fit.sending");
    const outcome = fitOutcome(await send(value), label);
    if (outcome.done) finish(outcome.text);
    else {
      setBusy(false);
      status.textContent = outcome.text;
    }
  }

  skip.addEventListener("click", () => finish(t("programme.fit.skipped")));
  section.append(title, intro, privacy, group, skip, status);
  card.append(section);
  // Another message (a refusal, a rejoin) replaces this screen: the question goes with it.
  onMessageReplaced(() => section.remove());
}
