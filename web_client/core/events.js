// The event names of the wire protocol (docs/PROTOCOL.md), in one place: every emit and every
// subscription of the page uses these constants, never a bare string. One entry per line, so that
// the Python tests can read this file and compare it with the protocol.

/** What the page sends to the server. */
export const CLIENT_EVENTS = Object.freeze({
  JOIN: "join",
  CHAT: "chat",
  MEDIA_STATE: "media_state",
  SIGNAL: "signal",
  LEAVE: "leave",
  BREAKOUT_CREATE: "breakout_create",
  BREAKOUT_ASSIGN: "breakout_assign",
  BREAKOUT_AUTO_ASSIGN: "breakout_auto_assign",
  BREAKOUT_OPEN: "breakout_open",
  BREAKOUT_ADJUST: "breakout_adjust",
  BREAKOUT_BROADCAST: "breakout_broadcast",
  BREAKOUT_VISIT: "breakout_visit",
  BREAKOUT_CLOSE: "breakout_close",
  BREAKOUT_DISCARD: "breakout_discard",
  BREAKOUT_CHOOSE: "breakout_choose",
  HELP_REQUEST: "help_request",
  HELP_WITHDRAW: "help_withdraw",
  BOARD_SYNC: "board_sync",
  BOARD_UPDATE: "board_update",
  BOARD_CURSOR: "board_cursor",
  BOARD_CLEAR: "board_clear",
  BOARD_LIST: "board_list",
  BOARD_SHOW: "board_show",
  CHECK_IN: "check_in",
  CHECK_OUT: "check_out",
  SPEAKING: "speaking",
  REACTION: "reaction",
  HAND: "hand",
  ATTENDANCE: "attendance",
  MEDIA_PUBLISH: "media_publish",
  MEDIA_SUBSCRIBE: "media_subscribe",
  MEDIA_ANSWER: "media_answer",
  MEDIA_RECEIVE: "media_receive",
  MEDIA_STOP: "media_stop",
  MEDIA_FALLBACK: "media_fallback",
  SCREEN_SHARE: "screen_share",
  SCREEN_STOP: "screen_stop",
  SCREEN_POLICY: "screen_policy",
});

/** What the server sends to the page. */
export const SERVER_EVENTS = Object.freeze({
  PARTICIPANT_JOINED: "participant_joined",
  PARTICIPANT_REJOINED: "participant_rejoined",
  PARTICIPANT_LEFT: "participant_left",
  PARTICIPANT_UPDATED: "participant_updated",
  PARTICIPANT_MOVED: "participant_moved",
  PARTICIPANT_SPEAKING: "participant_speaking",
  CHAT: "chat",
  SIGNAL: "signal",
  REPLACED: "replaced",
  SESSION_ENDED: "session_ended",
  ROOM_CHANGED: "room_changed",
  BREAKOUTS: "breakouts",
  BREAKOUT_WARNING: "breakout_warning",
  BOARD_UPDATE: "board_update",
  BOARD_CURSORS: "board_cursors",
  BOARD_SHOWN: "board_shown",
  REACTION: "reaction",
  HAND: "hand",
  MEDIA_ROUTE: "media_route",
  MEDIA_OFFER: "media_offer",
  MEDIA_SLOTS: "media_slots",
});

/** The socket.io client's own connection events (not part of the protocol). */
export const CONNECTION_EVENTS = Object.freeze({
  CONNECT: "connect",
  CONNECT_ERROR: "connect_error",
  DISCONNECT: "disconnect",
});
