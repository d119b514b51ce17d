"""How a webhook receiver checks a Tandem delivery: the recipe of docs/PROGRAMMES.md
("Verifying a delivery"), as written there, for the tests that receive deliveries."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping


def verify(secret: str, headers: Mapping[str, str], body: bytes, tolerance: int = 300) -> bool:
    timestamp = headers["Tandem-Webhook-Timestamp"]
    signature = headers["Tandem-Webhook-Signature"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                                hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
