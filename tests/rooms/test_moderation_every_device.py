"""A mentor's mute and stopped camera on a roster person: every participant of theirs (each
device or tab, through their personal link) is acted on; someone with no roster identity alone."""

from __future__ import annotations

from rooms.commands import Disconnect
from rooms.events import Moderated, ParticipantUpdated, SpeakingChanged
from rooms.moderation import Moderate
from rooms.roster import WaitingRoom
from tests.rooms.helpers import run
from tests.rooms.test_moderation import join, make, mentor


def test_a_locked_mute_acts_on_each_device_and_a_dropped_one_takes_the_lock() -> None:
    s = make(WaitingRoom.OFF)
    m = mentor(s)
    join(s, "phone", link="Ana")
    join(s, "laptop", link="Ana", at=1.5)
    join(s, "tablet", link="Ana", at=1.7)
    s.participants["laptop"].speaking = True
    run(s, Disconnect("tablet", "c-tablet-1.7", 1.8))  # its page dropped; it may come back
    events = run(s, Moderate(m, "c-m-1.0", "phone", "mute", True, 2.0))
    told = [(e.target_id, e.target_connection_id, e.locked) for e in events
            if isinstance(e, Moderated)]
    assert told == [("phone", "c-phone-1.0", True), ("laptop", "c-laptop-1.5", True)]
    assert {e.participant.id for e in events if isinstance(e, ParticipantUpdated)} == {
        "phone", "laptop"}
    assert [(e.participant_id, e.speaking) for e in events
            if isinstance(e, SpeakingChanged)] == [("laptop", False)]
    for pid in ("phone", "laptop"):
        assert (s.participants[pid].audio, s.participants[pid].audio_locked) == (False, True)
    back = join(s, "tablet2", resume="tablet", link="Ana", at=3.0)
    assert (back.participant.id, back.participant.audio) == ("tablet", False)
    assert back.participant.audio_locked


def test_a_mute_acts_on_one_participant_with_no_roster_identity() -> None:
    s = make(WaitingRoom.OFF)
    m = mentor(s)
    join(s, "b1")
    join(s, "b2", at=1.5)
    events = run(s, Moderate(m, "c-m-1.0", "b1", "stop_camera", True, 2.0))
    assert [e.target_id for e in events if isinstance(e, Moderated)] == ["b1"]
    assert s.participants["b2"].video and not s.participants["b2"].video_locked
