"""SecretCache against a local server that counts requests and injects faults, on a fake clock."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async._cache import SecretCache
from secretsmanager_async.exceptions import (
    ClientClosedError,
    ConnectionClosedError,
    InternalServiceError,
    ResourceNotFoundException,
    SecretsManagerError,
    ServiceError,
)

from ..bulk.local_server import LocalSecretsServer
from .conftest import FakeClock


async def settle(cache: SecretCache) -> None:
    """Wait for the cache's background requests to finish."""
    await asyncio.gather(*list(cache._tasks), return_exceptions=True)


async def arrived(server: LocalSecretsServer, count: int) -> None:
    """Wait until the server has received ``count`` requests in total."""
    for _ in range(500):
        if server.total >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"server saw {server.total} requests, expected {count}")


async def test_single_flight_10000_reads_of_50_secrets(
    server: LocalSecretsServer, sm: SecretsManagerClient
) -> None:
    """10,000 concurrent reads of 50 missing secrets send exactly 50 requests."""
    async with SecretCache(sm) as cache:
        ids = [f"s{i % 50:02d}" for i in range(10_000)]
        values = await asyncio.gather(*(cache.get_secret_string(i) for i in ids))
        assert values == [f"value-{i[1:]}" for i in ids]
        assert server.counts["GetSecretValue"] == 50
        stats = cache.stats
        assert (stats.misses, stats.hits, stats.size) == (10_000, 0, 50)
        # and once cached, another 10,000 reads send nothing
        await asyncio.gather(*(cache.get_secret_string(i) for i in ids))
        assert server.counts["GetSecretValue"] == 50
        assert cache.stats.hits == 10_000


async def test_fresh_hits_then_one_fetch_after_expiry(
    server: LocalSecretsServer, sm: SecretsManagerClient, clock: FakeClock
) -> None:
    """Within ttl reads are hits; after it a version check finds the new version and reads it."""
    async with SecretCache(sm, ttl=60, refresh_ahead=0, ttl_jitter=0, clock=clock) as cache:
        assert await cache.get_secret_string("s01") == "value-01"
        clock.advance(59.9)
        server.rotate("s01", "rotated")
        assert await cache.get_secret_string("s01") == "value-01"
        assert server.counts["GetSecretValue"] == 1
        clock.advance(0.2)
        assert await cache.get_secret_string("s01") == "rotated"
        assert server.counts == {"GetSecretValue": 2, "DescribeSecret": 1}
        assert (cache.stats.hits, cache.stats.misses, cache.stats.refreshes) == (1, 2, 1)
        assert cache.stats.requests == server.counts and cache.stats.changes == 1


async def test_refresh_ahead_serves_at_once_and_refreshes_in_background(
    server: LocalSecretsServer, sm: SecretsManagerClient, clock: FakeClock
) -> None:
    """A read in the last 20 s of a 100 s ttl returns at once and starts one refresh."""
    async with SecretCache(sm, ttl=100, refresh_ahead=20, ttl_jitter=0, clock=clock) as cache:
        await cache.get_secret_string("s02")
        clock.advance(79)
        await cache.get_secret_string("s02")
        assert server.total == 1 and not cache._tasks  # before the window: nothing
        clock.advance(2)  # t = 81: inside the window
        server.gate = asyncio.Event()  # hold the refresh at the server
        server.rotate("s02", "rotated")
        for _ in range(100):
            # the current value, without waiting for the request held at the server
            got = await asyncio.wait_for(cache.get_secret_string("s02"), 1)
            assert got == "value-02"
        await arrived(server, 1 + 1)  # the DescribeSecret, held at the gate
        assert len(cache._tasks) == 1
        server.gate.set()
        await settle(cache)
        assert await cache.get_secret_string("s02") == "rotated"
        assert server.counts == {"GetSecretValue": 2, "DescribeSecret": 1}
        assert cache.stats.refreshes == 1
        clock.advance(79)  # t = 160: the refreshed entry's window opens at 81 + 80 = 161
        await cache.get_secret_string("s02")
        assert server.total == 3 and not cache._tasks
        clock.advance(2)
        await cache.get_secret_string("s02")
        await settle(cache)
        # unchanged: renewed by one DescribeSecret, the value not read again
        assert server.counts == {"GetSecretValue": 2, "DescribeSecret": 2}


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("throttle", ServiceError),
        ("internal", InternalServiceError),
        ("reset", ConnectionClosedError),
    ],
)
async def test_stale_if_error_with_backoff_then_raise_after_grace(
    server: LocalSecretsServer,
    sm: SecretsManagerClient,
    clock: FakeClock,
    fault: str,
    error: type[SecretsManagerError],
) -> None:
    """Transient failures: stale value for 30 s past expiry, refreshes backing off 2, 4 s."""
    async with SecretCache(
        sm,
        ttl=10,
        refresh_ahead=0,
        stale_if_error=30,
        error_backoff=(2, 8),
        clock=clock,
        random=lambda: 1.0,
    ) as cache:
        await cache.get_secret_string("s03")
        server.fail["s03"] = fault
        clock.advance(11)  # expired: the foreground fetch fails, the last value is served
        assert await cache.get_secret_string("s03") == "value-03"
        assert server.total == 2
        assert (cache.stats.errors, cache.stats.stale_hits) == (1, 1)
        clock.advance(1)  # t = 12: backing off until 13
        assert await cache.get_secret_string("s03") == "value-03"
        assert server.total == 2
        clock.advance(1.5)  # t = 13.5: one background retry, then back off 4 s
        assert await cache.get_secret_string("s03") == "value-03"
        await settle(cache)
        assert server.total == 3
        clock.advance(3.9)  # t = 17.4
        assert await cache.get_secret_string("s03") == "value-03"
        assert server.total == 3
        clock.advance(22.6)  # t = 40: the grace period is over
        with pytest.raises(error):
            await cache.get_secret_string("s03")
        assert "s03" not in cache  # the expired value is gone
        assert cache.stats.stale_hits == 4
        server.fail.clear()
        server.rotate("s03", "back")
        assert await cache.get_secret_string("s03") == "back"


