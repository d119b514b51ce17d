// The programme console's one way to the server: every call carries the admin key, and an answer
// that is not 2xx becomes an ApiError with the server's stable code (docs/PROGRAMMES.md: errors
// are `{"error": {"code", "message"}}`; an import's row errors come beside it in the same body).
// No DOM here: unit-tested in Node with a fake fetch.

import { t } from "../ui/i18n.js";

export class ApiError extends Error {
  /**
   * @param {number} status  the HTTP status (0 when the server could not be reached)
   * @param {string} code  the server's code, or `http_<status>` / `unreachable`
   * @param {string} message
   * @param {any} [body]  the whole JSON answer, for the fields beside `error` (an import's `rows`)
   */
  constructor(status, code, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/**
 * @typedef {{query?: Record<string, string | number | null | undefined>, json?: unknown, csv?: string}} RequestOptions
 * @typedef {(input: string, init: RequestInit) => Promise<Response>} FetchLike
 */

/** `?a=1&b=2` of the values that are set ("" and null are left out). @param {RequestOptions["query"]} [params] */
export function queryString(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : "";
}

/** One path segment, escaped (ids are opaque). @param {string} id */
export const seg = (id) => encodeURIComponent(id);

export class Api {
  /**
   * @param {() => string | null} key  the admin key of this tab
   * @param {{fetch?: FetchLike, onUnauthorized?: () => void}} [options]
   */
  constructor(key, options = {}) {
    this.key = key;
    this.fetch = options.fetch || ((input, init) => fetch(input, init));
    this.onUnauthorized = options.onUnauthorized || (() => {});
  }

  /**
   * The raw answer of a call that succeeded; otherwise an ApiError.
   * @param {string} method @param {string} path @param {RequestOptions} [options]
   * @returns {Promise<Response>}
   */
  async request(method, path, options = {}) {
    /** @type {Record<string, string>} */
    const headers = { Authorization: "Bearer " + (this.key() || "") };
    /** @type {string | undefined} */
    let body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.csv !== undefined) {
      headers["Content-Type"] = "text/csv; charset=utf-8";
      body = options.csv;
    }
    let res;
    try {
      res = await this.fetch(path + queryString(options.query), { method, headers, body, cache: "no-store" });
    } catch (err) {
      throw new ApiError(0, "unreachable", "Tandem could not be reached. Check the connection and try again.");
    }
    if (res.ok) return res;
    /** @type {any} */
    let parsed = null;
    try {
      parsed = await res.json();
    } catch (err) {
      parsed = null;
    }
    const error = (parsed && typeof parsed === "object" && parsed.error) || {};
    if (res.status === 401) this.onUnauthorized();
    throw new ApiError(res.status, String(error.code || `http_${res.status}`), String(error.message || res.statusText || ""), parsed);
  }

  /** @param {string} method @param {string} path @param {RequestOptions} [options] @returns {Promise<any>} */
  async json(method, path, options) {
    return (await this.request(method, path, options)).json();
  }

  /** @param {string} path @param {RequestOptions["query"]} [query] */
  get(path, query) {
    return this.json("GET", path, { query });
  }

  /** @param {string} path @param {unknown} [body] */
  post(path, body = {}) {
    return this.json("POST", path, { json: body });
  }

  /** @param {string} path @param {unknown} body */
  put(path, body) {
    return this.json("PUT", path, { json: body });
  }

  /** @param {string} path */
  del(path) {
    return this.json("DELETE", path);
  }
}

/**
 * What to show for an error: the server's message (as the server words it), and its code for
 * support; the page's own words where the server could not be reached or said nothing.
 * @param {unknown} err
 */
export function errorText(err) {
  if (err instanceof ApiError) {
    if (!err.status) return t("admin.errors.unreachable");
    return t("admin.errors.refused", { message: err.message || t("admin.errors.refused_plain"), code: err.code });
  }
  return t("admin.errors.page");
}
