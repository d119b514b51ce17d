"""Matching benchmark: how long ``rooms.matching.propose`` takes on realistic random cohorts, and
how many mentees each objective matches against how many could be matched at all.

Cohorts of 50, 500 and 2,000 people by default: one mentor for about three mentees, capacities
1 to 3, six languages (English common, the others rarer), time zones over three regions,
eight departments, weekly availability in local working hours, a few never-pair requests. The
rules are "usual" (the defaults, different departments, an hour a week in common) and
"strict" (also time zones at most 2 h apart, two hours a week in common).
"Could be matched" is a maximum bipartite matching (Hopcroft-Karp, scipy's
``maximum_bipartite_matching``) of the hard rules alone, each mentor repeated by capacity: it
ignores scores, and ``MOST_MATCHED`` must reach it.

    .venv/bin/python -m load_tests.matching                     # 50, 500 and 2,000 people
    .venv/bin/python -m load_tests.matching --sizes 5000 --repeat 1
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import maximum_bipartite_matching

from rooms.cohort import Person, Profile, Slot
from rooms.match_scores import pair_table, traits
from rooms.matching import MatchRules, Objective, Proposal, propose
from rooms.roles import Role

AT = datetime(2026, 10, 5, 12, tzinfo=UTC).timestamp()
LANGUAGES = {"English": 0.75, "Spanish": 0.22, "French": 0.12, "German": 0.08,
             "Portuguese": 0.08, "Hindi": 0.06}
REGIONS = {  # zone: weight
    "Europe/London": 0.15, "Europe/Madrid": 0.15, "Europe/Berlin": 0.15,
    "America/New_York": 0.15, "America/Chicago": 0.08, "America/Sao_Paulo": 0.07,
    "Asia/Kolkata": 0.15, "Asia/Singapore": 0.10,
}
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Operations", "Legal", "HR",
               "Product")
GOALS = ("career change", "promotion", "public speaking", "leadership", "work-life balance",
         "negotiation", "networking", "first management role", "technical depth",
         "starting a business", "writing", "confidence")
INTERESTS = tuple(f"interest {i}" for i in range(20))
SKILLS = ("python", "sql", "design", "sales", "finance", "writing", "data analysis",
          "project management", "hiring", "presenting", "strategy", "ux research", "cloud",
          "security", "marketing")


RULES = {
    # the defaults, different departments, an hour a week in common: capacity is what binds
    "usual": MatchRules(exclude_same_department=True, min_availability_minutes=60),
    # close time zones and two hours a week in common: the hard rules bind, and the two
    # objectives part
    "strict": MatchRules(exclude_same_department=True, max_time_zone_hours=2.0,
                         min_availability_minutes=120),
}


def person(rng: random.Random, pid: str, role: Role, ids: list[str]) -> Person:
    languages = [name for name, share in LANGUAGES.items() if rng.random() < share]
    if not languages:
        languages = rng.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))
    slots = []
    for _ in range(rng.randint(2, 5)):
        start = rng.randrange(8 * 2, 19 * 2) * 30
        slots.append(Slot(rng.randrange(0, 5), start, min(start + rng.choice((60, 90, 120, 180)),
                                                          21 * 60)))
    mentor = role is Role.MENTOR
    profile = Profile(
        goals=tuple(rng.sample(GOALS, rng.randint(1, 3))),
        interests=tuple(rng.sample(INTERESTS, rng.randint(2, 5))),
        skills_offered=tuple(rng.sample(SKILLS, rng.randint(3, 6))) if mentor else (),
        skills_wanted=() if mentor else tuple(rng.sample(SKILLS, rng.randint(1, 3))),
        languages=tuple(languages),
        time_zone=rng.choices(list(REGIONS), weights=list(REGIONS.values()))[0],
        availability=tuple(slots),
        department=rng.choice(DEPARTMENTS),
    )
    never = (rng.choice(ids),) if ids and rng.random() < 0.02 else ()
    return Person(pid, f"Person {pid}", role, profile=profile, never_pair=never,
                  capacity=rng.choices((1, 2, 3), weights=(5, 3, 2))[0] if mentor else 1)


def cohort(size: int, seed: int) -> list[Person]:
    rng = random.Random(seed)
    mentors = max(1, size // 4)
    mentor_ids = [f"m{i}" for i in range(mentors)]
    mentee_ids = [f"e{i}" for i in range(size - mentors)]
    return ([person(rng, i, Role.MENTOR, mentee_ids) for i in mentor_ids]
            + [person(rng, i, Role.MENTEE, mentor_ids) for i in mentee_ids])


def could_be_matched(people: list[Person], rules: MatchRules) -> int:
    """Mentees in a maximum matching of the hard rules alone (scores ignored)."""
    mentors = sorted((p for p in people if p.role is Role.MENTOR), key=lambda p: p.id)
    mentees = sorted((p for p in people if p.role is Role.MENTEE), key=lambda p: p.id)
    table = pair_table([traits(p, AT) for p in mentors], [traits(p, AT) for p in mentees], rules)
    columns = np.repeat(np.arange(len(mentors)), [p.capacity for p in mentors])
    graph = sparse.csr_array(table.feasible[columns, :].T.astype(np.int8))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def timed(people: list[Person], rules: MatchRules, repeat: int) -> tuple[float, Proposal]:
    seconds = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = propose(people, rules, AT)
        seconds.append(time.perf_counter() - started)
    assert result is not None
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500,2000", help="people per cohort")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    print(f"{'rules':>7} {'people':>7} {'mentors':>7} {'places':>6} {'objective':>12} "
          f"{'median s':>9} {'matched':>8} {'could':>6} {'mean score':>10} {'idle mentors':>12}")
    for name, rules in RULES.items():
        for size in (int(s) for s in args.sizes.split(",")):
            people = cohort(size, args.seed)
            mentees = sum(p.role is Role.MENTEE for p in people)
            mentors = [p for p in people if p.role is Role.MENTOR]
            possible = could_be_matched(people, rules)
            for objective in Objective:
                seconds, result = timed(people, replace(rules, objective=objective), args.repeat)
                matched = len(result.pairs)
                idle = sum(u.role is Role.MENTOR for u in result.unmatched)
                print(f"{name:>7} {size:>7} {len(mentors):>7} "
                      f"{sum(p.capacity for p in mentors):>6} {objective.value:>12} "
                      f"{seconds:>9.3f} {matched / mentees:>8.1%} {possible / mentees:>6.1%} "
                      f"{result.total_score / max(matched, 1):>10.1f} {idle:>12}")
                if objective is Objective.MOST_MATCHED:
                    assert matched == possible, (matched, possible)


if __name__ == "__main__":
    main()
