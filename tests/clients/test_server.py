"""The real server as a child process: started and ready, killed, restarted on the same port and
data directory, and a failed start explained by the tail of its log."""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from pathlib import Path

import pytest

from clients.admin import ApiError
from clients.server import HOST, ChildServer, ServerProcess, ServerStartError, checkout_dir


def healthz(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + "/healthz", timeout=5) as reply:
        return int(reply.status)


def refused(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


class Sleeper(ChildServer):
    """A program that prints a line and never answers."""

    name = "sleeper"

    def command(self) -> list[str]:
        program = "import time; print('warming up', flush=True); time.sleep(60)"
        return [sys.executable, "-c", program]


def test_start_waits_for_healthz_and_stop_is_polite(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "data") as server:
        assert server.running and server.url == f"http://127.0.0.1:{server.port}"
        assert healthz(server.url) == 200
    assert server.returncode == 0  # SIGTERM: the server shut down by itself, nothing killed it
    assert "--- start 1: " in server.log_tail()
    assert refused(server.port)


def test_kill_then_restart_on_the_same_port_and_data_directory(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", admin_key="k" * 24).start()
    try:
        api = server.admin()
        session = api.create_session(title="Before the crash")
        url = server.url
        assert server.kill() == -9
        assert not server.running and refused(server.port)
        server.restart()
        assert server.url == url and server.starts == 2
        assert api.get_session(session["session_id"])["title"] == "Before the crash"
        assert api.end_session(session["session_id"])
        with pytest.raises(ApiError) as refusal:
            api.get_session("no-such-session")
        assert refusal.value.status == 404
    finally:
        server.stop()
    assert "--- start 2: " in server.log_tail()


async def test_the_async_variants(tmp_path: Path) -> None:
    async with ServerProcess(tmp_path / "data") as server:
        async with server.admin_async() as api:
            session = await api.create_session()
            server.kill()
            await server.restart_async()
            assert (await api.get_session(session["session_id"]))["title"] == "Weekly check-in"
            status, body = await api.request("GET", f"/api/sessions/{session['session_id']}",
                                             admin=False)
            assert status == 401, body
    assert not server.running


def test_a_server_that_exits_is_reported_with_its_log(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", flags=["--no-such-flag"])
    with pytest.raises(ServerStartError) as failure:
        server.start()
    message = str(failure.value)
    assert "exited with 2 before answering /healthz" in message
    assert "unrecognized arguments: --no-such-flag" in message
    assert not server.running


def test_a_server_that_never_answers_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    server = Sleeper(tmp_path / "sleeper.log", startup_timeout=0.5)
    with pytest.raises(ServerStartError) as failure:
        server.start()
    assert "did not answer /healthz" in str(failure.value) and "within 0.5 s" in str(failure.value)
    assert "warming up" in str(failure.value)
    assert not server.running and server.returncode == -15  # stopped by SIGTERM, not left behind


def test_a_chosen_port_taken_meanwhile_is_swapped_but_never_on_restart(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    taken = server.port
    with socket.create_server((HOST, taken)):
        server.start()
        assert server.port != taken and server.starts == 2
    server.stop()
    # Once clients know the URL, the port is the server's: a restart fails rather than move.
    with socket.create_server((HOST, server.port)):
        with pytest.raises(ServerStartError, match="address already in use"):
            server.restart()
    assert not server.running


def test_another_checkout_is_run_from_its_own_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-checkout"
    monkeypatch.setenv("TANDEM_DIR", str(other))
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    assert checkout_dir() == other.resolve()
    server = ServerProcess(tmp_path / "data", checkout=checkout_dir(), admin_key="a" * 24,
                           env={"TANDEM_ADMIN_KEY": "ignored", "TANDEM_LOG_LEVEL": "WARNING"})
    env = server.environ()
    assert server.cwd == other.resolve()
    assert env["PYTHONPATH"] == f"{other.resolve()}{os.pathsep}/somewhere"
    assert env["TANDEM_ADMIN_KEY"] == "a" * 24 and env["TANDEM_LOG_LEVEL"] == "WARNING"
    assert server.command()[1:] == ["-m", "server", "serve", "--host", "127.0.0.1", "--port",
                                    str(server.port), "--data-dir", str(tmp_path / "data")]


def test_everything_the_server_keeps_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # a data directory made by hand, open to everyone
    old_umask = os.umask(0o022)  # the usual umask: new files readable by everyone
    try:
        with ServerProcess(data) as server:
            api = server.admin()
            session = api.create_session(title="Private")
            api.end_session(session["session_id"])
    finally:
        os.umask(old_umask)
    paths = [data, *data.rglob("*")]
    assert any(p.name.startswith("tandem.sqlite3") for p in paths)
    loose = {str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777) for p in paths
             if p.stat().st_mode & 0o077}
    assert loose == {}


def test_a_second_server_on_the_same_data_directory_refuses_to_start(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "data") as first:
        second = ServerProcess(tmp_path / "data", log_path=tmp_path / "second.log")
        with pytest.raises(ServerStartError) as failure:
            second.start()
        assert "exited with 2 before answering /healthz" in str(failure.value)
        assert "another Tandem server is using" in str(failure.value)
        assert healthz(first.url) == 200
    # Once the first has stopped, the directory is free again.
    with ServerProcess(tmp_path / "data") as again:
        assert healthz(again.url) == 200


def test_the_real_server_serves_readyz_and_metrics_labelled_with_its_process_name(
        tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with ServerProcess(tmp_path / "data", flags=["--process-name", "worker-3"]) as server:
        with opener.open(server.url + "/readyz", timeout=5) as reply:
            assert reply.status == 200
            assert reply.read() == b'{"ok": true, "checks": {"sqlite": "ok"}}'
        with opener.open(server.url + "/metrics", timeout=5) as reply:
            text = reply.read().decode()
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    assert {s.labels["process"] for s in samples} == {"worker-3"}
    names = {s.name for s in samples}
    assert {"tandem_connections", "tandem_ledger_commit_seconds_count",
            "process_cpu_seconds_total"} <= names
