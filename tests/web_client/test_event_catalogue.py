"""The web client's event catalogue (web_client/core/events.js) names exactly the events of
docs/PROTOCOL.md, each in its direction, and the client's code sends and subscribes only
through it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "web_client"
CATALOGUE = CLIENT / "core" / "events.js"
PROTOCOL = ROOT / "docs" / "PROTOCOL.md"


def catalogue(name: str) -> dict[str, str]:
    """KEY: "value" entries of `export const <name> = Object.freeze({ ... });`."""
    block = re.search(
        rf"export const {name} = Object\.freeze\(\{{\n(.*?)\n\}}\);", CATALOGUE.read_text(), re.S
    )
    assert block, f"{name} is missing from {CATALOGUE}"
    entries = re.findall(r'^  ([A-Z_]+): "([a-z_]+)",$', block.group(1), re.M)
    assert len(entries) == len(block.group(1).splitlines()), f"{name}: one KEY: \"value\" a line"
    return dict(entries)


def protocol_events() -> tuple[set[str], set[str]]:
    """(client to server, server to client) event names of PROTOCOL.md: the `#### name` headings
    and the first column of the event tables, by the direction their heading or column says."""
    client: set[str] = set()
    server: set[str] = set()
    direction: set[str] | None = None
    table: set[str] | None = None
    for line in PROTOCOL.read_text().splitlines():
        if line.startswith("#"):
            title = line.lower()
            if "client to server" in title:
                direction = client
            elif "server to client" in title:
                direction = server
            elif line.startswith(("## ", "### ")):
                direction = None
            heading = re.match(r"#### `([a-z_]+)`$", line)
            if heading and direction is client:
                client.add(heading.group(1))
            table = None
            continue
        if not line.startswith("|"):
            # "Client to server:" on a line of its own introduces the tables of a subsection.
            if line.strip().lower() == "client to server:":
                direction = client
            elif line.strip().lower() == "server to client:":
                direction = server
            table = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if table is None:
            head = cells[0].lower()
            if head == "event (client to server)":
                table = client
            elif head == "event (server to client)":
                table = server
            elif head == "event":
                table = direction
            else:
                table = set()  # another kind of table: not events
            continue
        name = re.fullmatch(r"`([a-z_]+)`", cells[0])
        if name and table is not None:
            table.add(name.group(1))
    return client, server


def test_the_catalogue_names_every_event_of_the_protocol_and_only_those() -> None:
    client, server = protocol_events()
    assert {"join", "breakout_create", "board_sync", "check_in"} <= client  # the parse found them
    assert {"participant_moved", "board_cursors", "hand"} <= server
    assert {"media_publish", "screen_policy"} <= client and {"media_slots"} <= server
    assert set(catalogue("CLIENT_EVENTS").values()) == client
    assert set(catalogue("SERVER_EVENTS").values()) == server
    for name in ("CLIENT_EVENTS", "SERVER_EVENTS"):
        entries = catalogue(name)
        assert all(key == value.upper() for key, value in entries.items()), entries


def test_no_event_name_is_written_out_where_events_are_sent_or_received() -> None:
    names = set(catalogue("CLIENT_EVENTS").values()) | set(catalogue("SERVER_EVENTS").values())
    call = re.compile(r"\.(?:emit|on|once|off|request|send|dispatch)\(\s*[\"'`]([a-z_]+)[\"'`]")
    found = []
    for path in sorted(CLIENT.rglob("*.js")):
        relative = path.relative_to(CLIENT).as_posix()
        if relative.startswith(("vendor/", "tools/")) or relative == "core/events.js":
            continue
        found += [f"{relative}: {m}" for m in call.findall(path.read_text()) if m in names]
    assert found == []
