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

import hashlib
import hmac
from dataclasses import dataclass

from rooms.erasure import EraseParticipant, ErasePerson, names_person
from rooms.errors import SessionNotFound
from server.context import Context, Erased
from server.ledger import DeletionReport


@dataclass(frozen=True, slots=True)
class Deleted:
    report: DeletionReport
    erased: Erased  # what features deleted, by kind, and the sessions erased

    def counts(self) -> dict[str, int]:
        return {"records": self.report.records, "roster_entries": self.report.roster_entries,
                **self.erased}


async def delete_person(ctx: Context, person_id: str) -> Deleted:
    sessions = await ctx.store.sessions_where(lambda s: names_person(s, person_id))
    for session_id in sessions:
        try:
            await ctx.execute(session_id, ErasePerson(person_id, ctx.clock()))
        except SessionNotFound:
            pass  # deleted meanwhile (the retention rule): nothing of it is left
    erased = await ctx.erasure.erase_person(person_id)
    report = await ctx.ledger.delete_person(person_id)
    await ctx.scrub()
    return Deleted(report, {**erased, "sessions": len(sessions)})


async def delete_participant(ctx: Context, session_id: str, participant_id: str) -> Deleted:
    try:
        await ctx.execute(session_id, EraseParticipant(participant_id, ctx.clock()))
    except SessionNotFound:
        pass  # the ledger may hold a session the store no longer does
    erased = await ctx.erasure.erase_participant(session_id, participant_id)
    report = await ctx.ledger.delete_participant(session_id, participant_id)
    await ctx.scrub()
    return Deleted(report, erased)


def person_ref(secret: bytes, person_id: str) -> str:
    """What the log and the audit say for a person: a person id may be an email address, and a
    line that named the person a deletion removed would keep them. A keyed hash (the server's
    secret), so that nobody without the secret can test guessed addresses against it; an
    operator who has it can still find a given person's lines."""
    key = hmac.new(secret, b"tandem-log:person", hashlib.sha256).digest()
    return hmac.new(key, person_id.encode(), hashlib.sha256).hexdigest()[:12]
