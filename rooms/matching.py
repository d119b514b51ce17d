"""The matching of a mentoring cohort: mentor-mentee pairs (and small groups, when a mentor
takes several mentees) proposed for the whole cohort at once, each with its score and why.

Rules of this module: the assignment is optimal over the whole cohort, never first come first
served. Each mentor is a column repeated as many times as they still have places (their
capacity less their pins, and no more than the mentees they may take), each mentee a row, and
``scipy.optimize.linear_sum_assignment`` picks the cells of greatest total value. A cell that
breaks a hard rule is worth exactly what leaving the mentee unmatched is worth (0), and is
dropped from the result if chosen; an allowed cell is worth its score (``BEST_FIT``) or its
score plus a bonus larger than any total of scores (``MOST_MATCHED``: the number matched
first, then the total score). Were forbidden cells given a large cost instead, ``BEST_FIT``
would also maximise the number matched, and the two objectives would be one. People are taken
in the order of their ids, so the same cohort and rules always give the same proposal.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from rooms.cohort import COHORT_MAX, Person
from rooms.errors import InvalidPayload
from rooms.match_rules import MatchRules, Objective, Reason, Weights
from rooms.match_scores import (
    Bools,
    PairTable,
    Traits,
    pair_score,
    pair_table,
    pair_violations,
    score_pair,
    traits,
    violations,
)
from rooms.roles import Role

Ints = npt.NDArray[np.int64]

__all__ = [
    "MatchRules", "Objective", "Proposal", "ProposedPair", "Reason", "Unmatched", "Weights",
    "propose", "score_pair", "violations",
]

# In BEST_FIT, among matchings of the same total score, the one that matches more people: far
# below any difference of scores that matters, far above float64's rounding of the totals.
TIE_BONUS = 1e-9

# The hard rules, as ``PairTable.rules`` names them, in the sentences of ``why_text``.
_RULE_WORDS = {
    "language": "shares a language with them",
    "time_zone": "is in a time zone close enough to theirs",
    "department": "is in another department",
    "never_pair": "is free of a never-pair request with them",
    "availability": "has enough free time at the same time as them",
    "forbids": "is allowed by the admin",
}

_RULE_NAMES = {"language": "language", "time_zone": "time zone", "department": "department",
               "never_pair": "never-pair", "availability": "availability",
               "forbids": "the admin"}

# Why someone is left unmatched: each code and its params (``partner_role`` is the role of the
# partners they lack, ``mentor`` or ``mentee``; a ``rule`` is one of ``_RULE_WORDS``).
WHY_CODES = {
    "no_partners": "partner_role",
    "mentors_full": "count: int (the compatible mentors, all full)",
    "mentees_taken": "count: int (the compatible mentees, all matched with other mentors)",
    "no_one_meets_rule": "partner_role, rule",
    "no_one_meets_all_rules": "partner_role, ruled_out: [{rule, count: int}]",
}


def why_text(code: str, params: dict[str, Any]) -> str:
    """Why someone is left unmatched (``code`` and ``params``), in English."""
    others = params.get("partner_role")
    if code == "no_partners":
        return f"The cohort has no {others}s."
    if code == "mentors_full":
        return f"Every compatible mentor ({params['count']}) is full."
    if code == "mentees_taken":
        return f"Every compatible mentee ({params['count']}) is matched with another mentor."
    if code == "no_one_meets_rule":
        return f"No {others} {_RULE_WORDS[params['rule']]}."
    if code == "no_one_meets_all_rules":
        ruled_out = ", ".join(f"{_RULE_NAMES[r['rule']]} {r['count']}"
                              for r in params["ruled_out"])
        return f"No {others} meets every rule with them at once (ruled out by {ruled_out})."
    raise ValueError(f"no explanation has the code {code!r}")


@dataclass(frozen=True, slots=True)
class ProposedPair:
    """A mentor and a mentee proposed together, the pair's score (0..100) and its reasons."""

    mentor_id: str
    mentee_id: str
    score: float
    reasons: tuple[Reason, ...]
    pinned: bool


