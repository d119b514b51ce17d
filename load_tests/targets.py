"""The servers under test: Tandem, the Node socket.io reference and the bare python-socketio
relay.

Each target starts its own server process on 127.0.0.1 (a fresh one per run, so that memory
figures start from the same place), hands out per-room credentials, and is stopped at the end.
The adapter is thin: Tandem is joined through its real REST + join-token path; the two relays
take a room name in ``join``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REFERENCE_DIR = HERE / "reference"
ADMIN_KEY = "load-test-admin-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until ``url``/healthz answers 200. Raises RuntimeError when ``proc`` exits first or
    ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                async with s.get(url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s")


def python_exe() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def ensure_reference_installed(log=print) -> None:
    """Installs the pinned npm packages of the reference server (``npm ci``) when missing."""
    if shutil.which("node") is None:
        raise RuntimeError("node is not installed: the reference server needs Node.js 18+ and npm")
    if (REFERENCE_DIR / "node_modules" / "socket.io" / "package.json").exists() and (
        REFERENCE_DIR / "node_modules" / "socket.io-msgpack-parser" / "package.json"
    ).exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: cannot install the reference server's packages")
    log("installing the reference server's npm packages (npm ci) ...")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REFERENCE_DIR, check=True
    )


class Target:
    name = "?"
    chat_event = "chat"

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.tmp: tempfile.TemporaryDirectory | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> tuple[list[str], dict[str, str], Path]:
        raise NotImplementedError

    async def start(self, timeout: float = 60.0) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix=f"lt-{self.name}-")
        self.port = free_port()
        cmd, env, cwd = self.command()
        self.log_path = Path(self.tmp.name) / "server.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd,
                env={**os.environ, **env},
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            await wait_healthy(self.url, self.proc, timeout)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{self.name}: {exc}: {self.log_tail()}") from None

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace") if self.log_path else ""
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None

    async def provision(self, rooms: dict[str, int]) -> dict[str, tuple[dict | None, dict]]:
        """Returns, per room key, the (auth, join payload template) every client of that room
        uses."""
        raise NotImplementedError


class RelayTarget(Target):
    async def provision(self, rooms: dict[str, int]) -> dict[str, tuple[dict | None, dict]]:
        return {room: ({}, {"room": room}) for room in rooms}


class BareTarget(RelayTarget):
    name = "bare"

    def command(self):
        return (
            [
                python_exe(),
                "-m",
                "load_tests.bare_relay",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            {},
            REPO,
        )


class ReferenceTarget(RelayTarget):
    name = "reference"

    async def start(self, timeout: float = 60.0) -> None:
        ensure_reference_installed()
        await super().start(timeout)

    def command(self):
        node = shutil.which("node") or "node"
        return (
            [
                node,
                str(REFERENCE_DIR / "server.js"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            {},
            REFERENCE_DIR,
        )


class TandemTarget(Target):
    """Tandem itself, from this checkout or from ``TANDEM_DIR``: another checkout of the
    repository, e.g. ``git archive HEAD server rooms media web_client | tar -x -C DIR``, to
    measure the last commit while the working tree is being edited."""

    name = "tandem"
    settings: dict[str, str] = {}  # TANDEM_* settings of this variant

    def command(self):
        assert self.tmp is not None
        data = Path(self.tmp.name) / "data"
        data.mkdir(exist_ok=True)
        env = {
            "TANDEM_ADMIN_KEY": ADMIN_KEY,
            "TANDEM_MAX_SESSION_SIZE": os.environ.get("TANDEM_MAX_SESSION_SIZE", "1000"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(tandem_dir()),
            **self.settings,
        }
        return (
            [
                python_exe(),
                "-m",
                "server",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(data),
            ],
            env,
            tandem_dir(),
        )

    async def provision(self, rooms: dict[str, int]) -> dict[str, tuple[dict | None, dict]]:
        out: dict[str, tuple[dict | None, dict]] = {}
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        sem = asyncio.Semaphore(8)
        async with aiohttp.ClientSession(headers=headers) as s:

            async def one(room: str, n: int) -> None:
                body = {"title": f"load test {room}", "max_participants": max(2, n)}
                async with sem:
                    async with s.post(self.url + "/api/sessions", json=body) as r:
                        data = await r.json()
                        if r.status != 201:
                            raise RuntimeError(f"POST /api/sessions -> {r.status}: {data}")
                urls = data["join_urls"]
                link = urls.get("mentee") or next(iter(urls.values()))
                token = link.split("#token=", 1)[1]
                out[room] = ({"token": token}, {"audio": False, "video": False})

            await asyncio.gather(*(one(room, n) for room, n in rooms.items()))
        return out


class TandemAsyncioTarget(TandemTarget):
    """Tandem on asyncio's own event loop instead of uvloop (the A/B of that choice)."""

    name = "tandem-asyncio"
    settings = {"TANDEM_EVENT_LOOP": "asyncio"}


class TandemDefaultGcTarget(TandemTarget):
    """Tandem with Python's default garbage collector thresholds (the A/B of that choice)."""

    name = "tandem-gc-default"
    settings = {"TANDEM_GC_THRESHOLD": "700,10,10"}


TARGETS = {
    "tandem": TandemTarget,
    "reference": ReferenceTarget,
    "bare": BareTarget,
    "tandem-asyncio": TandemAsyncioTarget,
    "tandem-gc-default": TandemDefaultGcTarget,
}


def tandem_dir() -> Path:
    return Path(os.environ.get("TANDEM_DIR") or REPO).resolve()


def tandem_available() -> bool:
    return (tandem_dir() / "server" / "__main__.py").exists()
