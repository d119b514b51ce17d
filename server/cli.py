"""The ``tandem`` command: ``tandem serve`` runs the server."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import uvloop
from aiohttp import web

from rooms.errors import NotRecorded
from server.app import create_app
from server.settings import EVENT_LOOPS, SettingsError, load_settings

DEFAULT_DATA_DIR = Path("tandem-data")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description="Tandem mentoring session server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the server",
        description="Run the server. Every flag can also be given as TANDEM_<FLAG> in the "
        "environment (for example TANDEM_PORT=8080); a flag wins over the environment.",
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default 8080)")
    serve.add_argument(
        "--data-dir", help=f"where the secret and data are kept (default ./{DEFAULT_DATA_DIR})"
    )
    serve.add_argument(
        "--database", metavar="URL",
        help="keep the attendance ledger and the session journal in PostgreSQL "
        "(postgresql://user:password@host:port/name; default: SQLite in the data dir)",
    )
    serve.add_argument("--public-url", help="base URL put in join links (default: the request's)")
    serve.add_argument("--trusted-proxies",
                       help="comma-separated addresses or networks of reverse proxies whose "
                            "X-Forwarded-Proto/-Host give join links their scheme and host "
                            "(default: none; the headers are then ignored)")
    serve.add_argument("--ops-from",
                       help="comma-separated addresses or networks, besides loopback and the "
                            "trusted proxies, that may read /metrics and /readyz "
                            "(0.0.0.0/0,::/0: anyone)")
    serve.add_argument("--metrics", action=argparse.BooleanOptionalAction, default=None,
                       help="count traffic and serve /metrics (default: on)")
    serve.add_argument("--process-name",
                       help="this process's 'process' label in /metrics (default: its pid)")
    serve.add_argument(
        "--secret",
        help="token signing secret (default: generated and kept in the data dir)",
    )
    serve.add_argument("--stun-urls", help="comma-separated STUN URLs given to clients")
    serve.add_argument("--turn-urls", help="comma-separated TURN URLs given to clients")
    serve.add_argument("--turn-username", help="static TURN username")
    serve.add_argument("--turn-credential", help="static TURN credential")
    serve.add_argument("--turn-secret", help="TURN REST API shared secret (coturn use-auth-secret)")
    serve.add_argument("--max-session-size", type=int, help="hard cap on people per session")
    serve.add_argument("--media-addresses",
                       help="comma-separated host addresses the server's media peers offer "
                            "(default: every interface but loopback)")
    serve.add_argument("--media-last-n", type=int,
                       help="camera videos forwarded to each person: the last N speakers "
                            "(default 6)")
    serve.add_argument("--replica-idle", type=int,
                       help="with --redis: seconds after which a session nobody here uses is "
                            "dropped from this process's memory (default 600)")
    serve.add_argument("--media-max-peers", type=int,
                       help="server media connections this process holds at most (default 200)")
    serve.add_argument("--long-polling", action="store_const", const="1", default=None,
                       help="also accept Engine.IO long-polling (off: websockets only)")
    serve.add_argument("--webhooks-allow-private", action="store_const", const="1",
                       default=None,
                       help="let webhooks post to private, loopback and link-local addresses "
                            "(off: only public addresses)")
    serve.add_argument("--connect-rate", type=int,
                       help="new connections a second from one client address, bursts of 100 "
                            "(default 20; 0: no limit)")
    serve.add_argument("--connections-per-address", type=int,
                       help="connections open at once from one client address (default 100; "
                            "with several processes, each process counts its own: raise it "
                            "for many people behind one address, as a process's people move "
                            "to the others when it dies)")
    serve.add_argument("--waiting-room", choices=("role_links", "everyone", "off"),
                       help="who waits for a mentor to let them in, in sessions created "
                            "without saying (default: role_links)")
    serve.add_argument("--speech-model",
                       help="a faster-whisper model folder for live captions (default: Whisper "
                            "base from the pinned model packages)")
    serve.add_argument("--speech-workers", type=int,
                       help="caption decodes run at once (default 2)")
    serve.add_argument(
        "--attendance-grace", type=int,
        help="seconds a dropped person may be away without counting as leaving (default 60)",
    )
    serve.add_argument(
        "--retention-days", type=int,
        help="days attendance records are kept; 0 keeps them forever (default 365)",
    )
    serve.add_argument("--redis",
                       help="a Redis URL (redis://host:6379/0): sessions are shared through it "
                            "by every Tandem process given the same one (default: none; this "
                            "process alone, everything embedded)")
    serve.add_argument("--workers", type=int,
                       help="server processes to run on this port (SO_REUSEPORT), sharing "
                            "sessions through --redis (default 1)")
    serve.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    serve.add_argument(
        "--event-loop", choices=EVENT_LOOPS,
        help="uvloop (default; load_tests/RESULTS.md measures both) or asyncio's own loop",
    )
    serve.add_argument(
        "--commit-interval-ms", type=int,
        help="milliseconds between the database's commits: writes arriving meanwhile share one, "
        "acknowledged once it is durable (default 50; longer saves CPU, acknowledges later)",
    )
    serve.add_argument(
        "--ping-interval", type=int,
        help="seconds from a client's pong to its next ping (default 10)",
    )
    serve.add_argument(
        "--ping-timeout", type=int,
        help="seconds a client has to answer a ping before it is dropped (default 10)",
    )
    serve.add_argument(
        "--gc-threshold",
        help="the garbage collector's thresholds once serving (default 50000,20,100; "
        "Python's own: 700,10,10)",
    )
    return parser


LOCK_FILE = "lock"


def keep_private(data_dir: Path) -> None:
    """Everything the server writes from now on is its owner's alone (files 0600, directories
    0700), and so is what an earlier run or a hand-made data directory left there."""
    os.umask(0o077)
    for path in [data_dir, *data_dir.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            path.chmod(mode & 0o700)


def _lock(data_dir: Path, *, shared: bool = False) -> int | None:
    """Hold the data directory's lock for the life of this process; None if another process
    holds it. Processes sharing their sessions through Redis share it; a process alone does
    not (two would lose each other's writes)."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd  # closed (and so released) when the process ends


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    flags = {k: v for k, v in vars(args).items() if k != "command"}
    try:
        loaded = load_settings(flags, env, DEFAULT_DATA_DIR)
    except (SettingsError, OSError) as exc:
        print(f"tandem: cannot start: {exc}", file=sys.stderr)
        return 2
    settings = loaded.settings
    keep_private(settings.data_dir)
    worker = env.get(WORKER_ENV)
    if settings.workers > 1 and worker is None:
        return supervise(settings.workers, list(sys.argv[1:] if argv is None else argv), env)
    lock = _lock(settings.data_dir, shared=settings.redis_url is not None)
    if lock is None:
        print(f"tandem: cannot start: another Tandem server is using {settings.data_dir} "
              "(two would lose each other's writes); stop it or choose another --data-dir",
              file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log = logging.getLogger("tandem")
    if "admin_key" in loaded.generated:
        print(
            f"Generated an admin key (kept in {settings.data_dir / 'admin_key'}):\n"
            f"  {settings.admin_key}",
            flush=True,
        )
    elif "TANDEM_ADMIN_KEY" not in env:
        log.info("admin key: the one kept in %s", settings.data_dir / "admin_key")
    if not settings.ice.stun_urls and not settings.ice.turn_urls:
        log.warning(
            "no STUN or TURN server configured: people on different networks may not be able "
            "to see each other (set TANDEM_STUN_URLS / TANDEM_TURN_URLS)"
        )
    log.info("attendance ledger and session journal: %s", settings.database_shown)
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    if worker is None:
        print(f"Tandem listening on {base} (data in {settings.data_dir})", flush=True)
    loop = uvloop.new_event_loop() if settings.event_loop == "uvloop" else asyncio.new_event_loop()
    log.info("event loop: %s", settings.event_loop)
    try:
        web.run_app(
            create_app(settings), host=settings.host, port=settings.port, print=None,
            access_log=None, loop=loop, reuse_port=settings.reuse_port or worker is not None,
        )
    except NotRecorded as exc:  # the database cannot be reached, or another server writes it
        print(f"tandem: cannot start: {exc.message}", file=sys.stderr)
        return 2
    return 0


# Set in each worker's environment (its index) by ``supervise``.
WORKER_ENV = "TANDEM_WORKER"
RESPAWN_WAIT = 1.0


def supervise(workers: int, argv: list[str], env: dict[str, str]) -> int:
    """Run ``workers`` server processes on one port (SO_REUSEPORT: the kernel spreads new
    connections among them), each with these arguments; start again any that dies; stop them
    all on SIGTERM or SIGINT."""
    command = [sys.executable, "-m", "server", *argv]
    children: dict[int, subprocess.Popen[bytes]] = {}
    stopping = False

    def start(index: int) -> None:
        children[index] = subprocess.Popen(command, env={**env, WORKER_ENV: str(index)})

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(workers):
        start(index)
    print(f"Tandem: {workers} workers started", flush=True)
    while True:
        time.sleep(0.2)
        if stopping:
            for child in children.values():
                try:
                    child.wait(STOP_WAIT)
                except subprocess.TimeoutExpired:
                    child.kill()
            return 0
        for index, child in list(children.items()):
            code = child.poll()
            if code is not None:
                print(f"Tandem: worker {index} exited ({code}); starting it again", flush=True)
                time.sleep(RESPAWN_WAIT)
                start(index)


STOP_WAIT = 10.0
