// The session link's join token. A link is `/s/<session id>#token=…`; left in the address bar,
// the token could be read off a shared screen or a screenshot and would stay in the browser's
// history (a shared family computer). So once the page has read it, the page keeps it for this
// tab only (sessionStorage `tandem:link:<session id>`: a reload, the back and forward buttons
// and a duplicated tab find it there) and puts the address without it in place of the link
// (`history.replaceState`: no new history entry, and no `hashchange`). Where the tab's storage
// is refused the address keeps the token, or a reload could not come back. A dead link drops
// the kept token with the rest of what was saved through it.

import { tabStore } from "../ui/storage.js";

const PREFIX = "tandem:link:";

/**
 * The session id of a page address `/s/<session id>`, or null.
 * @param {string} pathname
 */
export function sessionIdFrom(pathname) {
  const match = /^\/s\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch (e) {
    return null; // a broken escape (a link cut short): no session, said in words by the page
  }
}

/**
 * The token of a link's fragment (`#token=…`), or null.
 * @param {string} hash
 */
export function tokenFrom(hash) {
  return new URLSearchParams(hash.replace(/^#/, "")).get("token") || null;
}

/**
 * The same address without the token: the path, the query (`?lang=`) and whatever else the
 * fragment held.
 * @param {{pathname: string, search: string, hash: string}} address
 */
export function addressWithoutToken({ pathname, search, hash }) {
  const rest = new URLSearchParams(hash.replace(/^#/, ""));
  rest.delete("token");
  const fragment = rest.toString();
  return `${pathname}${search}${fragment ? `#${fragment}` : ""}`;
}

/**
 * Reads the link: the token from the address, else the one this tab kept for the session.
 * A token from the address is kept for the tab and taken out of the address bar.
 * @param {{pathname: string, search: string, hash: string}} address  `location`
 * @param {{replaceState(data: any, unused: string, url: string): void, state: any}} history
 * @param {Storage | null} storage  the tab's (sessionStorage), null where refused
 * @returns {{sessionId: string | null, token: string | null}}
 */
export function takeLink(address, history, storage) {
  const sessionId = sessionIdFrom(address.pathname);
  const fromAddress = tokenFrom(address.hash);
  if (!sessionId || !storage) return { sessionId, token: fromAddress };
  const key = `${PREFIX}${sessionId}`;
  if (!fromAddress) {
    try {
      return { sessionId, token: storage.getItem(key) };
    } catch (e) {
      return { sessionId, token: null };
    }
  }
  try {
    storage.setItem(key, fromAddress);
  } catch (e) {
    return { sessionId, token: fromAddress }; // not kept: the address keeps it for a reload
  }
  history.replaceState(history.state, "", addressWithoutToken(address));
  return { sessionId, token: fromAddress };
}

/** The link of this page, as `takeLink` reads it. */
export function takePageLink() {
  return takeLink(location, history, tabStore());
}

/** Drops the token this tab kept for the session of this page's address (its link is dead). */
export function forgetPageLink() {
  forgetLink(sessionIdFrom(location.pathname), tabStore());
}

/**
 * Drops the token a tab kept for a session.
 * @param {string | null} sessionId  from the page's address
 * @param {Storage | null} storage  the tab's
 */
export function forgetLink(sessionId, storage) {
  if (!sessionId || !storage) return;
  try {
    storage.removeItem(`${PREFIX}${sessionId}`);
  } catch (e) {
    /* ignore */
  }
}
