"""Hostile endpoints on 127.0.0.1: memory and time stay bounded, errors are typed and say where.

Memory is measured in a fresh interpreter (``probe.py``): peak RSS growth of one call must stay
under the configured ``max_response_bytes`` plus a small constant, where an unbounded client
grows by the whole gigabyte. Deadlines are set small here to keep the suite fast; one test
checks that the defaults themselves are finite.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import math
import pickle
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from secretsmanager_async import (
    AttemptTimeoutError,
    CallTimeoutError,
    ConnectionClosedError,
    ConnectTimeoutError,
    Credentials,
    ReadTimeoutError,
    ResponseTooLargeError,
    SecretsManagerClient,
    ServiceError,
    TransportError,
    TransportTimeoutError,
)

from ..faults.test_timeouts import unaccepting_port
from .probe import run_probe
from .servers import MIB, SECRET, HostileServer, hostile

CREDENTIALS = Credentials("AKIDHOSTILE", "hostile-secret-key")
#: what one call may add to peak RSS beyond the response limit: buffers, the interpreter's own
#: allocator slack; an unbounded read adds the whole 1 GiB
SLACK = 8 * MIB
LIMIT = 8 * MIB


def client_for(server: HostileServer, **settings: Any) -> SecretsManagerClient:
    """A client for ``server`` (retry backoff left as configured)."""
    settings.setdefault("region", "us-east-1")
    settings.setdefault("credentials", CREDENTIALS)
    return SecretsManagerClient(endpoint_url=server.url, **settings)


def pool(client: SecretsManagerClient) -> tuple[int, int]:
    """(connections in use, idle connections kept for reuse) in the client's aiohttp pool."""
    connector: Any = client._transport._session.connector  # type: ignore[union-attr]
    return len(connector._acquired), sum(len(c) for c in connector._conns.values())


@pytest.fixture
async def ok_server() -> AsyncIterator[HostileServer]:
    """A well-behaved endpoint, for the probe's warm-up call."""
    async with hostile("ok") as server:
        yield server


# -- memory ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["huge", "bomb", "endless"])
async def test_memory_stays_under_the_limit(ok_server: HostileServer, mode: str) -> None:
    """A 1 GiB body, a 1 MiB gzip bomb (1 GiB inflated) and an endless chunked body each
    raise ResponseTooLargeError with peak RSS growth under the limit plus a small constant."""
    async with hostile(mode) as server:
        report = await run_probe(ok_server.url, server.url, max_response_bytes=LIMIT)
    error = report["error"]
    assert error is not None, report
    assert error["type"] == "ResponseTooLargeError", error
    assert error["limit"] == LIMIT
    assert error["attempts"] == 1  # not retried
    assert (error["operation"], error["host"]) == ("GetSecretValue", "127.0.0.1")
    assert f"max_response_bytes={LIMIT}" in error["message"]
    growth = report["rss_peak"] - report["rss_before"]
    assert growth < LIMIT + SLACK, f"peak RSS grew by {growth / MIB:.1f} MiB"
    assert server.requests == 1


# -- size: fast reject, counting, decoding -----------------------------------------------------


async def test_content_length_over_the_limit_is_rejected_before_reading() -> None:
    """A Content-Length above the limit fails at once, unretried, and the connection is closed."""
    async with hostile("liar") as server:
        async with client_for(server, max_attempts=3) as client:
            start = time.monotonic()
            with pytest.raises(ResponseTooLargeError) as info:
                await client.get_secret_value(secret_id="n")
            assert time.monotonic() - start < 2.0
            assert pool(client) == (0, 0)  # discarded, not returned to the pool
        assert info.value.limit == 16 * MIB  # the default
        assert "Content-Length 2147483648" in str(info.value)
        assert info.value.is_retry_safe is False
        assert server.requests == 1
        for _ in range(100):  # the server sees the close
            if server.closed_by_peer:
                break
            await asyncio.sleep(0.02)
        assert server.closed_by_peer == 1


