"""SecretCache: secret values in memory, read on every request without calling AWS each time.

Reads are served from memory while an entry is fresh. Around an entry's life:

- **Single-flight.** Concurrent readers of a missing or expired entry share one request.
- **Refresh-ahead.** A read within ``refresh_ahead`` seconds of expiry starts one background
  refresh and returns the current value at once, so a busy secret never expires under load.
- **Stale-if-error.** When a refresh fails with a transient error (throttling, 5xx, network),
  readers keep the last good value for up to ``stale_if_error`` seconds past expiry, while
  further refreshes back off exponentially. Permanent errors (ResourceNotFound, AccessDenied,
  ...) drop the entry and are raised; an error is never cached as a value.
- **Bounded.** At most ``max_size`` entries, least recently read evicted first; background
  tasks are cancelled and awaited by :meth:`SecretCache.close`.

Only secret ids, stages and error codes reach logs and reprs, never values.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs

from ._classify import classify
from ._protocol.http import fresh_reads
from .exceptions import ClientClosedError, SecretsManagerError, ServiceError, TransportError

if TYPE_CHECKING:
    from datetime import datetime

    from ._bulk import BulkResult
    from ._generated.models import GetSecretValueResponse

__all__ = ["CacheStats", "SecretCache"]

logger = logging.getLogger("secretsmanager_async.cache")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

_CURRENT = "AWSCURRENT"
_UNPARSED: Any = object()


class _Secret(Protocol):
    """A fetched value: GetSecretValueResponse, or SecretValueEntry from a bulk fetch."""

    @property
    def secret_string(self) -> str | None: ...
    @property
    def secret_binary(self) -> bytes | None: ...
    @property
    def version_id(self) -> str | None: ...
    @property
    def created_date(self) -> datetime | None: ...


class _CacheClient(Protocol):
    """What the cache needs from a client (SecretsManagerClient has both)."""

    async def get_secret_value(
        self, *, secret_id: str, version_id: str | None = None, version_stage: str | None = None
    ) -> GetSecretValueResponse: ...

    async def get_secret_values(
        self, secret_ids: Iterable[str], *, version_stage: str | None = None, jitter: float = 0.0
    ) -> BulkResult: ...


@attrs.frozen(kw_only=True)
class CacheStats:
    """A snapshot of a cache's counters since it was created."""

    #: reads answered from memory (stale reads included)
    hits: int
    #: reads that waited for a request
    misses: int
    #: requests for a secret already cached (refresh-ahead, expiry, :meth:`~SecretCache.refresh`)
    refreshes: int
    #: requests that failed
    errors: int
    #: reads answered with an expired value because refreshes were failing
    stale_hits: int
    #: entries dropped to stay within ``max_size``
    evictions: int
    #: entries held now
    size: int


class _Entry:
    """One cached secret version. The value never appears in a repr."""

    __slots__ = (
        "expires_at",
        "failures",
        "key",
        "parsed",
        "parsed_from",
        "refresh_at",
        "retry_at",
        "task",
        "value",
    )

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key
        self.value: _Secret | None = None
        self.expires_at = 0.0
        self.refresh_at = 0.0
        #: no refresh is started before this time (backoff after a transient failure)
        self.retry_at = 0.0
        #: transient failures since the last successful fetch
        self.failures = 0
        self.task: asyncio.Task[_Secret] | None = None
        # JSON parsed once per fetched value
        self.parsed: Any = _UNPARSED
        self.parsed_from: _Secret | None = None

    def __repr__(self) -> str:
        return f"<_Entry {self.key!r} cached={self.value is not None}>"


def _transient(error: BaseException) -> bool:
    if not isinstance(error, SecretsManagerError):
        return False
    # A call that ran out of total time is not retried by the retry stage, but for a cache
    # it is an outage like any other network failure.
    return classify(error) is not None or isinstance(error, TransportError)


def _describe(error: BaseException) -> str:
    # codes and class names only: a message is free text and stays out of the cache's logs
    return error.code if isinstance(error, ServiceError) else type(error).__name__


