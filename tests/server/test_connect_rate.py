"""New connections from one address are rate limited: a client whose connections the server
closes (an unreadable packet, a deadline, a slow read) cannot open new ones as fast as it likes;
load_tests/hostile_clients.py measured one reconnecting some 280 times a second before."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import socketio

from server.settings import Limits, SettingsError, load_settings
from tests.support import Api, Peer


@pytest.fixture
def limits() -> Limits:
    return Limits(connect_rate=1.0, connect_burst=3.0)


async def test_new_connections_from_one_address_are_limited_and_come_back_in_time(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    token = api.token(s["join_urls"]["observer"])
    for _ in range(3):
        p = peers()
        await p.connect(token)
        await p.close()  # closing does not give the attempt back
    refused = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(token)
    assert refused.connect_error["code"] == "rate_limited"
    await asyncio.sleep(1.1)  # one more a second
    again = peers()
    await again.connect(token)
    assert (await again.join("Olu"))["ok"]


def test_the_connect_rate_is_a_setting_and_zero_turns_it_off(tmp_path: Path) -> None:
    env = {"TANDEM_SECRET": "s" * 32, "TANDEM_ADMIN_KEY": "k" * 20}
    default = load_settings({}, env, tmp_path).settings
    assert default.limits.connect_rate == 20.0
    off = load_settings({}, {**env, "TANDEM_CONNECT_RATE": "0"}, tmp_path).settings
    assert off.limits.connect_rate == 0.0
    with pytest.raises(SettingsError):
        load_settings({"connect_rate": -1}, env, tmp_path)
