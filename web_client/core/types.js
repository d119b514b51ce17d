// The shapes of the wire protocol the page relies on (docs/PROTOCOL.md), as JSDoc types for the
// type checker. This module holds no code.

/**
 * @typedef {"mentor" | "mentee" | "observer" | "admin" | "captioner"} Role
 * @typedef {"connected" | "disconnected" | "left"} PresenceState
 *
 * @typedef {object} Participant
 * @property {string} id
 * @property {string} name
 * @property {Role} role
 * @property {PresenceState} state
 * @property {boolean} audio
 * @property {boolean} video
 * @property {number} [joined_at]
 * @property {string} [room]  an opaque room id; "main" (or absent) is the main room
 * @property {number | null} [hand_raised_at]  when the hand went up, null when it is down
 * @property {boolean} [screen]  sharing their screen
 * @property {boolean} [captions]  viewing captions
 * @property {boolean} [transcribed]  their speech may be captioned (false: they turned it off)
 * @property {string} [caption_source]  "server" or "browser": who recognises their speech
 * @property {boolean} [audio_locked]  a mentor muted them until they allow it again
 * @property {boolean} [video_locked]  a mentor turned their camera off until they allow it again
 *
 * @typedef {object} ErrorBody
 * @property {string} code
 * @property {string} [message]
 *
 * @typedef {{ok: true, [key: string]: any} | {ok: false, error: ErrorBody, [key: string]: any}} Ack
 *
 * @typedef {object} Room
 * @property {string} id
 * @property {string} [name]
 *
 * @typedef {object} BreakoutRoom
 * @property {string} id
 * @property {string} name
 * @property {string[]} members   participant ids connected in the room now
 * @property {string[]} assigned  participant ids assigned to it
 *
 * @typedef {object} HelpRequest
 * @property {string} participant_id
 * @property {string} room
 * @property {number} asked_at
 *
 * @typedef {"draft" | "open" | "closing" | "closed"} RoundState
 *
 * @typedef {object} Breakouts
 * @property {number} [round]
 * @property {RoundState} state
 * @property {BreakoutRoom[]} rooms
 * @property {boolean} [allow_choice]
 * @property {number | null} [duration]
 * @property {number | null} [opened_at]
 * @property {number | null} [ends_at]
 * @property {number | null} [closing_ends_at]
 * @property {HelpRequest[]} [help]
 *
 * @typedef {object} ChatMessage
 * @property {number} id
 * @property {string} from
 * @property {string} name
 * @property {Role} [role]
 * @property {string} text
 * @property {number} sent_at
 * @property {string} [room]
 * @property {boolean} [broadcast]
 *
 * @typedef {object} CheckIn
 * @property {string} goal
 * @property {number} at
 * @property {boolean} [shared]  shown to the mentor, by the person's choice
 *
 * @typedef {object} JoinAck
 * @property {true} ok
 * @property {Participant} participant
 * @property {string} [resume]
 * @property {boolean} [rejoined]
 * @property {{id?: string, title?: string, goal?: string, state?: string, captions?: CaptionConsent, locked?: boolean, private_addresses?: boolean}} [session]
 * @property {{id: string, name: string, role: string, since: number, returning: boolean, removed_before: boolean}[]} [waiters]  who waits to be let in (mentors and admins)
 * @property {Participant[]} [participants]
 * @property {ChatMessage[]} [chat]
 * @property {RTCIceServer[]} [ice_servers]
 * @property {number} [server_time]
 * @property {Room} [room]
 * @property {Breakouts | null} [breakouts]
 * @property {string[]} [speaking]   who is speaking now anywhere (mentors and admins)
 * @property {CheckIn | null} [check_in]  my own check-in
 * @property {boolean} [rated]  I have already rated this session
 * @property {MediaRoute} [media_route]  how media goes in my room
 * @property {boolean} [screens_many]  several may share their screens at once in my room
 * @property {Position} [position]  where my room's history was as I joined
 *
 * @typedef {object} Position  an event's place in its room's history (docs/PROTOCOL.md, "Missed events")
 * @property {string} room
 * @property {string} epoch
 * @property {number} offset
 *
 * @typedef {"p2p" | "server"} MediaRoute
 *
 * @typedef {"off" | "live" | "keep"} CaptionConsent  the session's captions setting
 * @typedef {"server" | "browser" | "captioner"} CaptionSource
 *
 * @typedef {object} Caption  one caption event: a partial (it may still change) or the final text
 * @property {string} [room]
 * @property {string} speaker_id  "" for an unknown speaker (a captioner's choice)
 * @property {string} [speaker_name]
 * @property {string} utterance  stable for one utterance: later partials and the final replace it
 * @property {string} text
 * @property {boolean} final
 * @property {CaptionSource} [source]
 * @property {number} [start]
 * @property {number} [end]
 *
 * @typedef {object} Slot  one transceiver of the subscribe connection and whose media it carries
 * @property {string} mid
 * @property {"audio" | "video"} kind
 * @property {string | null} participant_id
 * @property {"camera" | "screen" | null} source
 */

export {};
