"""The credentials HTTP seam is bounded like a service call and chains no request: raw
asyncio servers on 127.0.0.1 that flood, drip and answer garbage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from secretsmanager_async._credentials.http import MAX_BODY_BYTES, AiohttpCredentialsHttp
from secretsmanager_async.exceptions import (
    ConnectionClosedError,
    ReadTimeoutError,
    ResponseTooLargeError,
)
from tests.secrecy import assert_no_secrets

Responder = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
TOKEN = "container-token-CANARY"


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Responder], Awaitable[str]]]:
    """Start a raw server whose connections are answered by a given coroutine."""
    servers: list[asyncio.Server] = []

    async def start(respond: Responder) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            try:
                await respond(reader, writer)
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/creds"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_endless_body_stops_at_the_cap(
    raw_server: Callable[[Responder], Awaitable[str]],
) -> None:
    """An endless chunked body ends in ResponseTooLargeError after about the cap."""

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        while True:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()

    url = await raw_server(flood)
    http = AiohttpCredentialsHttp()
    try:
        with pytest.raises(ResponseTooLargeError) as info:
            await http.request(
                "GET", url, headers={"Authorization": TOKEN}, connect_timeout=1, read_timeout=5
            )
    finally:
        await http.aclose()
    assert info.value.limit == MAX_BODY_BYTES
    assert_no_secrets(info.value, TOKEN)


async def test_lying_content_length_is_refused_before_reading(
    raw_server: Callable[[Responder], Awaitable[str]],
) -> None:
    """A Content-Length over the cap is refused without reading the body."""

    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2147483648\r\n\r\n{")
        await writer.drain()
        await asyncio.sleep(5)

    url = await raw_server(big)
    http = AiohttpCredentialsHttp()
    started = time.monotonic()
    try:
        with pytest.raises(ResponseTooLargeError):
            await http.request("GET", url, headers={}, connect_timeout=1, read_timeout=5)
    finally:
        await http.aclose()
    assert time.monotonic() - started < 2


async def test_drip_is_cut_by_the_request_deadline(
    raw_server: Callable[[Responder], Awaitable[str]],
) -> None:
    """One byte every 0.2 s never trips read_timeout=0.5; the whole-request bound does."""

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.2)

    url = await raw_server(drip)
    http = AiohttpCredentialsHttp()
    started = time.monotonic()
    try:
        with pytest.raises(ReadTimeoutError):
            await http.request("GET", url, headers={}, connect_timeout=0.5, read_timeout=0.5)
    finally:
        await http.aclose()
    assert time.monotonic() - started < 5  # connect + 2 x read = 1.5 s, plus slack


async def test_malformed_response_chains_no_request_headers(
    raw_server: Callable[[Responder], Awaitable[str]],
) -> None:
    """aiohttp's error (which holds the request and its token) is not reachable."""

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 abc nonsense\r\n\r\n")
        await writer.drain()

    url = await raw_server(garbage)
    http = AiohttpCredentialsHttp()
    try:
        with pytest.raises(ConnectionClosedError) as info:
            await http.request(
                "GET",
                url,
                headers={"Authorization": TOKEN, "x-amz-sso_bearer_token": TOKEN},
                connect_timeout=1,
                read_timeout=1,
            )
    finally:
        await http.aclose()
    assert_no_secrets(info.value, TOKEN)
