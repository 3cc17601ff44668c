"""SecretCache: secret values in memory, read on every request without calling AWS each time.

Reads are served from memory while an entry is fresh. Around an entry's life:

- **Version checks.** When an entry's time is up (``ttl``, jittered) the cache asks
  DescribeSecret which version carries the entry's stage; an unchanged secret is renewed
  without reading its value, and only a new version costs a GetSecretValue. Checks of many
  entries due together run at most ``max_concurrent_checks`` at a time.
- **Rotation schedule.** DescribeSecret also tells when a rotation is due: the entry is
  checked again ``rotation_check_delay`` seconds after that time, and while it is overdue,
  so a rotated value is seen within seconds, not up to ``ttl`` later.
- **Change notifications.** :meth:`SecretCache.on_change` callbacks hear of every new
  version (ids only); ``refresh=True`` on a read checks the version now, at most once per
  ``min_refresh_interval`` per secret however many callers ask.

- **Single-flight.** Concurrent readers of a missing or expired entry share one request.
- **Refresh-ahead.** A read within ``refresh_ahead`` seconds of expiry starts one background
  refresh and returns the current value at once, so a busy secret never expires under load.
- **Stale-if-error.** When a refresh fails with a transient error (throttling, 5xx, network),
  readers keep the last good value for up to ``stale_if_error`` seconds past expiry, while
  further refreshes back off exponentially. Permanent errors (ResourceNotFound, AccessDenied,
  ...) drop the value and are raised to the caller (logged at DEBUG only); they are remembered
  for ``negative_ttl`` seconds, so a loop reading a missing id does not send a request per read.
- **Bounded.** At most ``max_size`` entries, least recently read evicted first; background
  tasks are cancelled and awaited by :meth:`SecretCache.close`.

Only secret ids, stages and error codes reach logs and reprs, never values.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import random
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import attrs

from ._classify import classify
from ._protocol.http import fresh_reads
from ._protocol.jsondoc import JsonDocumentError
from ._protocol.jsondoc import decode as decode_json
from .exceptions import ClientClosedError, SecretsManagerError, ServiceError, TransportError

if TYPE_CHECKING:
    from datetime import datetime

    from ._bulk import BulkResult
    from ._generated.models import DescribeSecretResponse, GetSecretValueResponse

__all__ = ["CacheStats", "SecretCache"]

logger = logging.getLogger("secretsmanager_async.cache")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
T = TypeVar("T")

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

    async def describe_secret(self, *, secret_id: str) -> DescribeSecretResponse: ...


#: ``callback(secret_id, old_version_id, new_version_id)``, sync or async
ChangeCallback = Callable[[str, "str | None", "str | None"], "Awaitable[None] | None"]


@attrs.frozen(kw_only=True)
class CacheStats:
    """A snapshot of a cache's counters since it was created.

    Every read is either a hit or a miss, so the hit ratio is ``hits / (hits + misses)``.
    ``requests`` counts what the cache sent, per operation; a renewed unchanged secret costs
    one ``DescribeSecret``, a new version one more ``GetSecretValue``.
    """

    #: reads answered from memory (stale reads and remembered errors included)
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
    #: requests sent, by operation name (GetSecretValue, DescribeSecret, BatchGetSecretValue)
    requests: Mapping[str, int] = attrs.field(factory=dict)
    #: values replaced by a newer version (each one reported to the on_change callbacks)
    changes: int = 0


class _Version:
    """One fetched value and what was derived from it, replaced whole, never changed.

    A reader takes the entry's current ``_Version`` (or the one its request returned) and
    answers from it alone, so an entry invalidated, cleared, evicted or refreshed while the
    reader was waiting cannot change what that reader sees.
    """

    __slots__ = ("models", "parsed", "value")

    def __init__(self, value: _Secret) -> None:
        self.value = value
        #: the JSON document, parsed on first use
        self.parsed: Any = _UNPARSED
        #: (type, key) -> the document (or its member key) structured as that type
        self.models: dict[tuple[Any, str | None], Any] = {}

    def __repr__(self) -> str:
        return f"<_Version {self.value.version_id!r}>"


class _Entry:
    """One cached secret (id, stage). The value never appears in a repr."""

    __slots__ = (
        "checked_at",
        "describe",
        "error",
        "error_tb",
        "error_until",
        "expires_at",
        "failures",
        "key",
        "refresh_at",
        "retry_at",
        "rotation_at",
        "task",
        "version",
    )

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key
        self.version: _Version | None = None
        self.expires_at = 0.0
        self.refresh_at = 0.0
        #: no refresh is started before this time (backoff after a transient failure)
        self.retry_at = 0.0
        #: transient failures since the last successful fetch
        self.failures = 0
        self.task: asyncio.Task[_Version] | None = None
        #: a permanent error remembered until ``error_until`` (the negative cache)
        self.error: SecretsManagerError | None = None
        self.error_tb: TracebackType | None = None
        self.error_until = 0.0
        #: when the request behind the current version (or its last check) was sent
        self.checked_at = -float("inf")
        #: when a due rotation makes a version check worthwhile (None: no schedule known)
        self.rotation_at: float | None = None
        #: False once DescribeSecret was refused for this secret: refresh by reading it
        self.describe = True

    def __repr__(self) -> str:
        return f"<_Entry {self.key!r} cached={self.version is not None}>"


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

    :param ttl: seconds a value is served before its version is checked again; each entry's
        time is shortened by a random fraction of up to ``ttl_jitter`` (default 0.1), so
        entries loaded together are not all checked in the same second
    :param max_size: entries kept; the least recently read is evicted first
    :param refresh_ahead: a read this many seconds before expiry starts a background
        refresh (default: a fifth of ``ttl``; 0 turns refresh-ahead off)
    :param stale_if_error: seconds past expiry an entry may still be served while refreshes
        fail with transient errors (0: never serve an expired value)
    :param error_backoff: (first, maximum) delay in seconds between refreshes of an entry
        whose refreshes keep failing; doubled each time, with jitter
    :param negative_ttl: seconds a permanent error (ResourceNotFound, AccessDenied, ...) is
        remembered and raised again without a request (0: never remembered);
        :meth:`refresh`, :meth:`invalidate` and ``refresh=True`` forget it
    :param version_check: check the version with DescribeSecret when an entry is due and
        read the value only if it changed (False: read the value every time; a secret whose
        DescribeSecret is denied is read every time anyway)
    :param max_concurrent_checks: DescribeSecret requests in flight at most
    :param rotation_check_delay: seconds after a rotation's due time (DescribeSecret's
        NextRotationDate) at which the entry is checked; while a rotation is overdue, checks
        repeat at half the time it is overdue, at least this often and at most every ``ttl``
    :param min_refresh_interval: ``refresh=True`` checks a secret at most once per this many
        seconds; callers within it get the value of the last check
    :param clock: monotonic seconds, injectable for tests
    :param wall_clock: epoch seconds, to place the rotation schedule; injectable for tests
    :param random: a float in [0, 1) for the jitter, injectable for tests
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
        negative_ttl: float = 5.0,
        ttl_jitter: float = 0.1,
        version_check: bool = True,
        max_concurrent_checks: int = 10,
        rotation_check_delay: float = 5.0,
        min_refresh_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
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
        if negative_ttl < 0:
            raise ValueError("negative_ttl must not be negative")
        if not 0 <= ttl_jitter < 1:
            raise ValueError("ttl_jitter must be at least 0 and less than 1")
        if max_concurrent_checks < 1:
            raise ValueError("max_concurrent_checks must be at least 1")
        if rotation_check_delay <= 0:
            raise ValueError("rotation_check_delay must be positive")
        if min_refresh_interval < 0:
            raise ValueError("min_refresh_interval must not be negative")
        if not 0 < error_backoff[0] <= error_backoff[1]:
            raise ValueError("error_backoff must be (first, maximum) with 0 < first <= maximum")
        self._client = client
        self.ttl = ttl
        self.max_size = max_size
        self.refresh_ahead = refresh_ahead
        self.stale_if_error = stale_if_error
        self._backoff = error_backoff
        self.negative_ttl = negative_ttl
        self.ttl_jitter = ttl_jitter
        self.version_check = version_check
        self.rotation_check_delay = rotation_check_delay
        self.min_refresh_interval = min_refresh_interval
        self._checks = asyncio.Semaphore(max_concurrent_checks)
        self._clock = clock
        self._wall_clock = wall_clock
        self._random = random
        self._listeners: list[ChangeCallback] = []
        self._callbacks: set[asyncio.Future[None]] = set()
        self._requests: Counter[str] = Counter()
        self._changes = 0
        #: called with the seconds each refresh of a held value took, ok or not (the
        #: telemetry add-on's refresh-duration histogram); None: nothing is timed
        self._refresh_observer: Callable[[float], None] | None = None
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._tasks: set[asyncio.Task[_Version]] = set()
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
        tasks: list[asyncio.Future[Any]] = [*self._tasks, *self._callbacks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.clear()

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
            requests=dict(self._requests),
            changes=self._changes,
        )

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, secret_id: object) -> bool:
        entry = self._entries.get((secret_id, _CURRENT))  # type: ignore[arg-type]
        return entry is not None and entry.version is not None

    # -- reading -------------------------------------------------------------------------------

    async def get_secret_string(
        self, secret_id: str, *, version_stage: str | None = None, refresh: bool = False
    ) -> str:
        """The secret's string value. Raises TypeError for a binary secret.

        ``refresh=True`` checks the version now (after an authentication failure, say) and
        returns the newest value; see :attr:`min_refresh_interval`.
        """
        text = (await self._get(secret_id, version_stage, refresh)).value.secret_string
        if text is None:
            raise TypeError(f"secret {secret_id!r} has no SecretString (it is a binary secret)")
        return text

    async def get_secret_binary(
        self, secret_id: str, *, version_stage: str | None = None, refresh: bool = False
    ) -> bytes:
        """The secret's binary value. Raises TypeError for a string secret."""
        data = (await self._get(secret_id, version_stage, refresh)).value.secret_binary
        if data is None:
            raise TypeError(f"secret {secret_id!r} has no SecretBinary (it is a string secret)")
        return data

    async def get_secret_json(
        self,
        secret_id: str,
        key: str | None = None,
        *,
        version_stage: str | None = None,
        refresh: bool = False,
    ) -> Any:
        """The secret's string value parsed as JSON, or the member ``key`` of that object.

        Parsed once per fetched value; each call returns its own copy of a dict or list, so
        a caller cannot change what the next caller gets.
        """
        version = await self._get(secret_id, version_stage, refresh)
        parsed = self._member(secret_id, self._parsed(secret_id, version), key)
        return copy.deepcopy(parsed) if isinstance(parsed, (dict, list)) else parsed

    async def get_secret_model(
        self,
        secret_id: str,
        type_: type[T],
        *,
        key: str | None = None,
        version_stage: str | None = None,
        refresh: bool = False,
    ) -> T:
        """The JSON secret (or its member ``key``) as a ``type_``: attrs class, dataclass,
        TypedDict, or anything cattrs can build; :class:`~secretsmanager_async.Secret` fields
        keep values out of reprs.

        Built once per version and type; a dict or list result is copied for each caller,
        other objects are shared (prefer frozen classes). A secret that does not fit raises
        ValueError naming the secret and each bad field, never a value.
        """
        version = await self._get(secret_id, version_stage, refresh)
        model_key = (type_, key)
        model: T | None = version.models.get(model_key, _UNPARSED)
        if model is _UNPARSED:
            from ._typed import structure

            document = self._member(secret_id, self._parsed(secret_id, version), key)
            model = version.models[model_key] = structure(secret_id, document, type_)
        if isinstance(model, (dict, list)):
            return cast(T, copy.deepcopy(model))
        return cast(T, model)

    @staticmethod
    def _parsed(secret_id: str, version: _Version) -> Any:
        parsed = version.parsed
        if parsed is _UNPARSED:
            text = version.value.secret_string
            if text is None:
                raise TypeError(f"secret {secret_id!r} has no SecretString (it is binary)")
            where = None
            try:
                parsed = decode_json(text)
            except JsonDocumentError as e:
                where = str(e)  # a position and a reason (nested too deeply included)
            if where is not None:
                # raised outside the except block; the decoder's error holds no document either
                raise ValueError(f"secret {secret_id!r} is not valid JSON: {where}")
            version.parsed = parsed
        return parsed

    @staticmethod
    def _member(secret_id: str, parsed: Any, key: str | None) -> Any:
        if key is None:
            return parsed
        if not isinstance(parsed, dict):
            raise TypeError(f"secret {secret_id!r} is not a JSON object")
        if key not in parsed:
            raise KeyError(key)
        return parsed[key]

    async def _get(self, secret_id: str, version_stage: str | None, refresh: bool) -> _Version:
        if self._closed:
            raise ClientClosedError("the SecretCache is closed")
        key = (secret_id, version_stage or _CURRENT)
        entry = self._entries.get(key)
        now = self._clock()
        if entry is None:
            entry = self._insert(key)
        elif refresh:
            self._entries.move_to_end(key)
            entry.error = None
            if (
                entry.task is None
                and entry.version is not None
                and now - entry.checked_at < self.min_refresh_interval
            ):
                # checked moments ago: that answer is as fresh as a new one
                self._hits += 1
                return entry.version
        else:
            version = entry.version
            if version is not None:
                if now < entry.expires_at:
                    self._entries.move_to_end(key)
                    self._hits += 1
                    if now >= entry.refresh_at and entry.task is None and now >= entry.retry_at:
                        self._start(entry)
                    return version
                if entry.failures and now < entry.expires_at + self.stale_if_error:
                    # refreshes are failing transiently: keep serving the last good value
                    self._entries.move_to_end(key)
                    self._hits += 1
                    self._stale_hits += 1
                    if entry.task is None and now >= entry.retry_at:
                        self._start(entry)
                    return version
            elif entry.error is not None and entry.task is None:
                if now < entry.error_until:
                    # the negative cache: a permanent error is answered from memory for a while
                    self._entries.move_to_end(key)
                    self._hits += 1
                    # as asyncio's futures do: the original traceback, not one growing per read
                    raise entry.error.with_traceback(entry.error_tb)
                entry.error = None
            self._entries.move_to_end(key)
        self._misses += 1
        held = entry.version
        # concurrent readers (refresh=True ones included) share the request in flight
        task = entry.task
        if task is None:
            if refresh:
                with fresh_reads():  # through an agent: ask it to bypass its cache too
                    task = self._start(entry)
            else:
                task = self._start(entry)
        try:
            # shielded: a reader that is cancelled must not cancel the request other readers
            # share; close() cancels the request itself
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled() and self._closed:
                raise ClientClosedError("the SecretCache was closed during the read") from None
            raise
        except Exception as e:
            if (
                held is not None
                and entry.version is held
                and _transient(e)
                and self._clock() < entry.expires_at + self.stale_if_error
            ):
                self._stale_hits += 1
                return held
            raise

    # -- fetching ------------------------------------------------------------------------------

    def _insert(self, key: tuple[str, str]) -> _Entry:
        entry = self._entries[key] = _Entry(key)
        while len(self._entries) > self.max_size:
            _, old = self._entries.popitem(last=False)
            # a request in flight for it still answers its readers; it is just not kept
            old.version = old.error = None
            self._evictions += 1
        return entry

    def _start(self, entry: _Entry, *, check: bool = True) -> asyncio.Task[_Version]:
        task = asyncio.ensure_future(self._fetch(entry, check))
        entry.task = task
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[_Version]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            # a background refresh may fail with nobody awaiting it; it is counted and
            # logged already, so mark the exception as seen
            task.exception()

    async def _fetch(self, entry: _Entry, check: bool) -> _Version:
        """Renew or replace the entry's value: a version check first when one is held."""
        secret_id, stage = entry.key
        held = entry.version
        if held is not None:
            self._refreshes += 1
        sent = self._clock()
        current = None
        try:
            if check and held is not None and self.version_check and entry.describe:
                current = await self._current_version_id(entry)
                if current is not None and current == held.value.version_id:
                    entry.task = None
                    self._renew(entry, sent)
                    return held
            self._requests["GetSecretValue"] += 1
            if current is not None:
                # exactly the version the check found carrying the stage
                value: _Secret = await self._client.get_secret_value(
                    secret_id=secret_id, version_id=current
                )
            else:
                value = await self._client.get_secret_value(
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
        finally:
            if held is not None and self._refresh_observer is not None:
                self._refresh_observer(self._clock() - sent)
        entry.task = None
        return self._store(entry, value, sent)

    async def _current_version_id(self, entry: _Entry) -> str | None:
        """The id of the version that carries the entry's stage now (None: unknown)."""
        secret_id, stage = entry.key
        async with self._checks:
            self._requests["DescribeSecret"] += 1
            try:
                info = await self._client.describe_secret(secret_id=secret_id)
            except ServiceError as e:
                if not e.code.startswith("AccessDenied"):
                    raise
                # allowed to read the value but not to describe it: read it every time
                entry.describe = False
                logger.warning(
                    "DescribeSecret is denied for secret %r; it is refreshed by reading its "
                    "value (grant secretsmanager:DescribeSecret for cheaper refreshes)",
                    secret_id,
                )
                return None
        entry.rotation_at = self._rotation_check_at(info)
        for version_id, stages in (info.version_ids_to_stages or {}).items():
            if stage in stages:
                return version_id
        return None

    def _rotation_check_at(self, info: DescribeSecretResponse) -> float | None:
        """When a due rotation makes the next check worthwhile (monotonic), if one is due."""
        if not info.rotation_enabled or info.next_rotation_date is None:
            return None
        now = self._clock()
        due = now + (info.next_rotation_date.timestamp() - self._wall_clock())
        if due > now:
            return due + self.rotation_check_delay
        # overdue (the rotation is running, or failing): look again soon, less often the
        # longer it takes
        return now + min(self.ttl, max(self.rotation_check_delay, (now - due) / 2))

    def _expiry(self, entry: _Entry, sent: float) -> None:
        # jitter only shortens the ttl: entries loaded together spread over the last
        # ttl_jitter of it
        entry.expires_at = sent + self.ttl * (1 - self.ttl_jitter * self._random())
        entry.refresh_at = entry.expires_at - self.refresh_ahead
        if entry.rotation_at is not None and sent < entry.rotation_at < entry.refresh_at:
            entry.refresh_at = entry.rotation_at
        entry.checked_at = sent
        entry.retry_at = 0.0
        entry.failures = 0

    def _renew(self, entry: _Entry, sent: float) -> None:
        self._expiry(entry, sent)

    def _store(self, entry: _Entry, value: _Secret, sent: float) -> _Version:
        version = _Version(value)
        if self._entries.get(entry.key) is entry:
            # an entry dropped meanwhile (invalidated, cleared, evicted) keeps nothing; the
            # readers of this request still get the value it returned
            old = entry.version
            entry.version = version
            entry.error = None
            if old is not None and old.value.version_id != value.version_id:
                self._changes += 1
                self._notify(entry.key[0], old.value.version_id, value.version_id)
        self._expiry(entry, sent)
        return version

    def _failed(self, entry: _Entry, error: Exception) -> None:
        now = self._clock()
        secret_id, stage = entry.key
        transient = _transient(error)
        if entry.version is not None and transient and now < entry.expires_at + self.stale_if_error:
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
        entry.version = None
        if self._entries.get(entry.key) is entry:
            if not transient and self.negative_ttl > 0 and isinstance(error, SecretsManagerError):
                # remembered briefly, so a loop over a missing id does not hammer the service
                entry.error, entry.error_tb = error, error.__traceback__
                entry.error_until = now + self.negative_ttl
            else:
                # past the grace period, or nothing to fall back on: the next read asks again
                del self._entries[entry.key]
        if transient:
            logger.warning(
                "fetching secret %r (%s) failed with %s", secret_id, stage, _describe(error)
            )
        else:
            # a permanent error (not found, access denied, ...) is the caller's to handle:
            # it is raised to every reader, and logged here only for debugging
            logger.debug(
                "fetching secret %r (%s) failed with %s", secret_id, stage, _describe(error)
            )

    # -- change notifications ------------------------------------------------------------------

    def on_change(self, callback: ChangeCallback) -> ChangeCallback:
        """Call ``callback(secret_id, old_version_id, new_version_id)`` on every new version.

        Called when a refresh replaces a cached value with another version (not on first
        loads), with ids only, never values; an ``async def`` callback runs as a task that
        :meth:`close` cancels. A callback that raises is logged and never breaks a read.
        Returns ``callback``, so it can be used as a decorator.
        """
        self._listeners.append(callback)
        return callback

    def _notify(self, secret_id: str, old: str | None, new: str | None) -> None:
        for callback in list(self._listeners):
            try:
                result = callback(secret_id, old, new)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._callbacks.add(task)
                    task.add_done_callback(self._callback_done)
            except Exception:
                logger.exception("on_change callback for secret %r failed", secret_id)

    def _callback_done(self, task: asyncio.Future[None]) -> None:
        self._callbacks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("on_change callback failed", exc_info=task.exception())

    # -- control -------------------------------------------------------------------------------

    async def refresh(self, secret_id: str, *, version_stage: str | None = None) -> None:
        """Fetch the secret now, whatever its age; raises the error if the fetch fails.

        A request already in flight (sent before this call) is waited for and followed by a
        new one, so the value cached afterwards was read after the call. A remembered
        permanent error is forgotten first.
        """
        if self._closed:
            raise ClientClosedError("the SecretCache is closed")
        key = (secret_id, version_stage or _CURRENT)
        entry = self._entries.get(key) or self._insert(key)
        entry.error = None
        earlier = entry.task
        if earlier is not None:
            await asyncio.wait([earlier])
        if self._entries.get(key) is not entry:  # dropped by that request's failure
            entry = self._entries.get(key) or self._insert(key)
        task = entry.task if entry.task is not None and entry.task is not earlier else None
        if task is None:
            with fresh_reads():  # the task copies the context: an agent refreshes too
                task = self._start(entry, check=False)
        await asyncio.shield(task)

    def invalidate(self, secret_id: str, *, version_stage: str | None = None) -> None:
        """Forget a secret (and a remembered error): the next read fetches it."""
        entry = self._entries.pop((secret_id, version_stage or _CURRENT), None)
        if entry is not None:
            entry.version = entry.error = None

    def clear(self) -> None:
        """Forget every secret."""
        for entry in self._entries.values():
            entry.version = entry.error = None
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
        sent = self._clock()
        result = await self._client.get_secret_values(
            secret_ids, version_stage=version_stage, jitter=jitter
        )
        self._requests.update(getattr(result, "requests", {}))
        stage = version_stage or _CURRENT
        for secret_id, value in result.values.items():
            key = (secret_id, stage)
            entry = self._entries.get(key)
            if entry is None:
                entry = self._insert(key)
            else:
                self._entries.move_to_end(key)
            self._store(entry, value, sent)
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
