"""The servers under test: Tandem, the Node socket.io reference and the bare python-socketio
relay.

Each target starts its own server process on 127.0.0.1 (a fresh one per run, so that memory
figures start from the same place; ``clients/server.py`` runs it), hands out per-room credentials,
and is stopped at the end. The adapter is thin: Tandem is joined through its real REST + join-token
path; the two relays take a room name in ``join``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from clients.admin import AsyncAdminApi, join_token
from clients.server import HOST, REPO, ChildServer, ServerProcess, checkout_dir

HERE = Path(__file__).resolve().parent
REFERENCE_DIR = HERE / "reference"
ADMIN_KEY = "load-test-admin-key"
STARTUP_TIMEOUT = 60.0

# Per room: the Socket.IO CONNECT auth (one every client of the room uses, or a list with one per
# client of the room) and the join payload every client of that room uses.
Auth = dict[str, Any] | None
Credentials = dict[str, tuple[Auth | list[Auth], dict[str, Any]]]
# Connections Tandem lets in at once with one role link (``connections_per_link``): a room with
# more clients gives each its own personal link.
LINK_CAP = 50


def python_exe() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def ensure_reference_installed(log: Callable[[str], Any] = print) -> None:
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


def tandem_process(
    data_dir: Path,
    *,
    flags: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    port: int | None = None,
    python: str | None = None,
) -> ServerProcess:
    """Tandem as the load tests run it: the checkout under test (``TANDEM_DIR``, else this one)
    with this repository's interpreter, and the load tests' admin key."""
    return ServerProcess(
        data_dir, log_path=log_path, admin_key=ADMIN_KEY, flags=flags, env=env, port=port,
        checkout=checkout_dir(), python=python or python_exe(), startup_timeout=STARTUP_TIMEOUT,
    )


def tandem_available() -> bool:
    return (checkout_dir() / "server" / "__main__.py").exists()


class BareRelayProcess(ChildServer):
    name = "bare"

    def command(self) -> list[str]:
        return [python_exe(), "-m", "load_tests.bare_relay", "--host", HOST, "--port",
                str(self.port)]


class ReferenceProcess(ChildServer):
    name = "reference"

    def command(self) -> list[str]:
        node = shutil.which("node") or "node"
        return [node, str(REFERENCE_DIR / "server.js"), "--host", HOST, "--port", str(self.port)]

    @property
    def cwd(self) -> Path:
        return REFERENCE_DIR


class ClusterLauncherProcess(ChildServer):
    """Tandem with ``--redis`` and a ``redis-server`` of its own, both children of one launcher
    process (``cluster_launcher.py``), so that the runner's measures of the process tree count
    Redis and every worker with the server."""

    name = "tandem+redis"

    def __init__(self, workdir: Path, *, workers: int, env: Mapping[str, str]) -> None:
        super().__init__(workdir / "server.log", env=env, startup_timeout=STARTUP_TIMEOUT)
        self.workdir = workdir
        self.workers = workers

    def command(self) -> list[str]:
        return [python_exe(), "-m", "load_tests.cluster_launcher", "--port", str(self.port),
                "--dir", str(self.workdir), "--workers", str(self.workers)]

    def stop(self, timeout: float = 30.0) -> int | None:
        # the launcher stops Tandem (up to 10 s), then Redis
        return super().stop(timeout)

    def log_tail(self, lines: int = 40) -> str:
        tandem = ChildServer(self.workdir / "tandem.log", port=0).log_tail(lines)
        return f"{super().log_tail(lines)}\n--- tandem.log:\n{tandem}"


class Target:
    name = "?"
    chat_event = "chat"
    notes: tuple[str, ...] = ()  # said of every run against this target

    def chat_ids(self) -> bool:
        """Whether clients send an id with each chat message, as Tandem's page does."""
        return False

    def __init__(self) -> None:
        self.server: ChildServer | None = None
        self.tmp: tempfile.TemporaryDirectory[str] | None = None

    def _server(self) -> ChildServer:
        if self.server is None:
            raise RuntimeError(f"the {self.name} target was not started")
        return self.server

    @property
    def url(self) -> str:
        return self._server().url

    @property
    def pid(self) -> int:
        return self._server().pid

    @property
    def died(self) -> bool:
        """True when the server has exited by itself."""
        return self.server is not None and self.server.returncode is not None

    def make_server(self, workdir: Path) -> ChildServer:
        raise NotImplementedError

    async def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix=f"lt-{self.name}-")
        self.server = self.make_server(Path(self.tmp.name))
        try:
            await self.server.start_async(timeout)
        except BaseException:
            self.stop()
            raise

    def log_tail(self, lines: int = 40) -> str:
        return self.server.log_tail(lines) if self.server is not None else ""

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None

    async def provision(self, rooms: dict[str, int]) -> Credentials:
        """Returns, per room key, the (auth, join payload template) every client of that room
        uses."""
        raise NotImplementedError


