"""Every user-facing string of the pages comes from the language catalogues (web_client/i18n/).

Static checks, file by file: the HTML pages' text and labelling attributes are marked for
translation (``data-i18n``, ``data-i18n-attr``) or are not language (``translate="no"``); the
JavaScript holds no English prose or labels outside the catalogue; every key the code uses is in
the English catalogue and every English key is used; Spanish is complete; Arabic covers the join
page and the call bar. tests/e2e/test_languages.py checks the rendered pages the same way, in the
pseudo-language that marks every catalogue message."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "web_client"
I18N = CLIENT / "i18n"
PAGES = sorted(CLIENT.glob("*.html"))
SKIP_DIRS = {"vendor", "tools", "i18n", "node_modules"}
# test_hooks.js speaks to tests only.
SKIP_FILES = {CLIENT / "test_hooks.js"}
SCRIPTS = sorted(
    p for p in CLIENT.rglob("*.js")
    if not SKIP_DIRS & set(p.relative_to(CLIENT).parts) and p not in SKIP_FILES
)
LABEL_ATTRS = ("aria-label", "title", "placeholder", "alt", "aria-valuetext",
               "aria-roledescription", "aria-description")
# Arabic proves the right-to-left layout on the join page and the call bar: these must be complete.
ARABIC_SCOPE = ("language.", "join.", "controls.", "message.", "errors.")
LETTER = re.compile(r"[^\W\d_]")


def catalogue(code: str) -> dict[str, str]:
    data = json.loads((I18N / f"{code}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and all(isinstance(v, str) for v in data.values())
    return data


def rel(path: Path) -> str:
    return str(path.relative_to(CLIENT))


class _PageText(HTMLParser):
    """Text and labelling attributes of a page that are neither marked for translation nor
    `translate="no"`."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, text is translated, not language)
        self.problems: list[str] = []
        self.keys: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        off = (bool(self.stack) and self.stack[-1][2]) or a.get("translate") == "no" or tag in (
            "script", "style")
        if "data-i18n" in a:
            self.keys.add(a["data-i18n"])
        marked_attrs = {}
        for pair in a.get("data-i18n-attr", "").split(";"):
            if ":" in pair:
                name, key = (s.strip() for s in pair.split(":", 1))
                marked_attrs[name] = key
                self.keys.add(key)
        for name in LABEL_ATTRS:
            if name in a and LETTER.search(a[name]) and name not in marked_attrs and not off:
                self.problems.append(f'line {self.getpos()[0]}: <{tag} {name}="{a[name]}">')
        if tag in self.VOID:
            return
        self.stack.append((tag, "data-i18n" in a, off))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not LETTER.search(data) or not self.stack:
            return
        tag, translated, off = self.stack[-1]
        if not translated and not off:
            self.problems.append(f"line {self.getpos()[0]}: <{tag}> {data.strip()[:60]!r}")


def page_text(path: Path) -> _PageText:
    parser = _PageText()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


# English in the code: prose (a capital letter, words and a space, or a sentence's end), and labels
# given as literals to the DOM.
_STRING = r"""("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)"""
_PROSE = re.compile(r"^[A-Z][a-z’']*(?:[ ,][^ ]+)+$|^[A-Z][a-z’' ]+[.!?…:]$")
_LABEL_SINKS = re.compile(
    r"""(?:\.(?:textContent|innerText|title|placeholder|label|ariaLabel)\s*=\s*"""
    r"""|setAttribute\(\s*["'](?:""" + "|".join(LABEL_ATTRS) + r""")["']\s*,\s*"""
    r"""|["']?(?:""" + "|".join(LABEL_ATTRS) + r""")["']?\s*:\s*"""
    r"""|\b(?:announce|toast|showBanner|announceAssertive)\(\s*)""" + _STRING
)
_EL_TEXT = re.compile(
    r"""\bel\(\s*["'][a-z0-9]+["']\s*,\s*(?:\{[^{}]*\}|null|undefined)\s*,\s*""" + _STRING)
_DEVELOPER = re.compile(r"\b(?:console\.\w+|new (?:\w*Error)|throw|assert)\b|i18n: ")
_COMMENT = re.compile(r"^\s*(?://|\*|/\*)")


def _english(literal: str) -> bool:
    """Words in a literal given to the DOM (a value in `${}` counts as no word)."""
    return bool(LETTER.search(re.sub(r"\$\{[^}]*\}", "0", literal[1:-1])))


def english_in_script(path: Path) -> list[str]:
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _COMMENT.match(line) or _DEVELOPER.search(line):
            continue
        found = [m.group(1) for m in _LABEL_SINKS.finditer(line)]
        found += [m.group(1) for m in _EL_TEXT.finditer(line)]
        found += [m.group(1) for m in re.finditer(_STRING, line)
                  if _PROSE.match(re.sub(r"\$\{[^}]*\}", "x", m.group(1)[1:-1]).strip())]
        for literal in dict.fromkeys(found):
            if _english(literal):
                problems.append(f"line {number}: {literal[:70]}")
    return problems


# t("key"), and refusedWords(error, "key") (ui/wording.js: the key is its fallback).
_T_CALL = re.compile(r"""\b(?:t\(|refusedWords\([^,()]+,)\s*(["'])([a-z0-9_.-]+)\1""")
_T_DYNAMIC = re.compile(r"""\bt\(\s*`([a-z0-9_.-]+)\$\{""")


