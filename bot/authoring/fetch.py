"""The only code that opens a URL: fetch an article a user asked for, and nothing it could be turned into.

A moderator's URL must not become a way to read the host's own network (an admin page on 127.0.0.1,
a cloud metadata service on 169.254.169.254, a router on 192.168.1.1). So every hop, the first URL and
each redirect, is checked before anything is sent: only http and https, and every address its host name
resolves to must be public. The connection then goes to the very addresses that were checked (the
resolver below both checks and answers), so a name cannot resolve to a public address for the check and
a private one for the connect. Redirects are followed here, one at a time, at most ``max_redirects``.
Only text and HTML are read, streamed under a byte cap, and the whole fetch runs under one time limit.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

if TYPE_CHECKING:
    from bot.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
_CHUNK = 16 * 1024


class FetchError(Exception):
    """A URL that was refused or could not be read; the message says which URL and why."""


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout_seconds: float
    refuse_private_addresses: bool
    max_redirects: int = MAX_REDIRECTS

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(
            max_bytes=settings.fetch_max_bytes,
            timeout_seconds=settings.fetch_timeout_seconds,
            refuse_private_addresses=settings.fetch_refuse_private_addresses,
        )


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects
    content_type: str  # lower case, without parameters: "text/html"
    body: bytes
    charset: str | None

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES

    def text(self) -> str:
        """The body as text: the declared charset, else UTF-8, else Windows-1252 (what browsers assume)."""
        if self.charset:
            return self.body.decode(self.charset, errors="replace")
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            return self.body.decode("cp1252", errors="replace")


def is_public_address(address: IPAddress) -> bool:
    """True only for an address on the public internet; an IPv4 address mapped into IPv6 counts as itself."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def _describe_address(address: IPAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"an IPv4-mapped {_describe_address(address.ipv4_mapped)}"
    for test, words in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_unspecified", "unspecified"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(address, test):
            return f"{words} address"
    return "non-public address"


class _CheckedResolver(AbstractResolver):
    """Resolves a host name and refuses it unless every address is allowed; aiohttp connects to these."""

    def __init__(self, address_allowed: Callable[[IPAddress], bool] | None):
        self._address_allowed = address_allowed

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=socket.AF_UNSPEC)
        results: list[ResolveResult] = []
        for info_family, _, proto, _, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
            _check_address(host, address, self._address_allowed)
            results.append(
                ResolveResult(
                    hostname=host,
                    host=str(address),
                    port=port,
                    family=info_family,
                    proto=proto,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        if not results:
            raise OSError(f"{host} has no address")
        return results

    async def close(self) -> None:
        return None


class _AddressRefused(OSError):
    """Raised inside aiohttp's connect step; turned into a FetchError with the same words."""


def _check_address(host: str, address: IPAddress, allowed: Callable[[IPAddress], bool] | None) -> None:
    if allowed is not None and not allowed(address):
        shown = f"{host} is" if host == str(address) else f"{host} resolves to {address},"
        raise _AddressRefused(
            f"{shown} a {_describe_address(address)}; only public addresses are fetched "
            "(FETCH_REFUSE_PRIVATE_ADDRESSES)"
        )


def _check_url(url: URL) -> None:
    if url.scheme not in ALLOWED_SCHEMES:
        raise FetchError(f"{url}: only http and https URLs can be fetched, not {url.scheme or 'a bare path'}")
    if not url.raw_host:
        raise FetchError(f"{url}: the URL has no host name")
    if url.user is not None or url.password is not None:
        raise FetchError(f"{url}: URLs with a user name or password are not fetched")


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def fetch_page(
    url: str,
    limits: FetchLimits,
    *,
    address_allowed: Callable[[IPAddress], bool] | None = None,
) -> FetchedPage:
    """Fetch ``url`` within ``limits``; raises FetchError with a clear reason for anything refused.

    ``address_allowed`` replaces the public-address rule (tests let one local server through while
    still refusing everything else); by default it is ``is_public_address`` when the limits refuse
    private addresses, and nothing is refused otherwise.
    """
    if address_allowed is None and limits.refuse_private_addresses:
        address_allowed = is_public_address
    try:
        async with asyncio.timeout(limits.timeout_seconds):
            return await _fetch_following_redirects(url, limits, address_allowed)
    except TimeoutError:
        raise FetchError(
            f"{url}: took longer than {limits.timeout_seconds:g} seconds (FETCH_TIMEOUT_SECONDS)"
        ) from None


async def _fetch_following_redirects(
    url: str, limits: FetchLimits, address_allowed: Callable[[IPAddress], bool] | None
) -> FetchedPage:
    try:
        current = URL(url.strip())
    except (ValueError, TypeError) as error:
        raise FetchError(f"{url}: not a valid URL ({error})") from None
    connector = aiohttp.TCPConnector(resolver=_CheckedResolver(address_allowed), use_dns_cache=False)
    # trust_env=False: a proxy from the environment would make the connect go somewhere unchecked.
    async with aiohttp.ClientSession(connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar()) as http:
        for _ in range(limits.max_redirects + 1):
            _check_url(current)
            literal = _literal_address(current.raw_host or "")
            if literal is not None:
                # aiohttp connects to an address literal without asking the resolver: check it here.
                try:
                    _check_address(str(literal), literal, address_allowed)
                except _AddressRefused as refused:
                    raise FetchError(f"{current}: {refused}") from None
            next_url = await _one_hop(http, current, limits)
            if isinstance(next_url, FetchedPage):
                return next_url
            current = next_url
    raise FetchError(f"{url}: more than {limits.max_redirects} redirects")


async def _one_hop(http: aiohttp.ClientSession, url: URL, limits: FetchLimits) -> FetchedPage | URL:
    headers = {"User-Agent": "crate-digger (article drafter)", "Accept": "text/html, text/plain;q=0.9, text/*;q=0.8"}
    try:
        async with http.get(url, allow_redirects=False, headers=headers) as response:
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(f"{url}: redirect ({response.status}) without a Location")
                try:
                    return url.join(URL(location))
                except ValueError:
                    raise FetchError(f"{url}: redirect to an invalid URL {location!r}") from None
            if response.status != 200:
                raise FetchError(f"{url}: the server answered {response.status} {response.reason or ''}".rstrip())
            content_type = response.content_type.lower()
            if not (content_type.startswith("text/") or content_type in HTML_TYPES):
                raise FetchError(f"{url}: is {content_type or 'of no stated type'}; only text and HTML pages are read")
            declared = response.content_length
            if declared is not None and declared > limits.max_bytes:
                raise FetchError(_too_large(url, limits))
            body = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK):
                body.extend(chunk)
                if len(body) > limits.max_bytes:
                    raise FetchError(_too_large(url, limits))
            return FetchedPage(str(url), content_type, bytes(body), _known_charset(response.charset))
    except aiohttp.ClientConnectorError as error:
        if isinstance(error.os_error, _AddressRefused):
            raise FetchError(f"{url}: {error.os_error}") from None
        raise FetchError(f"{url}: cannot connect ({error.os_error.strerror or error.os_error})") from None
    except aiohttp.ClientError as error:
        raise FetchError(f"{url}: {type(error).__name__}: {error}") from None


def _too_large(url: URL, limits: FetchLimits) -> str:
    return f"{url}: larger than {limits.max_bytes} bytes (FETCH_MAX_BYTES)"


def _known_charset(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None
