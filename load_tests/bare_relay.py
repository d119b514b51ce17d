"""Bare python-socketio relay: the library's floor, for comparison with Tandem.

Same event names and room semantics as the Node reference (``reference/server.js``) and as Tandem's
socket protocol (docs/PROTOCOL.md), with no auth, no validation beyond "is it a map", no rate limits
and no records. Plain library defaults (no GC tuning), so that Tandem's overhead over the library is
what the comparison shows.

Usage: python -m load_tests.bare_relay --host 127.0.0.1 --port 0   (prints "LISTENING <port>")
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import socketio
from aiohttp import web

MAX_MESSAGE = 256 * 1024


def _err(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


class Relay:
    """The relay's event handlers, with the room and name of each joined connection."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        self.members: dict[str, tuple[str, str]] = {}  # sid -> (room, name)
        for name in ("connect", "join", "chat", "signal", "leave", "disconnect"):
            sio.on(name, getattr(self, name))

    async def connect(self, sid, environ, auth=None):
        return True

    async def join(self, sid, data):
        if not isinstance(data, dict) or not isinstance(data.get("room"), str):
            return _err("invalid_payload", "room must be a string")
        if sid in self.members:
            return _err("already_joined", "join was sent twice")
        room = data["room"]
        name = data.get("name") if isinstance(data.get("name"), str) else sid
        self.members[sid] = (room, name)
        await self.sio.enter_room(sid, room)
        me = {"id": sid, "name": name, "state": "connected", "room": room}
        participants = [
            {
                "id": other,
                "name": self.members.get(other, (room, other))[1],
                "state": "connected",
                "room": room,
            }
            for other, _eio in self.sio.manager.get_participants("/", room)
        ]
        await self.sio.emit("participant_joined", {"participant": me}, room=room, skip_sid=sid)
        return {"ok": True, "participant": me, "participants": participants}

    async def chat(self, sid, data):
        m = self.members.get(sid)
        if m is None:
            return _err("not_joined", "join first")
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return _err("invalid_payload", "text must be a string")
        msg = {"message": {"from": sid, "name": m[1], "text": data["text"]}}
        await self.sio.emit("chat", msg, room=m[0])
        return {"ok": True}

    async def signal(self, sid, data):
        if sid not in self.members:
            return _err("not_joined", "join first")
        if not isinstance(data, dict) or not isinstance(data.get("to"), str):
            return _err("invalid_payload", "to must be a string")
        out = {k: v for k, v in data.items() if k != "to"}
        out["from"] = sid
        await self.sio.emit("signal", out, to=data["to"])
        return {"ok": True}

    async def leave(self, sid, data=None):
        asyncio.get_running_loop().call_later(
            0.05, lambda: asyncio.ensure_future(self.sio.disconnect(sid))
        )
        return {"ok": True}

    async def disconnect(self, sid, reason=None):
        m = self.members.pop(sid, None)
        if m is not None:
            await self.sio.emit(
                "participant_left", {"participant_id": sid, "reason": "disconnected"}, room=m[0]
            )


def build_app() -> web.Application:
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        serializer="msgpack",
        max_http_buffer_size=MAX_MESSAGE,
        cors_allowed_origins=[],
    )
    app = web.Application()
    sio.attach(app)
    Relay(sio)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_get("/healthz", healthz)
    return app


async def _main(host: str, port: int) -> None:
    runner = web.AppRunner(build_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sys.stdout.write(f"LISTENING {bound}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    asyncio.run(_main(a.host, a.port))


if __name__ == "__main__":
    main()
