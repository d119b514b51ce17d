"""Real-Chromium end-to-end tests: the Tandem server as a subprocess, pages driven by Playwright.

These tests need:
- Chromium at /usr/bin/chromium (Debian's package; never `playwright install`);
- a network namespace with only loopback, so that WebRTC stays on 127.0.0.1:
  `unshare -n sh -c 'ip link set lo up && .venv/bin/pytest tests/e2e'` (as root).
Otherwise the whole folder is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ADMIN_KEY = "e2e-admin-key-0123456789"

# Flags verified to work as root with no network (see shared FACTS.md).
BASE_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
GRANT_ARGS = [*BASE_ARGS, "--use-fake-ui-for-media-stream"]
DENY_ARGS = [*BASE_ARGS, "--deny-permission-prompts"]


def _skip_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"e2e: {CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "e2e: playwright (Python) is not installed"
    # The interfaces of this process's network namespace (/sys/class/net shows the namespace that
    # mounted sysfs, so it is not a reliable test inside `unshare -n`).
    try:
        interfaces = sorted(name for _, name in socket.if_nameindex())
    except OSError:
        interfaces = []
    if interfaces != ["lo"]:
        return (
            "e2e: must run in a loopback-only network namespace so WebRTC stays on 127.0.0.1: "
            "unshare -n sh -c 'ip link set lo up && .venv/bin/pytest tests/e2e' "
            f"(interfaces here: {', '.join(interfaces) or 'none'})"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


# --------------------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class TandemServer:
    base_url: str
    admin_key: str
    process: subprocess.Popen[bytes]
    log_path: Path
    sessions: list[str] = field(default_factory=list)

    def request(
        self, method: str, path: str, body: Any = None, admin: bool = True
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        if admin:
            headers["authorization"] = f"Bearer {self.admin_key}"
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as err:
            with err:
                return err.code, json.loads(err.read() or b"null")

    def create_session(self, **fields: Any) -> dict[str, Any]:
        fields.setdefault("title", "Weekly check-in")
        status, body = self.request("POST", "/api/sessions", fields)
        assert status == 201, (status, body)
        self.sessions.append(body["session_id"])
        return body

    def end_session(self, session_id: str) -> dict[str, Any]:
        status, body = self.request("POST", f"/api/sessions/{session_id}/end", {})
        assert status == 200, (status, body)
        return body

    def get_session(self, session_id: str) -> dict[str, Any]:
        status, body = self.request("GET", f"/api/sessions/{session_id}")
        assert status == 200, (status, body)
        return body

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@pytest.fixture(scope="session")
def tandem_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TandemServer]:
    """The real Tandem server, started once for the e2e session."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("tandem-e2e")
    port = _free_port()
    env = dict(os.environ, TANDEM_ADMIN_KEY=ADMIN_KEY, PYTHONUNBUFFERED="1")
    log_path = tmp / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(tmp / "data"),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = TandemServer(f"http://127.0.0.1:{port}", ADMIN_KEY, process, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"the Tandem server exited with {process.returncode}:\n{server.log_tail()}"
                )
            try:
                with urllib.request.urlopen(server.base_url + "/healthz", timeout=2) as res:
                    if res.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the Tandem server did not answer /healthz in 30 s:\n{server.log_tail()}"
                )
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if os.environ.get("TANDEM_E2E_KEEP_LOG"):
            shutil.copy(log_path, os.environ["TANDEM_E2E_KEEP_LOG"])


# -------------------------------------------------------------------------------------- browser


@pytest.fixture
async def playwright_instance() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        yield p


@pytest.fixture
async def browser(playwright_instance: Any) -> AsyncIterator[Any]:
    """Chromium with a fake camera and microphone, permission granted."""
    b = await playwright_instance.chromium.launch(executable_path=CHROMIUM, args=GRANT_ARGS)
    try:
        yield b
    finally:
        await b.close()


@pytest.fixture
async def denying_browser(playwright_instance: Any) -> AsyncIterator[Any]:
    """Chromium with fake devices but camera and microphone permission refused."""
    b = await playwright_instance.chromium.launch(executable_path=CHROMIUM, args=DENY_ARGS)
    try:
        yield b
    finally:
        await b.close()
