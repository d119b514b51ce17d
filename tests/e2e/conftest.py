"""Real-Chromium end-to-end tests: the Tandem server as a subprocess, pages driven by Playwright.

These tests need:
- Chromium at /usr/bin/chromium (Debian's package; never `playwright install`);
- a network namespace with only loopback, so that WebRTC stays on 127.0.0.1:
  `unshare -n sh -c 'ip link set lo up && .venv/bin/pytest tests/e2e'` (as root).
Otherwise the whole folder is skipped with the reason. The test of a direct connection through a
TURN relay (test_private_addresses.py) also needs Debian's coturn (`turnserver`), and is skipped
without it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from clients.admin import AdminApi
from clients.server import ServerProcess

CHROMIUM = "/usr/bin/chromium"
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


class TandemServer(AdminApi):
    """The real Tandem server of the e2e session, and the admin REST calls the tests make."""

    def __init__(self, process: ServerProcess) -> None:
        super().__init__(process.url, process.admin_key)
        self.process = process

    def log_tail(self, lines: int = 60) -> str:
        return self.process.log_tail(lines)


@contextlib.contextmanager
def own_tandem_server(
    tmp: Path, *, flags: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> Iterator[TandemServer]:
    """A real Tandem server in ``tmp`` with more ``flags`` (``--webhooks-allow-private``) or
    ``env`` (``TANDEM_*``): for the few tests that need settings the shared server must not have,
    so that the others keep sharing one server (and its start-up time)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    process = ServerProcess(tmp / "data", admin_key=ADMIN_KEY, flags=flags, env=env).start()
    try:
        yield TandemServer(process)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def own_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., contextlib.AbstractContextManager[TandemServer]]:
    """``with own_server(flags=[...]) as server``: a server of a test module's own (in a module
    scoped fixture), for settings the shared ``tandem_server`` does not have."""

    def start(
        *, flags: Sequence[str] = (), env: Mapping[str, str] | None = None
    ) -> contextlib.AbstractContextManager[TandemServer]:
        return own_tandem_server(tmp_path_factory.mktemp("tandem-own"), flags=flags, env=env)

    return start


@pytest.fixture(scope="session")
def tandem_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TandemServer]:
    """The real Tandem server, started once for the e2e session."""
    with own_tandem_server(tmp_path_factory.mktemp("tandem-e2e")) as server:
        yield server
    if os.environ.get("TANDEM_E2E_KEEP_LOG"):
        shutil.copy(server.process.log_path, os.environ["TANDEM_E2E_KEEP_LOG"])


# -------------------------------------------------------------------------------------- browser


@pytest.fixture
async def playwright_instance() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        yield p


@contextlib.asynccontextmanager
async def chromium(playwright_instance: Any, args: list[str]) -> AsyncIterator[Any]:
    """Debian's Chromium started with ``args``, closed afterwards."""
    b = await playwright_instance.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        yield b
    finally:
        await b.close()


@pytest.fixture
async def browser(playwright_instance: Any) -> AsyncIterator[Any]:
    """Chromium with a fake camera and microphone, permission granted."""
    async with chromium(playwright_instance, GRANT_ARGS) as b:
        yield b


@pytest.fixture
async def denying_browser(playwright_instance: Any) -> AsyncIterator[Any]:
    """Chromium with fake devices but camera and microphone permission refused."""
    async with chromium(playwright_instance, DENY_ARGS) as b:
        yield b
