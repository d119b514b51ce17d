// Getting into the session: the connection with the link's token, then the `join` request (with
// the saved resume token, the name typed and what the camera and microphone send), on the first
// connection and on every reconnect. Its refusals: a resume token no longer accepted is dropped
// and the join sent again without it; `rate_limited` tries again after a pause; `already_joined`
// starts a fresh connection; a name refused goes back to the join screen; anything else is the
// page's to show. The wire protocol is docs/PROTOCOL.md ("Connecting", `join`).

import { CLIENT_EVENTS } from "../../core/events.js";
import { showBanner } from "../../ui/announce.js";
import { t } from "../../ui/i18n.js";
import { forget } from "../../screens/saved.js";

const JOIN_TIMEOUT_MS = 10000;

/** @typedef {import("../../core/types.js").JoinAck} JoinAck */
/**
 * The page's part in joining (app.js `page`).
 * @typedef {object} JoiningPage
 * @property {string} state
 * @property {string | null} token
 * @property {string | null} sessionId
 * @property {string} name
 * @property {string | null} resume
 * @property {boolean} joinedOnce
 * @property {string | null} stopReason
 */

/**
 * @param {object} ctx
 * @param {JoiningPage} ctx.page
 * @param {import("../../core/transport.js").Transport} ctx.transport
 * @param {{connecting(): void}} ctx.replay
 * @param {{sending(): {audio: boolean, video: boolean}}} ctx.media
 * @param {{joinPayload(): {transcript_notice?: boolean}}} ctx.captions
 * @param {{visible: boolean, waiting(text: string): void, failed(text: string): void}} ctx.joinScreen
 * @param {() => Promise<void>} ctx.showJoin
 * @param {(code: string) => void} ctx.refused  the page shows the refusal
 * @param {(message: {title: string, body: string, state: string}) => void} ctx.message
 * @param {() => void} ctx.waiting  a mentor lets people in
 * @param {(ack: JoinAck) => void} ctx.joined
 * @param {(reason: string) => void} ctx.disconnected
 */
export function installJoining(ctx) {
  const { page, transport, joinScreen } = ctx;

  function connect() {
    page.stopReason = null;
    transport.connect(/** @type {string} */ (page.token), {
      connected: () => {
        ctx.replay.connecting();
        sendJoin();
      },
      refusedOrUnreachable: (err) => {
        if (err.data && err.data.code) {
          ctx.refused(err.data.code);
          return;
        }
        const unreachable = t("app.unreachable");
        if (page.state === "call" || page.state === "reconnecting") {
          page.state = "reconnecting";
          showBanner(t("app.reconnecting"));
        } else if (page.state === "joining") {
          if (joinScreen.visible) joinScreen.waiting(unreachable);
          else ctx.message({ title: t("message.connecting"), body: unreachable, state: "joining" });
        }
      },
      disconnected: (reason) => ctx.disconnected(reason),
    });
  }

  function sendJoin(retryWithoutResume = true) {
    const generation = transport.generation;
    /** @type {{audio: boolean, video: boolean, name?: string, resume?: string, transcript_notice?: boolean}} */
    const payload = { ...ctx.media.sending(), ...ctx.captions.joinPayload() };
    if (page.name) payload.name = page.name;
    if (page.resume) payload.resume = page.resume;
    transport.request(CLIENT_EVENTS.JOIN, payload, JOIN_TIMEOUT_MS).then((ack) => {
      if (generation !== transport.generation) return; // an older connection
      if (ack.ok && ack.waiting) {
        ctx.waiting();
        return;
      }
      if (ack.ok) {
        ctx.joined(/** @type {JoinAck} */ (ack));
        return;
      }
      if (ack.error.code === "timeout") {
        // No answer in time: the connection is probably broken. Start a fresh one.
        showBanner(page.joinedOnce ? t("app.reconnecting") : "");
        transport.reconnectSoon(1000);
        return;
      }
      joinRefused(ack.error, payload, retryWithoutResume);
    });
  }

  /**
   * @param {import("../../core/types.js").ErrorBody} error
   * @param {{resume?: string}} payload
   * @param {boolean} retryWithoutResume
   */
  function joinRefused(error, payload, retryWithoutResume) {
    const code = error.code;
    if ((code === "invalid_payload" || code === "resume_expired") && payload.resume && retryWithoutResume) {
      // The saved resume token is no longer accepted (or past its time): join without it.
      page.resume = null;
      forget(page.sessionId);
      sendJoin(false);
      return;
    }
    if (code === "rate_limited") {
      setTimeout(() => transport.connected && sendJoin(retryWithoutResume), 2000);
      return;
    }
    if (code === "already_joined") {
      transport.reconnectNow();
      return;
    }
    transport.disconnect();
    if (code === "invalid_payload" && !page.joinedOnce && (joinScreen.visible || page.state === "joining")) {
      ctx.showJoin().then(() => joinScreen.failed(t("join.name.refused")));
      return;
    }
    ctx.refused(code);
  }

  return { connect };
}