@pytest.mark.parametrize(
    "mode", ["ok", "ok_gzip", "ok_gzip_members", "ok_deflate", "ok_deflate_raw", "ok_chunked"]
)
async def test_normal_bodies_decode_and_keep_the_connection(mode: str) -> None:
    """Plain, gzip (one or two members), deflate (zlib or raw) and chunked bodies decode, and
    the connection is reused."""
    async with hostile(mode) as server:
        async with client_for(server) as client:
            for _ in range(2):
                assert (await client.get_secret_value(secret_id="n")).secret_string == "s"
            assert pool(client) == (0, 1)
        assert server.connections == 1
        assert b"\r\nAccept-Encoding: identity\r\n" in server.last_head


@pytest.mark.parametrize("mode", ["ok", "ok_gzip", "ok_chunked"])
async def test_the_limit_is_exact_and_counts_inflated_bytes(mode: str) -> None:
    """A body of exactly the limit passes; one byte more fails, counted after decompression.

    (A small body that arrived whole is a complete message: aiohttp may keep that connection.)
    """
    size = len(json.dumps(SECRET).encode())
    async with hostile(mode) as server:
        async with client_for(server, max_response_bytes=size) as client:
            assert (await client.get_secret_value(secret_id="n")).secret_string == "s"
        async with client_for(server, max_response_bytes=size - 1, max_attempts=3) as client:
            with pytest.raises(ResponseTooLargeError) as info:
                await client.get_secret_value(secret_id="n")
            assert pool(client)[0] == 0
        assert server.requests == 2
        assert info.value.limit == size - 1


async def test_an_unsupported_encoding_is_a_transport_error() -> None:
    """A Content-Encoding we did not ask for and cannot decode raises ConnectionClosedError."""
    async with hostile("br") as server, client_for(server, max_attempts=1) as client:
        with pytest.raises(ConnectionClosedError, match="unsupported Content-Encoding 'br'"):
            await client.get_secret_value(secret_id="n")
        assert pool(client)[0] == 0


# -- time ------------------------------------------------------------------------------------


async def test_a_drip_ends_at_the_attempt_deadline() -> None:
    """A body dripping a byte every 500 ms (the read timeout never fires) raises
    AttemptTimeoutError at attempt_timeout, and the connection is discarded."""
    async with (
        hostile("drip") as server,
        client_for(server, attempt_timeout=1.0, max_attempts=1) as client,
    ):
        start = time.monotonic()
        with pytest.raises(AttemptTimeoutError) as info:
            await client.get_secret_value(secret_id="n")
        elapsed = time.monotonic() - start
        assert pool(client) == (0, 0)
    assert 0.9 <= elapsed < 2.5
    error = info.value
    assert isinstance(error, ReadTimeoutError)  # retried and caught like a read timeout
    assert (error.operation, error.host, error.attempts, error.timeout) == (
        "GetSecretValue",
        "127.0.0.1",
        1,
        1.0,
    )
    assert str(error) == (
        "GetSecretValue: attempt 1 to 127.0.0.1 did not complete within attempt_timeout=1 s"
    )


async def test_a_drip_is_retried_until_the_call_deadline() -> None:
    """Attempt deadlines are retried; the call deadline ends the call with CallTimeoutError."""
    async with (
        hostile("drip") as server,
        client_for(server, attempt_timeout=0.5, timeout=1.6, max_attempts=10) as client,
    ):
        start = time.monotonic()
        with pytest.raises(CallTimeoutError) as info:
            await client.get_secret_value(secret_id="n")
        elapsed = time.monotonic() - start
        assert pool(client) == (0, 0)
    assert 1.5 <= elapsed < 3.0
    error = info.value
    assert error.attempts is not None and error.attempts >= 2
    assert server.requests == error.attempts
    assert (error.operation, error.host, error.timeout) == ("GetSecretValue", "127.0.0.1", 1.6)
    assert f"({error.attempts} attempt(s) to 127.0.0.1)" in str(error)
    assert "timeout=1.6 s" in str(error)


async def test_a_status_line_at_one_byte_per_second_ends_at_the_attempt_deadline() -> None:
    """Response headers trickling in a byte per second cannot hold an attempt open."""
    async with (
        hostile("slow_status") as server,
        client_for(server, attempt_timeout=1.5, max_attempts=1) as client,
    ):
        start = time.monotonic()
        with pytest.raises(AttemptTimeoutError):
            await client.get_secret_value(secret_id="n")
        assert 1.4 <= time.monotonic() - start < 3.0
        assert pool(client) == (0, 0)


