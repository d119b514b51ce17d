"""A deletion request's search of the journal (SQLite, PostgreSQL): a person's id is found as a
whole value of a snapshot or an entry, never as a piece of other text (a short id such as "ana"
is in "banana" and in many other ids): a session found gets a purging snapshot, so a search that
finds too much rewrites sessions that never held the person."""

from __future__ import annotations

from rooms import commands as c
from rooms.breakout import Group
from rooms.breakout_commands import SetGroups
from rooms.erasure import names_person
from rooms.roles import Role
from rooms.roster import person_link
from rooms.session import Session
from server.attendance.erasure import person_values
from server.store.codec import encode_command
from server.store.holding import Holding
from tests.server.backends import Backend
from tests.server.store.test_purge import T0, apply, opened

PERSON = "ana"


async def test_a_short_person_id_is_found_only_as_a_whole_value(backend: Backend) -> None:
    store = await opened(backend)
    for sid in ("held", "banana", "pound", "longer-id"):
        await store.add(Session.create(session_id=sid, title="T", max_participants=8, now=T0))
        await apply(store, sid, c.Join("cm", Role.MENTOR, "Mentor", "m", True, True, T0))
    # Groups named her by id, then were set again without her: only the entry still says it.
    await apply(store, "held", SetGroups((Group("Pair", (PERSON, "m")),)))
    await apply(store, "held", SetGroups((Group("Pair", ("m",)),)))
    # Her id inside other text: a word, a pound sign before it (whose last byte is the one
    # that starts an encoded three-letter text), a longer id.
    await apply(store, "banana", c.PostChat("m", "cm", "banana bread", T0 + 1))
    await apply(store, "pound", c.PostChat("m", "cm", "\u00a3ana", T0 + 1))
    await apply(store, "longer-id", SetGroups((Group("Pair", ("ana-2026", "m")),)))
    await apply(store, "longer-id", SetGroups((Group("Pair", ("m",)),)))
    found = await store.sessions_where(lambda s: names_person(s, PERSON), holding=PERSON)
    assert found == ["held"]
    await store.close()


def test_a_person_is_sought_in_every_form_a_session_keeps_their_id_in() -> None:
    """Bare, as a member key, and as their personal link's name in a join's entry (which holds
    no person id of its own); never as a piece of another person's."""
    sought = Holding.of(person_values(PERSON))

    def join(link_name: str) -> bytes:
        return encode_command(c.Join("cb", Role.MENTEE, "Someone", "b", True, True, T0,
                                     link_name=link_name))

    def groups(*members: str) -> bytes:
        return encode_command(SetGroups((Group("Pair", members),)))

    assert sought.in_bytes(join(person_link(PERSON)))
    assert sought.in_bytes(groups(PERSON))
    assert sought.in_bytes(groups(f"person:{PERSON}"))
    assert not sought.in_bytes(join(person_link("ana-2026")))
    assert not sought.in_bytes(groups("person:ana-2026", "banana", "\u00a3ana"))
