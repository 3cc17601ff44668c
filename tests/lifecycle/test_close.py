"""Item 8: close() with calls in flight: each completes or raises ClientClosedError."""

from __future__ import annotations

import asyncio
import collections
import sys
import time

import pytest

from secretsmanager_async import ClientClosedError, Credentials, SecretsManagerClient

from .slow_server import slow_server

CREDS = Credentials("AKIDCLOSE", "close-secret-key")


def _client(url: str) -> SecretsManagerClient:
    return SecretsManagerClient(region="us-east-1", endpoint_url=url, credentials=CREDS)


def _tally(results: list[object]) -> collections.Counter[str]:
    return collections.Counter(
        "ok" if not isinstance(r, BaseException) else type(r).__name__ for r in results
    )


async def _start(client: SecretsManagerClient, n: int) -> list[asyncio.Task[object]]:
    tasks: list[asyncio.Task[object]] = [
        asyncio.create_task(client.get_secret_value(secret_id=f"s{i}")) for i in range(n)
    ]
    # wait until every call is inside the client (set up, queued for a connection or sent)
    while len(client._inflight) < n:  # noqa: ASYNC110 - polling private state is simplest
        await asyncio.sleep(0.01)
    return tasks


async def test_close_with_500_in_flight_past_the_grace() -> None:
    """500 calls on a slow server, close(grace=0.2): every caller gets ClientClosedError."""
    async with slow_server(delay=30) as url:
        client = _client(url)
        tasks = await _start(client, 500)
        started = time.monotonic()
        await client.close(grace=0.2)
        took = time.monotonic() - started
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert _tally(results) == {"ClientClosedError": 500}
    assert all("in flight" in str(r) for r in results)
    assert took < 5  # the grace, then a prompt unwind; never the server's 30 s


async def test_close_lets_calls_finish_within_the_grace() -> None:
    """Calls that finish within the grace period return normally; later ones are cut."""
    async with slow_server(delay=0.3) as url:
        client = _client(url)
        tasks = await _start(client, 200)
        await client.close(grace=10)
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert _tally(results) == {"ok": 200}


async def test_new_calls_are_refused_at_once_while_closing() -> None:
    """During the grace period a new call raises ClientClosedError without waiting."""
    async with slow_server(delay=30) as url:
        client = _client(url)
        tasks = await _start(client, 5)
        closing = asyncio.create_task(client.close(grace=0.5))
        await asyncio.sleep(0.05)
        assert client.closed
        started = time.monotonic()
        with pytest.raises(ClientClosedError, match="closed"):
            await client.get_secret_value(secret_id="late")
        assert time.monotonic() - started < 0.1
        await client.close()  # a second close waits for the first
        assert closing.done()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 cannot tell who cancelled")
async def test_callers_own_cancellation_still_propagates() -> None:
    """A caller that cancels its own call during close() gets CancelledError, not ours."""
    async with slow_server(delay=30) as url:
        client = _client(url)
        tasks = await _start(client, 10)
        closing = asyncio.create_task(client.close(grace=0.3))
        await asyncio.sleep(0.05)
        for task in tasks[:4]:
            task.cancel()
        await closing
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert _tally(results[:4]) == {"CancelledError": 4}
    assert _tally(results[4:]) == {"ClientClosedError": 6}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 cannot tell who cancelled")
async def test_caller_cancelling_after_close_cancelled_still_gets_cancelled() -> None:
    """When both close() and the caller cancel, the caller's CancelledError wins."""
    async with slow_server(delay=30) as url:
        client = _client(url)
        tasks = await _start(client, 3)
        closing = asyncio.create_task(client.close(grace=0))
        await asyncio.sleep(0)  # close() has cancelled the calls; they have not run yet
        for task in tasks:
            task.cancel()
        await closing
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert _tally(results) == {"CancelledError": 3}


async def test_timeout_of_the_caller_is_not_swallowed() -> None:
    """A caller's wait_for timeout around a call still raises TimeoutError as before."""
    async with slow_server(delay=30) as url, _client(url) as client:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get_secret_value(secret_id="x"), 0.2)
        assert not client._inflight
