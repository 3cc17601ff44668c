"""Connect, read and per-call timeouts, and cancellation: typed, configurable, leaving no leaks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async.exceptions import (
    CallTimeoutError,
    ConnectTimeoutError,
    ReadTimeoutError,
)

from .conftest import ClientFactory
from .proxy import FaultProxy


@contextlib.contextmanager
def unaccepting_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listen queue is full, so a new connect never completes.

    Linux drops SYNs to a listener whose accept queue is full (backlog 0 holds one), and the
    listener never accepts: the client's connect hangs until its own timeout.
    """
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers: list[socket.socket] = []
        try:
            for _ in range(8):
                filler = socket.socket()
                fillers.append(filler)
                filler.settimeout(0.2)
                try:
                    filler.connect(("127.0.0.1", port))
                except (TimeoutError, OSError):
                    break  # the queue is full now
            else:
                pytest.skip("cannot fill the listen queue on this platform")
            yield port
        finally:
            for filler in fillers:
                filler.close()


def pool_in_use(client: SecretsManagerClient) -> int:
    """Connections the client's aiohttp connector holds as acquired (in use by a request)."""
    session: Any = client._transport._session  # type: ignore[union-attr]
    if session is None:
        return 0
    return len(session.connector._acquired)


async def test_connect_timeout(make_client: ClientFactory) -> None:
    """A connect that never completes raises ConnectTimeoutError after connect_timeout."""
    with unaccepting_port() as port:
        for limit in (0.2, 0.6):
            async with make_client(
                f"http://127.0.0.1:{port}", max_attempts=1, connect_timeout=limit
            ) as client:
                start = time.monotonic()
                with pytest.raises(ConnectTimeoutError):
                    await client.get_secret_value(secret_id="x")
                elapsed = time.monotonic() - start
                assert limit * 0.9 <= elapsed < limit + 1.5  # far below the 10 s default


async def test_connect_timeout_is_retried(make_client: ClientFactory) -> None:
    """Each attempt gets its own connect timeout; the error surfaces after the last."""
    with unaccepting_port() as port:
        async with make_client(
            f"http://127.0.0.1:{port}", max_attempts=3, connect_timeout=0.15
        ) as client:
            start = time.monotonic()
            with pytest.raises(ConnectTimeoutError):
                await client.get_secret_value(secret_id="x")
            assert time.monotonic() - start >= 0.4


async def test_read_timeout(proxy: FaultProxy, make_client: ClientFactory, secret: str) -> None:
    """Headers that never arrive raise ReadTimeoutError after read_timeout, per attempt."""
    for limit in (0.2, 0.5):
        async with make_client(proxy.url, max_attempts=1, read_timeout=limit) as client:
            proxy.inject("stall")
            start = time.monotonic()
            with pytest.raises(ReadTimeoutError):
                await client.get_secret_value(secret_id=secret)
            elapsed = time.monotonic() - start
            assert limit * 0.9 <= elapsed < limit + 1.5  # far below the 30 s default
            assert pool_in_use(client) == 0


async def test_call_timeout_covers_all_attempts(
    proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """The per-call timeout bounds every attempt together and raises CallTimeoutError."""
    async with make_client(proxy.url, max_attempts=10, read_timeout=0.2, timeout=0.5) as client:
        proxy.inject(*["stall"] * 10)
        start = time.monotonic()
        with pytest.raises(CallTimeoutError) as info:
            await client.get_secret_value(secret_id=secret)
        elapsed = time.monotonic() - start
        assert 0.45 <= elapsed < 1.6  # ten 0.2 s attempts would take 2 s
        assert "attempt" in str(info.value)
        assert pool_in_use(client) == 0
        proxy._queued.clear()
        assert (await client.get_secret_value(secret_id=secret)).secret_string == "initial"


async def test_call_timeout_beats_long_read_timeout(
    proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """A per-call timeout shorter than the read timeout wins, with its own error type."""
    async with make_client(proxy.url, read_timeout=30, timeout=0.3) as client:
        proxy.inject("stall")
        with pytest.raises(CallTimeoutError):
            await client.get_secret_value(secret_id=secret)


async def test_task_cancel_leaves_client_usable(
    proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """Cancelling a call in flight propagates CancelledError and leaks no pooled connection."""
    async with make_client(proxy.url, read_timeout=30) as client:
        await client.get_secret_value(secret_id=secret)  # open the pool
        proxy.inject(*["stall"] * 4)
        tasks = [asyncio.create_task(client.get_secret_value(secret_id=secret)) for _ in range(4)]
        await proxy.wait_for_requests(5)
        await asyncio.sleep(0.02)  # let the stalled requests settle in the pool
        assert pool_in_use(client) == 4
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        assert pool_in_use(client) == 0
        value = await client.get_secret_value(secret_id=secret)
        assert value.secret_string == "initial"
        assert pool_in_use(client) == 0


async def test_wait_for_leaves_client_usable(
    proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """asyncio.wait_for around a call (any Python) cancels it cleanly; the client keeps working."""
    async with make_client(proxy.url, read_timeout=30) as client:
        proxy.inject("stall", "reset_mid")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get_secret_value(secret_id=secret), 0.2)
        assert pool_in_use(client) == 0
        value = await client.get_secret_value(secret_id=secret)  # after one reset_mid retry
        assert value.secret_string == "initial"
        assert pool_in_use(client) == 0


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
async def test_asyncio_timeout_leaves_client_usable(
    proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """An asyncio.timeout around a call cancels it cleanly; the client keeps working."""
    async with make_client(proxy.url, read_timeout=30) as client:
        proxy.inject("stall")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):  # type: ignore[attr-defined,unused-ignore]
                await client.get_secret_value(secret_id=secret)
        assert pool_in_use(client) == 0
        results = await asyncio.gather(
            *(client.get_secret_value(secret_id=secret) for _ in range(8))
        )
        assert {r.secret_string for r in results} == {"initial"}
        assert pool_in_use(client) == 0


async def test_cancel_during_backoff(
    proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """Cancelling a call while it sleeps between attempts leaves no connection acquired."""
    async with make_client(proxy.url, max_attempts=3) as client:
        retry: Any = client.middleware["retry"]
        retry.backoff = True
        retry._random = lambda: 0.99  # a full-jitter draw near the top: a ~1 s sleep
        proxy.inject("throttle")  # throttles back off from 1 s: the call is asleep
        task = asyncio.create_task(client.get_secret_value(secret_id=secret))
        await proxy.wait_for_requests(1)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool_in_use(client) == 0
        assert (await client.get_secret_value(secret_id=secret)).secret_string == "initial"
