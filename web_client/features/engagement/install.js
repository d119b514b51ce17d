// Engagement in the call: the check-in after joining, reactions, raising a hand, my own voice
// activity (sent as `speaking` start/stop), the participation panel, and the rating after leaving.
// Hands and speaking are facts of the store; the tiles and the people list draw them.

import { addStylesheet } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { SERVER_EVENTS } from "../../core/events.js";
import { engagementCommands } from "./commands.js";
import { checkInKey, reactionOf, shouldAskCheckIn } from "./state.js";
import { VoiceActivity } from "./voice.js";
import { createControls } from "./controls.js";
import { createParticipation } from "./participation.js";
import { removeCheckIn, showCheckIn } from "./checkin.js";
import { showRating } from "./rating.js";

/**
 * @param {object} ctx
 * @param {import("../../core/store.js").Store} ctx.store
 * @param {import("../../core/dispatcher.js").Dispatcher} ctx.dispatcher
 * @param {import("../../core/transport.js").Transport} ctx.transport
 * @param {(text: string) => void} ctx.announce
 * @param {(id: string, emoji: string) => void} ctx.showReaction  on the person's tile
 * @param {() => string | null} ctx.sessionId
 * @param {() => string | null} ctx.resume
 */
export function installEngagement({ store, dispatcher, transport, announce, showReaction, sessionId, resume }) {
  addStylesheet("/client/features/engagement/engagement.css");
  const commands = engagementCommands(transport);
  /** @type {() => boolean} */
  let micOn = () => false;
  const vad = new VoiceActivity((speaking) => {
    store.setSelfSpeaking(speaking);
    commands.speaking(speaking);
  });
  const participation = createParticipation({
    fetchReport: () => commands.overview(),
    me: () => ({ participantId: store.me.id, role: store.me.role }),
    opened: (open) => controls.showOverviewOpen(open),
    closedByButton: () => controls.overviewButton.focus(),
  });
  const controls = createControls({
    async toggleHand() {
      const me = store.me.id;
      if (!me) return;
      const raised = !store.handRaised(me);
      const ack = await commands.hand(raised);
      if (!ack.ok) return;
      store.hand(me, raised, typeof ack.at === "number" ? ack.at : undefined);
      announce(raised ? t("engagement.hand.raised_you") : t("engagement.hand.lowered_you"));
    },
    async react(reaction) {
      const ack = await commands.react(reaction);
      if (!ack.ok && ack.error.code === "rate_limited") announce(t("engagement.reaction.too_many"));
    },
    toggleOverview: () => participation.toggle(),
  });
  let mounted = false;

  store.subscribe("participants", () => controls.showHand(!!store.me.id && store.handRaised(store.me.id)));
  // Someone erased: the open overview asks again, and no longer lists them.
  store.subscribe("erased", () => participation.refreshIfOpen());
  dispatcher.on(SERVER_EVENTS.REACTION, ({ participant_id: id, reaction }) => {
    const found = reactionOf(reaction);
    if (!found || !id) return;
    showReaction(id, found.emoji);
    announce(id === store.me.id
      ? t("engagement.reaction.announce_you", { reaction: found.label })
      : t("engagement.reaction.announce", { name: store.name(id), reaction: found.label }));
  });
  dispatcher.on(SERVER_EVENTS.HAND, ({ participant_id: id, raised }) => {
    if (id && id !== store.me.id) announce(raised ? t("engagement.hand.raised_other", { name: store.name(id) }) : t("engagement.hand.lowered_other", { name: store.name(id) }));
  });

  function rememberKey() {
    return checkInKey(sessionId(), store.me.id);
  }

  return {
    /**
     * After every successful join (the store has it).
     * @param {{rejoined: boolean, stream: MediaStream | null, micOn: () => boolean}} join
     */
    joined({ rejoined, stream, micOn: isMicOn }) {
      if (!mounted) {
        controls.mount();
        document.getElementById("screen-call")?.append(participation.element);
        mounted = true;
      }
      micOn = isMicOn;
      vad.stop();
      vad.start(stream, () => micOn());
      let remembered = false;
      try {
        remembered = !!localStorage.getItem(rememberKey());
      } catch (e) {
        /* no storage: ask anyway */
      }
      if (shouldAskCheckIn({ rejoined, checkIn: store.checkIn, remembered })) {
        showCheckIn({
          checkIn: async (goal, share) => {
            const ack = await commands.checkIn(goal, share);
            if (ack.ok && ack.check_in) store.setCheckIn(ack.check_in);
            return ack;
          },
          remember: () => {
            try {
              localStorage.setItem(rememberKey(), "1");
            } catch (e) {
              /* ignore */
            }
          },
        });
      }
      participation.refreshIfOpen();
    },
    /** I left, or the session ended: offer the rating (unless I rated already). */
    left() {
      vad.stop();
      participation.hide();
      controls.closeMenus();
      removeCheckIn();
      const s = sessionId();
      const r = resume();
      if (s && r && !store.rated) showRating({ sessionId: s, resume: r });
    },
    /** The call stopped (left, ended, replaced, refused). */
    stop() {
      vad.stop();
      participation.hide();
    },
    /** Another microphone is in use: listen to it. @param {MediaStream | null} stream */
    microphoneChanged(stream) {
      if (mounted) vad.start(stream, () => micOn());
    },
    /** For the test hooks. */
    get speaking() {
      return vad.speaking;
    },
    overview: () => participation.last(),
    toggleHand: () => controls.toggleHand(),
    openReactions: () => controls.openReactions(),
  };
}
