"""SecretCache's refresh model against moto's server: version checks, rotation schedule,
change notifications, refresh=True, jitter; requests counted per operation by a middleware."""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import AsyncIterator

import pytest

from secretsmanager_async import RotationRulesType, SecretsManagerClient
from secretsmanager_async._cache import SecretCache

from ..bulk.conftest import Counting, make_client
from ..bulk.local_server import LocalSecretsServer, version_id
from .conftest import FakeClock


@pytest.fixture
async def counted(moto_url: str) -> AsyncIterator[tuple[SecretsManagerClient, Counting]]:
    """Our client on moto with a stage counting requests per operation."""
    counting = Counting()
    async with make_client(moto_url, middleware=[counting]) as c:
        yield c, counting


async def settle(cache: SecretCache) -> None:
    """Wait for the cache's background requests (and callbacks) to finish."""
    while cache._tasks or cache._callbacks:
        await asyncio.gather(*cache._tasks, *cache._callbacks, return_exceptions=True)
        # gather over finished tasks need not suspend (3.13): yield so their done callbacks
        # (which remove them from the sets) run
        await asyncio.sleep(0)


async def create(client: SecretsManagerClient, count: int, value: str = "v") -> list[str]:
    """Create ``count`` secrets in moto under a fresh prefix; returns their names."""
    prefix = f"cache-{uuid.uuid4().hex[:8]}/"
    names = [f"{prefix}{i:03d}" for i in range(count)]
    await asyncio.gather(*(client.create_secret(name=n, secret_string=value) for n in names))
    return names


async def test_50_unchanged_secrets_over_10_ttl_periods_read_each_value_once(
    counted: tuple[SecretsManagerClient, Counting], clock: FakeClock
) -> None:
    """50 secrets read every 5 s for 10 ttls: 50 GetSecretValue, DescribeSecret for the rest."""
    client, counting = counted
    names = await create(client, 50)
    counting.counts.clear()
    async with SecretCache(client, ttl=60, clock=clock, wall_clock=clock.wall) as cache:
        for _ in range(120):
            assert set(await asyncio.gather(*(cache.get_secret_string(n) for n in names))) == {"v"}
            await settle(cache)
            clock.advance(5)
        stats = cache.stats
    assert counting.counts["GetSecretValue"] == 50
    # one check per entry every ttl less refresh-ahead (12 s) and jitter (up to 6 s): a check
    # every 42 to 48 s of the 600
    assert 50 * 12 <= counting.counts["DescribeSecret"] <= 50 * 15
    assert stats.requests == dict(counting.counts) and stats.changes == 0
    assert stats.misses == 50 and stats.hits == 50 * 119


async def test_put_secret_value_and_stage_move_seen_within_ttl_with_on_change(
    counted: tuple[SecretsManagerClient, Counting], clock: FakeClock
) -> None:
    """A PutSecretValue, then a stage move back, each seen within ttl; on_change once each."""
    client, counting = counted
    (name,) = await create(client, 1, "old")
    changes: list[tuple[str, str | None, str | None]] = []
    async with SecretCache(client, ttl=60, clock=clock, wall_clock=clock.wall) as cache:
        cache.on_change(lambda *args: changes.append(args))
        assert await cache.get_secret_string(name) == "old"
        old_id = cache._entries[(name, "AWSCURRENT")].version.value.version_id  # type: ignore[union-attr]
        new_id = (await client.put_secret_value(secret_id=name, secret_string="new")).version_id

        async def seconds_until(expected: str) -> float:
            start = clock.now
            while await cache.get_secret_string(name) != expected:
                await settle(cache)
                clock.advance(1)
                assert clock.now - start <= 61, "not seen within the ttl"
            return clock.now - start

        await seconds_until("new")
        assert changes == [(name, old_id, new_id)]
        # AWSCURRENT moved back to the first version (a rollback)
        await client.update_secret_version_stage(
            secret_id=name,
            version_stage="AWSCURRENT",
            move_to_version_id=old_id,
            remove_from_version_id=new_id,
        )
        await seconds_until("old")
        assert changes == [(name, old_id, new_id), (name, new_id, old_id)]
        assert cache.stats.changes == 2
    assert counting.counts["GetSecretValue"] == 3


