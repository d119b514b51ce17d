"""``tandem serve --workers 2 --redis URL``: two processes on one port, both taking people of
one session; a worker killed is started again, and its people rejoin through the port."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil

from clients.admin import join_token
from clients.server import RedisProcess
from tests.server.cluster.conftest import tandem
from tests.server.cluster.test_two_processes import ok
from tests.support import Peer, eventually


def node(peer: Peer) -> str:
    sid = peer.sio.get_sid()
    assert sid is not None and "." in sid, sid
    return sid.partition(".")[0]


async def test_two_workers_share_one_port_and_a_dead_one_comes_back(
        tmp_path: Path, redis: RedisProcess) -> None:
    server = tandem(tmp_path, "w", redis, "--workers", "2")
    async with server:
        supervisor = psutil.Process(server.pid)

        def listening(worker: psutil.Process) -> bool:
            try:
                return any(c.status == psutil.CONN_LISTEN and c.laddr.port == server.port
                           for c in worker.net_connections(kind="tcp"))
            except psutil.NoSuchProcess:
                return False

        # Both workers on the port: a worker still starting takes no connection, and the
        # kernel would give every one to the other.
        await eventually(lambda: len(workers := supervisor.children()) == 2
                         and all(listening(w) for w in workers), timeout=30,
                         what="two workers listening")
        async with server.admin_async() as api:
            s = await api.create_session(title="Workers", max_participants=25)
        mentee = join_token(s["join_urls"]["mentee"])
        peers: list[Peer] = []
        # The kernel spreads connections over the workers: connect until both have people.
        while len({node(p) for p in peers}) < 2:
            assert len(peers) < 24, "every connection went to the same worker"
            peer = Peer(server.url)
            await peer.connect(mentee)
            await peer.join(f"Person {len(peers)}")
            peers.append(peer)
        # People on different workers chat as in one process.
        first, other = peers[0], next(p for p in peers if node(p) != node(peers[0]))
        await ok(other, "chat", {"text": "across workers"})
        got = await first.next("chat")
        assert got["message"]["text"] == "across workers"

        # Kill one worker: exactly the people of one node drop; the others carry on; the
        # supervisor starts a new worker.
        nodes = {id(p): node(p) for p in peers}
        victim = supervisor.children()[0]
        os.kill(victim.pid, signal.SIGKILL)
        await eventually(lambda: any(p.disconnected.is_set() for p in peers), timeout=10,
                         what="the killed worker's people dropped")
        dropped = [p for p in peers if p.disconnected.is_set()]
        dead_node = nodes[id(dropped[0])]
        on_dead = [p for p in peers if nodes[id(p)] == dead_node]
        for p in on_dead:
            await p.disconnected.wait()
        survivors = [p for p in peers if nodes[id(p)] != dead_node]
        assert survivors
        for p in survivors:
            await p.barrier()  # still connected and answered
            assert not p.disconnected.is_set()
        await eventually(lambda: len(supervisor.children()) == 2
                         and victim.pid not in {c.pid for c in supervisor.children()},
                         timeout=20, what="the worker started again")
        back = Peer(server.url)
        await back.connect(mentee)
        ack = await back.join("Person 0 again", resume=on_dead[0].resume)
        assert ack["participant"]["id"] == on_dead[0].id
        for p in peers + [back]:
            await p.close()
