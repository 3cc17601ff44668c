"""Refresh windows, single-flight loads and the static fast path of RefreshingCredentials."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from secretsmanager_async._credentials.aiobotocore import AioBotocoreCredentialsProvider
from secretsmanager_async._credentials.base import Credentials
from secretsmanager_async._credentials.refresh import RefreshingCredentials
from secretsmanager_async.exceptions import NoCredentialsError

T0 = 1_700_000_000.0


class Clock:
    """A settable epoch clock."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def expiring(key_id: str, seconds_from_t0: float) -> Credentials:
    """Temporary credentials that expire ``seconds_from_t0`` after T0."""
    when = dt.datetime.fromtimestamp(T0 + seconds_from_t0, dt.timezone.utc)
    return Credentials(key_id, "secret-" + key_id, "token-" + key_id, expiration=when)


class Provider:
    """Returns queued results; counts loads; can be made slow or failing."""

    def __init__(self, *results: Credentials | Exception | None) -> None:
        self.results = list(results)
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def load(self) -> Credentials | None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, Exception):
            raise result
        return result


async def test_static_credentials_load_once() -> None:
    """Credentials without expiration are loaded once and then served from the cache."""
    provider = Provider(Credentials("AKID", "s"))
    cache = RefreshingCredentials(provider)
    first = await cache.get()
    for _ in range(100):
        assert await cache.get() is first
    assert provider.calls == 1


async def test_outside_windows_no_refresh() -> None:
    """More than 15 minutes left: no refresh."""
    clock = Clock()
    provider = Provider(expiring("A", 3600), expiring("B", 7200))
    cache = RefreshingCredentials(provider, clock=clock)
    await cache.get()
    clock.now = T0 + 3600 - 901
    assert (await cache.get()).access_key_id == "A"
    await asyncio.sleep(0)
    assert provider.calls == 1


async def test_advisory_window_refreshes_in_background() -> None:
    """In the advisory window callers get the current keys at once; one refresh runs."""
    clock = Clock()
    provider = Provider(expiring("A", 3600), expiring("B", 7200))
    cache = RefreshingCredentials(provider, clock=clock)
    await cache.get()
    clock.now = T0 + 3600 - 800  # 13 min 20 s left: advisory, not mandatory
    provider.gate = asyncio.Event()
    got = await asyncio.gather(*(cache.get() for _ in range(50)))
    assert {c.access_key_id for c in got} == {"A"}
    assert provider.calls == 2
    provider.gate.set()
    await asyncio.sleep(0.01)
    assert (await cache.get()).access_key_id == "B"
    assert provider.calls == 2


async def test_failed_advisory_refresh_keeps_keys(caplog: pytest.LogCaptureFixture) -> None:
    """A failed advisory refresh keeps the current keys and logs a warning without secrets."""
    clock = Clock()
    provider = Provider(expiring("A", 3600), RuntimeError("sts down"))
    cache = RefreshingCredentials(provider, clock=clock, advisory_retry_delay=30)
    await cache.get()
    clock.now = T0 + 3600 - 800
    with caplog.at_level(logging.WARNING, logger="secretsmanager_async.credentials"):
        assert (await cache.get()).access_key_id == "A"
        await asyncio.sleep(0.01)
        assert (await cache.get()).access_key_id == "A"
    assert provider.calls == 2  # the second get is inside the retry delay: no new attempt
    assert "sts down" in caplog.text
    assert "A" in caplog.text
    assert "secret-A" not in caplog.text
    assert "token-A" not in caplog.text
    clock.now += 31
    await cache.get()
    await asyncio.sleep(0.01)
    assert provider.calls == 3


async def test_mandatory_window_waits_for_refresh() -> None:
    """Inside 10 minutes of expiry callers wait for and get the new keys."""
    clock = Clock()
    provider = Provider(expiring("A", 3600), expiring("B", 7200))
    cache = RefreshingCredentials(provider, clock=clock)
    await cache.get()
    clock.now = T0 + 3600 - 300
    assert (await cache.get()).access_key_id == "B"


async def test_failed_mandatory_refresh_raises() -> None:
    """A refresh failure in the mandatory window reaches the callers."""
    clock = Clock()
    provider = Provider(expiring("A", 3600), RuntimeError("sts down"))
    cache = RefreshingCredentials(provider, clock=clock)
    await cache.get()
    clock.now = T0 + 3600 - 60
    with pytest.raises(RuntimeError, match="sts down"):
        await cache.get()


