"""``rooms.erasure.holds_name`` in scripts written without spaces between words (Japanese,
Chinese, Thai...): a name is followed by other word characters there ("山田太郎のグループ": Taro
Yamada's group), so no word boundary follows it, and a group or breakout room named after a
person kept their name after their deletion request when only words of their own counted."""

from __future__ import annotations

import pytest

from rooms.breakout import Group
from rooms.erasure import ErasePerson, holds_name
from rooms.roles import Role
from rooms.roster import RosterEntry, SessionPlan
from rooms.session import Session
from tests.rooms.helpers import run

CASES = [
    ("山田太郎", "山田太郎のグループ"),  # Japanese: Taro Yamada's group
    ("王伟", "王伟的小组"),  # Chinese: Wang Wei's group
    ("สมชาย ใจดี", "กลุ่มของสมชาย"),  # Thai: Somchai's group
]


@pytest.mark.parametrize(("name", "room"), CASES)
def test_a_group_named_after_an_erased_person_in_an_unspaced_script_is_renamed(
        name: str, room: str) -> None:
    person = RosterEntry("p-1@example.org", name, Role.MENTOR)
    other = RosterEntry("p-2@example.org", "Ana Ortiz", Role.MENTEE)
    s = Session.create(session_id="s1", title="Cohort", max_participants=8, now=0.0,
                       plan=SessionPlan(roster=(person, other)))
    s.set_groups((Group(room, (person.person_id, other.person_id)),))
    run(s, ErasePerson(person.person_id, 1.0))
    assert [g.name for g in s.groups] == ["Group 1"], "the room still carries their name"


def test_holds_name_in_unspaced_scripts_keeps_the_word_rule_for_spaced_ones() -> None:
    for name, room in CASES:
        assert holds_name(name)(room), (name, room)
    assert not holds_name("Ben")("Bench") and holds_name("Ben")("Ben's pair")
