// The language chooser: a labelled select of the languages Tandem speaks, each named in itself.
// Choosing one remembers it and shows the page again in that language (ui/i18n.js).

import { el } from "./dom.js";
import { LANGUAGES, PSEUDO, chooseAndReload, languageCode, t } from "./i18n.js";

/**
 * A field with the language select; `id` names the select for its label.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function languagePicker(id) {
  const field = el("div", { class: "language-picker" });
  const label = el("label", { for: id }, t("language.label"));
  const select = el("select", { id, autocomplete: "off" });
  const chosen = languageCode();
  for (const language of LANGUAGES) {
    // Each name is in its own language and script, marked so that a screen reader reads it so.
    const option = el("option", { value: language.code, lang: language.code, dir: language.dir, translate: "no" }, language.name);
    option.selected = language.code === chosen;
    select.append(option);
  }
  if (chosen === PSEUDO) select.append(el("option", { value: PSEUDO, selected: true, translate: "no" }, PSEUDO));
  select.addEventListener("change", () => chooseAndReload(select.value));
  field.append(label, select);
  return field;
}
