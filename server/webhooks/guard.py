"""Where a webhook may post: ``http`` or ``https`` URLs without credentials whose host resolves
to public addresses only, checked when the webhook is registered and again at every delivery.

A name that resolves to a public address at registration may later resolve to an inside one
(DNS rebinding), so every delivery connects through ``GuardedResolver``: the addresses its
connection uses are the ones it checked, in the same lookup. An address literal in the URL is
checked before the request (aiohttp does not ask a resolver about those).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from rooms.errors import WebhookUrlRefused

URL_MAX = 2000
RESOLVE_WITHIN = 3.0  # seconds a lookup at registration may take
NAT64 = ipaddress.ip_network("64:ff9b::/96")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(OSError):
    """A delivery's host resolved to an address webhooks may not reach."""


def _embedded(ip: Address) -> Address:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), or ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return ip


def is_public(address: str) -> bool:
    """True for an address on the public internet: not private, loopback, link-local,
    multicast, reserved, shared or unspecified, nor an IPv6 form of one of those."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    for candidate in {ip, _embedded(ip)}:
        if not candidate.is_global or candidate.is_multicast:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook URL that passed the checks of its form."""

    url: URL
    host: str
    port: int
    literal: bool  # the host is an address, not a name


def parse_url(raw: str) -> Target:
    """Check the form of ``raw``: http(s), a host, no credentials, at most ``URL_MAX``
    characters. Raises ``WebhookUrlRefused`` saying why."""
    if len(raw) > URL_MAX:
        raise WebhookUrlRefused(f"url: at most {URL_MAX} characters.")
    try:
        url = URL(raw)
    except (ValueError, TypeError):
        raise WebhookUrlRefused("url: this is not a URL.") from None
    if url.scheme not in ("http", "https"):
        raise WebhookUrlRefused("url: only http:// and https:// URLs are allowed.")
    if url.raw_user is not None or url.raw_password is not None:
        raise WebhookUrlRefused("url: credentials in the URL are not allowed; verify the "
                                "signature instead.")
    host = url.host
    if not host or url.port is None or any(ch.isspace() for ch in raw):
        raise WebhookUrlRefused("url: the URL needs a host.")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        literal = True
    except ValueError:
        literal = False
    return Target(url, host, url.port, literal)


async def check_url(raw: str, *, allow_private: bool) -> Target:
    """``parse_url``, then the host's addresses: every one must be public unless
    ``allow_private``. A host that cannot be resolved is refused too."""
    target = parse_url(raw)
    if allow_private:
        return target
    if target.literal:
        addresses = [target.host]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM),
                RESOLVE_WITHIN)
        except (OSError, TimeoutError, UnicodeError):
            raise WebhookUrlRefused("url: its host could not be resolved.") from None
        addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(is_public(a) for a in addresses):
        raise WebhookUrlRefused("url: its host is a private, loopback or otherwise non-public "
                                "address.")
    return target


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default, then refuses (``AddressRefused``) a host with any
    non-public address, unless ``allow_private``: the connection uses these same addresses."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not self.allow_private and not all(is_public(r["host"]) for r in found):
            raise AddressRefused("the host resolved to a non-public address")
        return found

    async def close(self) -> None:
        await self._inner.close()
