from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from media.ice import IceSettings, ice_servers_for


def test_no_servers_by_default() -> None:
    assert ice_servers_for(IceSettings(), "p1", now=0) == []


def test_static_turn_credentials() -> None:
    settings = IceSettings(stun_urls=("stun:s.example:3478",), turn_urls=("turn:t.example:3478",),
                           turn_username="u", turn_credential="c")
    wire = [s.to_wire() for s in ice_servers_for(settings, "p1", now=0)]
    assert wire == [{"urls": ["stun:s.example:3478"]},
                    {"urls": ["turn:t.example:3478"], "username": "u", "credential": "c"}]


def test_ephemeral_turn_credentials_follow_the_turn_rest_scheme() -> None:
    settings = IceSettings(turn_urls=("turns:t.example:5349",), turn_secret="shh",
                           turn_ttl_seconds=3600)
    (server,) = ice_servers_for(settings, "p1", now=1000.5)
    assert server.username == "4600:p1"
    expected = base64.b64encode(hmac.new(b"shh", b"4600:p1", hashlib.sha1).digest()).decode()
    assert server.credential == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stun_urls": ("turn:x",)},
        {"turn_urls": ("stun:x",), "turn_secret": "s"},
        {"turn_urls": ("turn:x",)},
        {"stun_urls": ("http://x",)},
        {"turn_urls": ("turn:x",), "turn_secret": "s", "turn_ttl_seconds": 5},
    ],
)
def test_bad_ice_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        IceSettings(**kwargs)  # type: ignore[arg-type]