class RelayTarget(Target):
    async def provision(self, rooms: dict[str, int]) -> Credentials:
        return {room: ({}, {"room": room}) for room in rooms}


class BareTarget(RelayTarget):
    name = "bare"

    def make_server(self, workdir: Path) -> ChildServer:
        return BareRelayProcess(workdir / "server.log", startup_timeout=STARTUP_TIMEOUT)


class ReferenceTarget(RelayTarget):
    name = "reference"

    async def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        ensure_reference_installed()
        await super().start(timeout)

    def make_server(self, workdir: Path) -> ChildServer:
        return ReferenceProcess(workdir / "server.log", startup_timeout=STARTUP_TIMEOUT)


class TandemTarget(Target):
    """Tandem itself, from this checkout or from ``TANDEM_DIR`` (see ``clients.server``)."""

    name = "tandem"
    settings: dict[str, str] = {}  # TANDEM_* settings of this variant

    def chat_ids(self) -> bool:
        # As the page does, where the checkout measured takes them (an older one, measured by
        # ``ab --base``, refuses them).
        return "client_id" in (checkout_dir() / "server" / "sessions" / "wire.py").read_text()

    def make_server(self, workdir: Path) -> ChildServer:
        env = {
            "TANDEM_MAX_SESSION_SIZE": os.environ.get("TANDEM_MAX_SESSION_SIZE", "1000"),
            **self.settings,
        }
        return tandem_process(workdir / "data", env=env, python=self.interpreter())

    def interpreter(self) -> str | None:
        """The interpreter that runs the server (None: this repository's, ``python_exe``)."""
        return None

    @property
    def notes(self) -> tuple[str, ...]:  # type: ignore[override]
        return (interpreter_note(self.interpreter() or python_exe()),)

    async def provision(self, rooms: dict[str, int]) -> Credentials:
        out: Credentials = {}
        sem = asyncio.Semaphore(8)
        async with AsyncAdminApi(self.url, ADMIN_KEY) as api:

            async def one(room: str, n: int) -> None:
                async with sem:
                    session = await api.create_session(
                        title=f"load test {room}", max_participants=max(2, n)
                    )
                urls = session["join_urls"]
                link = urls.get("mentee") or next(iter(urls.values()))
                join = {"audio": False, "video": False}
                if n <= LINK_CAP:
                    out[room] = ({"token": join_token(link)}, join)
                    return
                auths: list[Auth] = []
                for k in range(n):
                    async with sem:
                        made = await api.call(
                            "POST", f"/api/sessions/{session['session_id']}/links",
                            {"role": "mentee", "name": f"{room}-{k}"}, expect=201)
                    auths.append({"token": join_token(made["url"])})
                out[room] = (auths, join)

            await asyncio.gather(*(one(room, n) for room, n in rooms.items()))
        return out


