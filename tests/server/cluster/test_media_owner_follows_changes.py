"""What the plane forwards follows a person's changes with two processes: the media owner is
another process than the one where the changes are given."""

from __future__ import annotations

from typing import Any

from tests.server.cluster.conftest import Pair
from tests.server.cluster.test_media import (  # noqa: F401  (fixtures)
    WAIT,
    Someone,
    loopback_only,
    made,
    media_owner,
)
from tests.server.media.test_through_server import ToneTrack
from tests.support import Peer, eventually


async def test_someone_on_another_process_than_the_owner_is_heard_once_they_unmute(
    pair: Pair, made: dict[str, Any]  # noqa: F811
) -> None:
    session, tokens = made["session"], made["tokens"]
    ana = await Someone.on(pair.a, tokens["mentor"], "Ana", session)
    peer = Peer(pair.b.url)
    await peer.connect(tokens["mentee"])
    await peer.join("Ben", audio=False, video=True)
    ben = Someone(peer, session)
    cleo = await Someone.on(pair.b, tokens["mentee"], "Cleo", session)
    made["people"].extend([ana, ben, cleo])
    await ana.connect()
    await ben.connect(audio=ToneTrack())
    await cleo.connect()
    assert await media_owner(made) == ana.node != ben.node
    await eventually(lambda: cleo.got_audio_from(ana, frames=10), WAIT, what="Cleo hears Ana")
    assert (await ben.peer.call("media_state", {"audio": True, "video": True}))["ok"]
    await eventually(lambda: cleo.got_audio_from(ben, frames=20)
                     and ana.got_audio_from(ben, frames=20), WAIT,
                     what="Ben heard once his microphone is on")
    # Muted again on his own process: no longer forwarded by the owner.
    assert (await ben.peer.call("media_state", {"audio": False, "video": True}))["ok"]
    heard = ana.media.frames[(ben.peer.id, "audio")]
    heard_cleo = ana.media.frames[(cleo.peer.id, "audio")]
    await eventually(lambda: ana.media.frames[(cleo.peer.id, "audio")] >= heard_cleo + 150,
                     WAIT, what="three more seconds of Cleo's audio")
    assert ana.media.frames[(ben.peer.id, "audio")] - heard <= 50
