from __future__ import annotations

from collections.abc import Iterator

import aioice.ice
import pytest


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # aioice leaves 127.0.0.1 out of its host candidates; media tests must stay on loopback.
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    yield