@pytest.mark.parametrize(
    ("fault", "code"),
    [("notfound", "ResourceNotFoundException"), ("denied", "AccessDeniedException")],
)
async def test_permanent_errors_are_raised_remembered_briefly_and_not_served(
    server: LocalSecretsServer, sm: SecretsManagerClient, clock: FakeClock, fault: str, code: str
) -> None:
    """A permanent refresh error drops the value; it is raised again from memory for 5 s."""
    async with SecretCache(sm, ttl=10, refresh_ahead=5, clock=clock) as cache:
        await cache.get_secret_string("s04")
        server.fail["s04"] = fault
        clock.advance(6)
        assert await cache.get_secret_string("s04") == "value-04"  # refresh-ahead, at once
        await settle(cache)
        assert "s04" not in cache
        sent = server.total
        for _ in range(3):
            with pytest.raises(ServiceError) as info:
                await cache.get_secret_string("s04")
            assert info.value.code == code  # a modeled error's message does not repeat it
        assert server.total == sent  # remembered: no request per read
        clock.advance(5)
        with pytest.raises(ServiceError) as info:
            await cache.get_secret_string("s04")
        assert info.value.code == code
        assert server.total == sent + 1  # forgotten after negative_ttl: asked again
        server.fail.clear()
        with pytest.raises(ServiceError) as info:
            await cache.get_secret_string("s04")
        assert info.value.code == code
        assert await cache.get_secret_string("s04", refresh=True) == "value-04"
        assert server.total == sent + 2


async def test_missing_id_five_reads_one_request_debug_log_only(
    server: LocalSecretsServer,
    sm: SecretsManagerClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """5 reads of a missing id: one request, one DEBUG line, no WARNING; refresh() asks again."""
    caplog.set_level(logging.DEBUG, logger="secretsmanager_async.cache")
    async with SecretCache(sm, clock=clock) as cache:
        errors = []
        for _ in range(5):
            with pytest.raises(ResourceNotFoundException) as info:
                await cache.get_secret_string("nope")
            errors.append(info.value)
        assert server.total == 1
        # the same error each time, its traceback not growing with every read
        assert len({id(e) for e in errors}) == 1
        depth = len(list(_frames(errors[-1].__traceback__)))
        with pytest.raises(ResourceNotFoundException) as info:
            await cache.get_secret_string("nope")
        assert len(list(_frames(info.value.__traceback__))) == depth
        server.add("nope", "now it exists")
        with pytest.raises(ResourceNotFoundException):
            await cache.get_secret_string("nope")  # still remembered
        await cache.refresh("nope")
        assert await cache.get_secret_string("nope") == "now it exists"
        assert server.total == 2
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.DEBUG]


