"""Tandem's server, and any other server a test or benchmark needs, run as a child process.

Every test and benchmark that needs a real server process starts it through here, the same way:
on 127.0.0.1 and a free port, its output appended to a log file whose tail explains a failed
start, ready once ``GET /healthz`` answers 200 (within a deadline), stopped politely (SIGTERM, then
SIGKILL), killed outright for crash tests, and restarted on the same port and data directory so
that clients reconnect to the same URL.

    with ServerProcess(tmp / "data") as server:        # or: await server.start_async()
        api = server.admin()
        session = api.create_session(title="Check-in")
        server.kill()                                   # SIGKILL: no shutdown code runs
        server.restart()                                # same port, same data directory
"""

from __future__ import annotations

import asyncio
import http.client
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import aiohttp

from clients.admin import AdminApi, AsyncAdminApi

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_ADMIN_KEY = "tandem-test-admin-key-0123456789"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# A port chosen here can be taken by another process before the server binds it: the server is
# then started again on another port, this many times at most.
PORT_ATTEMPTS = 3
_POLL_SECONDS = 0.1
_PROBE_SECONDS = 2.0
# urllib would otherwise send requests to 127.0.0.1 through a proxy named in the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def checkout_dir() -> Path:
    """The checkout whose server the benchmarks measure: ``TANDEM_DIR`` when it is set (another
    checkout of the repository, e.g. ``git archive HEAD server rooms media web_client | tar -x -C
    DIR``, to measure the last commit while the working tree is being edited), else this one."""
    return Path(os.environ.get("TANDEM_DIR") or REPO).resolve()


class ServerStartError(RuntimeError):
    """The server exited, or did not answer /healthz in time; the message ends with its log."""


