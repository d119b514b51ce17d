"""A deletion request, whole: a person (or one participant) erased from the sessions that hold
them, from what features keep (``ctx.erasure``) and from the ledger, in that order.

The sessions first: erasing them closes the person's connections and their personal links stop
working (``rooms.erasure``), so nothing new of them can be said or recorded behind the later
steps; and a session's erasure is kept as a snapshot that deletes the journal's earlier entries
of it (``Command.journaled``). The ledger last: its records say who was whom. Then the database's
write-ahead log is cleared of the pages that held what was deleted (``Ledger.scrub``), and Redis's
files rewritten (``SessionStore.scrub``). Every step
does nothing the second time, so a request that failed half way is made again whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms.erasure import EraseParticipant, ErasePerson, names_person
from rooms.errors import SessionNotFound
from rooms.moderation import person_key
from rooms.roster import person_link
from server.context import Context, Erased
from server.ledger import DeletionReport


@dataclass(frozen=True, slots=True)
class Deleted:
    report: DeletionReport
    erased: Erased  # what features deleted, by kind, and the sessions erased

    def counts(self) -> dict[str, int]:
        return {"records": self.report.records, "roster_entries": self.report.roster_entries,
                **self.erased}


def person_values(person_id: str) -> tuple[str, ...]:
    """How a session keeps a person's id: bare (their roster entry, their participants, a
    group's member), as a member key (``person:<id>``: the removed list, the links'
    generations, groups and breakout places) and as the name of their personal link (a join's
    entry, ``rooms.roster.person_link``)."""
    return (person_id, person_key(person_id), person_link(person_id))


async def delete_person(ctx: Context, person_id: str) -> Deleted:
    # The sessions that name them, and those whose journal may still name them though their
    # state does not (a change that a later one undid): the erasure's purging snapshot deletes
    # its entries there too. One search, reading each session once.
    sessions = await ctx.store.sessions_where(lambda s: names_person(s, person_id),
                                              holding=person_values(person_id))
    for session_id in sessions:
        try:
            await ctx.execute(session_id, ErasePerson(person_id, ctx.clock()))
        except SessionNotFound:
            pass  # deleted meanwhile (the retention rule): nothing of it is left
    erased = await ctx.erasure.erase_person(person_id)
    renamed = await ctx.audit.erase_person(person_id, ctx.settings.secret)
    report = await ctx.ledger.delete_person(person_id)
    await ctx.scrub()
    return Deleted(report, {**erased, **renamed, "sessions": len(sessions)})


async def delete_participant(ctx: Context, session_id: str, participant_id: str) -> Deleted:
    try:
        await ctx.execute(session_id, EraseParticipant(participant_id, ctx.clock()))
    except SessionNotFound:
        pass  # the ledger may hold a session the store no longer does
    erased = await ctx.erasure.erase_participant(session_id, participant_id)
    report = await ctx.ledger.delete_participant(session_id, participant_id)
    await ctx.scrub()
    return Deleted(report, erased)
