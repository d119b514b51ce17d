"""One catalogue of event names: what the server declares, registers and sends is what
docs/PROTOCOL.md lists, and the browser client's catalogue says the same."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

import server
from rooms.errors import TandemError
from server.app import CONTEXT
from server.protocol import CLIENT_EVENTS, SERVER_EVENTS, Inbound, Outbound

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "docs" / "PROTOCOL.md"
CLIENT_CATALOGUE = ROOT / "web_client" / "core" / "events.js"


def documented(direction: str) -> list[str]:
    """The names listed in PROTOCOL.md's event catalogue for one direction."""
    text = PROTOCOL.read_text()
    section = text.split("### Event catalogue", 1)[1].split("\n### ", 1)[0]
    paragraph = section.split(f"{direction}:", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"`([a-z_]+)`", paragraph)


def documented_codes(where: str) -> set[str]:
    """The error codes PROTOCOL.md's table gives for ``where`` ("REST", "socket", "connect")."""
    text = PROTOCOL.read_text()
    table = text.split("### Error codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", table, flags=re.M)
    return {code for code, places in rows if where in places}


def specs() -> tuple[list[Inbound[object, object]], list[Outbound[object]]]:
    """Every event spec the server's feature packages declare."""
    inbound, outbound = [], []
    for info in pkgutil.walk_packages(server.__path__, "server."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Inbound) and value not in inbound:
                inbound.append(value)
            elif isinstance(value, Outbound) and value not in outbound:
                outbound.append(value)
    return inbound, outbound


def test_the_protocol_document_lists_exactly_the_catalogue() -> None:
    assert documented("Client to server") == list(CLIENT_EVENTS)
    assert documented("Server to client") == list(SERVER_EVENTS)
    text = PROTOCOL.read_text()
    for name in {*CLIENT_EVENTS, *SERVER_EVENTS}:
        # each is described somewhere besides the catalogue itself
        assert text.count(f"`{name}`") >= 2, f"{name} is listed but never described"


def test_every_name_of_the_catalogue_is_declared_once() -> None:
    inbound, outbound = specs()
    assert sorted(s.name for s in inbound) == sorted(CLIENT_EVENTS)
    assert sorted(s.name for s in outbound) == sorted(SERVER_EVENTS)


async def test_a_running_server_handles_every_client_event(server: TestServer) -> None:
    gateway = server.app[CONTEXT].gateway
    assert set(gateway.registered) == set(CLIENT_EVENTS)
    assert server.app[CONTEXT].delivery.missing() == []


def test_the_browser_client_uses_the_same_names() -> None:
    if not CLIENT_CATALOGUE.exists():
        pytest.fail(f"{CLIENT_CATALOGUE.relative_to(ROOT)} is missing")
    text = CLIENT_CATALOGUE.read_text()

    def names(block: str) -> list[str]:
        body = text.split(f"export const {block} = Object.freeze({{", 1)[1].split("});", 1)[0]
        return re.findall(r'^\s*[A-Z_]+: "([a-z_]+)",?\s*$', body, flags=re.M)

    assert sorted(names("CLIENT_EVENTS")) == sorted(CLIENT_EVENTS)
    assert sorted(names("SERVER_EVENTS")) == sorted(SERVER_EVENTS)


def _error_codes() -> set[str]:
    """The code of every error class of the domain and the server (their modules loaded)."""
    specs()  # imports every module of the server
    codes, todo = set(), [TandemError]
    while todo:
        cls = todo.pop()
        codes.add(cls.code)
        todo.extend(cls.__subclasses__())
    return codes - {TandemError.code}


def test_every_error_code_is_documented() -> None:
    documented = documented_codes("REST") | documented_codes("socket") | documented_codes("connect")
    assert _error_codes() - documented == set()
    assert "internal_error" in documented_codes("socket")  # the gateway's answer to a fault