class TandemRedisTarget(TandemTarget):
    """One Tandem process keeping its sessions in a Redis of its own (``--redis``); the server's
    figures include Redis's."""

    name = "tandem-redis"
    workers = 1
    notes = (
        "server figures include redis-server and the launcher process (CPU, memory, CPU wait); "
        "all of them share the server's one core, so their CPU wait is partly each other's",
    )

    def make_server(self, workdir: Path) -> ChildServer:
        env = {
            "TANDEM_MAX_SESSION_SIZE": os.environ.get("TANDEM_MAX_SESSION_SIZE", "1000"),
            **self.settings,
        }
        return ClusterLauncherProcess(workdir, workers=self.workers, env=env)


class TandemRedis2Target(TandemRedisTarget):
    """Two Tandem processes on one port (``--workers 2 --redis``) and their Redis; the server's
    figures include both workers and Redis (all on the server's one core)."""

    name = "tandem-redis-2"
    workers = 2


# Tandem with its settings changed, for the A/B of a choice: name -> (what it runs, TANDEM_*).
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "tandem-asyncio": ("asyncio's own event loop instead of uvloop",
                       {"TANDEM_EVENT_LOOP": "asyncio"}),
    "tandem-gc-default": ("Python's default garbage collector thresholds",
                          {"TANDEM_GC_THRESHOLD": "700,10,10"}),
    "tandem-no-metrics": ("nothing counted for /metrics", {"TANDEM_METRICS": "0"}),
    "tandem-commit-10": ("a commit every 10 ms instead of every 50",
                         {"TANDEM_COMMIT_INTERVAL_MS": "10"}),
    "tandem-commit-20": ("a commit every 20 ms (the default before 2026-12-06, stop 33)",
                         {"TANDEM_COMMIT_INTERVAL_MS": "20"}),
    "tandem-commit-25": ("a commit every 25 ms", {"TANDEM_COMMIT_INTERVAL_MS": "25"}),
    "tandem-ping-25": ("socket.io's liveness defaults (a ping every 25 s, 20 s to answer)",
                       {"TANDEM_PING_INTERVAL": "25", "TANDEM_PING_TIMEOUT": "20"}),
}


def _variant(name: str, what: str, settings: dict[str, str]) -> type[TandemTarget]:
    return type(f"TandemTarget[{name}]", (TandemTarget,),
                {"__doc__": f"Tandem with {what}.", "name": name, "settings": settings})


# Another interpreter for Tandem (``tandem-debian-python``): a venv of Debian's own python3.11,
# whose executable has libpython linked in (pyenv's builds load it as a shared library).
OTHER_PYTHON = REPO / ".venv-debian" / "bin" / "python"


class TandemOtherPython(TandemTarget):
    """Tandem run by another interpreter: ``TANDEM_OTHER_PYTHON``, else ``.venv-debian``'s
    (made by ``bash load_tests/debian_python.sh``)."""

    name = "tandem-debian-python"

    def interpreter(self) -> str | None:
        python = os.environ.get("TANDEM_OTHER_PYTHON") or str(OTHER_PYTHON)
        if not Path(python).exists():
            raise RuntimeError(f"{python} is missing: run `bash load_tests/debian_python.sh`")
        return python


def interpreter_note(python: str) -> str:
    """What runs a target's server: the interpreter's version and how it holds libpython."""
    out = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                         capture_output=True, text=True, check=False)
    version = out.stdout.strip()
    linked = "shared" if _links_libpython(python) else "linked into the executable"
    return f"server interpreter: {python} (Python {version}, libpython {linked})"


def _links_libpython(python: str) -> bool:
    """Whether the executable loads libpython as a shared library (``ldd``)."""
    real = os.path.realpath(python)
    ldd = shutil.which("ldd")
    if ldd is None:
        return False
    out = subprocess.run([ldd, real], capture_output=True, text=True, check=False)
    return "libpython" in out.stdout


TARGETS: dict[str, type[Target]] = {
    "tandem": TandemTarget,
    "reference": ReferenceTarget,
    "bare": BareTarget,
    "tandem-redis": TandemRedisTarget,
    "tandem-redis-2": TandemRedis2Target,
    "tandem-debian-python": TandemOtherPython,
    **{name: _variant(name, what, settings) for name, (what, settings) in VARIANTS.items()},
}
