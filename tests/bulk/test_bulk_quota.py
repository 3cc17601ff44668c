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


class FakeTime:
    """A clock for the bulk module that only moves when it sleeps; records the sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """The bulk module's clock and sleep replaced by a fake that moves only when slept."""
    t = FakeTime()
    monkeypatch.setattr(_bulk, "_clock", t.clock)
    monkeypatch.setattr(_bulk, "_sleep", t.sleep)
    return t


def _pacing(client: SecretsManagerClient) -> _bulk._Pacing:
    pacing = client._bulk_pacing
    assert pacing is not None
    return pacing


async def test_throttled_batch_is_not_retried_and_shifts_to_singles(
    local: LocalSecretsServer, client: SecretsManagerClient, fake_time: FakeTime
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
    # the three throttles came back from requests sent together: one slow-down, not three
    assert _pacing(client).batch.gap == _bulk.BATCH_PACE[0]
    assert _pacing(client).get.gap == 0.0 and fake_time.sleeps == []


async def test_batch_paced_then_back_to_batch(
    local: LocalSecretsServer, client: SecretsManagerClient, fake_time: FakeTime
) -> None:
    """After a throttle batch calls wait for their gap, then are used again once it has passed."""
    names = _populate(local, 40)
    local.throttle_batch = 1
    first = await client.get_secret_values(names[:20])
    assert first.ok and local.counts["GetSecretValue"] == 20
    # within the gap, the next bulk call goes straight to single reads
    second = await client.get_secret_values(names[20:])
    assert second.ok
    assert local.counts["BatchGetSecretValue"] == 1
    assert local.counts["GetSecretValue"] == 40
    batch = _pacing(client).batch
    assert batch.gap == _bulk.BATCH_PACE[0] and not batch.ready()
    # the gap shrinks with time: half of it after PACE_HALVING, none soon after
    fake_time.now += _bulk.PACE_HALVING
    assert batch.current(fake_time.now) == pytest.approx(_bulk.BATCH_PACE[0] / 2)
    fake_time.now += _bulk.PACE_HALVING
    assert batch.current(fake_time.now) == 0.0 and batch.ready()
    third = await client.get_secret_values(names)
    assert third.ok
    assert local.counts["BatchGetSecretValue"] == 3
    assert local.counts["GetSecretValue"] == 40
    assert fake_time.sleeps == []  # nothing was ever paced: only batch calls were throttled


async def test_gap_doubles_while_batch_stays_throttled(
    local: LocalSecretsServer, client: SecretsManagerClient, fake_time: FakeTime
) -> None:
    """Every throttled batch call sent after the last slow-down doubles the gap, to its cap."""
    names = _populate(local, 20)
    local.throttle_batch = 100
    gaps = []
    for _ in range(6):
        pacing = client._bulk_pacing
        if pacing is not None:
            pacing.batch.sent_at = -math.inf  # let the next call try the batch at once
        fake_time.now += 0.001
        assert (await client.get_secret_values(names)).ok
        gaps.append(_pacing(client).batch.gap)
    first, most = _bulk.BATCH_PACE
    assert gaps == pytest.approx([min(most, first * 2**n) for n in range(6)], rel=1e-3)
    assert local.counts["BatchGetSecretValue"] == 6


async def test_shift_back_within_one_call(
    local: LocalSecretsServer, client: SecretsManagerClient, fake_time: FakeTime
) -> None:
    """Ids throttled on both APIs are read singly at a doubling gap, the rest by the next batch."""
    names = _populate(local, 20)
    local.throttle_batch = 1
    local.throttle_get = 3
    result = await client.get_secret_values(names, max_concurrency=1)
    assert result.ok
    assert [result[n].secret_string for n in names] == [f"value-{n}" for n in names]
    ops = [op for op, _ in local.log]
    assert local.log[0] == ("BatchGetSecretValue", "throttled")
    assert local.log[-1] == ("BatchGetSecretValue", "ok")
    assert local.counts["BatchGetSecretValue"] == 2
    singles = ops.count("GetSecretValue")
    assert 3 < singles < 3 + 20  # the second batch call carried the ids still queued
    # single reads went one per gap: the first throttle sets it, each later one doubles it
    first = _bulk.GET_PACE[0]
    assert fake_time.sleeps[:3] == pytest.approx([first, 2 * first, 4 * first], rel=1e-2)
    # without throttles the gap shrank until the batch gap (0.5 s) had passed
    assert sum(fake_time.sleeps) >= _bulk.BATCH_PACE[0] / 2


async def test_throttled_singles_retry_while_the_call_progresses(
    local: LocalSecretsServer, client: SecretsManagerClient, fake_time: FakeTime
) -> None:
    """Throttled single reads are tried again by the bulk call, past the stage's attempts."""
    names = _populate(local, 5)
    client._bulk_batch_denied = True  # single reads only
    quota = client.middleware["retry"].quota  # type: ignore[attr-defined]
    before = quota.available
    local.throttle_get = 5 * 4  # four tries each: more than the retry stage's three attempts
    result = await client.get_secret_values(names)
    assert result.ok
    assert local.counts["GetSecretValue"] == 5 * 4 + 5
    assert quota.available == before  # the storm did not drain the retry quota
    assert fake_time.sleeps  # the retries were paced
    assert all(0 < d <= _bulk.GET_PACE[1] for d in fake_time.sleeps)


async def test_pacing_is_per_operation(
    local: LocalSecretsServer, client: SecretsManagerClient, fake_time: FakeTime
) -> None:
    """Throttled single reads pace single reads only: batch calls keep going unpaced."""
    names = _populate(local, 40)
    client._bulk_batch_denied = True
    local.throttle_get = 1
    assert (await client.get_secret_values(names[:1])).ok
    pacing = _pacing(client)
    assert pacing.get.gap == _bulk.GET_PACE[0] and pacing.batch.gap == 0.0
    client._bulk_batch_denied = False
    assert (await client.get_secret_values(names)).ok
    # the batch calls never waited: the one pause is the first call's single read
    assert local.counts["BatchGetSecretValue"] == 2 and fake_time.sleeps == [pytest.approx(0.01)]


def test_pacer_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once per round, doubling to the cap; the gap shrinks ever faster and stops."""
    t = FakeTime()
    monkeypatch.setattr(_bulk, "_clock", t.clock)
    pacer = _bulk._Pacer(0.1, 0.8)
    assert pacer.current(t.now) == 0.0 and pacer.ready()
    early = [pacer.take() for _ in range(5)]  # five requests in flight together
    t.now += 0.01
    for sent in early:
        pacer.throttled(sent)
    assert pacer.gap == 0.1  # one slow-down for the round, not five
    assert not pacer.ready()
    for _ in range(5):
        t.now += 0.001
        pacer.throttled(pacer.take())
    assert pacer.gap == pytest.approx(0.8, rel=1e-3)  # capped
    since = t.now
    assert pacer.current(since + _bulk.PACE_HALVING) == pytest.approx(0.4)
    assert pacer.current(since + 2 * _bulk.PACE_HALVING) == pytest.approx(0.05)
    assert pacer.current(since + 2.5 * _bulk.PACE_HALVING) == 0.0  # below first / 2: off


async def test_no_throttle_no_pacing(
    local: LocalSecretsServer, client: SecretsManagerClient, fake_time: FakeTime
) -> None:
    """Without throttling nothing waits: one request for one id, one batch per 20 ids."""
    names = _populate(local, 45)
    assert (await client.get_secret_values(names[:1])).ok
    assert (await client.get_secret_values(names, version_stage="AWSPREVIOUS")).errors
    assert (await client.get_secret_values(names)).ok
    assert local.counts["BatchGetSecretValue"] == 1 + 3
    assert fake_time.sleeps == []
    pacing = _pacing(client)
    assert pacing.get.gap == 0.0 and pacing.batch.gap == 0.0


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


async def test_views_share_the_client_pacing(
    local: LocalSecretsServer, client: SecretsManagerClient, fake_time: FakeTime
) -> None:
    """A with_options view paces with its client's pacers: the quota is the account's."""
    names = _populate(local, 20)
    local.throttle_batch = 1
    view = client.with_options(timeout=30.0)
    assert (await view.get_secret_values(names)).ok
    assert _pacing(client).batch.gap == _bulk.BATCH_PACE[0]
    assert (await client.get_secret_values(names)).ok
    assert local.counts["BatchGetSecretValue"] == 1  # the client waits out the view's throttle
