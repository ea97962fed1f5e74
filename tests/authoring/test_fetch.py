import asyncio
import ipaddress

import pytest
from aiohttp import web

from bot.authoring.fetch import FetchError, FetchLimits, fetch_page, is_public_address
from bot.config import load_settings
from tests.authoring.local_server import serve

# What the tests use by default: the local server is private, so the refusal is switched off.
OPEN = FetchLimits(max_bytes=64 * 1024, timeout_seconds=5, refuse_private_addresses=False)
GUARDED = FetchLimits(max_bytes=64 * 1024, timeout_seconds=5, refuse_private_addresses=True)
LOCAL_SERVER = ipaddress.ip_address("127.0.0.1")


def only_the_local_server_and_public(address) -> bool:
    """The real rule, plus the one address the test server listens on."""
    return address == LOCAL_SERVER or is_public_address(address)


async def article(request: web.Request) -> web.Response:
    return web.Response(text="<html><body><p>Hello.</p></body></html>", content_type="text/html", charset="utf-8")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.9.9.9", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_only_public_addresses_count_as_public(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


async def test_fetches_a_local_page_when_the_refusal_is_off():
    async with serve({"/a": article}) as base:
        page = await fetch_page(f"{base}/a", OPEN)
    assert page.is_html
    assert page.text() == "<html><body><p>Hello.</p></body></html>"
    assert page.url == f"{base}/a"


async def test_private_address_refused_with_the_setting_on():
    async with serve({"/a": article}) as base:
        with pytest.raises(FetchError, match=r"127\.0\.0\.1 is a loopback address.*FETCH_REFUSE_PRIVATE_ADDRESSES"):
            await fetch_page(f"{base}/a", GUARDED)
        port = base.rsplit(":", 1)[1]
        # A host name is checked by what it resolves to, at connect time.
        with pytest.raises(FetchError, match=r"localhost resolves to .*(loopback|IPv4-mapped)"):
            await fetch_page(f"http://localhost:{port}/a", GUARDED)
        with pytest.raises(FetchError, match=r"IPv4-mapped loopback"):
            await fetch_page(f"http://[::ffff:127.0.0.1]:{port}/a", GUARDED)


def test_the_refusal_is_on_by_default():
    settings = load_settings({"HOME": "/home/someone"})
    assert FetchLimits.from_settings(settings).refuse_private_addresses is True


async def test_redirect_to_a_private_address_refused():
    async def to_metadata(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    async def to_localhost_name(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://localhost:{request.url.port}/a")

    async with serve({"/a": article, "/meta": to_metadata, "/name": to_localhost_name}) as base:
        allowed = only_the_local_server_and_public
        assert (await fetch_page(f"{base}/a", GUARDED, address_allowed=allowed)).is_html
        with pytest.raises(FetchError, match=r"169\.254\.169\.254 is a link-local address"):
            await fetch_page(f"{base}/meta", GUARDED, address_allowed=allowed)
        # The redirect's host name is checked again when it is resolved for the connect: a rule that lets
        # the first hop through and nothing after shows the second hop was asked about, and refused.
        asked: list[object] = []

        def first_hop_only(address) -> bool:
            asked.append(address)
            return len(asked) == 1

        with pytest.raises(FetchError, match=r"localhost resolves to .*only public addresses"):
            await fetch_page(f"{base}/name", GUARDED, address_allowed=first_hop_only)
        assert len(asked) == 2


async def test_at_most_five_redirects():
    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        if left == 0:
            return await article(request)
        raise web.HTTPMovedPermanently(f"/hop/{left - 1}")

    async with serve({"/hop/{left}": hop}) as base:
        page = await fetch_page(f"{base}/hop/5", OPEN)
        assert page.url == f"{base}/hop/0"
        with pytest.raises(FetchError, match="more than 5 redirects"):
            await fetch_page(f"{base}/hop/6", OPEN)


async def test_size_cap_with_and_without_a_declared_length():
    big = "<p>" + "x" * 100_000 + "</p>"

    async def declared(request: web.Request) -> web.Response:
        return web.Response(text=big, content_type="text/html")

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"y" * 1000)
        await response.write_eof()
        return response

    async with serve({"/declared": declared, "/streamed": streamed}) as base:
        small = FetchLimits(max_bytes=10_000, timeout_seconds=5, refuse_private_addresses=False)
        for path in ("/declared", "/streamed"):
            with pytest.raises(FetchError, match=r"larger than 10000 bytes \(FETCH_MAX_BYTES\)"):
                await fetch_page(f"{base}{path}", small)


async def test_time_limit_covers_a_slow_body():
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        for _ in range(50):
            await response.write(b"<p>slow</p>")
            await asyncio.sleep(0.1)
        return response

    async with serve({"/slow": trickle}) as base:
        quick = FetchLimits(max_bytes=64 * 1024, timeout_seconds=0.3, refuse_private_addresses=False)
        with pytest.raises(FetchError, match=r"took longer than 0\.3 seconds \(FETCH_TIMEOUT_SECONDS\)"):
            await fetch_page(f"{base}/slow", quick)


async def test_only_text_and_html_content_types():
    async def image(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG....", content_type="image/png")

    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="Just text.", content_type="text/plain", charset="utf-8")

    async with serve({"/image": image, "/plain": plain}) as base:
        with pytest.raises(FetchError, match="is image/png; only text and HTML"):
            await fetch_page(f"{base}/image", OPEN)
        page = await fetch_page(f"{base}/plain", OPEN)
        assert not page.is_html and page.text() == "Just text."


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a.txt", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/", "/etc/passwd"]
)
async def test_only_http_and_https(url):
    with pytest.raises(FetchError, match="only http and https"):
        await fetch_page(url, GUARDED)


async def test_errors_say_what_went_wrong():
    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    async with serve({"/missing": missing}) as base:
        with pytest.raises(FetchError, match="answered 404"):
            await fetch_page(f"{base}/missing", OPEN)
    with pytest.raises(FetchError, match="user name or password"):
        await fetch_page("http://user:secret@example.com/", GUARDED)