async def test_negative_cache_can_be_turned_off_and_invalidated(
    server: LocalSecretsServer, sm: SecretsManagerClient
) -> None:
    """negative_ttl=0 asks on every read; invalidate() forgets a remembered error."""
    async with SecretCache(sm, negative_ttl=0) as cache:
        for n in (1, 2):
            with pytest.raises(ResourceNotFoundException):
                await cache.get_secret_string("nope")
            assert server.total == n
    async with SecretCache(sm) as cache:
        with pytest.raises(ResourceNotFoundException):
            await cache.get_secret_string("nope")
        cache.invalidate("nope")
        with pytest.raises(ResourceNotFoundException):
            await cache.get_secret_string("nope")
        assert server.total == 4


def _frames(tb: object) -> object:
    while tb is not None:
        yield tb
        tb = tb.tb_next  # type: ignore[attr-defined]


async def test_lru_eviction_at_max_size(
    server: LocalSecretsServer, sm: SecretsManagerClient
) -> None:
    """At max_size the least recently read entry goes; a re-read of it fetches again."""
    async with SecretCache(sm, max_size=3) as cache:
        for name in ("s00", "s01", "s02", "s00", "s03"):  # s01 is least recent at s03
            await cache.get_secret_string(name)
        assert len(cache) == 3 and "s01" not in cache and cache.stats.evictions == 1
        await cache.get_secret_string("s01")  # evicts s02
        await cache.get_secret_string("s00")  # still cached
        assert server.total == 5
        assert "s02" not in cache and cache.stats.evictions == 2


async def test_close_cancels_and_awaits_requests_in_flight(
    server: LocalSecretsServer, sm: SecretsManagerClient
) -> None:
    """close() cancels a held request, its reader gets ClientClosedError, nothing is left."""
    cache = SecretCache(sm)
    server.gate = asyncio.Event()
    reader = asyncio.ensure_future(cache.get_secret_string("s05"))
    await arrived(server, 1)
    (task,) = cache._tasks
    await cache.close()
    assert task.cancelled() and not cache._tasks and cache.closed and len(cache) == 0
    with pytest.raises(ClientClosedError):
        await reader
    with pytest.raises(ClientClosedError):
        await cache.get_secret_string("s05")
    await cache.close()  # idempotent


async def test_a_cancelled_reader_does_not_cancel_the_shared_request(
    server: LocalSecretsServer, sm: SecretsManagerClient
) -> None:
    """One of two readers is cancelled; the other still gets the value from one request."""
    async with SecretCache(sm) as cache:
        server.gate = asyncio.Event()
        first = asyncio.ensure_future(cache.get_secret_string("s06"))
        second = asyncio.ensure_future(cache.get_secret_string("s06"))
        await arrived(server, 1)
        first.cancel()
        server.gate.set()
        assert await second == "value-06"
        assert first.cancelled() and server.total == 1


async def test_warm_is_one_bulk_fetch(server: LocalSecretsServer, sm: SecretsManagerClient) -> None:
    """warm() of 30 ids and a missing one: two batch requests, then reads are all hits."""
    async with SecretCache(sm) as cache:
        ids = [f"s{i:02d}" for i in range(30)]
        result = await cache.warm([*ids, "missing"])
        assert list(result.errors) == ["missing"] and "missing" not in cache
        assert server.counts == {"BatchGetSecretValue": 2}
        assert [await cache.get_secret_string(i) for i in ids] == [f"value-{i[1:]}" for i in ids]
        assert server.total == 2 and cache.stats.hits == 30


async def test_json_parsing_keys_and_isolation(sm: SecretsManagerClient) -> None:
    """get_secret_json returns the object or a key; callers cannot change each other's copy."""
    async with SecretCache(sm) as cache:
        assert await cache.get_secret_json("db/creds", "password") == "hunter2"
        assert await cache.get_secret_json("db/creds", "port") == 5432
        whole = await cache.get_secret_json("db/creds")
        whole["password"] = "changed"
        assert (await cache.get_secret_json("db/creds"))["password"] == "hunter2"
        with pytest.raises(KeyError):
            await cache.get_secret_json("db/creds", "absent")
        with pytest.raises(ValueError, match="not valid JSON") as info:
            await cache.get_secret_json("s07")
        assert "value-07" not in str(info.value) and info.value.__cause__ is None
        assert info.value.__context__ is None  # the decode error holds the document


async def test_binary_and_string_accessors(sm: SecretsManagerClient) -> None:
    """Binary secrets come back as bytes; the wrong accessor raises TypeError."""
    async with SecretCache(sm) as cache:
        assert await cache.get_secret_binary("blob") == b"\x00\x01binary"
        with pytest.raises(TypeError, match="binary"):
            await cache.get_secret_string("blob")
        with pytest.raises(TypeError, match="string secret"):
            await cache.get_secret_binary("s08")


