"""Quota-aware bulk reads: throttled batch calls shift to GetSecretValue and back; jitter."""

from __future__ import annotations

import math
import statistics
from collections.abc import AsyncIterator

import pytest

from secretsmanager_async import SecretsManagerClient, _bulk
from secretsmanager_async._middleware.retry import RetryStage
from secretsmanager_async.exceptions import ParamValidationError, ServiceError

from .conftest import make_client
from .local_server import LocalSecretsServer


@pytest.fixture
async def client(local: LocalSecretsServer) -> AsyncIterator[SecretsManagerClient]:
    """Default retry settings (3 attempts), backoff off so scripted throttles cost no time."""
    async with make_client(local.url) as c:
        stage = c.middleware["retry"]
        assert isinstance(stage, RetryStage)
        stage.backoff = False
        yield c


def _populate(local: LocalSecretsServer, count: int) -> list[str]:
    names = [f"s{i:03d}" for i in range(count)]
    for n in names:
        local.add(n, f"value-{n}")
    return names


async def test_throttled_batch_is_not_retried_and_shifts_to_singles(
    local: LocalSecretsServer, client: SecretsManagerClient
) -> None:
    """Each throttled chunk costs one batch call, no retry quota, and its ids are read singly."""
    names = _populate(local, 60)
    local.throttle_batch = 3
    quota = client.middleware["retry"].quota  # type: ignore[attr-defined]
    before = quota.available
    result = await client.get_secret_values(names)
    assert result.ok
    assert [result[n].secret_string for n in names] == [f"value-{n}" for n in names]
    assert local.counts["BatchGetSecretValue"] == 3  # one per chunk: none retried
    assert local.counts["GetSecretValue"] == 60
    assert quota.available == before  # no retry was paid for


async def test_batch_pause_then_back_to_batch(
    local: LocalSecretsServer, client: SecretsManagerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a throttle the client pauses batch calls, then returns to them once they work."""
    names = _populate(local, 40)
    local.throttle_batch = 1
    first = await client.get_secret_values(names[:20])
    assert first.ok and local.counts["GetSecretValue"] == 20
    # within the pause, the next bulk call goes straight to single reads
    second = await client.get_secret_values(names[20:])
    assert second.ok
    assert local.counts["BatchGetSecretValue"] == 1
    assert local.counts["GetSecretValue"] == 40
    # once the pause is over, batch calls are used again; a success resets the pause
    gate = client._bulk_gate
    assert gate is not None and gate.pause == _bulk.BATCH_PAUSE[0]
    gate.closed_until = 0.0
    third = await client.get_secret_values(names)
    assert third.ok
    assert local.counts["BatchGetSecretValue"] == 3
    assert local.counts["GetSecretValue"] == 40
    assert gate.pause == 0.0


async def test_pause_doubles_while_batch_stays_throttled(
    local: LocalSecretsServer, client: SecretsManagerClient
) -> None:
    """Every throttled probe doubles the pause, up to its cap."""
    names = _populate(local, 20)
    local.throttle_batch = 100
    pauses = []
    for _ in range(6):
        gate = client._bulk_gate
        if gate is not None:
            gate.closed_until = 0.0
        assert (await client.get_secret_values(names)).ok
        assert client._bulk_gate is not None
        pauses.append(client._bulk_gate.pause)
    first, most = _bulk.BATCH_PAUSE
    assert pauses == [min(most, first * 2**n) for n in range(6)]


async def test_shift_back_within_one_call(
    local: LocalSecretsServer, client: SecretsManagerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids throttled on both APIs go back to a batch call once the pause is over."""
    names = _populate(local, 20)
    local.throttle_batch = 1
    local.throttle_get = 20  # every single read of the chunk (not retried by the stage)
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)
        assert client._bulk_gate is not None
        client._bulk_gate.closed_until = 0.0  # the batch pause is over by the next round

    monkeypatch.setattr(_bulk, "_sleep", sleep)
    result = await client.get_secret_values(names)
    assert result.ok
    assert len(sleeps) == 1
    ops = [op for op, _ in local.log]
    assert ops[0] == "BatchGetSecretValue" and ops[-1] == "BatchGetSecretValue"
    assert local.counts["BatchGetSecretValue"] == 2
    assert local.counts["GetSecretValue"] == 20


