import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Api, ApiError, errorText, queryString } from "../../../web_client/admin/api.js";

/** A fetch that answers from a list and records what was asked. */
function fakeFetch(answers) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, ...init });
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return next;
  };
  return { fn, calls };
}

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

test("every call carries the key; a JSON body is sent as JSON", async () => {
  const f = fakeFetch([json(201, { id: "c1" })]);
  const api = new Api(() => "k".repeat(20), { fetch: f.fn });
  assert.deepEqual(await api.post("/api/cohorts", { programme: "P", name: "N" }), { id: "c1" });
  assert.equal(f.calls[0].method, "POST");
  assert.equal(f.calls[0].headers.Authorization, `Bearer ${"k".repeat(20)}`);
  assert.equal(f.calls[0].headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(f.calls[0].body), { programme: "P", name: "N" });
});

test("a CSV body goes as text/csv, as it is", async () => {
  const f = fakeFetch([json(200, { created: 1, updated: 0 })]);
  const api = new Api(() => "key", { fetch: f.fn });
  await api.json("POST", "/api/cohorts/c1/import", { csv: "name,email,role\r\nA,a@x.org,mentor\r\n" });
  assert.match(f.calls[0].headers["Content-Type"], /^text\/csv/);
  assert.equal(f.calls[0].body, "name,email,role\r\nA,a@x.org,mentor\r\n");
});

test("a refusal becomes an ApiError with the server's code, message and whole body", async () => {
  const rows = [{ row: 1, column: "email", code: "invalid_email", message: "Give an email address." }];
  const f = fakeFetch([json(400, { error: { code: "import_failed", message: "Nothing was imported." }, rows })]);
  const api = new Api(() => "key", { fetch: f.fn });
  await assert.rejects(api.json("POST", "/x", { csv: "x" }), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 400);
    assert.equal(err.code, "import_failed");
    assert.equal(err.message, "Nothing was imported.");
    assert.deepEqual(err.body.rows, rows);
    assert.equal(errorText(err), "Nothing was imported. (import_failed)");
    return true;
  });
});

test("an answer that is not JSON still gives a code; 401 tells the page", async () => {
  let told = 0;
  const f = fakeFetch([new Response("nope", { status: 401, statusText: "Unauthorized" })]);
  const api = new Api(() => "bad", { fetch: f.fn, onUnauthorized: () => { told += 1; } });
  await assert.rejects(api.get("/api/cohorts"), (err) => err.code === "http_401" && err.status === 401);
  assert.equal(told, 1);
});

test("a network failure is an ApiError of status 0", async () => {
  const f = fakeFetch([new TypeError("Failed to fetch")]);
  const api = new Api(() => "key", { fetch: f.fn });
  await assert.rejects(api.get("/api/cohorts"), (err) => err.status === 0 && err.code === "unreachable");
  assert.equal(errorText(new ApiError(0, "unreachable", "")), "Tandem could not be reached. Check the connection and try again.");
  assert.equal(errorText(new ApiError(500, "http_500", "")), "The server refused. (http_500)");
  assert.equal(errorText(new Error("bug")), "Something went wrong on this page. Reload it and try again.");
});

test("the query leaves out empty values", async () => {
  assert.equal(queryString({ after: null, limit: 50, q: "" }), "?limit=50");
  assert.equal(queryString({}), "");
  const f = fakeFetch([json(200, { entries: [] })]);
  await new Api(() => "key", { fetch: f.fn }).get("/api/audit", { after: "e9", limit: 50 });
  assert.equal(f.calls[0].url, "/api/audit?after=e9&limit=50");
});
