"""The domain stays free of I/O; only media/ and clients/ may import aiortc; nothing imports
server/, and the server's packages do not import the test clients."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_DOMAIN = {"asyncio", "aiohttp", "socketio", "engineio", "aiortc", "redis", "logging",
                       "time", "random", "secrets", "os", "socket", "server", "media", "clients"}


def imported_modules(package: str) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[path] = names
    return found


def test_domain_imports_no_io() -> None:
    modules = imported_modules("rooms")
    assert modules, "rooms/ has no modules"
    for path, names in modules.items():
        assert not names & FORBIDDEN_IN_DOMAIN, f"{path} imports {names & FORBIDDEN_IN_DOMAIN}"


def test_only_media_and_clients_import_aiortc_and_nothing_imports_server() -> None:
    # clients/ may: its headless participant is a real WebRTC peer, as a browser would be.
    for package in ("rooms", "server"):
        for path, names in imported_modules(package).items():
            assert "aiortc" not in names and "av" not in names, f"{path} imports aiortc"
    for package in ("rooms", "media", "clients"):
        modules = imported_modules(package)
        assert modules, f"{package}/ has no modules"
        for path, names in modules.items():
            assert "server" not in names, f"{path} imports server"


def test_the_server_does_not_import_the_test_clients() -> None:
    for package in ("rooms", "server", "media"):
        for path, names in imported_modules(package).items():
            assert "clients" not in names, f"{path} imports clients"