async def test_throttled_singles_retry_while_the_call_progresses(
    local: LocalSecretsServer, client: SecretsManagerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Throttled single reads are tried again by the bulk call, past the stage's attempts."""
    names = _populate(local, 5)
    client._bulk_batch_denied = True  # single reads only
    quota = client.middleware["retry"].quota  # type: ignore[attr-defined]
    before = quota.available
    local.throttle_get = 5 * 4  # four rounds: more than the retry stage's three attempts
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    monkeypatch.setattr(_bulk, "_sleep", sleep)
    result = await client.get_secret_values(names)
    assert result.ok
    assert local.counts["GetSecretValue"] == 5 * 4 + 5
    assert quota.available == before  # the storm did not drain the retry quota
    first, most = _bulk.REQUEUE_PAUSE
    assert len(sleeps) == 4
    assert all(0 <= d <= min(most, first * 2**n) for n, d in enumerate(sleeps))


async def test_throttled_ids_fail_without_progress(
    local: LocalSecretsServer, client: SecretsManagerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When nothing succeeds for THROTTLE_PATIENCE, throttled ids fail with the throttle error."""
    names = _populate(local, 3)
    client._bulk_batch_denied = True
    local.throttle_get = 10**6
    monkeypatch.setattr(_bulk, "THROTTLE_PATIENCE", 0.0)
    result = await client.get_secret_values([*names, "missing"])
    assert set(result.errors) == {*names, "missing"}
    error = result.errors[names[0]]
    assert isinstance(error, ServiceError) and error.code == "ThrottlingException"
    assert local.counts["GetSecretValue"] == 4  # one round, one attempt each


async def test_jitter_spreads_the_first_request(
    local: LocalSecretsServer, client: SecretsManagerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jitter=W delays the first request uniformly within [0, W); 0 does not wait."""
    names = _populate(local, 2)
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        assert local.total == len(delays) * 1  # nothing was sent before the wait
        delays.append(delay)

    monkeypatch.setattr(_bulk, "_sleep", sleep)
    client._bulk_batch_denied = False
    for _ in range(200):
        await client.get_secret_values(names[:1], jitter=2.0)
    assert len(delays) == 200
    assert all(0 <= d < 2.0 for d in delays)
    assert min(delays) < 0.2 and max(delays) > 1.8
    assert statistics.pstdev(delays) == pytest.approx(2.0 / math.sqrt(12), rel=0.25)
    delays.clear()
    await client.get_secret_values(names, jitter=0)
    assert delays == []
    for bad in (-1.0, math.nan):
        with pytest.raises(ParamValidationError, match="jitter"):
            await client.get_secret_values(names, jitter=bad)


async def test_cache_warm_passes_jitter(
    local: LocalSecretsServer, client: SecretsManagerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SecretCache.warm(jitter=...) spreads the warm-up the same way."""
    from secretsmanager_async import SecretCache

    names = _populate(local, 3)
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(_bulk, "_sleep", sleep)
    monkeypatch.setattr(_bulk, "_random", lambda: 0.5)
    cache = SecretCache(client)
    result = await cache.warm(names, jitter=3.0)
    assert result.ok and delays == [1.5]
    assert await cache.get_secret_string(names[0]) == "value-s000"
    assert local.total == 1  # one batch call; the read came from the cache


async def test_stubber_answers_bulk_reads() -> None:
    """The testing kit's Stubber still answers get_secret_values (its batch call options)."""
    from secretsmanager_async.testing import Stubber

    async with make_client("http://127.0.0.1:9") as c:
        with Stubber(c) as stub:
            stub.add_response(
                "batch_get_secret_value",
                {"SecretValues": [{"Name": "a", "SecretString": "x"}], "Errors": []},
            )
            result = await c.get_secret_values(["a"])
    assert result["a"].secret_string == "x"
