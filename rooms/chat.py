"""Chat messages and the bounded log a session keeps of them."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rooms.errors import InvalidPayload, PayloadTooLarge
from rooms.roles import Role

TEXT_MAX = 2000
HISTORY_MAX = 2000
# The text a session keeps in all (UTF-8), whatever the count: a joiner receives the log of
# their room in one acknowledgement, which must stay well within a connection's send buffer
# (4 MiB; 2,000 messages of 2,000 four-byte characters would be 16 MB).
HISTORY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ChatMessage:
    id: int
    sender_id: str
    sender_name: str
    sender_role: Role
    room: str
    text: str
    sent_at: float
    broadcast: bool = False  # sent by a mentor to every breakout room at once

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise InvalidPayload("A chat message cannot be empty.")
        if len(self.text) > TEXT_MAX:
            raise PayloadTooLarge(f"A chat message can be at most {TEXT_MAX} characters long.")


@dataclass(frozen=True, slots=True)
class Posted:
    """What the sender of a chat message is answered: the message (None: sent again, and the
    session's chat no longer holds it). ``again``: it was posted before, but its room's history
    was out of reach as it was kept there (``Session.unsent_chat``: whether the room received
    it is not known); the caller sends it to its room once more, under an id that keeps it from
    being kept or sent twice (``server.history.Once``)."""

    message: ChatMessage | None
    again: bool = False


@dataclass(slots=True)
class ChatLog:
    """The last ``HISTORY_MAX`` messages of a session, and no more than ``HISTORY_BYTES`` of
    text in all, oldest first (the oldest go first); ids keep increasing."""

    limit: int = HISTORY_MAX
    limit_bytes: int = HISTORY_BYTES
    _messages: deque[ChatMessage] = field(init=False)
    _next_id: int = field(init=False, default=1)
    _bytes: int = field(init=False, default=0)  # of the texts kept (UTF-8)

    def __post_init__(self) -> None:
        self._messages = deque()

    @classmethod
    def restore(cls, messages: Iterable[ChatMessage], next_id: int,
                limit: int = HISTORY_MAX) -> ChatLog:
        log = cls(limit)
        for message in messages:
            log._keep(message)
        log._next_id = next_id
        return log

    def _keep(self, message: ChatMessage) -> None:
        """Add ``message`` last, letting the oldest go past either bound."""
        messages = self._messages
        messages.append(message)
        self._bytes += len(message.text.encode())
        while len(messages) > self.limit or (self._bytes > self.limit_bytes
                                             and len(messages) > 1):
            self._bytes -= len(messages.popleft().text.encode())

    @property
    def next_id(self) -> int:
        return self._next_id

    def append(
        self,
        *,
        sender_id: str,
        sender_name: str,
        sender_role: Role,
        room: str,
        text: str,
        now: float,
        broadcast: bool = False,
    ) -> ChatMessage:
        message = ChatMessage(
            id=self._next_id,
            sender_id=sender_id,
            sender_name=sender_name,
            sender_role=sender_role,
            room=room,
            text=text,
            sent_at=now,
            broadcast=broadcast,
        )
        self._keep(message)
        self._next_id += 1
        return message

    def find(self, message_id: int) -> ChatMessage | None:
        """The message with this number, if the log still holds it (looked for from the newest)."""
        for m in reversed(self._messages):
            if m.id == message_id:
                return m
            if m.id < message_id:
                break
        return None

    def remove_sender(self, sender_id: str) -> tuple[int, ...]:
        """Remove every message this participant sent (a deletion request); their numbers.
        The next message is numbered as before: numbers are never given twice."""
        gone = tuple(m.id for m in self._messages if m.sender_id == sender_id)
        if gone:
            kept = [m for m in self._messages if m.sender_id != sender_id]
            self.clear()
            for message in kept:
                self._keep(message)
        return gone

    def in_room(self, room: str) -> tuple[ChatMessage, ...]:
        return tuple(m for m in self._messages if m.room == room)

    def clear(self) -> None:
        self._messages.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[ChatMessage]:
        return iter(self._messages)
