"""What each subscriber of the media plane receives, and how many slots that needs.

Pure functions over the plane's members: everyone else's audio in the subscriber's room, every
screen share in it, and the cameras of the ``last_n`` people of the room who spoke last (those
who never spoke by the order in which they first reached the plane); nothing of a participant
who is cut or whose session does not allow a source, and nothing at all to one who is cut.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from media.forwarding import Kind, Source
from media.members import Member, Subscription
from media.peers import PeerKey

KINDS: tuple[Kind, ...] = ("audio", "video")


def wanted(member: Member, members: Iterable[Member], allowed: Mapping[PeerKey, frozenset[str]],
           cut: Collection[PeerKey], last_n: int) -> dict[Kind, list[Source]]:
    """The sources ``member`` should receive now, in the order slots are given them."""
    if member.key in cut:
        return {"audio": [], "video": []}
    others = [m for m in members
              if m.room_key == member.room_key and m is not member and m.publication]

    def sends(m: Member, what: str) -> bool:
        said = allowed.get(m.key)
        return m.key not in cut and (said is None or what in said)

    audio = [m.publication.audio for m in others
             if m.publication and m.publication.audio and sends(m, "audio")]
    if not member.video:
        return {"audio": audio, "video": []}
    screens = [m.publication.screen for m in others
               if m.publication and m.publication.screen and sends(m, "screen")]
    ordered = sorted(others, key=lambda m: (m.last_spoke is None, -(m.last_spoke or 0.0),
                                            m.order))
    cameras = [m.publication.camera for m in ordered
               if m.publication and m.publication.camera and sends(m, "camera")]
    return {"audio": audio, "video": screens + cameras[:last_n]}


def growth(sub: Subscription, wanted: Mapping[Kind, list[Source]], max_slots: int,
           batch: int) -> dict[Kind, int]:
    """Slots to add so that what is wanted fits: whole batches when the bound allows, else just
    what is missing (audio first); a new pool has at least one slot of each kind."""
    room = max_slots - len(sub.slots)
    missing: dict[Kind, int] = {}
    for kind in KINDS:
        have = sum(1 for s in sub.slots if s.kind == kind)
        missing[kind] = max(len(wanted[kind]) - have, 0 if have else 1)
    rounded = {k: -(-m // batch) * batch for k, m in missing.items()}
    if sum(rounded.values()) <= room:
        return rounded
    audio = min(missing["audio"], room)
    return {"audio": audio, "video": min(missing["video"], room - audio)}