async def test_default_bounds_are_finite(ok_server: HostileServer) -> None:
    """With nothing configured every bound is finite; only an explicit None lifts one."""
    async with client_for(ok_server) as client:
        await client.get_secret_value(secret_id="n")
        transport: Any = client._transport
        bounds = (transport._attempt_timeout, client._timeout, transport._limit)
        assert bounds == (30.0, 60.0, 16 * MIB)
        assert all(math.isfinite(b) for b in bounds)
        assert transport._read_timeout == 30.0 and transport._connect_timeout == 10.0
    async with client_for(
        ok_server, attempt_timeout=None, timeout=None, max_response_bytes=None
    ) as client:
        await client.get_secret_value(secret_id="n")
        transport = client._transport
        assert (transport._attempt_timeout, client._timeout, transport._limit) == (None,) * 3


async def test_read_and_connect_timeouts_say_where_and_after_how_many_attempts() -> None:
    """ReadTimeoutError and ConnectTimeoutError name the operation, host, bound and attempts,
    as attributes and in the message, and survive pickling as raised."""
    async with (
        hostile("stall") as server,
        client_for(server, read_timeout=0.2, max_attempts=2) as client,
    ):
        with pytest.raises(ReadTimeoutError) as read:
            await client.describe_secret(secret_id="n")
        assert pool(client) == (0, 0)
    error = read.value
    assert type(error) is ReadTimeoutError
    assert (error.operation, error.host, error.timeout, error.attempts) == (
        "DescribeSecret",
        "127.0.0.1",
        0.2,
        2,
    )
    assert str(error) == (
        "DescribeSecret: timed out reading the response from 127.0.0.1 "
        "(read_timeout=0.2 s, attempt 2)"
    )
    assert vars(pickle.loads(pickle.dumps(error))) == vars(error)

    with unaccepting_port() as port:
        async with SecretsManagerClient(
            endpoint_url=f"http://127.0.0.1:{port}",
            region="us-east-1",
            credentials=CREDENTIALS,
            connect_timeout=0.2,
            max_attempts=1,
        ) as client:
            with pytest.raises(ConnectTimeoutError) as connect:
                await client.get_secret_value(secret_id="n")
    error = connect.value
    assert (error.operation, error.host, error.timeout, error.attempts) == (
        "GetSecretValue",
        "127.0.0.1",
        0.2,
        1,
    )
    assert "connect_timeout=0.2 s, attempt 1" in str(error)


# -- clock skew ------------------------------------------------------------------------------


async def test_a_date_in_2001_is_ignored_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A skew error whose Date is 25 years off leaves the clock alone, with one WARNING."""
    caplog.set_level(logging.WARNING, logger="secretsmanager_async")
    async with hostile("date2001") as server:
        async with client_for(server, max_attempts=1) as client:
            for _ in range(3):
                with pytest.raises(ServiceError) as info:
                    await client.get_secret_value(secret_id="n")
                assert info.value.code == "InvalidSignatureException"
            assert client.middleware["sign"].clock_offset == 0.0  # type: ignore[attr-defined]
        # the clock is not corrected; "Signature expired" is re-signed once per call (a Lambda
        # thaw), never more
        assert server.requests == 6
    warnings = [r for r in caplog.records if "ignoring a server Date" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


# -- errors: attributes survive pickling -----------------------------------------------------


def _examples() -> list[TransportError]:
    where = {"operation": "GetSecretValue", "host": "h.example", "attempts": 2}
    return [
        ReadTimeoutError("r", timeout=30.0, **where),
        AttemptTimeoutError("a", timeout=30.0, **where),
        CallTimeoutError("c", timeout=60.0, **where),
        ResponseTooLargeError("s", limit=16 * MIB, **where),
        ConnectionClosedError("x", **where),
    ]


@pytest.mark.parametrize("error", _examples(), ids=lambda e: type(e).__name__)
def test_transport_errors_round_trip(error: TransportError) -> None:
    """Pickle, copy and deepcopy keep the type, message and every attribute."""
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(clone) is type(error)
        assert str(clone) == str(error)
        assert vars(clone) == vars(error)
        assert clone.attempts == 2 and clone.host == "h.example"
        if isinstance(error, TransportTimeoutError):
            assert clone.timeout == error.timeout  # type: ignore[attr-defined]
    assert not isinstance(error, asyncio.CancelledError)