class ChildServer:
    """A server program run as a child process on 127.0.0.1, ready when ``GET /healthz`` answers
    200. Subclasses say how to run it (``command``, and ``cwd`` and ``environ`` if need be).

    The child leads a process group of its own: a Ctrl-C meant for the test run does not reach it
    (the harness stops it itself), and stopping it stops anything it started."""

    name = "server"

    def __init__(
        self,
        log_path: Path,
        *,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.log_path = log_path
        self.port = free_port() if port is None else port
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        # Until the server has answered once, a port chosen here may be swapped for another.
        self._port_is_ours = port is None
        self._log_offset = 0

    # -- how to run it ----------------------------------------------------------------------------

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def cwd(self) -> Path:
        return REPO

    def environ(self) -> dict[str, str]:
        # These servers serve loopback only: their media peers must offer 127.0.0.1 (which
        # aioice leaves out by itself). They load the speech model only when a room first needs
        # captions, as most of them never do.
        return {**os.environ, "PYTHONUNBUFFERED": "1", "TANDEM_MEDIA_ADDRESSES": HOST,
                "TANDEM_SPEECH_PRELOAD": "0",
                # Tests and benchmarks let people straight in unless they test the waiting room,
                # and connect thousands of clients from one address unless they test that bound.
                "TANDEM_WAITING_ROOM": "off", "TANDEM_CONNECT_RATE": "0", **self.env}

    # -- state ------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self._process().pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server's log (every start appends to it)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 200 * lines))
                text = log.read().decode(errors="replace")
        except OSError:
            return f"(no log at {self.log_path})"
        return "\n".join(text.splitlines()[-lines:])

    # -- starting ---------------------------------------------------------------------------------

    def spawn(self) -> None:
        """Starts the process without waiting for it to be ready (see ``wait_ready``)."""
        if self.running:
            raise RuntimeError(f"the {self.name} server is already running (pid {self.pid})")
        command = self.command()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
            log.write(f"--- start {self.starts}: {shlex.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=self.environ(), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def wait_ready(self, timeout: float | None = None) -> None:
        """Blocks until /healthz answers 200; ServerStartError if the process exits first or
        ``timeout`` (default ``startup_timeout``) seconds pass."""
        deadline = self._deadline(timeout)
        while True:
            self._fail_if_exited()
            if self._probe():
                self._port_is_ours = False
                return
            self._fail_if_late(deadline)
            time.sleep(_POLL_SECONDS)

    async def wait_ready_async(self, timeout: float | None = None) -> None:
        """``wait_ready`` for an event loop."""
        deadline = self._deadline(timeout)
        probe_timeout = aiohttp.ClientTimeout(total=_PROBE_SECONDS)
        async with aiohttp.ClientSession(timeout=probe_timeout) as http:
            while True:
                self._fail_if_exited()
                if await self._probe_async(http):
                    self._port_is_ours = False
                    return
                self._fail_if_late(deadline)
                await asyncio.sleep(_POLL_SECONDS)

    def start(self, timeout: float | None = None) -> Self:
        """Spawns the server and waits until it is ready; on failure it is stopped and
        ServerStartError raised. Returns the server, to allow ``s = ServerProcess(...).start()``."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.spawn()
            try:
                self.wait_ready(timeout)
                return self
            except ServerStartError:
                self.stop()
                if not self._take_another_port(attempt):
                    raise
        raise AssertionError("unreachable")

    async def start_async(self, timeout: float | None = None) -> Self:
        """``start`` for an event loop."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.spawn()
            try:
                await self.wait_ready_async(timeout)
                return self
            except ServerStartError:
                self.stop()
                if not self._take_another_port(attempt):
                    raise
        raise AssertionError("unreachable")

    def restart(self, timeout: float | None = None) -> Self:
        """Stops the server if it still runs, and starts it again on the same port (and, for
        Tandem, the same data directory)."""
        self.stop()
        self._port_is_ours = False
        return self.start(timeout)

    async def restart_async(self, timeout: float | None = None) -> Self:
        self.stop()
        self._port_is_ours = False
        return await self.start_async(timeout)

    # -- stopping ---------------------------------------------------------------------------------

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; returns the exit code (None if never
        started). Does nothing to a process that has already exited."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                process.wait(timeout)
        return process.returncode

    def kill(self) -> int:
        """SIGKILL, as a crash would: no shutdown code of the server runs."""
        process = self._process()
        self._signal(signal.SIGKILL)
        return process.wait(STOP_TIMEOUT)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.start_async()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- helpers ----------------------------------------------------------------------------------

    def _process(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise RuntimeError(f"the {self.name} server was never started")
        return self.process

    def _signal(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self._process().pid, sig)
        except ProcessLookupError:
            pass

    def _deadline(self, timeout: float | None) -> tuple[float, float]:
        seconds = self.startup_timeout if timeout is None else timeout
        return time.monotonic() + seconds, seconds

    def _fail_if_exited(self) -> None:
        code = self._process().poll()
        if code is not None:
            raise ServerStartError(
                f"the {self.name} server exited with {code} before answering /healthz "
                f"({self.url}); its log ({self.log_path}) ends:\n{self.log_tail()}"
            )

    def _fail_if_late(self, deadline: tuple[float, float]) -> None:
        at, seconds = deadline
        if time.monotonic() > at:
            raise ServerStartError(
                f"the {self.name} server did not answer /healthz ({self.url}) within "
                f"{seconds:g} s; its log ({self.log_path}) ends:\n{self.log_tail()}"
            )

    def _probe(self) -> bool:
        try:
            with _NO_PROXY.open(self.url + "/healthz", timeout=_PROBE_SECONDS) as reply:
                return bool(reply.status == 200)
        except (OSError, http.client.HTTPException):
            return False

    async def _probe_async(self, http: aiohttp.ClientSession) -> bool:
        try:
            async with http.get(self.url + "/healthz") as reply:
                return reply.status == 200
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False

    def _take_another_port(self, attempt: int) -> bool:
        """After a failed start: True (with a new port) when the port chosen here was taken by
        someone else in the meantime and another attempt is left."""
        if not self._port_is_ours or attempt >= PORT_ATTEMPTS:
            return False
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                this_start = log.read().decode(errors="replace").lower()
        except OSError:
            return False
        if "address already in use" not in this_start:
            return False
        self.port = free_port()
        return True


class ServerProcess(ChildServer):
    """Tandem's server: ``python -m server serve --host 127.0.0.1 --port P --data-dir D`` and
    ``flags``, with the admin key in ``TANDEM_ADMIN_KEY`` and ``env`` (more ``TANDEM_*``
    settings) on top of this process's environment. ``checkout`` runs the server of another
    checkout of the repository (its directory is the working directory and comes first on
    ``PYTHONPATH``); ``python`` is the interpreter (default: this one)."""

    name = "tandem"

    def __init__(
        self,
        data_dir: Path,
        *,
        log_path: Path | None = None,
        port: int | None = None,
        admin_key: str = DEFAULT_ADMIN_KEY,
        flags: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        checkout: Path | None = None,
        python: str | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(
            log_path or data_dir.parent / "server.log",
            port=port, env=env, startup_timeout=startup_timeout,
        )
        self.data_dir = data_dir
        self.admin_key = admin_key
        self.flags = list(flags)
        self.checkout = (checkout or REPO).resolve()
        self.python = python or sys.executable

    def command(self) -> list[str]:
        return [
            self.python, "-m", "server", "serve", "--host", HOST, "--port", str(self.port),
            "--data-dir", str(self.data_dir), *self.flags,
        ]

    @property
    def cwd(self) -> Path:
        return self.checkout

    def environ(self) -> dict[str, str]:
        env = super().environ()
        path = env.get("PYTHONPATH")
        env["PYTHONPATH"] = str(self.checkout) + (os.pathsep + path if path else "")
        env["TANDEM_ADMIN_KEY"] = self.admin_key
        return env

    def admin(self) -> AdminApi:
        """Blocking admin REST calls to this server."""
        return AdminApi(self.url, self.admin_key)

    def admin_async(self) -> AsyncAdminApi:
        """Admin REST calls for an event loop: ``async with server.admin_async() as api``."""
        return AsyncAdminApi(self.url, self.admin_key)


def redis_binary() -> str | None:
    """Where ``redis-server`` is (the Debian package ``redis-server``), or None."""
    found = shutil.which("redis-server")
    if found is None and Path("/usr/bin/redis-server").exists():
        found = "/usr/bin/redis-server"
    return found


class RedisProcess(ChildServer):
    """A ``redis-server`` of its own on 127.0.0.1 and a free port, keeping an append-only file
    in ``data_dir`` (fsynced every second, as docs/ARCHITECTURE.md asks of Redis in
    production), ready when it answers PING. Stopping it and starting it again (``restart``)
    keeps what it held, like a Redis that was away for a while."""

    name = "redis"

    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        super().__init__(data_dir / "redis.log", port=port, startup_timeout=10.0)
        self.data_dir = data_dir
        binary = redis_binary()
        if binary is None:
            raise ServerStartError("redis-server is not installed (Debian: apt-get install "
                                   "redis-server)")
        self.binary = binary

    def command(self) -> list[str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return [self.binary, "--bind", HOST, "--port", str(self.port), "--dir",
                str(self.data_dir), "--save", "", "--appendonly", "yes", "--appendfsync",
                "everysec", "--protected-mode", "no", "--daemonize", "no"]

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def _probe(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=_PROBE_SECONDS) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    async def _probe_async(self, http: aiohttp.ClientSession) -> bool:
        return await asyncio.to_thread(self._probe)
