// What the programme feature asks the server, over HTTP (the answer to the fit question is sent
// after leaving, when the socket is closed): `POST /api/mine` and `POST /api/fit`. The join token
// (and, for an answer, the resume credential) is the credential.

/** @typedef {(url: string, init: RequestInit) => Promise<{status: number, json?: () => Promise<any>}>} FetchFn */

/**
 * @param {FetchFn} fetchFn @param {string} url @param {object} body
 * @returns {Promise<{status: number, body: any}>}  status 0 when Tandem could not be reached
 */
async function post(fetchFn, url, body) {
  let res;
  try {
    res = await fetchFn(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    return { status: 0, body: null };
  }
  const json = res.json ? await res.json().catch(() => null) : null;
  return { status: res.status, body: json };
}

/**
 * What this personal link may know of its own person (docs/PROGRAMMES.md, "What a personal link
 * sees"): the body on 200, null otherwise (403: not a personal link; 404: not a programme's).
 * @param {FetchFn} fetchFn @param {string} token
 * @returns {Promise<{status: number, body: any}>}
 */
export async function fetchMine(fetchFn, token) {
  const answer = await post(fetchFn, "/api/mine", { token });
  return { status: answer.status, body: answer.status === 200 ? answer.body : null };
}

/**
 * Answer "is this a good fit?". Resolves with the HTTP status and the error code (if any).
 * @param {FetchFn} fetchFn
 * @param {{token: string, resume: string, answer: import("./state.js").FitAnswer}} fit
 * @returns {Promise<{status: number, code: string | null}>}
 */
export async function sendFit(fetchFn, { token, resume, answer }) {
  const res = await post(fetchFn, "/api/fit", { token, resume, answer });
  const error = res.status >= 400 && res.body && res.body.error;
  return { status: res.status, code: (error && typeof error.code === "string" && error.code) || null };
}
