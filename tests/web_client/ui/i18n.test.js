// The catalogues (web_client/i18n/) and ui/i18n.js: every message is valid ICU, every translation
// uses the same arguments as the English message, plurals follow each language's rules, and the
// language is chosen from the address, the person's choice and the browser, in that order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { IntlMessageFormat } from "../../../web_client/vendor/intl-messageformat.bundle.js";
import { LANGUAGES, PSEUDO, chooseLanguage, t, useCatalogue, formatList } from "../../../web_client/ui/i18n.js";

/** @param {string} code @returns {Record<string, string>} */
const catalogue = (code) => JSON.parse(readFileSync(new URL(`../../../web_client/i18n/${code}.json`, import.meta.url), "utf8"));
const english = catalogue("en");

/** The argument names of an ICU message's AST, recursively. @param {any[]} ast @param {Set<string>} into */
function argumentsOf(ast, into = new Set()) {
  for (const node of ast) {
    if (typeof node.value === "string" && node.type !== 0) into.add(node.value); // 0: literal text
    for (const option of Object.values(node.options || {})) argumentsOf(/** @type {any} */ (option).value, into);
    if (node.children) argumentsOf(node.children, into);
  }
  return into;
}

for (const { code } of LANGUAGES) {
  test(`every ${code} message is valid ICU with the English message's arguments`, () => {
    const messages = catalogue(code);
    for (const [key, source] of Object.entries(messages)) {
      assert.ok(key in english, `${code}: "${key}" is not an English key`);
      const ast = new IntlMessageFormat(source, code).getAst();
      const ours = [...argumentsOf(ast)].sort();
      const theirs = [...argumentsOf(new IntlMessageFormat(english[key], "en").getAst())].sort();
      assert.deepEqual(ours, theirs, `${code}: "${key}" uses {${ours}} where English uses {${theirs}}`);
    }
  });
}

test("Spanish has every English message, and no other", () => {
  assert.deepEqual(Object.keys(catalogue("es")).sort(), Object.keys(english).sort());
});

test("a missing translation falls back to English; the pseudo-language marks every message", () => {
  useCatalogue("es", { "language.label": "Idioma" }, { "language.label": "Language", only: "Only in English" });
  assert.equal(t("language.label"), "Idioma");
  assert.equal(t("only"), "Only in English");
  useCatalogue(PSEUDO, english, english);
  assert.equal(t("language.label"), "⟦Language⟧");
  useCatalogue("en", english, english);
});

test("English shown on a right-to-left page keeps its own order (a left-to-right isolate)", () => {
  useCatalogue("ar", { own: "اللغة" }, { own: "Language", only: "What do you want from this session?" });
  assert.equal(t("own"), "اللغة");
  assert.equal(t("only"), "\u2066What do you want from this session?\u2069");
  assert.equal(t("only"), "\u2066What do you want from this session?\u2069"); // from the cache too
  useCatalogue("es", {}, { only: "Only in English" });
  assert.equal(t("only"), "Only in English"); // left to right: nothing to isolate
  useCatalogue("en", english, english);
});

test("plurals follow each language's rules", () => {
  const people = "{count, plural, zero {no one} one {# person} two {two people} few {# people (few)} many {# people (many)} other {# people}}";
  useCatalogue("ar", { k: people }, { k: people });
  assert.deepEqual([0, 1, 2, 3, 11, 100].map((count) => t("k", { count })),
    ["no one", "1 person", "two people", "3 people (few)", "11 people (many)", "100 people"].map((s) => s.replace(/\d+/, (d) => new Intl.NumberFormat("ar").format(Number(d)))));
  useCatalogue("en", { k: people }, { k: people });
  assert.deepEqual([0, 1, 2].map((count) => t("k", { count })), ["0 people", "1 person", "2 people"]);
  useCatalogue("es", english, english);
  assert.equal(formatList(["Ana", "Luis", "Marta"]), "Ana, Luis y Marta");
  useCatalogue("en", english, english);
});

test("the language comes from the address, then the person's choice, then the browser", () => {
  assert.equal(chooseLanguage({ query: "es", stored: "ar", browser: ["en-GB"] }), "es");
  assert.equal(chooseLanguage({ query: "xx", stored: "ar", browser: ["en-GB"] }), "ar");
  assert.equal(chooseLanguage({ browser: ["fr-FR", "es-MX", "en"] }), "es");
  assert.equal(chooseLanguage({ browser: ["fr-FR", "de"] }), "en");
  assert.equal(chooseLanguage({ query: PSEUDO }), PSEUDO);
});
