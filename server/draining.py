"""A graceful stop (SIGTERM, or the supervisor stopping a worker): every connection closes as soon
as the event it is handling, if any, has been answered, so that its client reconnects at once
(to another process, with several) instead of when its pings go unanswered, and the server stops
within a moment rather than after aiohttp's wait for open connections (a minute).

aiohttp calls ``drain`` (an ``on_shutdown`` hook) once it has stopped accepting connections. A
socket that is waiting for its next message is sent a close frame ("going away") and closed; one
handling an event closes itself once that event is acknowledged (``server.websocket`` checks
``draining`` after each event). A long-polling socket is sent Engine.IO's close packet. Its
leaving is then recorded as any disconnection is, while the
database still runs: storage stops after serving.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from server.packets import ws_close_frame

if TYPE_CHECKING:
    from server.fanout import TandemSocketServer
    from server.websocket import Outbox

logger = logging.getLogger(__name__)

# RFC 6455 §7.4.1: the server is going away.
GOING_AWAY = ws_close_frame(1001)
# How long a stop waits for the sockets handling an event to answer it and close.
DRAIN_WITHIN = 10.0
# How often the wait looks whether every websocket has closed.
LOOK_EVERY = 0.02


async def drain(sio: TandemSocketServer, within: float = DRAIN_WITHIN) -> int:
    """Close every websocket served here, each once its event in hand is answered; return how
    many were open. Waits at most ``within`` seconds for those handling an event."""
    sio.draining = True
    open_now = list(sio.outboxes.values())
    for outbox in open_now:
        if not getattr(outbox.socket, "handling", False):
            close(outbox)
    # Long-polling sockets (and websockets upgraded from polling, which Engine.IO serves): an
    # Engine.IO close packet, which a client takes for a closed transport and reconnects after.
    # Not waiting for it to be sent: a socket nobody polls any more would never send it.
    others = [asyncio.ensure_future(_close_other(sio, sid, socket))
              for sid, socket in list(sio.eio.sockets.items())
              if sid not in sio.outboxes and not socket.closed and not socket.closing]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while ((sio.outboxes or not all(task.done() for task in others))
           and loop.time() < deadline):
        await asyncio.sleep(LOOK_EVERY)
    if sio.outboxes or not all(task.done() for task in others):
        logger.warning("stopping: connections still handling an event after %.0f s; closing "
                       "them", within)
        for outbox in list(sio.outboxes.values()):
            close(outbox)
        for task in others:
            task.cancel()
    closed = len(open_now) + len(others)
    if closed:
        logger.info("stopping: closed %d connections", closed)
    return closed


async def _close_other(sio: TandemSocketServer, sid: str, socket: Any) -> None:
    """Engine.IO's close of a socket it serves (its leaving recorded), without waiting for the
    close packet to go out."""
    try:
        await socket.close(wait=False, reason=sio.eio.reason.SERVER_DISCONNECT)
    except Exception:  # it closed meanwhile, or its close failed: the stop goes on
        logger.debug("stopping: closing %s failed", sid, exc_info=True)
    sio.eio.sockets.pop(sid, None)


def close(outbox: Outbox) -> None:
    """What is queued for the socket, then a close frame, then the connection closes (its
    reader sees it closed and ends)."""
    outbox.open = False
    outbox.pending.append(GOING_AWAY)
    outbox.flush()
    outbox.transport.close()
