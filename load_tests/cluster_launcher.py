"""Tandem sharing its sessions through a Redis of its own, as one process tree for the load tests.

    python -m load_tests.cluster_launcher --port P --dir D [--workers N]

starts a ``redis-server`` (``clients.server.RedisProcess``, data in ``D/redis``) and Tandem with
``--redis`` on port P (``--workers N`` when N > 1: N processes on one port), both as children of
this process, and waits. The runner measures the process tree of one pid (CPU time, CPU wait,
memory, affinity): with this process at the root, Redis and every worker are counted with the
server. SIGTERM stops Tandem, then Redis. When either exits by itself this process stops the
other and exits 1, so that the runner sees the server die.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import psutil

from clients.server import ChildServer, RedisProcess, ServerProcess, ServerStartError

from .targets import tandem_process

# Seconds to wait for every worker of ``--workers N`` to listen on the port.
WORKERS_READY_TIMEOUT = 60.0
POLL = 0.1


def listening_workers(tandem: ServerProcess) -> int:
    """How many worker processes under Tandem's supervisor listen on its port."""
    try:
        children = psutil.Process(tandem.pid).children()
    except psutil.Error:
        return 0
    count = 0
    for child in children:
        try:
            conns = child.net_connections(kind="tcp")
        except psutil.Error:
            continue
        if any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == tandem.port
               for c in conns):
            count += 1
    return count


def wait_for_workers(tandem: ServerProcess, workers: int) -> None:
    deadline = time.monotonic() + WORKERS_READY_TIMEOUT
    while listening_workers(tandem) < workers:
        if tandem.returncode is not None:
            raise ServerStartError(f"Tandem exited ({tandem.returncode}):\n{tandem.log_tail()}")
        if time.monotonic() > deadline:
            raise ServerStartError(f"{workers} workers were not all listening on port "
                                   f"{tandem.port} within {WORKERS_READY_TIMEOUT:g} s:\n"
                                   f"{tandem.log_tail()}")
        time.sleep(POLL)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", type=Path, required=True, help="data of Redis and Tandem")
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args(argv)

    stopping = False

    def on_term(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    redis = RedisProcess(a.dir / "redis")
    tandem: ServerProcess | None = None
    code = 0
    try:
        redis.start()
        flags = ["--redis", redis.url]  # the port Redis finally bound
        if a.workers > 1:
            flags += ["--workers", str(a.workers)]
        tandem = tandem_process(a.dir / "data", flags=flags, port=a.port,
                                log_path=a.dir / "tandem.log")
        tandem.start()
        if a.workers > 1:
            wait_for_workers(tandem, a.workers)
        print(f"redis pid {redis.pid} on {redis.url}; tandem pid {tandem.pid} on {tandem.url}"
              f" ({a.workers} worker(s))", flush=True)
        while not stopping:
            for child in (redis, tandem):
                if child.returncode is not None:
                    print(f"{child.name} exited ({child.returncode}); its log ends:\n"
                          f"{child.log_tail(20)}", flush=True)
                    code = 1
                    stopping = True
            time.sleep(POLL)
    except ServerStartError as exc:
        # the caller's log shows this; "address already in use" there lets it pick another port
        print(f"cannot start: {exc}", flush=True)
        code = 2
    finally:
        servers: list[ChildServer] = [redis] if tandem is None else [tandem, redis]
        for server in servers:
            server.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
