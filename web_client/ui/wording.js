// Human wording for everything that can stop someone from joining or staying in a session.
// Each entry says what happened and what the person can do about it. The server's stable error
// codes (docs/PROTOCOL.md) are the catalogue's keys (`errors.<code>.title` / `.body`); the code
// itself is shown only in small print for support. A code the catalogue does not know gets the
// generic message, its code still in small print.

import { el } from "./dom.js";
import { PSEUDO, PSEUDO_CLOSE, PSEUDO_OPEN, hasMessage, languageCode, t } from "./i18n.js";

/**
 * Whether the catalogue has words for this error code.
 * @param {string} code
 */
export function knownError(code) {
  return /^[a-z0-9_]+$/.test(code) && hasMessage(`errors.${code}.title`);
}

/**
 * What to tell the person about a refusal (the server's own message is English and for
 * developers: it is not shown).
 * @param {string} code
 * @returns {{title: string, body: string, code: string}}
 */
export function refusal(code) {
  if (knownError(code)) return { title: t(`errors.${code}.title`), body: t(`errors.${code}.body`), code };
  return { title: t("errors.generic.title"), body: t("errors.generic.body"), code };
}

/**
 * One sentence for a refused command in the call (an alert line): the code's words, or the
 * generic sentence with the code.
 * @param {{code: string, message?: string} | null | undefined} error
 */
export function errorText(error) {
  const code = (error && error.code) || "unknown";
  if (knownError(code)) return t(`errors.${code}.body`);
  return t("errors.generic.in_call", { code });
}

/**
 * A refused command in words: the message of its error code (docs/PROTOCOL.md, "Error codes"),
 * or the feature's own words (`fallbackKey`) for a code the catalogue lacks. The server's own
 * message is English and for developers: it is never shown.
 * @param {{code?: string} | null | undefined} error
 * @param {string} fallbackKey
 */
export function refusedWords(error, fallbackKey) {
  const code = error && error.code;
  return code && knownError(code) ? t(`errors.${code}.body`) : t(fallbackKey);
}

/** The page cannot reach the server. */
export function network() {
  return { title: t("errors.network.title"), body: t("errors.network.body") };
}

/**
 * A role as a word (lower case, for lists and small print): "mentor", "mentee"...
 * @param {string} role
 */
export function roleName(role) {
  switch (role) {
    case "mentor": return t("app.role.mentor");
    case "mentee": return t("app.role.mentee");
    case "observer": return t("app.role.observer");
    case "admin": return t("app.role.admin");
    case "captioner": return t("app.role.captioner");
    default: return role;
  }
}

/**
 * The roles' words, read when used (the language is chosen before anything reads them).
 * @type {Record<string, string>}
 */
export const ROLE_NAMES = {
  get mentor() { return roleName("mentor"); },
  get mentee() { return roleName("mentee"); },
  get observer() { return roleName("observer"); },
  get admin() { return roleName("admin"); },
  get captioner() { return roleName("captioner"); },
};

/** @param {string} role */
export function roleSentence(role) {
  return t("join.role_sentence", { role: ["mentor", "mentee", "observer", "admin", "captioner"].includes(role) ? role : "other" });
}

/**
 * A message whose typed values (names, titles) each sit in a <bdi>, so that a name in another
 * script does not reorder the words around it (right-to-left pages), for `replaceChildren`.
 * @param {(values: Record<string, string>) => string} format  the message, given the typed values (as markers)
 * @param {Record<string, string>} typed  values as people typed them
 * @returns {(string | HTMLElement)[]}
 */
export function withTyped(format, typed) {
  /** @type {Record<string, string>} */
  const all = {};
  const names = Object.keys(typed);
  names.forEach((name, i) => {
    all[name] = `\uE000${i}\uE001`;
  });
  let text = format(all);
  // In the tests' pseudo-language each piece of words keeps its own ⟦ ⟧, as it is its own text.
  const pseudo = languageCode() === PSEUDO && text.startsWith(PSEUDO_OPEN) && text.endsWith(PSEUDO_CLOSE);
  if (pseudo) text = text.slice(PSEUDO_OPEN.length, -PSEUDO_CLOSE.length);
  /** @type {(string | HTMLElement)[]} */
  const out = [];
  for (const [i, piece] of text.split(/\uE000(\d+)\uE001/).entries()) {
    if (i % 2 === 0) {
      if (piece) out.push(pseudo ? PSEUDO_OPEN + piece + PSEUDO_CLOSE : piece);
    } else {
      out.push(el("bdi", {}, typed[names[Number(piece)]]));
    }
  }
  return out;
}

// What to tell someone whose camera or microphone could not be used, from the DOMException name.
/**
 * @param {"audio" | "video" | "both"} kind
 * @param {unknown} error  the DOMException of getUserMedia
 */
export function mediaProblem(kind, error) {
  const name = error && typeof error === "object" && "name" in error ? error.name : undefined;
  if (name === "NotAllowedError" || name === "SecurityError") return t("join.media.blocked", { kind });
  if (name === "NotFoundError" || name === "OverconstrainedError") return t("join.media.not_found", { kind });
  if (name === "NotReadableError" || name === "AbortError") return t("join.media.busy", { kind });
  if (name === "TypeError" || !navigator.mediaDevices) return t("join.media.unsupported", { kind });
  return t("join.media.failed", { kind });
}