@dataclass(frozen=True, slots=True)
class Unmatched:
    """Someone the proposal leaves without a pair (a mentee) or without mentees (a mentor):
    why, in English (``why``) and as data (``code`` and ``params``: ``WHY_CODES``)."""

    person_id: str
    why: str
    role: Role
    code: str
    params: dict[str, Any]

    @classmethod
    def because(cls, person_id: str, role: Role, code: str, params: dict[str, Any]
                ) -> Unmatched:
        return cls(person_id, why_text(code, params), role, code, params)


@dataclass(frozen=True, slots=True)
class Proposal:
    """The pairs proposed for a cohort (sorted by mentor then mentee id), who is left out and
    why, and the sum of the pairs' scores."""

    pairs: tuple[ProposedPair, ...]
    unmatched: tuple[Unmatched, ...]
    objective: Objective
    total_score: float

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Each mentor who has mentees, with them (a small group when there are several)."""
        groups: dict[str, list[str]] = {}
        for pair in self.pairs:
            groups.setdefault(pair.mentor_id, []).append(pair.mentee_id)
        return {mentor: tuple(mentees) for mentor, mentees in groups.items()}


def _split(people: Sequence[Person]) -> tuple[list[Person], list[Person]]:
    if len(people) > COHORT_MAX:
        raise InvalidPayload(f"A cohort has at most {COHORT_MAX} people.")
    seen = Counter(p.id for p in people)
    twice = sorted(i for i, n in seen.items() if n > 1)
    if twice:
        raise InvalidPayload(f"Each person once: {', '.join(twice[:5])} appear more than once.")
    ordered = sorted(people, key=lambda p: p.id)
    return ([p for p in ordered if p.role is Role.MENTOR],
            [p for p in ordered if p.role is Role.MENTEE])


def _check_pairs(rules: MatchRules, by_id: dict[str, Person]) -> None:
    for what, pairs in (("pins", rules.pins), ("forbids", rules.forbids)):
        for mentor_id, mentee_id in sorted(pairs):
            for person_id, role in ((mentor_id, Role.MENTOR), (mentee_id, Role.MENTEE)):
                person = by_id.get(person_id)
                if person is None:
                    raise InvalidPayload(f"{what}: {person_id!r} is not in the cohort.")
                if person.role is not role:
                    raise InvalidPayload(f"{what}: {person_id!r} is not a {role} "
                                         "(a pair is written mentor, mentee).")


def _check_pins(rules: MatchRules, by_id: dict[str, Person], prepared: dict[str, Traits]
                ) -> None:
    mentees = Counter(mentee for _, mentee in rules.pins)
    for mentee, count in sorted(mentees.items()):
        if count > 1:
            raise InvalidPayload(f"pins: {mentee!r} is pinned to {count} mentors.")
    mentors = Counter(mentor for mentor, _ in rules.pins)
    for mentor, count in sorted(mentors.items()):
        if count > by_id[mentor].capacity:
            raise InvalidPayload(f"pins: {mentor!r} is pinned to {count} mentees and takes "
                                 f"{by_id[mentor].capacity}.")
    for mentor, mentee in sorted(rules.pins):
        broken = pair_violations(prepared[mentor], prepared[mentee], rules)
        if broken:
            raise InvalidPayload(f"pins: {mentor!r} with {mentee!r} breaks a rule: "
                                 + "; ".join(broken) + ".")


def _why_alone(rules_ok: Sequence[tuple[str, Bools]], index: int, axis: int, others: str
               ) -> tuple[str, dict[str, Any]]:
    """Why one person (row or column ``index`` along ``axis``) has no allowed partner left:
    a code of ``WHY_CODES`` and its params."""
    lines = [m[:, index] if axis == 1 else m[index, :] for _, m in rules_ok]
    if len(lines[0]) == 0:
        return "no_partners", {"partner_role": others}
    allowed = np.logical_and.reduce(lines)
    if allowed.any():
        code = "mentors_full" if others == "mentor" else "mentees_taken"
        return code, {"count": int(allowed.sum())}
    for (name, _), line in zip(rules_ok, lines, strict=True):
        if not line.any():
            return "no_one_meets_rule", {"partner_role": others, "rule": name}
    ruled_out = [{"rule": name, "count": int((~line).sum())}
                 for (name, _), line in zip(rules_ok, lines, strict=True) if not line.all()]
    return "no_one_meets_all_rules", {"partner_role": others, "ruled_out": ruled_out}


def _solve(table: PairTable, rows: Ints, places: Ints, objective: Objective
           ) -> list[tuple[int, int]]:
    """The best (mentor index, mentee index) cells among mentees ``rows``, mentor ``i`` taking
    at most ``places[i]`` of them."""
    feasible = table.feasible
    rows = rows[(feasible[:, rows] & (places > 0)[:, None]).any(axis=0)]
    cells = feasible[:, rows]
    places = np.minimum(places, cells.sum(axis=1))
    columns = np.repeat(np.arange(len(places)), places)
    if len(rows) == 0 or len(columns) == 0:
        return []
    bonus = TIE_BONUS if objective is Objective.BEST_FIT else 100.0 * (len(rows) + 1)
    value = np.where(cells, table.scores[:, rows] + bonus, 0.0)[columns, :].T
    chosen_rows, chosen_columns = linear_sum_assignment(value, maximize=True)
    found = []
    for r, c in zip(chosen_rows.tolist(), chosen_columns.tolist(), strict=True):
        mentor = int(columns[c])
        if cells[mentor, r]:
            found.append((mentor, int(rows[r])))
    return found


def propose(people: Sequence[Person], rules: MatchRules, at: float) -> Proposal:
    """Propose pairs for the whole cohort under ``rules``, at the instant ``at`` (epoch seconds:
    time zones and availability are compared as they are then). Every pin is in the result;
    no pair breaks a hard rule; no mentor has more mentees than their capacity; each mentee
    has at most one mentor. Everyone left without a pair is listed with why."""
    if not math.isfinite(at):
        raise InvalidPayload("at: an instant, in seconds.")
    mentors, mentees = _split(people)
    by_id = {p.id: p for p in (*mentors, *mentees)}
    _check_pairs(rules, by_id)
    offsets: dict[str, int] = {}
    prepared = {p.id: traits(p, at, offsets) for p in by_id.values()}
    _check_pins(rules, by_id, prepared)

    m_traits = [prepared[p.id] for p in mentors]
    e_traits = [prepared[p.id] for p in mentees]
    table = pair_table(m_traits, e_traits, rules)
    row = {p.id: i for i, p in enumerate(mentors)}
    column = {p.id: j for j, p in enumerate(mentees)}
    chosen = [(row[m], column[e]) for m, e in sorted(rules.pins)]
    taken = np.zeros(len(mentors), dtype=np.int64)
    for i, _ in chosen:
        taken[i] += 1
    pinned_mentees = {j for _, j in chosen}
    free_rows = np.array([j for j in range(len(mentees)) if j not in pinned_mentees],
                         dtype=np.int64)
    capacity = np.array([p.capacity for p in mentors], dtype=np.int64)
    solved = _solve(table, free_rows, capacity - taken, rules.objective)
    for i, _ in solved:
        taken[i] += 1

    pairs = []
    for (i, j), pinned in [*((c, True) for c in chosen), *((c, False) for c in solved)]:
        score, reasons = pair_score(m_traits[i], e_traits[j], rules)
        pairs.append(ProposedPair(mentor_id=mentors[i].id, mentee_id=mentees[j].id,
                                  score=score, reasons=reasons, pinned=pinned))
    pairs.sort(key=lambda p: (p.mentor_id, p.mentee_id))

    matched = {j for _, j in (*chosen, *solved)}
    unmatched = []
    rules_ok = table.rules()
    for j, mentee in enumerate(mentees):
        if j not in matched:
            unmatched.append(Unmatched.because(mentee.id, Role.MENTEE,
                                               *_why_alone(rules_ok, j, 1, "mentor")))
    for i, mentor in enumerate(mentors):
        if taken[i] == 0:
            unmatched.append(Unmatched.because(mentor.id, Role.MENTOR,
                                               *_why_alone(rules_ok, i, 0, "mentee")))
    unmatched.sort(key=lambda u: u.person_id)
    return Proposal(pairs=tuple(pairs), unmatched=tuple(unmatched), objective=rules.objective,
                    total_score=math.fsum(p.score for p in pairs))
