// The programme's part of the call page (docs/PROGRAMMES.md): for a personal link of a programme's
// session, `POST /api/mine` once after joining gives a mentor their own mentees' names and goals
// (shown in the people panel), and, asked again after leaving or when the session ends, whether
// to ask "is this a good fit?" after the pair's first session. Nothing for other links.

import { addStylesheet } from "../../ui/dom.js";
import { onMessageReplaced } from "../../screens/message.js";
import { t } from "../../ui/i18n.js";
import { fetchMine, sendFit } from "./commands.js";
import { fitKey, goalsText, mineFrom, shouldAskFit } from "./state.js";
import { showFit } from "./fit.js";

/**
 * @param {object} ctx
 * @param {() => string | null} ctx.token  the page's join token
 * @param {() => boolean} ctx.personal  the link names its person
 * @param {() => string | null} ctx.resume
 * @param {() => string | null} ctx.sessionId
 * @param {() => string | null} ctx.participantId
 * @param {() => string | null} ctx.role
 * @param {(mentees: {name: string, goals: string}[]) => void} ctx.showMentees  in the people panel
 * @param {(text: string) => void} ctx.announce
 */
export function installProgramme({ token, personal, resume, sessionId, participantId, role, showMentees, announce }) {
  addStylesheet("/client/features/programme/programme.css");
  /** @type {Promise<boolean> | null} whether this link is a programme session's personal link */
  let first = null;
  const fetchFn = (/** @type {string} */ url, /** @type {RequestInit} */ init) => fetch(url, init);

  function remembered() {
    try {
      return !!localStorage.getItem(fitKey(sessionId(), participantId()));
    } catch (e) {
      return false;
    }
  }

  function remember() {
    try {
      localStorage.setItem(fitKey(sessionId(), participantId()), "1");
    } catch (e) {
      /* no storage: the server still knows an answer */
    }
  }

  /** @returns {Promise<boolean>} */
  async function fetchFirst() {
    const link = token();
    if (!link || !personal()) return false;
    const answer = await fetchMine(fetchFn, link);
    const mine = mineFrom(answer.body);
    if (!mine) return false;
    if (mine.mentees.length) showMentees(mine.mentees.map((m) => ({ name: m.name, goals: goalsText(m) })));
    return true;
  }

  return {
    /** After every successful join: the first one asks the server. */
    joined() {
      if (!first) first = fetchFirst();
    },
    /** I left, or the session ended: ask the fit question when the server says so. */
    async left() {
      let replaced = false;
      onMessageReplaced(() => {
        replaced = true;
      });
      const link = token();
      const r = resume();
      if (!first || !link || !r || !(await first) || remembered()) return;
      const mine = mineFrom((await fetchMine(fetchFn, link)).body);
      if (replaced || !shouldAskFit({ mine, remembered: false })) return;
      showFit({ role: role(), remember, send: (answer) => sendFit(fetchFn, { token: link, resume: r, answer }) });
      announce(t("programme.fit.announce"));
    },
  };
}