class SecretCache:
    """An in-memory cache of secret values over a client, for asyncio services.

    ``async with SecretCache(client) as cache:`` then ``await cache.get_secret_string(id)``
    on every request. The cache never closes the client. Entries are keyed by the id as
    given (a name and its ARN are separate entries) and the version stage.

    :param ttl: seconds a fetched value is served before it is fetched again
    :param max_size: entries kept; the least recently read is evicted first
    :param refresh_ahead: a read this many seconds before expiry starts a background
        refresh (default: a fifth of ``ttl``; 0 turns refresh-ahead off)
    :param stale_if_error: seconds past expiry an entry may still be served while refreshes
        fail with transient errors (0: never serve an expired value)
    :param error_backoff: (first, maximum) delay in seconds between refreshes of an entry
        whose refreshes keep failing; doubled each time, with jitter
    :param clock: monotonic seconds, injectable for tests
    :param random: a float in [0, 1) for the backoff jitter, injectable for tests
    """

    def __init__(
        self,
        client: _CacheClient,
        *,
        ttl: float = 300.0,
        max_size: int = 1024,
        refresh_ahead: float | None = None,
        stale_if_error: float = 900.0,
        error_backoff: tuple[float, float] = (1.0, 60.0),
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = random.random,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        if refresh_ahead is None:
            refresh_ahead = ttl / 5
        if not 0 <= refresh_ahead < ttl:
            raise ValueError("refresh_ahead must be at least 0 and less than ttl")
        if stale_if_error < 0:
            raise ValueError("stale_if_error must not be negative")
        if not 0 < error_backoff[0] <= error_backoff[1]:
            raise ValueError("error_backoff must be (first, maximum) with 0 < first <= maximum")
        self._client = client
        self.ttl = ttl
        self.max_size = max_size
        self.refresh_ahead = refresh_ahead
        self.stale_if_error = stale_if_error
        self._backoff = error_backoff
        self._clock = clock
        self._random = random
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._tasks: set[asyncio.Task[_Secret]] = set()
        self._closed = False
        self._hits = self._misses = self._refreshes = self._errors = 0
        self._stale_hits = self._evictions = 0

    def __repr__(self) -> str:
        return f"<SecretCache {len(self._entries)}/{self.max_size} entries, ttl={self.ttl}s>"

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> SecretCache:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancel and await every request in flight, and forget every value. Idempotent."""
        if self._closed:
            return
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for entry in self._entries.values():
            entry.value = entry.parsed = entry.parsed_from = None
        self._entries.clear()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def stats(self) -> CacheStats:
        """The counters so far."""
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            refreshes=self._refreshes,
            errors=self._errors,
            stale_hits=self._stale_hits,
            evictions=self._evictions,
            size=len(self._entries),
        )

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, secret_id: object) -> bool:
        return (secret_id, _CURRENT) in self._entries

    # -- reading -------------------------------------------------------------------------------

    async def get_secret_string(self, secret_id: str, *, version_stage: str | None = None) -> str:
        """The secret's string value. Raises TypeError for a binary secret."""
        value = (await self._get(secret_id, version_stage)).value
        text = value.secret_string if value is not None else None
        if text is None:
            raise TypeError(f"secret {secret_id!r} has no SecretString (it is a binary secret)")
        return text

    async def get_secret_binary(self, secret_id: str, *, version_stage: str | None = None) -> bytes:
        """The secret's binary value. Raises TypeError for a string secret."""
        value = (await self._get(secret_id, version_stage)).value
        data = value.secret_binary if value is not None else None
        if data is None:
            raise TypeError(f"secret {secret_id!r} has no SecretBinary (it is a string secret)")
        return data

    async def get_secret_json(
        self, secret_id: str, key: str | None = None, *, version_stage: str | None = None
    ) -> Any:
        """The secret's string value parsed as JSON, or the member ``key`` of that object.

        Parsed once per fetched value; each call returns its own copy of a dict or list, so
        a caller cannot change what the next caller gets.
        """
        entry = await self._get(secret_id, version_stage)
        value = entry.value
        if entry.parsed_from is value and entry.parsed is not _UNPARSED:
            parsed = entry.parsed
        else:
            text = value.secret_string if value is not None else None
            if text is None:
                raise TypeError(f"secret {secret_id!r} has no SecretString (it is binary)")
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as e:
                # the exception holds the whole document: keep it out of the traceback
                raise ValueError(
                    f"secret {secret_id!r} is not valid JSON (line {e.lineno}, column {e.colno})"
                ) from None
            entry.parsed, entry.parsed_from = parsed, value
        if key is not None:
            if not isinstance(parsed, dict):
                raise TypeError(f"secret {secret_id!r} is not a JSON object")
            try:
                parsed = parsed[key]
            except KeyError:
                raise KeyError(key) from None
        return copy.deepcopy(parsed) if isinstance(parsed, (dict, list)) else parsed

    async def _get(self, secret_id: str, version_stage: str | None) -> _Entry:
        if self._closed:
            raise ClientClosedError("the SecretCache is closed")
        key = (secret_id, version_stage or _CURRENT)
        entry = self._entries.get(key)
        if entry is not None and entry.value is not None:
            now = self._clock()
            if now < entry.expires_at:
                self._entries.move_to_end(key)
                self._hits += 1
                if now >= entry.refresh_at and entry.task is None and now >= entry.retry_at:
                    self._start(entry)
                return entry
            if entry.failures and now < entry.expires_at + self.stale_if_error:
                # refreshes are failing transiently: keep serving the last good value
                self._entries.move_to_end(key)
                self._hits += 1
                self._stale_hits += 1
                if entry.task is None and now >= entry.retry_at:
                    self._start(entry)
                return entry
        elif entry is None:
            entry = self._insert(key)
        else:
            self._entries.move_to_end(key)
        self._misses += 1
        task = entry.task or self._start(entry)
        try:
            # shielded: a reader that is cancelled must not cancel the request other readers
            # share; close() cancels the request itself
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled() and self._closed:
                raise ClientClosedError("the SecretCache was closed during the read") from None
            raise
        except Exception as e:
            if (
                entry.value is not None
                and _transient(e)
                and self._clock() < entry.expires_at + self.stale_if_error
            ):
                self._stale_hits += 1
                return entry
            raise
        return entry

    # -- fetching ------------------------------------------------------------------------------

    def _insert(self, key: tuple[str, str]) -> _Entry:
        entry = self._entries[key] = _Entry(key)
        while len(self._entries) > self.max_size:
            _, old = self._entries.popitem(last=False)
            # a request in flight for it still answers its readers; it is just not kept
            old.value = old.parsed = old.parsed_from = None
            self._evictions += 1
        return entry

    def _start(self, entry: _Entry) -> asyncio.Task[_Secret]:
        task = asyncio.ensure_future(self._fetch(entry))
        entry.task = task
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[_Secret]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            # a background refresh may fail with nobody awaiting it; it is counted and
            # logged already, so mark the exception as seen
            task.exception()

    async def _fetch(self, entry: _Entry) -> _Secret:
        secret_id, stage = entry.key
        if entry.value is not None:
            self._refreshes += 1
        try:
            value: _Secret = await self._client.get_secret_value(
                secret_id=secret_id, version_stage=None if stage == _CURRENT else stage
            )
        except Exception as e:
            entry.task = None
            self._errors += 1
            self._failed(entry, e)
            raise
        except BaseException:  # cancelled by close()
            entry.task = None
            raise
        entry.task = None
        self._store(entry, value)
        return value

    def _store(self, entry: _Entry, value: _Secret) -> None:
        now = self._clock()
        entry.value = value
        entry.expires_at = now + self.ttl
        entry.refresh_at = entry.expires_at - self.refresh_ahead
        entry.retry_at = 0.0
        entry.failures = 0

    def _failed(self, entry: _Entry, error: Exception) -> None:
        now = self._clock()
        secret_id, stage = entry.key
        if (
            entry.value is not None
            and _transient(error)
            and now < entry.expires_at + self.stale_if_error
        ):
            entry.failures += 1
            first, most = self._backoff
            delay = min(most, first * 2 ** (entry.failures - 1))
            # jitter spreads the retries of many entries that failed together
            entry.retry_at = now + delay * (0.5 + 0.5 * self._random())
            logger.warning(
                "refresh of secret %r (%s) failed with %s; serving the cached value, "
                "next attempt in %.1f s",
                secret_id,
                stage,
                _describe(error),
                entry.retry_at - now,
            )
            return
        # permanent, past the grace period, or nothing to fall back on: forget the entry so
        # the next read asks again and the error reaches the caller
        if self._entries.get(entry.key) is entry:
            del self._entries[entry.key]
        entry.value = entry.parsed = entry.parsed_from = None
        logger.warning("fetching secret %r (%s) failed with %s", secret_id, stage, _describe(error))

    # -- control -------------------------------------------------------------------------------

    async def refresh(self, secret_id: str, *, version_stage: str | None = None) -> None:
        """Fetch the secret now, whatever its age; raises the error if the fetch fails.

        A request already in flight (sent before this call) is waited for and followed by a
        new one, so the value cached afterwards was read after the call.
        """
        if self._closed:
            raise ClientClosedError("the SecretCache is closed")
        key = (secret_id, version_stage or _CURRENT)
        entry = self._entries.get(key) or self._insert(key)
        earlier = entry.task
        if earlier is not None:
            await asyncio.wait([earlier])
        if self._entries.get(key) is not entry:  # dropped by that request's failure
            entry = self._entries.get(key) or self._insert(key)
        task = entry.task if entry.task is not None and entry.task is not earlier else None
        if task is None:
            with fresh_reads():  # the task copies the context: an agent refreshes too
                task = self._start(entry)
        await asyncio.shield(task)

    def invalidate(self, secret_id: str, *, version_stage: str | None = None) -> None:
        """Forget a secret: the next read fetches it (e.g. after rotating it yourself)."""
        entry = self._entries.pop((secret_id, version_stage or _CURRENT), None)
        if entry is not None:
            entry.value = entry.parsed = entry.parsed_from = None

    def clear(self) -> None:
        """Forget every secret."""
        for entry in self._entries.values():
            entry.value = entry.parsed = entry.parsed_from = None
        self._entries.clear()

    async def warm(
        self, secret_ids: Iterable[str], *, version_stage: str | None = None, jitter: float = 0.0
    ) -> BulkResult:
        """Load many secrets with one bulk fetch (``get_secret_values``).

        Returns the :class:`BulkResult`; ids that failed are not cached, and
        ``result.raise_for_errors()`` makes a failed start-up loud. ``jitter`` spreads a
        fleet's warm-ups over that many seconds (see ``get_secret_values``).
        """
        if self._closed:
            raise ClientClosedError("the SecretCache is closed")
        result = await self._client.get_secret_values(
            secret_ids, version_stage=version_stage, jitter=jitter
        )
        stage = version_stage or _CURRENT
        for secret_id, value in result.values.items():
            key = (secret_id, stage)
            entry = self._entries.get(key)
            if entry is None:
                entry = self._insert(key)
            else:
                self._entries.move_to_end(key)
            self._store(entry, value)
        return result

    # -- web framework helpers -----------------------------------------------------------------

    def dependency(
        self,
        secret_id: str,
        *,
        key: str | None = None,
        json: bool = False,
        version_stage: str | None = None,
    ) -> Callable[[], Awaitable[Any]]:
        """A zero-argument coroutine function returning the secret (FastAPI ``Depends``).

        Returns the string value; with ``key``, that member of the JSON object; with
        ``json=True``, the whole parsed JSON.
        """
        from ._integrations import dependency

        return dependency(self, secret_id, key=key, json=json, version_stage=version_stage)

    def inject(
        self,
        secret_id: str,
        *,
        key: str | None = None,
        into: str | None = None,
        json: bool = False,
        version_stage: str | None = None,
    ) -> Callable[[F], F]:
        """Decorate an ``async def`` so its keyword argument ``into`` receives the secret.

        ``into`` defaults to ``key``. The argument is removed from the function's visible
        signature, so frameworks that inspect it (aiohttp, FastAPI) do not try to fill it;
        a caller may still pass it explicitly (handy in tests).
        """
        from ._integrations import inject

        return inject(self, secret_id, key=key, into=into, json=json, version_stage=version_stage)
