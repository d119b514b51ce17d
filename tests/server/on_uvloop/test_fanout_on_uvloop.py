"""server/fanout.py writes to transports directly, so its tests run again on uvloop, whose
transports are not asyncio's."""

from __future__ import annotations

import asyncio

import uvloop

from tests.server.test_fanout import (  # noqa: F401 - collected here again, on uvloop
    limits,
    settings,
    test_a_client_busy_with_a_burst_longer_than_the_ping_timeout_stays,
    test_a_client_that_stops_answering_pings_is_dropped,
    test_a_client_that_stops_reading_is_dropped_and_the_room_carries_on,
    test_a_room_event_arrives_before_the_acknowledgement_of_what_caused_it,
    test_websocket_polling_and_upgraded_clients_share_a_room_in_order,
)


async def test_these_tests_run_on_uvloop() -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
