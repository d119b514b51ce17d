"""A PostgreSQL server of its own, for a test or a benchmark: never the machine's.

    with PostgresServer() as pg:                   # initdb into a temporary directory, start
        url = pg.url("tandem")                     # postgresql://tandem:...@127.0.0.1:PORT/tandem
        await pg.create_database("t1")             # one database per test
        pg.stop(); pg.start()                      # the same port and data: clients reconnect

It finds the server programs of Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>
/bin``, the newest first, or ``postgres`` on the ``PATH``), runs ``initdb`` into a temporary
directory (a superuser ``tandem`` with a random password; connections over TCP must give it) and
starts ``postgres`` on 127.0.0.1 on a free port, with its socket directory inside that directory
and its output in ``server.log`` there. PostgreSQL refuses to run as root: as root, the server
runs as the ``postgres`` user (or ``nobody`` where there is none). Stopping is PostgreSQL's fast
shutdown (SIGINT); ``kill`` is SIGKILL.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from clients.server import HOST, free_port

PROGRAMS = ("initdb", "postgres", "pg_isready")
SUPERUSER = "tandem"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed here."""


def find_binaries() -> Path | None:
    """The folder holding ``initdb``, ``postgres`` and ``pg_isready``, or None."""
    candidates: list[Path] = []
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", folder.parent.name)) or (0,)

    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        candidates += sorted((p / "bin" for p in debian.iterdir()), key=version, reverse=True)
    for folder in candidates:
        if all((folder / program).is_file() for program in PROGRAMS):
            return folder
    return None


def _unprivileged() -> tuple[int, int] | None:
    """The user and group to run PostgreSQL as: None when this process is not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise PostgresUnavailable("running as root, and there is no postgres or nobody user to run "
                              "PostgreSQL as (it refuses to run as root)")


class PostgresServer:
    def __init__(self, root: Path | None = None, *, port: int | None = None,
                 startup_timeout: float = STARTUP_TIMEOUT) -> None:
        binaries = find_binaries()
        if binaries is None:
            raise PostgresUnavailable(
                "PostgreSQL's server programs (initdb, postgres, pg_isready) were not found in "
                "/usr/lib/postgresql/<version>/bin or on the PATH: install the Debian package "
                "postgresql")
        self.bin = binaries
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="tandem-pg-")) if root is None else root
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log_path = self.root / "server.log"
        self.port = port or free_port()
        self.password = secrets.token_hex(16)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._as = _unprivileged()

    # -- addresses --------------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@{HOST}:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> Self:
        if self.running:
            return self
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-c", f"listen_addresses={HOST}", "-c", f"unix_socket_directories={self.sockets}",
                 # What a durable deployment has: a commit returns once its WAL is flushed.
                 "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "max_connections=200"],
                cwd=self.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, user=self._uid, group=self._gid, extra_groups=self._groups)
        self._wait_ready()
        return self

    def stop(self) -> None:
        """Fast shutdown: open transactions are rolled back, clients disconnected."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def cleanup(self) -> None:
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cleanup()

    async def create_database(self, name: str, template: str = "template0") -> str:
        """A new empty database; returns its URL."""
        import asyncpg

        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        finally:
            await conn.close()
        return self.url(name)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- helpers ----------------------------------------------------------------------------------

    @property
    def _uid(self) -> int | None:
        return None if self._as is None else self._as[0]

    @property
    def _gid(self) -> int | None:
        return None if self._as is None else self._as[1]

    @property
    def _groups(self) -> list[int] | None:
        return None if self._as is None else []

    def _initdb(self) -> None:
        self.sockets.mkdir(parents=True, exist_ok=True)
        password_file = self.root / "password"
        password_file.write_text(self.password + "\n")
        if self._as is not None:
            uid, gid = self._as
            for path in (self.root, self.sockets, password_file):
                os.chown(path, uid, gid)
        done = subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
             f"--pwfile={password_file}", "--auth-local=trust", "--auth-host=scram-sha-256",
             "-E", "UTF8", "--no-locale", "--no-instructions"],
            cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True, user=self._uid,
            group=self._gid, extra_groups=self._groups)
        password_file.unlink()
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed ({done.returncode}): "
                                      f"{done.stderr.decode(errors='replace')[-2000:]}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise PostgresUnavailable(f"postgres exited with {self.process.returncode}; its "
                                          f"log ends:\n{self.log_tail()}")
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-q", "-h", HOST, "-p", str(self.port), "-t", "1"],
                stdin=subprocess.DEVNULL, capture_output=True)
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                self.kill()
                raise PostgresUnavailable(f"postgres did not accept connections within "
                                          f"{self.startup_timeout:g} s; its log ends:\n"
                                          f"{self.log_tail()}")
            time.sleep(0.05)

    def _signal(self, sig: signal.Signals) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