async def test_thousand_callers_one_load() -> None:
    """1,000 concurrent get() calls on expired credentials cause exactly one provider load."""
    clock = Clock()
    provider = Provider(expiring("A", 3600), expiring("B", 7200))
    cache = RefreshingCredentials(provider, clock=clock)
    await cache.get()
    clock.now = T0 + 4000  # expired
    provider.gate = asyncio.Event()
    callers = [asyncio.ensure_future(cache.get()) for _ in range(1000)]
    await asyncio.sleep(0)
    provider.gate.set()
    got = await asyncio.gather(*callers)
    assert {c.access_key_id for c in got} == {"B"}
    assert provider.calls == 2
    assert cache.loads == 2


async def test_first_load_single_flight() -> None:
    """Concurrent first calls share one load too."""
    provider = Provider(Credentials("AKID", "s"))
    provider.gate = asyncio.Event()
    cache = RefreshingCredentials(provider)
    callers = [asyncio.ensure_future(cache.get()) for _ in range(100)]
    await asyncio.sleep(0)
    provider.gate.set()
    await asyncio.gather(*callers)
    assert provider.calls == 1


async def test_cancelled_caller_does_not_cancel_refresh() -> None:
    """One waiter giving up does not abort the refresh the others wait for."""
    provider = Provider(Credentials("AKID", "s"))
    provider.gate = asyncio.Event()
    cache = RefreshingCredentials(provider)
    quitter = asyncio.ensure_future(cache.get())
    stayer = asyncio.ensure_future(cache.get())
    await asyncio.sleep(0)
    quitter.cancel()
    provider.gate.set()
    assert (await stayer).access_key_id == "AKID"


async def test_none_from_provider_is_no_credentials() -> None:
    """A provider with nothing raises NoCredentialsError from get()."""
    with pytest.raises(NoCredentialsError):
        await RefreshingCredentials(Provider(None)).get()


async def test_already_expired_result_is_refused() -> None:
    """Credentials that are expired on arrival are an error, not silently used."""
    clock = Clock()
    with pytest.raises(NoCredentialsError, match="already expired"):
        await RefreshingCredentials(Provider(expiring("A", -5)), clock=clock).get()


async def test_aclose_cancels_refresh() -> None:
    """aclose() cancels a refresh in flight so nothing outlives the client."""
    provider = Provider(Credentials("AKID", "s"))
    provider.gate = asyncio.Event()
    cache = RefreshingCredentials(provider)
    waiter = asyncio.ensure_future(cache.get())
    await asyncio.sleep(0)
    await cache.aclose()
    with pytest.raises(asyncio.CancelledError):
        await waiter


def test_repr_hides_secrets() -> None:
    """The wrapper's repr shows the key id, never the secret or token."""
    cache = RefreshingCredentials(Provider(expiring("A", 3600)))
    cache._creds = expiring("A", 3600)
    text = repr(cache)
    assert "A" in text
    assert "secret-A" not in text
    assert "token-A" not in text


def test_windows_validated() -> None:
    """A mandatory window longer than the advisory one is refused."""
    with pytest.raises(ValueError, match="mandatory"):
        RefreshingCredentials(Provider(None), advisory_refresh=60, mandatory_refresh=120)


class FakeFrozen:
    """aiobotocore's ReadOnlyCredentials."""

    def __init__(self, access_key: str, secret_key: str, token: str | None) -> None:
        self.access_key, self.secret_key, self.token = access_key, secret_key, token


class FakeRefreshable:
    """aiobotocore's AioRefreshableCredentials: async get_frozen_credentials, _expiry_time."""

    def __init__(self) -> None:
        self.n = 0
        self._expiry_time = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)

    async def get_frozen_credentials(self) -> FakeFrozen:
        self.n += 1
        return FakeFrozen(f"ASIA{self.n}", "bc-secret", "bc-token")


class FakeSession:
    """aiobotocore's AioSession: async get_credentials()."""

    def __init__(self, creds: FakeRefreshable | None) -> None:
        self.creds = creds
        self.calls = 0

    async def get_credentials(self) -> FakeRefreshable | None:
        self.calls += 1
        return self.creds


async def test_aiobotocore_adapter() -> None:
    """The adapter asks the session once and the frozen credentials on every load."""
    session = FakeSession(FakeRefreshable())
    provider = AioBotocoreCredentialsProvider(session)
    first = await provider.load()
    second = await provider.load()
    assert first == Credentials(
        "ASIA1", "bc-secret", "bc-token", expiration=dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
    )
    assert second is not None
    assert second.access_key_id == "ASIA2"
    assert session.calls == 1
    assert await AioBotocoreCredentialsProvider(FakeSession(None)).load() is None
