"""How a delivery is signed, so that its receiver knows it came from this server and is recent:
``v1=`` and the hex HMAC-SHA256, keyed with the webhook's secret, of ``"{timestamp}.{body}"``
(docs/PROGRAMMES.md, "Webhooks", shows a receiver checking it)."""

from __future__ import annotations

import hashlib
import hmac

ID_HEADER = "Tandem-Webhook-Id"
TIMESTAMP_HEADER = "Tandem-Webhook-Timestamp"
SIGNATURE_HEADER = "Tandem-Webhook-Signature"
VERSION = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def headers(secret: str, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Tandem-Webhooks/1",
        ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(secret: str, timestamp: str, body: bytes, header: str, now: float,
           tolerance: float = 300.0) -> bool:
    """The receiver's check (as documented): a fresh timestamp and a matching signature,
    compared in constant time."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), header)
