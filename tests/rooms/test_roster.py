"""A personal link names its roster person by id when it carries one, so a renamed person, or
someone with the same name in another role, is never taken for another."""

from __future__ import annotations

from rooms.roles import Role
from rooms.roster import RosterEntry, SessionPlan, person_link


def test_a_link_with_a_person_id_finds_that_person_whatever_the_names() -> None:
    plan = SessionPlan(roster=(
        RosterEntry("stu-7", "Ana Ruiz", Role.MENTEE),
        RosterEntry("men-1", "Ana Ruiz", Role.MENTOR),
    ))
    mentee = plan.person_for_link(Role.MENTEE, person_link("stu-7"))
    assert mentee is not None and mentee.person_id == "stu-7"
    # the id must also be of the link's role, and an id is never read as a name
    assert plan.person_for_link(Role.MENTOR, person_link("stu-7")) is None
    assert plan.person_for_link(Role.MENTEE, person_link("nobody")) is None
    assert plan.person_for_link(Role.MENTEE, "stu-7") is None
    by_name = plan.person_for_link(Role.MENTOR, "ana ruiz")
    assert by_name is not None and by_name.person_id == "men-1"