def keys_in_code() -> tuple[set[str], set[str]]:
    """(keys used literally, prefixes of keys built at run time) in the scripts and pages."""
    used: set[str] = set()
    prefixes: set[str] = set()
    for path in SCRIPTS:
        text = path.read_text(encoding="utf-8")
        used |= {m.group(2) for m in _T_CALL.finditer(text)}
        prefixes |= {m.group(1) for m in _T_DYNAMIC.finditer(text)}
        # Keys held in tables: "i18n:key" strings name catalogue keys that code passes to t().
        used |= set(re.findall(r"""["']i18n:([a-z0-9_.-]+)["']""", text))
    for page in PAGES:
        used |= page_text(page).keys
    return used, prefixes


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_page_text_is_marked_for_translation(page: Path) -> None:
    problems = page_text(page).problems
    assert not problems, f"{rel(page)}: text not marked for translation:\n" + "\n".join(problems)


@pytest.mark.parametrize("script", SCRIPTS, ids=rel)
def test_script_has_no_english_outside_the_catalogue(script: Path) -> None:
    problems = english_in_script(script)
    assert not problems, (
        f"{rel(script)}: words for people belong in web_client/i18n/en.json, through t():\n"
        + "\n".join(problems))


def test_every_key_used_is_in_the_english_catalogue_and_every_key_is_used() -> None:
    english = catalogue("en")
    used, prefixes = keys_in_code()
    missing = sorted(used - english.keys())
    assert not missing, f"keys used but not in en.json: {missing}"
    unused = sorted(k for k in english if k not in used and not k.startswith(tuple(prefixes)))
    assert not unused, f"keys in en.json that nothing uses: {unused}"


def test_spanish_is_complete_and_arabic_covers_the_join_page_and_call_bar() -> None:
    english = catalogue("en")
    spanish = catalogue("es")
    assert spanish.keys() == english.keys(), (
        f"missing in es.json: {sorted(english.keys() - spanish.keys())}; "
        f"not in en.json: {sorted(spanish.keys() - english.keys())}")
    untranslated = sorted(k for k, v in spanish.items()
                          if v == english[k] and LETTER.search(v) and len(v) > 3)
    # Words that Spanish and English share ("Chat", "Tandem") are listed here, each checked.
    assert set(untranslated) <= SAME_IN_SPANISH, f"es.json still in English: {untranslated}"
    arabic = catalogue("ar")
    assert arabic.keys() <= english.keys(), sorted(arabic.keys() - english.keys())
    scope = {k for k in english if k.startswith(ARABIC_SCOPE)}
    assert not scope - arabic.keys(), f"missing in ar.json: {sorted(scope - arabic.keys())}"


# Keys whose Spanish is the same as the English, by design.
SAME_IN_SPANISH: set[str] = {
    "admin.matching.pairs.column_mentor",  # "Mentor" (a column heading) is Spanish too
    "admin.people.role_mentor",  # "Mentor" (mentor and mentora alike)
    "app.name",  # Tandem, the product's name
    "app.page_title",  # "{title} · Tandem"
    "app.role.mentor",  # "mentor" in both
    "chat.heading",  # "Chat" in both
    "grid.role_suffix",  # ", {role}"
    "grid.tile_label",  # "{name}, {role}"
}


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """The scanners are not blind: each kind of untranslated text is found."""
    script = tmp_path / "x.js"
    script.write_text(
        'node.textContent = "Raise hand";\n'
        'const b = el("button", { class: "x" }, "Leave");\n'
        'b.setAttribute("aria-label", "Mute microphone");\n'
        'announce(`${name} joined the call`);\n'
        'const ok = el("p", {}, t("chat.empty"));\n'
        'console.error("Not for people");\n')
    found = english_in_script(script)
    assert [p.split(":")[0] for p in found] == ["line 1", "line 2", "line 3", "line 4"], found
    page = tmp_path / "x.html"
    page.write_text('<p>Hello</p><p data-i18n="a.b">Hi</p><b translate="no">Tandem</b>'
                    '<input aria-label="Name">'
                    '<input aria-label="N" data-i18n-attr="aria-label:a.c">')
    parsed = page_text(page)
    assert len(parsed.problems) == 2 and parsed.keys == {"a.b", "a.c"}, parsed.problems


@pytest.mark.parametrize("code", ["en", "es", "ar"])
def test_catalogues_are_kept_sorted_so_that_changes_merge(code: str) -> None:
    """One key a line, sorted: two changes that add different keys merge without a conflict.
    To put a catalogue in this form: python scripts/sort_catalogues.py"""
    path = I18N / f"{code}.json"
    text = path.read_text(encoding="utf-8")
    assert text == canonical(json.loads(text)), (
        f"run python scripts/sort_catalogues.py ({path.name})")


def canonical(data: dict[str, str]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_every_error_code_of_the_protocol_is_in_words() -> None:
    """The server's stable error codes (docs/PROTOCOL.md, "Error codes") are what the pages
    translate: each has a message in the catalogue, so no page shows the server's English."""
    table = (ROOT / "docs" / "PROTOCOL.md").read_text().split("### Error codes", 1)[1]
    codes = set(re.findall(r"^\| `([a-z_]+)` \|", table.split("\n## ", 1)[0], flags=re.M))
    assert len(codes) > 30, codes
    english = catalogue("en")
    missing = sorted(c for c in codes if f"errors.{c}.body" not in english)
    assert not missing, f"error codes without words (errors.<code>.body in en.json): {missing}"