async def test_rotation_schedule_brings_the_check_forward(
    counted: tuple[SecretsManagerClient, Counting], clock: FakeClock
) -> None:
    """With a rotation due in a day and ttl 300 s, a rotation is seen 5-6 s after it is due."""
    client, counting = counted
    (name,) = await create(client, 1, "old")
    # moto applies a rotation without a Lambda at once and schedules the next a day later
    await client.rotate_secret(
        secret_id=name, rotation_rules=RotationRulesType(automatically_after_days=1)
    )
    await client.put_secret_value(secret_id=name, secret_string="old")
    due = (await client.describe_secret(secret_id=name)).next_rotation_date
    assert due is not None
    clock.offset = due.timestamp() - 1000 - clock.now  # the rotation is due in 1,000 s
    async with SecretCache(
        client, ttl=300, ttl_jitter=0, clock=clock, wall_clock=clock.wall
    ) as cache:
        await cache.get_secret_string(name)
        while clock.wall() < due.timestamp():
            clock.advance(1)
            await cache.get_secret_string(name)
            await settle(cache)
        await client.put_secret_value(secret_id=name, secret_string="rotated")
        rotated_at = clock.now
        while await cache.get_secret_string(name) != "rotated":
            await settle(cache)
            clock.advance(1)
        assert clock.now - rotated_at <= cache.rotation_check_delay + 1
        # without the schedule the next check would have come at 1,200 s: 200 s late
        assert counting.counts["GetSecretValue"] == 2


async def test_overdue_rotation_is_checked_often_then_less_often(
    server: LocalSecretsServer, sm: SecretsManagerClient, clock: FakeClock
) -> None:
    """A rotation overdue for 10 minutes: checks at 5 s, then spaced by half the overdue time."""
    server.secrets["s01"]["next_rotation"] = clock.wall() + 100
    async with SecretCache(sm, ttl=3600, ttl_jitter=0, clock=clock, wall_clock=clock.wall) as cache:
        await cache.get_secret_string("s01")
        clock.advance(5)
        await cache.get_secret_string("s01", refresh=True)  # learns the schedule
        checks = []
        for _ in range(700):
            clock.advance(1)
            before = server.counts["DescribeSecret"]
            await cache.get_secret_string("s01")
            await settle(cache)
            if server.counts["DescribeSecret"] > before:
                checks.append(round(clock.now - 1000))
        assert checks[0] == 105  # due at 100, checked 5 s later
        gaps = [b - a for a, b in itertools.pairwise(checks)]
        assert gaps == sorted(gaps) and gaps[0] >= 5 and gaps[-1] <= 3600
        assert len(checks) < 15  # not every second for ten minutes
        server.rotate("s01", "rotated")
        server.secrets["s01"]["next_rotation"] = clock.wall() + 86400
        clock.advance(gaps[-1] * 2)
        await cache.get_secret_string("s01")
        await settle(cache)
        assert await cache.get_secret_string("s01") == "rotated"


async def test_refresh_true_from_1000_callers_makes_one_check(
    counted: tuple[SecretsManagerClient, Counting], clock: FakeClock
) -> None:
    """1,000 concurrent refresh=True reads: one DescribeSecret; again within 5 s: none."""
    client, counting = counted
    (name,) = await create(client, 1, "old")
    async with SecretCache(client, clock=clock, wall_clock=clock.wall) as cache:
        await cache.get_secret_string(name)
        assert await cache.get_secret_string(name, refresh=True) == "old"
        assert counting.counts["DescribeSecret"] == 0  # just read: that is fresh enough
        clock.advance(5)
        counting.counts.clear()
        got = await asyncio.gather(
            *(cache.get_secret_string(name, refresh=True) for _ in range(1000))
        )
        assert set(got) == {"old"} and counting.counts == {"DescribeSecret": 1}
        await client.put_secret_value(secret_id=name, secret_string="new")
        counting.counts.clear()
        clock.advance(4.9)  # within min_refresh_interval of the last check
        assert await cache.get_secret_string(name, refresh=True) == "old"
        assert counting.counts == {}
        clock.advance(0.2)
        got = await asyncio.gather(
            *(cache.get_secret_string(name, refresh=True) for _ in range(1000))
        )
        assert set(got) == {"new"}
        assert counting.counts == {"DescribeSecret": 1, "GetSecretValue": 1}


