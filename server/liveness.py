"""Engine.IO's liveness checks for the websockets ``server.websocket`` serves, without a task or a
``wait_for`` per check.

Engine.IO pings a client ``ping_interval`` seconds after its last pong and drops one whose pong
has not come ``ping_timeout`` seconds after the ping. Its own way costs, for every ping, a task
that sleeps the interval, then a trip through the socket's queue to the writer task waiting on
it with ``wait_for``. Its check of timeouts wakes ``sockets / ping_timeout`` times a second (100
at 1,000 sockets, 1,000 at 10,000), each time through ``wait_for`` with a task of its own. Here:

- a pong schedules the next ping with a timer, which writes it on the socket's outbox;
- one sweep at least every second looks at every socket's last ping and closes, through
  Engine.IO's own ``check_ping_timeout``, those that did not answer in time, but for a socket
  whose reader is handling one of its events (``handling``, set by ``server.websocket``): a
  connection's events are handled in turn, each may wait for a commit, and its pong is read
  after those that came before it. A client that sent a burst is busy, not gone.

The timing a client sees is Engine.IO's: the same intervals, the same ping and close packets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from engineio.exceptions import SocketIsClosedError

from server.packets import ws_frame
from server.tasks import TaskSet

logger = logging.getLogger(__name__)

# Engine.IO's PING ("2") in one unmasked text websocket frame.
PING_FRAME = ws_frame("2")
# Engine.IO's PONG, as a client sends it in a text frame.
PONG = "3"
# The longest wait between two sweeps (shorter when ping_timeout is under two seconds).
SWEEP_EVERY = 1.0
# A sweep this many seconds late judges nobody, and looks again this much later.
LATE = 0.25
CATCH_UP = 0.05


def pong(socket: Any, write: Callable[[bytes], None], loop: asyncio.AbstractEventLoop) -> None:
    """A pong came: the next ping in ``ping_interval`` seconds (as Engine.IO's
    ``schedule_ping``, once per ping sent), written by a timer rather than a task."""
    if socket.last_ping:
        socket.last_ping = None
        loop.call_later(socket.server.ping_interval, _ping, socket, write)


def _ping(socket: Any, write: Callable[[bytes], None]) -> None:
    if not socket.closing and not socket.closed:
        socket.last_ping = time.time()
        write(PING_FRAME)


async def sweep(eio: Any) -> None:
    """Engine.IO's service task (``AsyncServer._service_task``), in one pass over the sockets at
    least every second; ended by ``eio.shutdown()``, as Engine.IO's own is.

    A sweep that wakes late (the event loop was held up, say by a burst of work) judges nobody:
    the pongs that came meanwhile are still unread, and every client would look gone. It looks
    again once the loop has had a moment to read them; the next sweep judges whatever happens."""
    loop = asyncio.get_running_loop()
    stop = eio.service_task_event = eio.create_event()
    closing = TaskSet()
    due = loop.time()
    judged_last = True
    while not stop.is_set():
        timeout = eio.ping_timeout
        every = min(SWEEP_EVERY, timeout / 2)
        if loop.time() - due > LATE and judged_last:
            judged_last = False
            wait = CATCH_UP
        else:
            judged_last = True
            wait = every
            _judge(eio, time.time(), timeout, closing)
        due = loop.time() + wait
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
    await closing.close()


def _judge(eio: Any, now: float, timeout: float, closing: TaskSet) -> None:
    for sid, socket in list(eio.sockets.items()):
        if socket.closed:
            eio.sockets.pop(sid, None)
        elif (not socket.closing and socket.last_ping and now - socket.last_ping > timeout
              and not getattr(socket, "handling", False)):
            # Engine.IO's own check closes it, with its reason (a task: closing one socket
            # delivers its leaving, which must not hold up the sweep of the others).
            closing.spawn(_close_silent(sid, socket))


async def _close_silent(sid: str, socket: Any) -> None:
    try:
        await socket.check_ping_timeout()
    except SocketIsClosedError:
        pass  # it closed meanwhile
    except Exception:
        logger.exception("closing %s after its ping timed out failed", sid)
