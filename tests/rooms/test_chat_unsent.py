"""A chat message whose room's history was out of reach as it was kept there (``UnsentChat``):
sent again with its page's id, it is handed back to be sent to its room once more, and is not
posted again; once handed back, it is answered as any message sent again."""

from __future__ import annotations

from rooms import commands as c
from rooms.chat import Posted
from rooms.roles import Role
from rooms.session import Session
from rooms.snapshot import restore, snapshot
from tests.rooms.test_snapshot import T0, new_session


def joined() -> Session:
    s = new_session()
    c.Join("m-1", Role.MENTOR, "Ana", "m", True, True, T0, None, "Ana").apply(s)
    return s


def test_a_message_marked_unsent_is_handed_back_once_to_be_sent_again() -> None:
    s = joined()
    first = c.PostChat("m", "m-1", "hello", T0 + 1, "p-1").apply(s)
    message = first.value.message
    assert message is not None and len(first.events) == 1
    assert c.UnsentChat("m", "p-1").apply(s).events == ()
    again = c.PostChat("m", "m-1", "hello", T0 + 2, "p-1").apply(s)
    assert again == (Posted(message, again=True), ())
    assert list(s.chat) == [message]  # not posted a second time
    # Handed back once: sent again after that, it is answered as posted, nothing more.
    assert c.PostChat("m", "m-1", "hello", T0 + 3, "p-1").apply(s) == (Posted(message), ())
    assert list(s.chat) == [message]


def test_the_mark_outlives_a_snapshot_and_marks_only_a_posted_message() -> None:
    s = joined()
    c.PostChat("m", "m-1", "hello", T0 + 1, "p-1").apply(s)
    c.UnsentChat("m", "p-1").apply(s)
    c.UnsentChat("m", "p-1").apply(s)  # marked twice: marked
    c.UnsentChat("m", "unknown").apply(s)  # an id they never sent: nothing
    c.UnsentChat("nobody", "p-1").apply(s)
    restored = restore(snapshot(s))
    again = c.PostChat("m", "m-1", "hello", T0 + 2, "p-1").apply(restored)
    assert again.value.again and again.value.message == s.chat.find(1)
    assert restored.participants["m"].sent == {"p-1": 1}


def test_a_message_the_chat_no_longer_holds_is_answered_without_one() -> None:
    s = joined()
    c.PostChat("m", "m-1", "hello", T0 + 1, "p-1").apply(s)
    c.UnsentChat("m", "p-1").apply(s)
    s.chat.clear()
    assert c.PostChat("m", "m-1", "hello", T0 + 2, "p-1").apply(s) == (Posted(None), ())
    assert len(s.chat) == 0
