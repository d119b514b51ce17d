"""The matching of a cohort: hard rules never broken, capacities and pins kept, the assignment
optimal for either objective (checked by brute force on small cohorts), scores explained by
their reasons, and the cases an admin will meet (never-pair either way, departments, a time-zone
cap across a clock change, refused pins)."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rooms.cohort import Person, Profile, Slot
from rooms.errors import InvalidPayload
from rooms.match_rules import REASON_CODES
from rooms.match_scores import overlap_minutes, pair_table, traits
from rooms.matching import (
    MatchRules,
    Objective,
    Proposal,
    Unmatched,
    Weights,
    propose,
    score_pair,
    violations,
)
from rooms.roles import Role

AT = datetime(2026, 5, 4, 12, tzinfo=UTC).timestamp()
WINTER = datetime(2026, 2, 2, 12, tzinfo=UTC).timestamp()
ZONES = ("UTC", "Europe/Madrid", "Europe/London", "America/New_York", "Asia/Kolkata",
         "Asia/Tokyo", "Pacific/Auckland")
LANGUAGES = ("English", "Spanish", "French")
GOALS = ("career change", "public speaking", "leadership", "promotion")
INTERESTS = ("chess", "hiking", "music", "film")
SKILLS = ("python", "sql", "design", "sales")
SOFT = {"goals", "interests", "skills", "availability"}
HARD = {"language", "time_zone"}
QUICK = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def person(pid: str, role: Role, capacity: int = 1, never: tuple[str, ...] = (),
           **profile: object) -> Person:
    return Person(pid, pid.upper(), role, profile=Profile(**profile),  # type: ignore[arg-type]
                  capacity=capacity, never_pair=never)


def mentor(pid: str, capacity: int = 1, **profile: object) -> Person:
    return person(pid, Role.MENTOR, capacity, **profile)  # type: ignore[arg-type]


def mentee(pid: str, **profile: object) -> Person:
    return person(pid, Role.MENTEE, **profile)  # type: ignore[arg-type]


# Random small cohorts ----------------------------------------------------------------------

slots = st.builds(
    lambda day, start, length: Slot(day, start * 30, min(24 * 60, start * 30 + length * 30)),
    st.integers(0, 6), st.integers(0, 47), st.integers(1, 8))


def subset(values: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...]]:
    if not values:
        return st.just(())
    return st.lists(st.sampled_from(values), max_size=len(values), unique=True).map(tuple)


def profiles(crowded: bool = False) -> st.SearchStrategy[Profile]:
    # crowded: every person speaks one or two of two languages, so that mentors are contended
    # and the two objectives part more often
    languages = (st.sampled_from([("English",), ("Spanish",), ("English", "Spanish")])
                 if crowded else subset(LANGUAGES))
    return st.builds(Profile, goals=subset(GOALS), interests=subset(INTERESTS),
                     skills_offered=subset(SKILLS), skills_wanted=subset(SKILLS),
                     languages=languages, time_zone=st.sampled_from(ZONES),
                     availability=st.lists(slots, max_size=3).map(tuple),
                     department=st.sampled_from(("", "Sales", "Ops")))


@st.composite
def cohorts(draw: st.DrawFn, max_mentors: int = 4, max_mentees: int = 5, crowded: bool = False
            ) -> tuple[list[Person], MatchRules, float]:
    low = 2 if crowded else 0
    mentor_ids = [f"m{i}" for i in range(draw(st.integers(low, max_mentors)))]
    mentee_ids = [f"e{i}" for i in range(draw(st.integers(low + 1, max_mentees)))]
    people = [Person(i, i.upper(), Role.MENTOR, profile=draw(profiles(crowded)),
                     capacity=1 if crowded else draw(st.integers(1, 3)),
                     never_pair=draw(subset(tuple(mentee_ids)).map(lambda t: t[:2])))
              for i in mentor_ids]
    people += [Person(i, i.upper(), Role.MENTEE, profile=draw(profiles(crowded)),
                      never_pair=draw(subset(tuple(mentor_ids)).map(lambda t: t[:crowded + 1])))
               for i in mentee_ids]
    all_pairs = [(m, e) for m in mentor_ids for e in mentee_ids]
    pair_sets = st.lists(st.sampled_from(all_pairs), max_size=3).map(frozenset) if all_pairs \
        else st.just(frozenset[tuple[str, str]]())
    weights = st.builds(Weights, *(st.sampled_from((0.0, 0.5, 1.0, 2.0, 3.0)) for _ in range(4)))
    rules = MatchRules(
        objective=draw(st.sampled_from(Objective)),
        common_language=crowded or draw(st.booleans()),
        max_time_zone_hours=None if crowded else draw(st.sampled_from((None, 0.0, 3.0, 10.0))),
        exclude_same_department=not crowded and draw(st.booleans()),
        min_availability_minutes=0 if crowded else draw(st.sampled_from((0, 0, 30, 90))),
        weights=draw(weights),
        pins=draw(st.one_of(st.just(frozenset()), pair_sets)),
        forbids=draw(pair_sets),
    )
    random.Random(draw(st.integers(0, 99))).shuffle(people)
    return people, rules, draw(st.sampled_from((AT, WINTER)))


def pins_are_valid(people: list[Person], rules: MatchRules, at: float) -> bool:
    by_id = {p.id: p for p in people}
    mentees = Counter(e for _, e in rules.pins)
    mentors = Counter(m for m, _ in rules.pins)
    return (all(n == 1 for n in mentees.values())
            and all(n <= by_id[m].capacity for m, n in mentors.items())
            and not any(violations(by_id[m], by_id[e], rules, at) for m, e in rules.pins))


def check_invariants(people: list[Person], rules: MatchRules, at: float, result: Proposal
                     ) -> None:
    by_id = {p.id: p for p in people}
    mentees = Counter(p.mentee_id for p in result.pairs)
    assert all(n == 1 for n in mentees.values())
    per_mentor = Counter(p.mentor_id for p in result.pairs)
    assert all(n <= by_id[m].capacity for m, n in per_mentor.items())
    assert rules.pins <= {(p.mentor_id, p.mentee_id) for p in result.pairs}
    for pair in result.pairs:
        m, e = by_id[pair.mentor_id], by_id[pair.mentee_id]
        assert (m.role, e.role) == (Role.MENTOR, Role.MENTEE)
        assert violations(m, e, rules, at) == ()
        assert (pair.mentor_id, pair.mentee_id) not in rules.forbids
        assert e.id not in m.never_pair and m.id not in e.never_pair
        assert pair.pinned == ((pair.mentor_id, pair.mentee_id) in rules.pins)
        assert (pair.score, pair.reasons) == score_pair(m, e, rules, at)
        assert 0 <= pair.score <= 100 + 1e-9
    left = {p.id for p in people if p.role is Role.MENTEE} - set(mentees)
    left |= {p.id for p in people if p.role is Role.MENTOR} - set(per_mentor)
    assert {u.person_id for u in result.unmatched} == left
    assert all(u.why and u.role is by_id[u.person_id].role for u in result.unmatched)
    assert math.isclose(result.total_score, sum(p.score for p in result.pairs), abs_tol=1e-9)
    groups: dict[str, list[str]] = {}
    for pair in sorted(result.pairs, key=lambda p: (p.mentor_id, p.mentee_id)):
        groups.setdefault(pair.mentor_id, []).append(pair.mentee_id)
    assert result.groups() == {m: tuple(e) for m, e in groups.items()}


@QUICK
@given(cohorts())
def test_no_proposal_breaks_a_rule_a_capacity_or_a_pin(case: tuple[list[Person], MatchRules,
                                                                    float]) -> None:
    people, rules, at = case
    if not pins_are_valid(people, rules, at):
        with pytest.raises(InvalidPayload, match="pins"):
            propose(people, rules, at)
        return
    result = propose(people, rules, at)
    check_invariants(people, rules, at, result)
    assert result == propose(list(reversed(people)), rules, at)  # order of input is no matter


def brute_force(people: list[Person], rules: MatchRules, at: float
                ) -> tuple[float, int, float]:
    """The best total score; the most people matched, and the best total among those."""
    mentors = [p for p in people if p.role is Role.MENTOR]
    mentees = [p for p in people if p.role is Role.MENTEE]
    options = []
    for e in mentees:
        pinned = [m for m in mentors if (m.id, e.id) in rules.pins]
        allowed = [(m.id, score_pair(m, e, rules, at)[0]) for m in mentors
                   if not violations(m, e, rules, at)]
        options.append([(m, s) for m, s in allowed if m == pinned[0].id] if pinned
                       else [None, *allowed])
    capacity = {m.id: m.capacity for m in mentors}
    best, most, best_of_most = 0.0, 0, 0.0
    for choice in itertools.product(*options):
        chosen = [c for c in choice if c is not None]
        load = Counter(m for m, _ in chosen)
        if any(n > capacity[m] for m, n in load.items()):
            continue
        total = math.fsum(s for _, s in chosen)
        best = max(best, total)
        if len(chosen) > most:
            most, best_of_most = len(chosen), total
        elif len(chosen) == most:
            best_of_most = max(best_of_most, total)
    return best, most, best_of_most


@settings(QUICK, max_examples=150)
@given(st.one_of(cohorts(max_mentors=4, max_mentees=5),
                 cohorts(max_mentors=3, max_mentees=5, crowded=True)))
def test_the_assignment_is_optimal_for_either_objective(
        case: tuple[list[Person], MatchRules, float]) -> None:
    people, rules, at = case
    assume(pins_are_valid(people, rules, at))
    best, most, best_of_most = brute_force(people, rules, at)
    fit = propose(people, replace(rules, objective=Objective.BEST_FIT), at)
    assert math.isclose(fit.total_score, best, abs_tol=1e-6)
    many = propose(people, replace(rules, objective=Objective.MOST_MATCHED), at)
    assert len(many.pairs) == most
    assert math.isclose(many.total_score, best_of_most, abs_tol=1e-6)


@QUICK
@given(cohorts(max_mentors=5, max_mentees=6))
def test_whole_cohort_matrices_agree_with_the_pair_by_pair_rules(
        case: tuple[list[Person], MatchRules, float]) -> None:
    people, rules, at = case
    mentors = [traits(p, at) for p in people if p.role is Role.MENTOR]
    mentees = [traits(p, at) for p in people if p.role is Role.MENTEE]
    table = pair_table(mentors, mentees, rules)
    for i, m in enumerate(mentors):
        for j, e in enumerate(mentees):
            score, reasons = score_pair(m.person, e.person, rules, at)
            assert math.isclose(table.scores[i, j], score, abs_tol=1e-9)
            assert bool(table.feasible[i, j]) == (not violations(m.person, e.person, rules, at))
            # the explanation is the score: soft reasons carry the points, hard ones none
            assert math.isclose(sum(r.points for r in reasons), score, abs_tol=1e-9)
            assert len({r.criterion for r in reasons}) == len(reasons)
            for r in reasons:
                assert r.criterion in SOFT | HARD and r.detail
                assert (r.points > 0) if r.criterion in SOFT else (r.points == 0)


# Explanations ------------------------------------------------------------------------------

def test_reasons_name_what_matched_and_add_up_to_the_score() -> None:
    ana = mentor("ana", goals=("Career change", "Leadership"), interests=("chess",),
                 skills_offered=("Python", "SQL"), languages=("English", "Spanish"),
                 availability=(Slot(0, 9 * 60, 11 * 60),))
    ben = mentee("ben", goals=("career change",), interests=("film",),
                 skills_wanted=("python", "design"), languages=("spanish",),
                 availability=(Slot(0, 10 * 60, 12 * 60),))
    score, reasons = score_pair(ana, ben, MatchRules(weights=Weights(3, 1, 3, 2)), AT)
    by = {r.criterion: r for r in reasons}
    assert set(by) == {"goals", "skills", "availability", "language", "time_zone"}
    assert by["goals"].detail == "Both want: career change"
    assert by["goals"].points == pytest.approx(100 * 3 * (2 / 3) / 9)  # Dice: 2*1 / (2+1)
    assert by["skills"].points == pytest.approx(100 * 3 * 0.5 / 9)
    assert "python" in by["skills"].detail
    assert by["availability"].detail == "1 h a week free at the same time"
    assert by["availability"].points == pytest.approx(100 * 2 * 0.5 / 9)
    assert by["language"].detail == "Both speak: spanish"
    assert score == pytest.approx(sum(r.points for r in reasons))


def test_reasons_carry_a_code_and_its_params_for_a_page_in_another_language() -> None:
    ana = mentor("ana", goals=("Career change", "Leadership"), interests=("Chess", "film"),
                 skills_offered=("Python", "SQL"), languages=("English", "Spanish"),
                 availability=(Slot(0, 9 * 60, 11 * 60),), time_zone="Europe/Madrid")
    ben = mentee("ben", goals=("career change", "leadership"), interests=("chess",),
                 skills_wanted=("python", "design", "sql"), languages=("spanish", "english"),
                 availability=(Slot(0, 8 * 60, 11 * 60 + 30),), time_zone="America/New_York")
    _, reasons = score_pair(ana, ben, MatchRules(max_time_zone_hours=7), WINTER)
    # terms as the mentee wrote them, in the mentee's order; numbers as numbers
    assert [(r.criterion, r.code, r.params) for r in reasons] == [
        ("goals", "shared_goals", {"goals": ["career change", "leadership"]}),
        ("interests", "shared_interests", {"interests": ["chess"]}),
        ("skills", "skills_offered", {"skills": ["python", "sql"], "offered": 2, "wanted": 3}),
        ("language", "shared_languages", {"languages": ["spanish", "english"]}),
        ("time_zone", "time_zones", {"hours_apart": 6, "max_hours": 7}),
    ]
    # the English words are the same data
    assert [r.detail for r in reasons] == [
        "Both want: career change, leadership", "Both like: chess",
        "Offers 2 of the 3 skills wanted: python, sql", "Both speak: spanish, english",
        "Time zones 6 h apart (at most 7 h)"]
    # every code is one the documentation lists, with its criterion
    for r in reasons:
        assert REASON_CODES[r.code][0] == r.criterion
    # availability: minutes a week; a time-zone gap of a fraction of an hour
    madrid = mentor("m", time_zone="Europe/Madrid", availability=(Slot(0, 9 * 60, 12 * 60),))
    kathmandu = mentee("k", time_zone="Asia/Kathmandu", availability=(Slot(0, 13 * 60, 16 * 60),))
    by = {r.code: r for r in score_pair(madrid, kathmandu, MatchRules(), WINTER)[1]}
    assert by["availability_overlap"].params == {"minutes": 135}
    assert by["availability_overlap"].detail == "2 h 15 min a week free at the same time"
    assert by["time_zones"].params == {"hours_apart": 4.75, "max_hours": 6}
    assert by["time_zones"].detail == "Time zones 4.75 h apart (at most 6 h)"


def test_a_perfect_pair_scores_100_and_nothing_in_common_scores_0() -> None:
    same = dict(goals=("a",), interests=("b",), skills_offered=("c",),
                availability=(Slot(2, 0, 180),))
    top = score_pair(mentor("m", **same), mentee("e", skills_wanted=("c",), goals=("a",),
                                                 interests=("b",),
                                                 availability=(Slot(2, 0, 180),)),
                     MatchRules(), AT)
    assert top[0] == pytest.approx(100.0)
    assert score_pair(mentor("m"), mentee("e"), MatchRules(), AT) == (
        0.0, (next(r for r in top[1] if r.criterion == "time_zone"),))


# The objective switch ----------------------------------------------------------------------

def test_most_matched_matches_someone_best_fit_leaves_out() -> None:
    # x fits a best (33.3), b well (22.2); y can only have a, and fits a poorly (5.6)
    a = mentor("a", goals=("g1", "g2"), interests=("i", "j", "k"),
               languages=("English", "Spanish"))
    b = mentor("b", goals=("g1",), languages=("English",))
    x = mentee("x", goals=("g1", "g2"), languages=("English",))
    y = mentee("y", goals=("g9",), interests=("i",), languages=("Spanish",))
    people = [a, b, x, y]
    fit = propose(people, MatchRules(), AT)
    assert fit.groups() == {"a": ("x",)}
    assert {u.person_id: u.why for u in fit.unmatched} == {
        "y": "Every compatible mentor (1) is full.",
        "b": "Every compatible mentee (1) is matched with another mentor."}
    assert {u.person_id: (u.code, u.params) for u in fit.unmatched} == {
        "y": ("mentors_full", {"count": 1}), "b": ("mentees_taken", {"count": 1})}
    many = propose(people, MatchRules(objective=Objective.MOST_MATCHED), AT)
    assert many.groups() == {"a": ("y",), "b": ("x",)}
    assert many.unmatched == ()
    assert fit.total_score > many.total_score > 0


def test_capacity_makes_a_small_group_and_a_full_mentor_is_said_so() -> None:
    people = [mentor("a", capacity=2, goals=("g",)), mentee("x", goals=("g",)),
              mentee("y", goals=("g",)), mentee("z", goals=("g",))]
    result = propose(people, MatchRules(), AT)
    assert len(result.groups()["a"]) == 2
    assert [(u.person_id in "xyz", u.why) for u in result.unmatched] == [
        (True, "Every compatible mentor (1) is full.")]


# Hard rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["mentor", "mentee"])
def test_never_pair_holds_in_either_direction(who: str) -> None:
    a = person("a", Role.MENTOR, never=("x",) if who == "mentor" else ())
    x = person("x", Role.MENTEE, never=("a",) if who == "mentee" else ())
    assert "never to be paired" in violations(a, x, MatchRules(), AT)[0]
    result = propose([a, x], MatchRules(objective=Objective.MOST_MATCHED), AT)
    assert result.pairs == ()
    assert result.unmatched == (
        Unmatched("a", "No mentee is free of a never-pair request with them.", Role.MENTOR,
                  "no_one_meets_rule", {"partner_role": "mentee", "rule": "never_pair"}),
        Unmatched("x", "No mentor is free of a never-pair request with them.", Role.MENTEE,
                  "no_one_meets_rule", {"partner_role": "mentor", "rule": "never_pair"}))


def test_same_department_is_excluded_only_when_asked_and_only_when_named() -> None:
    a = mentor("a", department="Sales")
    rules = MatchRules(exclude_same_department=True)
    assert violations(a, mentee("x", department="sales"), rules, AT) == (
        "Same department (Sales)",)
    assert violations(a, mentee("x", department="sales"), MatchRules(), AT) == ()
    assert violations(a, mentee("x"), rules, AT) == ()
    assert violations(mentor("b"), mentee("x"), rules, AT) == ()
    assert propose([a, mentee("x", department="Sales")], rules, AT).pairs == ()


def test_language_in_common_and_no_language_listed_matches_any() -> None:
    en = mentor("a", languages=("English",))
    assert violations(en, mentee("x", languages=("French",)), MatchRules(), AT) == (
        "No language in common (English / French)",)
    assert violations(en, mentee("x", languages=("French",)),
                      MatchRules(common_language=False), AT) == ()
    assert violations(en, mentee("x"), MatchRules(), AT) == ()
    result = propose([en, mentee("x", languages=("French",))], MatchRules(), AT)
    assert result.unmatched[1].why == "No mentor shares a language with them."
    assert (result.unmatched[1].code, result.unmatched[1].params) == (
        "no_one_meets_rule", {"partner_role": "mentor", "rule": "language"})
    # each mentor fails another rule: the why counts them
    far = mentor("b", time_zone="Asia/Tokyo")
    result = propose([en, far, mentee("x", languages=("French",))], MatchRules(), AT)
    assert result.unmatched[-1].why == (
        "No mentor meets every rule with them at once (ruled out by language 1, time zone 1).")
    assert (result.unmatched[-1].code, result.unmatched[-1].params) == (
        "no_one_meets_all_rules", {"partner_role": "mentor", "ruled_out": [
            {"rule": "language", "count": 1}, {"rule": "time_zone", "count": 1}]})


def test_time_zone_cap_follows_clock_changes() -> None:
    # New York moves its clocks on 8 March 2026, London on 29 March: 4 h apart in between
    london = mentor("a", time_zone="Europe/London")
    new_york = mentee("x", time_zone="America/New_York")
    rules = MatchRules(max_time_zone_hours=4.5)
    before = datetime(2026, 3, 7, 12, tzinfo=UTC).timestamp()
    between = datetime(2026, 3, 15, 12, tzinfo=UTC).timestamp()
    after = datetime(2026, 4, 5, 12, tzinfo=UTC).timestamp()
    assert violations(london, new_york, rules, before) == ("Time zones 5 h apart (at most 4.5 h)",)
    assert violations(london, new_york, rules, between) == ()
    assert violations(london, new_york, rules, after) == ("Time zones 5 h apart (at most 4.5 h)",)
    assert len(propose([london, new_york], rules, between).pairs) == 1
    assert propose([london, new_york], rules, after).pairs == ()
    assert violations(london, new_york, MatchRules(max_time_zone_hours=None), after) == ()


def test_availability_is_compared_in_utc_at_the_instant_given() -> None:
    # Monday 9:00-10:00 in Madrid is 8:00 UTC in winter and 7:00 UTC in summer
    madrid = mentor("a", time_zone="Europe/Madrid", availability=(Slot(0, 9 * 60, 10 * 60),))
    utc = mentee("x", availability=(Slot(0, 8 * 60, 9 * 60),))
    assert overlap_minutes(traits(madrid, WINTER), traits(utc, WINTER)) == 60
    assert overlap_minutes(traits(madrid, AT), traits(utc, AT)) == 0
    rules = MatchRules(min_availability_minutes=30)
    assert violations(madrid, utc, rules, WINTER) == ()
    assert violations(madrid, utc, rules, AT) == (
        "0 min a week free at the same time (at least 30 min needed)",)
    # Sunday 23:00-24:00 in New York is Monday 3:00-4:00 UTC: slots wrap round the week
    late = mentor("b", time_zone="America/New_York", availability=(Slot(6, 23 * 60, 24 * 60),))
    early = mentee("y", time_zone="Asia/Tokyo", availability=(Slot(0, 12 * 60, 12 * 60 + 30),))
    assert overlap_minutes(traits(late, AT), traits(early, AT)) == 30
    # Monday 5:00-10:00 in Tokyo starts on Sunday in UTC: the week's end and its beginning
    tokyo = mentee("t", time_zone="Asia/Tokyo", availability=(Slot(0, 5 * 60, 10 * 60),))
    assert traits(tokyo, AT).free == ((0, 60), (10080 - 240, 10080))
    overlapping = mentee("z", availability=(Slot(0, 60, 240), Slot(0, 120, 300)))
    assert traits(overlapping, AT).free == ((60, 300),)


# Pins and forbids --------------------------------------------------------------------------

def test_pins_are_kept_and_forbids_avoided() -> None:
    people = [mentor("a", goals=("g",)), mentor("b"), mentee("x", goals=("g",)), mentee("y")]
    free = propose(people, MatchRules(), AT)
    assert ("a", "x") in {(p.mentor_id, p.mentee_id) for p in free.pairs}
    pinned = propose(people, MatchRules(pins=frozenset({("b", "x")})), AT)
    assert pinned.groups() == {"a": ("y",), "b": ("x",)}
    assert [p.pinned for p in pinned.pairs] == [False, True]
    forbidden = propose(people, MatchRules(forbids=frozenset({("a", "x")})), AT)
    assert ("a", "x") not in {(p.mentor_id, p.mentee_id) for p in forbidden.pairs}


@pytest.mark.parametrize(("pins", "forbids", "message"), [
    ({("a", "x")}, {("a", "x")}, "'a' with 'x' breaks a rule: The admin forbade this pair"),
    ({("a", "z")}, set(), "'a' with 'z' breaks a rule: No language in common"),
    ({("a", "x"), ("a", "y")}, set(), "'a' is pinned to 2 mentees and takes 1"),
    ({("a", "x"), ("b", "x")}, set(), "'x' is pinned to 2 mentors"),
    ({("a", "nobody")}, set(), "pins: 'nobody' is not in the cohort"),
    ({("x", "a")}, set(), "pins: 'x' is not a mentor"),
    (set(), {("a", "b")}, "forbids: 'b' is not a mentee"),
])
def test_a_pin_or_forbid_that_cannot_be_is_refused_by_name(
        pins: set[tuple[str, str]], forbids: set[tuple[str, str]], message: str) -> None:
    people = [mentor("a", languages=("English",)), mentor("b"), mentee("x"), mentee("y"),
              mentee("z", languages=("French",))]
    rules = MatchRules(pins=frozenset(pins), forbids=frozenset(forbids))
    with pytest.raises(InvalidPayload) as refused:
        propose(people, rules, AT)
    assert message in refused.value.message


# Values and the cohort ---------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    lambda: Weights(goals=-1), lambda: Weights(skills=math.nan),
    lambda: MatchRules(max_time_zone_hours=-1), lambda: MatchRules(min_availability_minutes=-5),
    lambda: MatchRules(pins=frozenset({("a",)})),  # type: ignore[arg-type]
    lambda: MatchRules(objective="closest"),  # type: ignore[arg-type]
])
def test_rules_validate_themselves(bad: object) -> None:
    with pytest.raises(InvalidPayload):
        bad()  # type: ignore[operator]


def test_a_cohort_without_mentors_or_with_repeated_ids() -> None:
    alone = propose([mentee("x")], MatchRules(), AT)
    assert alone.unmatched == (Unmatched("x", "The cohort has no mentors.", Role.MENTEE,
                                         "no_partners", {"partner_role": "mentor"}),)
    lonely = propose([mentor("a")], MatchRules(), AT).unmatched
    assert [(u.why, u.code, u.params) for u in lonely] == [
        ("The cohort has no mentees.", "no_partners", {"partner_role": "mentee"})]
    assert propose([], MatchRules(), AT) == Proposal((), (), Objective.BEST_FIT, 0.0)
    with pytest.raises(InvalidPayload, match="more than once"):
        propose([mentee("x"), mentee("x")], MatchRules(), AT)


def test_all_weights_zero_still_matches_by_the_hard_rules() -> None:
    rules = MatchRules(weights=Weights(0, 0, 0, 0), objective=Objective.BEST_FIT)
    result = propose([mentor("a", goals=("g",)), mentee("x", goals=("g",))], rules, AT)
    assert [(p.score, p.mentee_id) for p in result.pairs] == [(0.0, "x")]
