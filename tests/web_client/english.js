// The English catalogue, for unit tests of modules that speak through ui/i18n.js `t()`.
// Import this before such a module's functions run.
import { readFileSync } from "node:fs";
import { useCatalogue } from "../../web_client/ui/i18n.js";

const english = JSON.parse(readFileSync(new URL("../../web_client/i18n/en.json", import.meta.url), "utf8"));
useCatalogue("en", english, english);