async def test_on_change_errors_are_logged_and_async_callbacks_run(
    server: LocalSecretsServer,
    sm: SecretsManagerClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A raising callback is logged, reads go on; an async callback runs; ids only, no values."""
    heard: list[tuple[str, str | None, str | None]] = []

    def broken(secret_id: str, old: str | None, new: str | None) -> None:
        raise RuntimeError("callback bug")

    async def rebuild_pool(secret_id: str, old: str | None, new: str | None) -> None:
        await asyncio.sleep(0)
        heard.append((secret_id, old, new))

    async def broken_async(secret_id: str, old: str | None, new: str | None) -> None:
        raise RuntimeError("async callback bug")

    async with SecretCache(sm, ttl=10, clock=clock, wall_clock=clock.wall) as cache:
        cache.on_change(broken)
        assert cache.on_change(rebuild_pool) is rebuild_pool
        cache.on_change(broken_async)
        await cache.get_secret_string("s02")
        server.rotate("s02", "rotated")
        clock.advance(5)
        assert await cache.get_secret_string("s02", refresh=True) == "rotated"
        await settle(cache)
        assert heard == [("s02", version_id(1), version_id(2))]
        assert await cache.get_secret_string("s02") == "rotated"
    messages = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(messages) == 2
    assert all("rotated" not in r.getMessage() for r in caplog.records)


async def test_jittered_expiry_spreads_1000_warmed_entries(
    server: LocalSecretsServer, sm: SecretsManagerClient, clock: FakeClock
) -> None:
    """1,000 entries from one warm(): expiries spread over most of the last 10 % of the ttl."""
    for i in range(1000):
        server.add(f"w{i:04d}", "x")
    async with SecretCache(sm, ttl=300, max_size=1000, clock=clock) as cache:
        result = await cache.warm([f"w{i:04d}" for i in range(1000)])
        assert not result.errors
        expiries = [e.expires_at - clock.now for e in cache._entries.values()]
        assert min(expiries) >= 270 and max(expiries) <= 300
        assert max(expiries) - min(expiries) >= 0.5 * 30
        assert len({int(e) for e in expiries}) >= 25  # not one burst: most seconds of 30
        assert cache.stats.requests == {"BatchGetSecretValue": 50}


async def test_checks_of_entries_due_together_are_bounded(
    server: LocalSecretsServer, sm: SecretsManagerClient, clock: FakeClock
) -> None:
    """50 entries expiring together are checked at most max_concurrent_checks at a time."""
    async with SecretCache(sm, ttl=60, max_concurrent_checks=4, clock=clock) as cache:
        await asyncio.gather(*(cache.get_secret_string(f"s{i:02d}") for i in range(50)))
        clock.advance(61)
        server.gate = asyncio.Event()  # hold every check at the server
        reads = asyncio.gather(*(cache.get_secret_string(f"s{i:02d}") for i in range(50)))
        for _ in range(100):
            await asyncio.sleep(0.01)
        assert server.counts == {"GetSecretValue": 50, "DescribeSecret": 4}
        server.gate.set()
        values = await reads
        assert values == [f"value-{i:02d}" for i in range(50)]
        assert server.counts == {"GetSecretValue": 50, "DescribeSecret": 50}


async def test_describe_denied_falls_back_to_reading_the_value(
    server: LocalSecretsServer,
    sm: SecretsManagerClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without DescribeSecret permission an entry is refreshed by GetSecretValue; one warning."""
    server.deny_describe = True
    async with SecretCache(sm, ttl=10, refresh_ahead=0, clock=clock) as cache:
        await cache.get_secret_string("s03")
        for _ in range(3):
            clock.advance(11)
            server.rotate("s03", f"value-at-{clock.now}")
            assert await cache.get_secret_string("s03") == f"value-at-{clock.now}"
        assert server.counts == {"GetSecretValue": 4, "DescribeSecret": 1}
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


async def test_version_check_off_reads_every_time(
    server: LocalSecretsServer, sm: SecretsManagerClient, clock: FakeClock
) -> None:
    """version_check=False: each refresh is a GetSecretValue, no DescribeSecret."""
    async with SecretCache(sm, ttl=10, version_check=False, clock=clock) as cache:
        await cache.get_secret_string("s04")
        clock.advance(11)
        await cache.get_secret_string("s04")
        assert server.counts == {"GetSecretValue": 2}
