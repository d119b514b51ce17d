// Human wording for everything that can stop someone from joining or staying in a session.
// Each entry says what happened and what the person can do about it. The server's stable error
// codes (docs/PROTOCOL.md) are the keys; the code itself is shown only in small print for support.

const COORDINATOR = "your programme coordinator";

/** @type {Record<string, {title: string, body: string}>} */
export const REFUSALS = {
  token_missing: {
    title: "This link is incomplete",
    body: `The link you opened is missing part of its address. Open the full link from your invitation again, or ask ${COORDINATOR} to send it again.`,
  },
  token_invalid: {
    title: "This link doesn't work",
    body: `The link may have been copied only in part or changed by mistake. Open the link from your invitation again, or ask ${COORDINATOR} for a new one.`,
  },
  token_expired: {
    title: "This link has expired",
    body: `Join links only work for a limited time. Ask ${COORDINATOR} for a new one.`,
  },
  session_not_found: {
    title: "We couldn't find this session",
    body: `It may have been removed, or the link is wrong. Check with ${COORDINATOR}.`,
  },
  session_ended: {
    title: "This session has ended",
    body: `Nobody can join it any more. If you expected it to be running, contact ${COORDINATOR}.`,
  },
  session_full: {
    title: "This session is full",
    body: "It already has as many people as it can hold. Wait until someone leaves and try again, or contact " + `${COORDINATOR}.`,
  },
  not_allowed: {
    title: "That isn't possible with this link",
    body: `Your link does not allow this. Ask ${COORDINATOR} if you need a different kind of link.`,
  },
  session_locked: {
    title: "This session is locked",
    body: `The mentor is not letting anyone new in right now. Try again later, or contact ${COORDINATOR}.`,
  },
  link_revoked: {
    title: "This link no longer works",
    body: `The programme's organisers withdrew this link. Ask ${COORDINATOR} for a new one if you should still take part.`,
  },
  too_many_connections: {
    title: "This session is already open elsewhere",
    body: "Your link is in use in other tabs or devices. Close one of them and try again.",
  },
  rate_limited: {
    title: "Too many attempts",
    body: "Please wait a few seconds and try again.",
  },
};

/**
 * What to tell the person about a refusal.
 * @param {string} code
 * @param {string} [serverMessage]
 * @returns {{title: string, body: string, code: string}}
 */
export function refusal(code, serverMessage) {
  const known = REFUSALS[code];
  if (known) return { ...known, code };
  return {
    title: "Something went wrong",
    body: (serverMessage ? serverMessage + " " : "") + `Please try again in a moment. If it keeps happening, contact ${COORDINATOR}.`,
    code,
  };
}

export const NETWORK = {
  title: "We can't reach Tandem",
  body: "Check that you are connected to the internet, then try again.",
};

/** @type {Record<string, string>} */
export const ROLE_NAMES = {
  mentor: "mentor",
  mentee: "mentee",
  observer: "observer",
  admin: "host",
  captioner: "captioner",
};

/** @param {string} role */
export function roleSentence(role) {
  const name = ROLE_NAMES[role] || role;
  const article = /^[aeiou]/i.test(name) ? "an" : "a";
  if (role === "observer") {
    return `You are joining as an observer: you can watch, listen and chat. Your camera and microphone stay off.`;
  }
  if (role === "captioner") {
    return `You are joining as a captioner: you listen and type captions for the people speaking. Your camera and microphone stay off.`;
  }
  return `You are joining as ${article} ${name}.`;
}

// What to tell someone whose camera or microphone could not be used, from the DOMException name.
/**
 * @param {"audio" | "video" | "both"} kind
 * @param {unknown} error  the DOMException of getUserMedia
 */
export function mediaProblem(kind, error) {
  const what = kind === "both" ? "your camera and microphone" : kind === "video" ? "your camera" : "your microphone";
  const name = error && typeof error === "object" && "name" in error ? error.name : undefined;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return `Your browser is blocking ${what}. To allow it, click the camera icon or the padlock in the address bar, choose "Allow", then press "Try again".`;
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return `We couldn't find ${what}. Check that it is plugged in and switched on, then press "Try again".`;
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return `${capitalise(what)} seems to be in use by another program (for example another video call). Close it, then press "Try again".`;
  }
  if (name === "TypeError" || !navigator.mediaDevices) {
    return `This browser can't use ${what} on this page. Try an up-to-date Chrome, Edge, Firefox or Safari.`;
  }
  return `We couldn't start ${what}. Press "Try again", or join without it.`;
}

/** @param {string} s */
function capitalise(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
