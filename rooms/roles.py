"""Roles and what each may do, kept in one table."""

from __future__ import annotations

from enum import StrEnum

from rooms.errors import NotAllowed


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    OBSERVER = "observer"
    ADMIN = "admin"
    CAPTIONER = "captioner"  # types captions for the people speaking in their room


class Action(StrEnum):
    PUBLISH_MEDIA = "publish_media"
    CHAT = "chat"
    SIGNAL = "signal"
    MANAGE_BREAKOUTS = "manage_breakouts"
    JOIN_BREAKOUTS = "join_breakouts"
    VIEW_BOARD = "view_board"
    DRAW_ON_BOARD = "draw_on_board"
    CLEAR_BOARD = "clear_board"
    SHOW_BOARDS = "show_boards"  # list a session's boards, show a breakout's board in main
    SHARE_SCREEN = "share_screen"
    MANAGE_SCREENS = "manage_screens"  # stop someone's share, let several share at once
    CAPTION_OTHERS = "caption_others"  # type captions for whoever is speaking
    MODERATE = "moderate"  # mute, remove, admit from the waiting room, lock, end for everyone


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.MENTOR: frozenset(Action),
    Role.MENTEE: frozenset(Action)
    - {Action.MANAGE_BREAKOUTS, Action.CLEAR_BOARD, Action.SHOW_BOARDS, Action.MANAGE_SCREENS,
       Action.CAPTION_OTHERS, Action.MODERATE},
    Role.ADMIN: frozenset(Action),
    # Observers watch and may chat; they never send camera or microphone nor draw, and stay in
    # the main room unless a mentor moves them.
    Role.OBSERVER: frozenset({Action.CHAT, Action.SIGNAL, Action.VIEW_BOARD}),
    # Captioners hear the room and type what is said; like observers they send no media.
    Role.CAPTIONER: frozenset({Action.CHAT, Action.SIGNAL, Action.VIEW_BOARD,
                               Action.CAPTION_OTHERS}),
}

_DESCRIPTIONS: dict[Action, str] = {
    Action.PUBLISH_MEDIA: "send camera or microphone",
    Action.CHAT: "chat",
    Action.SIGNAL: "set up media connections",
    Action.MANAGE_BREAKOUTS: "run breakout rooms (only mentors and admins can)",
    Action.JOIN_BREAKOUTS: "choose a breakout room or ask for help there",
    Action.VIEW_BOARD: "see the whiteboard",
    Action.DRAW_ON_BOARD: "draw on the whiteboard (observers watch only)",
    Action.CLEAR_BOARD: "clear the whiteboard (only mentors and admins can)",
    Action.SHOW_BOARDS: "show or list other rooms' boards (only mentors and admins can)",
    Action.SHARE_SCREEN: "share a screen (observers watch only)",
    Action.MANAGE_SCREENS: "stop someone else's screen share or let several people share "
                           "(only mentors and admins can)",
    Action.CAPTION_OTHERS: "type captions for other people (only captioners, mentors and "
                           "admins can)",
    Action.MODERATE: "moderate the session (only mentors and admins can)",
}


def can(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]


def require(role: Role, action: Action) -> None:
    """Raise ``NotAllowed`` unless ``role`` may perform ``action``."""
    if not can(role, action):
        raise NotAllowed(
            f"A participant with the role {role.value!r} cannot {_DESCRIPTIONS[action]}."
        )
