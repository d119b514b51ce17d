// The breakout words in Spanish: counts follow Spanish plural rules through the catalogue.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { useCatalogue } from "../../../../web_client/ui/i18n.js";
import { agoText, clockInfo, peopleCount, warningNotice } from "../../../../web_client/features/breakouts/state.js";

const load = (code) => JSON.parse(readFileSync(new URL(`../../../../web_client/i18n/${code}.json`, import.meta.url), "utf8"));
const english = load("en");
useCatalogue("es", load("es"), english);
after(() => useCatalogue("en", english, english));

test("the last-minute warning, people and minutes ago are Spanish plurals", () => {
  assert.equal(warningNotice(60), "Queda alrededor de 1 minuto en las salas de grupos.");
  assert.equal(warningNotice(150), "Quedan alrededor de 3 minutos en las salas de grupos.");
  assert.equal(peopleCount(1), "1 persona");
  assert.equal(peopleCount(0), "0 personas");
  assert.equal(agoText(10), "ahora mismo");
  assert.equal(agoText(60), "hace 1 minuto");
  assert.equal(agoText(300), "hace 5 minutos");
});

test("the clock keeps the digits and says the rest in Spanish", () => {
  const round = { state: "open", ends_at: 1600, opened_at: 1000, rooms: [], help: [] };
  assert.equal(clockInfo(round, 1525).text, "Quedan 1:15");
  assert.equal(clockInfo({ ...round, ends_at: 6000 }, 1000).text, "Quedan 1 h y 23 min");
});