async def test_invalidate_and_refresh(server: LocalSecretsServer, sm: SecretsManagerClient) -> None:
    """invalidate() makes the next read fetch; refresh() fetches now, within the ttl."""
    async with SecretCache(sm) as cache:
        await cache.get_secret_string("s09")
        server.rotate("s09", "second")
        cache.invalidate("s09")
        assert await cache.get_secret_string("s09") == "second"
        server.rotate("s09", "third")
        await cache.refresh("s09")
        assert await cache.get_secret_string("s09") == "third"
        assert server.total == 3 and cache.stats.refreshes == 1


async def test_refresh_waits_for_an_older_request_then_asks_again(
    server: LocalSecretsServer, sm: SecretsManagerClient
) -> None:
    """A request sent before refresh() is not trusted to be fresh: refresh sends another."""
    async with SecretCache(sm) as cache:
        server.gate = asyncio.Event()
        reader = asyncio.ensure_future(cache.get_secret_string("s10"))
        await arrived(server, 1)
        refreshing = asyncio.ensure_future(cache.refresh("s10"))
        await asyncio.sleep(0.05)
        server.gate.set()
        await reader
        await refreshing
        assert server.total == 2


async def test_values_never_reach_reprs_or_logs(
    server: LocalSecretsServer,
    sm: SecretsManagerClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Through hits, refreshes and failures, no secret value appears in a repr or log line."""
    caplog.set_level(logging.DEBUG)
    async with SecretCache(sm, ttl=10, clock=clock) as cache:
        await cache.get_secret_json("db/creds")
        await cache.get_secret_string("s11")
        server.fail["s11"] = "throttle"
        clock.advance(11)
        await cache.get_secret_string("s11")  # stale after a logged failure
        server.fail["db/creds"] = "denied"
        with pytest.raises(ServiceError):
            await cache.get_secret_json("db/creds")
        texts = [repr(cache), repr(cache.stats), repr(list(cache._entries.values()))]
        texts += [r.getMessage() for r in caplog.records]
    assert any("s11" in r.getMessage() for r in caplog.records)
    for text in texts:
        assert "hunter2" not in text and "value-11" not in text


def test_settings_are_validated(sm: SecretsManagerClient) -> None:
    """Nonsense settings fail at construction."""
    for kwargs in (
        {"ttl": 0},
        {"max_size": 0},
        {"ttl": 10, "refresh_ahead": 10},
        {"stale_if_error": -1},
        {"error_backoff": (2.0, 1.0)},
    ):
        with pytest.raises(ValueError, match="must"):
            SecretCache(sm, **kwargs)  # type: ignore[arg-type]


async def test_dependency_and_inject(sm: SecretsManagerClient) -> None:
    """dependency() is a no-argument loader; inject() fills and hides a keyword argument."""
    async with SecretCache(sm) as cache:
        password = cache.dependency("db/creds", key="password")
        assert inspect.signature(password).parameters == {}
        assert await password() == "hunter2"
        assert await cache.dependency("s12")() == "value-12"
        assert (await cache.dependency("db/creds", json=True)())["user"] == "app"

        @cache.inject("db/creds", key="password")
        async def connect(host: str, *, password: str) -> str:
            return f"{host}:{password}"

        assert list(inspect.signature(connect).parameters) == ["host"]
        assert await connect("db") == "db:hunter2"
        assert await connect("db", password="explicit") == "db:explicit"

        with pytest.raises(ValueError, match="into"):
            cache.inject("s12")
        with pytest.raises(TypeError, match="no parameter"):
            cache.inject("s12", into="token")(connect)
        with pytest.raises(TypeError, match="async def"):
            cache.inject("s12", into="x")(lambda x: x)  # type: ignore[arg-type,return-value]


async def test_inject_into_an_aiohttp_web_handler(sm: SecretsManagerClient) -> None:
    """An aiohttp.web handler decorated with inject() gets the secret on each request."""
    from aiohttp import ClientSession, web
    from aiohttp.test_utils import TestServer

    async with SecretCache(sm) as cache:

        @cache.inject("db/creds", key="user", into="db_user")
        async def handler(request: web.Request, *, db_user: str) -> web.Response:
            return web.Response(text=f"connected as {db_user}")

        app = web.Application()
        app.router.add_get("/", handler)
        async with TestServer(app, host="127.0.0.1") as ts, ClientSession() as http:
            for _ in range(3):
                async with http.get(ts.make_url("/")) as response:
                    assert await response.text() == "connected as app"
        assert cache.stats.misses == 1 and cache.stats.hits == 2
