"""A cohort's people from CSV: all or nothing, every error reported, and back to CSV."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rooms import cohort_import
from rooms.cohort import NEVER_PAIR_MAX, SLOTS_MAX, Person, Profile, Slot
from rooms.cohort_import import (
    CELL_MAX,
    COLUMNS,
    ERROR_PARAMS,
    WEEKDAYS,
    ImportResult,
    RowError,
    parse_people_csv,
    people_csv,
)
from rooms.roles import Role

HEADER = "name,email,role,goals,time_zone,availability,capacity\n"
CLEAN = HEADER + (
    "Ana Ruiz,ana@example.org,Mentor,Public speaking;Careers,Europe/Madrid,"
    "\"Mon 18:00-20:00; wed 09:00-10:30\",2\n"
    "Ben Li,ben@example.org,mentee,Careers,,,\n"
)


def ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"p{next(counter)}"


def parse(text: str, existing: dict[str, Person] | None = None, **kw: int) -> ImportResult:
    return parse_people_csv(text, existing or {}, ids(), **kw)


def codes(result: ImportResult) -> list[tuple[int, str | None, str]]:
    return [(e.row, e.column, e.code) for e in result.errors]


def test_a_clean_file() -> None:
    result = parse(CLEAN)
    assert result.errors == ()
    ana, ben = result.people
    assert (ana.id, ana.name, ana.email, ana.role, ana.capacity) == (
        "p1", "Ana Ruiz", "ana@example.org", Role.MENTOR, 2)
    assert ana.profile.goals == ("Public speaking", "Careers")
    assert ana.profile.time_zone == "Europe/Madrid"
    assert ana.profile.availability == (Slot(0, 18 * 60, 20 * 60), Slot(2, 9 * 60, 10 * 60 + 30))
    assert (ben.id, ben.role, ben.capacity, ben.profile.time_zone) == (
        "p2", Role.MENTEE, 1, "UTC")


def test_every_error_of_every_row_is_reported_and_nothing_imported() -> None:
    text = HEADER + (
        "Ana,ana@example.org,mentor,,Europe/Madrid,Mon 18:00-20:00,1\n"  # fine
        "Ben,not-an-email,teacher,,Mars/Base,Someday 9-10,\n"  # four errors
        "Cy,cy@example.org,mentee,,,Mon 20:00-18:00,3\n"  # two
        ",dee@example.org,mentor,,,,eleven\n"  # two
    )
    result = parse(text)
    assert result.people == ()
    assert codes(result) == [
        (2, "email", "bad_email"), (2, "role", "bad_role"), (2, "time_zone", "bad_time_zone"),
        (2, "availability", "bad_availability"),
        (3, "availability", "bad_availability"), (3, "capacity", "bad_capacity"),
        (4, "name", "missing_value"), (4, "capacity", "bad_capacity"),
    ]
    assert all(e.message for e in result.errors)


def test_header_problems() -> None:
    assert codes(parse("Name,E-mail,role,hobby\nA,a@x.org,mentor,chess\n")) == [
        (0, "e_mail", "unknown_column"), (0, "hobby", "unknown_column"),
        (0, "email", "missing_column")]
    assert codes(parse("")) == [(0, c, "missing_column") for c in ("name", "email", "role")]
    assert codes(parse("name,email,role,name\n")) == [(0, "name", "duplicate_column")]


def test_header_is_case_and_space_insensitive_and_order_free() -> None:
    text = "ROLE, Skills Offered ,Email,Name\nmentor,Python;SQL,a@x.org,Ana\n"
    (ana,) = parse(text).people
    assert ana.profile.skills_offered == ("Python", "SQL") and ana.role is Role.MENTOR


def test_bom_crlf_and_quoted_commas_and_newlines() -> None:
    text = ("\ufeffname,email,role,free_text\r\n"
            "\"Ruiz, Ana\",ana@example.org,mentor,\"Likes maps,\r\nand long walks\"\r\n"
            "Ben,ben@example.org,mentee,\r\n")
    ana, ben = parse(text).people
    assert ana.name == "Ruiz, Ana"
    assert ana.profile.free_text == "Likes maps,\r\nand long walks"
    assert ben.profile.free_text == ""


def test_formula_like_cells_are_data() -> None:
    text = HEADER.replace("goals", "department") + (
        "=Ana,ana@example.org,mentor,+Sales,UTC,,\n@Ben,-ben@example.org,mentee,=1+1,,,\n")
    ana, ben = parse(text).people
    assert (ana.name, ana.profile.department) == ("=Ana", "+Sales")
    assert (ben.name, ben.email, ben.profile.department) == ("@Ben", "-ben@example.org", "=1+1")


def test_a_row_without_id_updates_the_person_with_that_email() -> None:
    old = Person("ana-1", "Ana", Role.MENTOR, "Ana@Example.org")
    result = parse(CLEAN, existing={old.id: old})
    ana, ben = result.people
    assert (ana.id, ana.capacity) == ("ana-1", 2)  # updated, not a new person
    assert ben.id == "p1"  # new_id is only asked for new people


def test_explicit_ids_and_emails_of_others() -> None:
    old = Person("ana-1", "Ana", Role.MENTOR, "ana@example.org")
    text = "id,name,email,role\nx-9,Imposter,ANA@example.org,mentee\nana-1,Ana,,mentor\n"
    # x-9 takes an email that ana-1 keeps (ana-1's row clears its email, so it is free)
    (imposter, ana) = parse(text, existing={old.id: old}).people
    assert imposter.email == "ANA@example.org" and ana.email is None
    text2 = "id,name,email,role\nx-9,Imposter,ana@example.org,mentee\n"
    assert codes(parse(text2, existing={old.id: old})) == [(1, "email", "duplicate_email")]


def test_duplicates_inside_the_file() -> None:
    text = ("id,name,email,role\n"
            "a1,Ana,ana@example.org,mentor\n"
            "a1,Ana Two,ana2@example.org,mentor\n"
            ",Ben,ANA@example.org,mentee\n"
            ",Cy,,mentee\n")
    assert codes(parse(text)) == [(2, "id", "duplicate_id"), (3, "email", "duplicate_email"),
                                  (4, "email", "missing_value")]
    assert "Row 1" in parse(text).errors[0].message


def test_never_pair_by_id_or_email_in_the_file_or_the_cohort() -> None:
    old = Person("zed", "Zed", Role.MENTEE, "zed@example.org")
    text = ("name,email,role,never_pair\n"
            "Ana,ana@example.org,mentor,ben@example.org; zed\n"
            "Ben,ben@example.org,mentee,ZED@example.org\n")
    ana, ben = parse(text, existing={old.id: old}).people
    assert ana.never_pair == (ben.id, "zed") and ben.never_pair == ("zed",)
    bad = ("name,email,role,never_pair\nAna,ana@example.org,mentor,nobody@example.org;ghost\n"
           "Ben,ben@example.org,mentee,ben@example.org\n")
    assert codes(parse(bad)) == [(1, "never_pair", "unknown_never_pair"),
                                 (1, "never_pair", "unknown_never_pair"),
                                 (2, "never_pair", "bad_never_pair")]


def test_too_many_rows_are_refused_before_the_rest_is_read() -> None:
    rows = "".join(f"P{i},p{i}@example.org,mentee\n" for i in range(10))
    result = parse("name,email,role\n" + rows + "broken,\"unclosed", max_rows=5)
    assert codes(result) == [(6, None, "too_many_rows")]
    assert len(parse("name,email,role\n" + rows, max_rows=10).people) == 10


def test_long_cells_and_bad_text() -> None:
    text = f"name,email,role,free_text\nAna,a@x.org,mentor,{'x' * (CELL_MAX + 1)}\n"
    assert codes(parse(text)) == [(1, "free_text", "too_long")]
    assert codes(parse("name,email,role\nA\ud800,a@x.org,mentor\n")) == [
        (0, None, "bad_encoding")]
    latin1 = "name,email,role\nJosé,j@x.org,mentor\n".encode("latin-1")
    assert codes(parse(latin1.decode("utf-8", "surrogateescape"))) == [
        (0, None, "bad_encoding")]
    assert codes(parse("name,email,role\nAna,a@x.org,mentor,surplus\n")) == [
        (1, None, "extra_cell")]
    broken = 'name,email,role\nAna,a@x.org,mentor\n"Ben\n\nLi",b@x.org,"mentee"x\nCy,c,mentee\n'
    assert codes(parse(broken)) == [(2, None, "bad_csv")]
    assert "line 5" in parse(broken).errors[0].message
    assert codes(parse('"name,email,role\n')) == [(0, None, "bad_csv")]


def found(result: ImportResult) -> list[tuple[int, str | None, str, dict[str, object]]]:
    return [(e.row, e.column, e.code, e.params) for e in result.errors]


def test_each_error_gives_its_params_for_a_page_in_another_language() -> None:
    text = HEADER.replace("goals", "languages") + (
        "Ben,not-an-email,coach,,Mars/Base,Someday 9-10,\n"
        "Cy,cy@example.org,mentee,,,Mon 20:00-18:00; Tue 10:00-25:00,3\n"
        f"{'N' * 61},dee@example.org,mentor,{'x' * 61},,,eleven\n"
        "Eve\x07,eve@example.org,mentor," + ";".join(f"L{i}" for i in range(21)) + ",,,12\n"
    )
    assert found(parse(text)) == [
        (1, "email", "bad_email", {"value": "not-an-email"}),
        (1, "role", "bad_role", {"value": "coach", "allowed": ["mentor", "mentee"]}),
        (1, "time_zone", "bad_time_zone", {"value": "Mars/Base"}),
        (1, "availability", "bad_availability", {"problem": "format", "value": "Someday 9-10"}),
        (2, "availability", "bad_availability",
         {"problem": "order", "value": "Mon 20:00-18:00"}),
        (2, "capacity", "bad_capacity", {"problem": "mentee"}),
        (3, "name", "bad_name", {"problem": "too_long", "max": 60, "length": 61}),
        (3, "languages", "bad_list",
         {"problem": "term_too_long", "value": "x" * 20, "max": 60}),
        (3, "capacity", "bad_capacity",
         {"problem": "range", "value": "eleven", "min": 1, "max": 10}),
        (4, "name", "bad_name", {"problem": "control_characters"}),
        (4, "languages", "bad_list", {"problem": "too_many", "max": 20, "count": 21}),
        (4, "capacity", "bad_capacity", {"problem": "range", "value": "12", "min": 1, "max": 10}),
    ]
    late = parse(HEADER + "Cy,cy@example.org,mentee,,,Tue 10:00-25:00,\n")
    assert found(late) == [(1, "availability", "bad_availability",
                            {"problem": "time_range", "value": "Tue 10:00-25:00"})]
    many = "; ".join(f"{WEEKDAYS[i % 7]} {i // 7:02d}:00-{i // 7:02d}:30"
                     for i in range(SLOTS_MAX + 1))
    assert found(parse(HEADER + f"Cy,cy@example.org,mentee,,,{many},\n")) == [
        (1, "availability", "bad_availability",
         {"problem": "too_many", "max": SLOTS_MAX, "count": SLOTS_MAX + 1})]
    long = f"name,email,role,free_text\nAna,a@x.org,mentor,{'x' * (CELL_MAX + 1)}\n"
    assert found(parse(long)) == [
        (1, "free_text", "too_long", {"max": CELL_MAX, "length": CELL_MAX + 1})]
    assert found(parse("id,name,email,role\n-x,Ana,a@x.org,mentor\n")) == [
        (1, "id", "bad_id", {"value": "-x", "max": 64})]


def test_file_and_header_errors_give_their_params() -> None:
    assert found(parse("Name,E-mail,role,name\n")) == [
        (0, "e_mail", "unknown_column", {"position": 2, "value": "e_mail",
                                         "allowed": list(COLUMNS)}),
        (0, "name", "duplicate_column", {"value": "name"}),
        (0, "email", "missing_column", {"value": "email"})]
    assert found(parse("name,email,role\nAna,a@x.org,mentor,surplus\n")) == [
        (1, None, "extra_cell", {"position": 4})]
    rows = "".join(f"P{i},p{i}@example.org,mentee\n" for i in range(3))
    assert found(parse("name,email,role\n" + rows, max_rows=2)) == [
        (3, None, "too_many_rows", {"max": 2})]
    broken = 'name,email,role\nAna,a@x.org,mentor\n"Ben\n\nLi",b@x.org,"mentee"x\n'
    (error,) = parse(broken).errors
    assert error.params == {"line": 5, "detail": "',' expected after '\"'"}
    assert found(parse("name,email,role\nA\ud800,a@x.org,mentor\n")) == [
        (0, None, "bad_encoding", {})]


def test_errors_across_rows_give_their_params() -> None:
    old = Person("ana-1", "Ana Old", Role.MENTOR, "ana@example.org")
    text = ("id,name,email,role,never_pair\n"
            "a1,Ana,ana2@example.org,mentor,\n"
            "a1,Ana Two,ana3@example.org,mentor,\n"
            ",Ben,ANA2@example.org,mentee,ghost\n"
            "x-9,Imposter,ana@example.org,mentee,x-9\n")
    assert found(parse(text, existing={old.id: old})) == [
        (2, "id", "duplicate_id", {"value": "a1", "other_row": 1}),
        (3, "email", "duplicate_email", {"problem": "in_file", "other_row": 1}),
        (3, "never_pair", "unknown_never_pair", {"value": "ghost"}),
        (4, "email", "duplicate_email", {"problem": "in_cohort", "name": "Ana Old",
                                         "id": "ana-1"}),
        (4, "never_pair", "bad_never_pair", {"problem": "self", "value": "x-9"}),
    ]
    crowd = ";".join(f"p{i}" for i in range(NEVER_PAIR_MAX + 1))
    assert found(parse(f"name,email,role,never_pair\nAna,a@x.org,mentor,{crowd}\n")) == [
        (1, "never_pair", "bad_never_pair",
         {"problem": "too_many", "max": NEVER_PAIR_MAX, "count": NEVER_PAIR_MAX + 1})]


def test_every_code_is_documented() -> None:
    source = Path(cohort_import.__file__).read_text()
    made = {*re.findall(r'_Bad\(\s*"([a-z_]+)"', source),
            *re.findall(r'RowError\(\s*[^,]+,\s*[^,]+,\s*"([a-z_]+)"', source)}
    assert made == set(ERROR_PARAMS)


def test_blank_rows_are_skipped_but_counted() -> None:
    text = "name,email,role\n\nAna,a@x.org,mentor\n,,\nBen,nope,mentee\n"
    result = parse(text)
    assert codes(result) == [(4, "email", "bad_email")]


def test_export_guards_formula_cells_and_reads_back() -> None:
    ana = Person("a1", "=HYPERLINK(x)", Role.MENTOR, "ana@example.org",
                 Profile(goals=("+growth", "-x"), department="@ops", free_text="\tindented"),
                 capacity=3)
    text = people_csv([ana])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert text.endswith("\r\n")
    header, row = rows
    cell = dict(zip(header, row, strict=True))
    assert cell["name"] == "'=HYPERLINK(x)" and cell["goals"] == "'+growth;-x"
    assert cell["department"] == "'@ops" and cell["free_text"] == "'\tindented"
    assert parse(text).people == (ana,)


_text = st.text(st.characters(categories=("L", "M", "N", "P", "S"), include_characters=" "),
                min_size=1, max_size=30).map(lambda t: " ".join(t.split())).filter(
    lambda t: bool(t) and t.isprintable())
_term = _text.map(lambda t: t.replace(";", ",")).filter(lambda t: t.strip() == t)
_slot = st.builds(lambda d, a, n: Slot(d, a, min(a + n, 24 * 60)),
                  st.integers(0, 6), st.integers(0, 24 * 60 - 1), st.integers(1, 600))
_profile = st.builds(
    Profile,
    goals=st.lists(_term, max_size=4).map(tuple),
    interests=st.lists(_term, max_size=3).map(tuple),
    skills_offered=st.lists(_term, max_size=3).map(tuple),
    skills_wanted=st.lists(_term, max_size=3).map(tuple),
    languages=st.lists(st.sampled_from(["English", "Español", "中文"]), max_size=3).map(tuple),
    time_zone=st.sampled_from(["UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata"]),
    availability=st.lists(_slot, max_size=4).map(tuple),
    department=st.one_of(st.just(""), _text.map(lambda t: t[:100])),
    free_text=st.text(max_size=200).map(str.strip).filter(lambda t: "\x00" not in t),
)


@st.composite
def _people(draw: st.DrawFn) -> list[Person]:
    n = draw(st.integers(1, 6))
    names = draw(st.lists(_text.map(lambda t: t[:60].strip()).filter(bool), min_size=n,
                          max_size=n))
    people: list[Person] = []
    for i, name in enumerate(names):
        role = draw(st.sampled_from([Role.MENTOR, Role.MENTEE]))
        email = draw(st.sampled_from([None, f"p{i}@example.org", f"=p{i}@x.org"]))
        never = tuple(draw(st.sets(st.sampled_from([f"id-{j}" for j in range(n) if j != i]),
                                   max_size=2))) if n > 1 else ()
        people.append(Person(
            f"id-{i}", name, role, email, draw(_profile),
            draw(st.integers(1, 10)) if role is Role.MENTOR else 1, tuple(sorted(never))))
    return people


@settings(max_examples=60, deadline=None)
@given(_people())
def test_round_trip_of_generated_people(people: list[Person]) -> None:
    result = parse(people_csv(people))
    assert result.errors == ()
    assert result.people == tuple(people)


def test_row_error_is_a_plain_value() -> None:
    assert RowError(1, "email", "bad_email", "x") == RowError(1, "email", "bad_email", "x")
