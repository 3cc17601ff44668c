"""Bulk fetch: many secret values with BatchGetSecretValue, concurrently and within a bound.

Ids go out in chunks of at most 20 (the service's limit). The response names each value by
its Name and ARN, whatever the caller passed, so entries are matched back to the requested
id by name, full ARN or partial ARN (a full ARN minus its ``-XXXXXX`` suffix). Anything the
batch cannot settle for one id alone is fetched with GetSecretValue, so a single bad id
never costs the others their values:

- a whole-batch failure that is not transient (a malformed id makes the service reject the
  request) is split into single calls, which isolates the bad id;
- per-secret errors that are transient (throttling, internal errors) are retried singly,
  through the retry stage;
- an id the response does not mention at all is fetched singly.

AccessDeniedException on BatchGetSecretValue (a policy that grants GetSecretValue only)
switches the client to single calls for good; this is logged once per client.

Quotas are per API: BatchGetSecretValue allows 100 requests per second per account and region
(2,000 secrets), GetSecretValue 10,000. Neither call is retried on throttling by the retry
stage (a start-up storm must not drain the client's retry quota); the bulk call queues a
throttled id again and paces each API per client instead (:class:`_Pacer`): after a throttle
the client sends that API's requests one per gap, the gap doubling per throttle (at most once
per round trip) and shrinking ever faster while none comes, until pacing stops. While
batch calls wait for their gap, the queued ids are read with GetSecretValue at its own pace;
the next batch call takes up to 20 ids still queued. Throttled ids fail only when no id of
the call succeeded for :data:`THROTTLE_PATIENCE` seconds. When a fleet starts at once this
reads at the combined quota of both APIs instead of failing starts on the smaller one.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import random
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, overload

from ._classify import classify
from ._generated.operations import BATCH_GET_SECRET_VALUE, GET_SECRET_VALUE, OperationsMixin
from .exceptions import (
    MODELED_ERRORS,
    ParamValidationError,
    ResponseParseError,
    SecretsManagerError,
    ServiceError,
    TransportError,
)

if TYPE_CHECKING:
    from ._generated.models import (
        APIErrorType,
        BatchGetSecretValueResponse,
        GetSecretValueResponse,
        SecretValueEntry,
    )
    from ._protocol import I, O, Operation

__all__ = [
    "BATCH_LIMIT",
    "DEFAULT_MAX_CONCURRENCY",
    "THROTTLE_PATIENCE",
    "BulkMixin",
    "BulkResult",
]

logger = logging.getLogger("secretsmanager_async")

#: ids per BatchGetSecretValue request (the service's maximum)
BATCH_LIMIT = 20
#: requests in flight at once per bulk call. BatchGetSecretValue is limited to 100 requests
#: per second per region, shared by every caller in the account: 10 in flight at typical
#: latencies stays near that, and the client's pacing absorbs the throttling beyond it.
DEFAULT_MAX_CONCURRENCY = 10
#: a bulk call gives up on throttled ids after this many seconds without any id succeeding
THROTTLE_PATIENCE = 10.0
#: first and longest gap between a client's batch calls once they are throttled (seconds)
BATCH_PACE = (0.5, 4.0)
#: first and longest gap between a client's single reads once they are throttled (seconds)
GET_PACE = (0.01, 1.0)
#: seconds in which a pacing gap halves while no throttle doubles it (then ever faster)
PACE_HALVING = 0.5

# Errors that belong to one id (recorded in the result); anything else (a closed client,
# missing credentials, a bug) would fail every id alike and is raised.
_PER_ID_ERRORS = (ServiceError, TransportError, ParamValidationError, ResponseParseError)
_CURRENT = "AWSCURRENT"
_ARN_SUFFIX_LEN = 7  # "-" and the six random characters the service appends to a secret ARN


class BulkResult:
    """The outcome of :meth:`~BulkMixin.get_secret_values`, keyed by the ids as requested.

    Every requested id (duplicates removed, caller's order kept) is in exactly one of
    :attr:`values` and :attr:`errors`. ``result[id]`` returns the entry or raises that id's
    error; iteration yields the requested ids in order.
    """

    __slots__ = ("errors", "ids", "requests", "values")

    def __init__(
        self,
        ids: tuple[str, ...],
        values: dict[str, SecretValueEntry],
        errors: dict[str, SecretsManagerError],
        requests: dict[str, int] | None = None,
    ) -> None:
        #: the requested ids, de-duplicated, in the caller's order
        self.ids = ids
        #: id -> value, in the caller's order
        self.values = values
        #: id -> the typed error that id failed with, in the caller's order
        self.errors = errors
        #: calls sent, by operation name (BatchGetSecretValue, GetSecretValue)
        self.requests = requests or {}

    def __repr__(self) -> str:
        # counts only: values are secrets, and even error messages stay out of reprs
        return f"<BulkResult {len(self.values)} values, {len(self.errors)} errors>"

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __contains__(self, secret_id: object) -> bool:
        return secret_id in self.values or secret_id in self.errors

    def __getitem__(self, secret_id: str) -> SecretValueEntry:
        entry = self.values.get(secret_id)
        if entry is not None:
            return entry
        error = self.errors.get(secret_id)
        if error is not None:
            raise error
        raise KeyError(secret_id)

    @overload
    def get(self, secret_id: str) -> SecretValueEntry | None: ...
    @overload
    def get(self, secret_id: str, default: SecretValueEntry) -> SecretValueEntry: ...
    @overload
    def get(self, secret_id: str, default: None) -> SecretValueEntry | None: ...
    def get(
        self, secret_id: str, default: SecretValueEntry | None = None
    ) -> SecretValueEntry | None:
        """The entry for ``secret_id``, or ``default`` if it failed or was not requested."""
        return self.values.get(secret_id, default)

    @property
    def ok(self) -> bool:
        """True when every id has a value."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise the error of the first failed id (in the caller's order), if any."""
        for error in self.errors.values():
            raise error


class BulkMixin(OperationsMixin):
    """``get_secret_values`` for the client."""

    #: set once BatchGetSecretValue was denied: later bulk calls go straight to single calls
    _bulk_batch_denied: bool = False
    #: the pace of bulk reads after throttling, per operation, shared by this client's bulk calls
    _bulk_pacing: _Pacing | None = None

    async def _invoke(
        self, operation: Operation[I, O], params: I, *, max_throttle_attempts: int | None = None
    ) -> O:
        raise NotImplementedError

    async def get_secret_values(
        self,
        secret_ids: Iterable[str],
        *,
        version_stage: str | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        jitter: float = 0.0,
    ) -> BulkResult:
        """Fetch the values of many secrets (names or ARNs) with as few requests as possible.

        Returns a :class:`BulkResult` mapping each requested id to its value or its error;
        failures of some ids never fail the others. At most ``max_concurrency`` requests
        are in flight. BatchGetSecretValue only reads ``AWSCURRENT``, so another
        ``version_stage`` is fetched with one GetSecretValue call per id. When batch calls
        are throttled, their ids are read with GetSecretValue instead (see the module notes).

        ``jitter`` (seconds) waits a random time up to that long before the first request,
        so instances of a fleet that start together spread their reads over the window.
        """
        if isinstance(secret_ids, (str, bytes)):
            # iterating a str would request one secret per character
            raise TypeError("secret_ids must be an iterable of ids, not a single str")
        if max_concurrency < 1:
            raise ParamValidationError("max_concurrency", "must be at least 1")
        if not jitter >= 0:  # also refuses NaN
            raise ParamValidationError("jitter", "must be a number of seconds, at least 0")
        # id -> None in the caller's order, duplicates dropped; becomes the values when all succeed
        order: dict[str, Any] = dict.fromkeys(secret_ids)
        ids = tuple(order)
        if not ids:
            return BulkResult((), {}, {})
        if jitter:
            await _sleep(_random() * jitter)
        if self._bulk_pacing is None:
            self._bulk_pacing = _Pacing()
        run = _BulkFetch(self, self._bulk_pacing, version_stage, max_concurrency)
        await run.run(ids, batch=version_stage in (None, _CURRENT) and not self._bulk_batch_denied)
        values, errors = run.values, run.errors
        if len(values) == len(ids):
            # every id has a value (values holds requested ids only): updating existing keys
            # keeps the caller's order, without a Python-level step per id
            order.update(values)
            return BulkResult(ids, order, {}, dict(run.requests))
        return BulkResult(
            ids,
            {i: values[i] for i in ids if i in values},
            {i: errors[i] for i in ids if i in errors and i not in values},
            dict(run.requests),
        )


# module-level so tests can observe and steer the jitter and pauses
_sleep = asyncio.sleep
_random = random.random
_clock = time.monotonic


class _Pacer:
    """Spaces one client's requests of one operation once they are throttled.

    Unpaced until the first throttle; then requests go at most one per gap. A throttle
    doubles the gap (from ``first``, up to ``most``), once per round: replies to requests sent
    before the last doubling do not double it again. Without throttles the gap shrinks ever
    faster: it halves in :data:`PACE_HALVING` seconds, is a sixteenth after twice that (the
    exponent grows with the square of the time); below half of ``first`` pacing stops. The
    rate grows by time and is cut by throttles, and a client sending faster meets more of
    them, so a fleet's clients converge on equal rates whose sum sits a little above the
    quota: the quota stays busy, and a client whose peers are done speeds up within a second.
    """

    __slots__ = ("_lock", "first", "gap", "most", "sent_at", "since")

    def __init__(self, first: float, most: float) -> None:
        self.first = first
        self.most = most
        #: the gap as of ``since``, when it last grew (it shrinks from there)
        self.gap = 0.0
        self.since = -math.inf
        #: when the latest request went
        self.sent_at = -math.inf
        self._lock: asyncio.Lock | None = None

    def current(self, now: float) -> float:
        """Seconds between requests at ``now``; 0 while unpaced."""
        if not self.gap:
            return 0.0
        gap = self.gap * 2.0 ** -(((now - self.since) / PACE_HALVING) ** 2)
        return gap if gap >= self.first / 2 else 0.0

    def ready(self) -> bool:
        """Whether a request may go now (then call :meth:`take`)."""
        now = _clock()
        return now >= self.sent_at + self.current(now)

    def take(self) -> float:
        """Record a request sent now; returns its send time for :meth:`throttled`."""
        self.sent_at = now = _clock()
        return now

    async def wait(self) -> float:
        """Wait for this client's next slot; returns the send time for :meth:`throttled`."""
        if not self.gap:
            return self.take()
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one waiter at a time, each sleeping for the current gap
            now = _clock()
            delay = self.sent_at + self.current(now) - now
            if delay > 0:
                await _sleep(delay)
            return self.take()

    def throttled(self, sent: float) -> None:
        if sent <= self.since:
            return  # sent before the last slow-down: already accounted for
        now = _clock()
        self.gap = min(self.most, max(self.first, 2.0 * self.current(now)))
        self.since = now


class _Pacing:
    """A client's pacers, one per operation: AWS sets quotas per API."""

    __slots__ = ("batch", "get")

    def __init__(self) -> None:
        self.batch = _Pacer(*BATCH_PACE)
        self.get = _Pacer(*GET_PACE)


def _entry_error(error: APIErrorType, request_id: str | None) -> ServiceError:
    code = error.error_code or "UnknownError"
    # The batch call itself succeeded, so there is no per-entry HTTP status: use the one the
    # service gives that code when it fails a single call.
    status = 500 if code == "InternalServiceError" else 400
    return MODELED_ERRORS.get(code, ServiceError)(
        error.message or "", code=code, status_code=status, request_id=request_id
    )


def _matches_partial_arn(requested: str, arn: str) -> bool:
    return (
        len(arn) == len(requested) + _ARN_SUFFIX_LEN
        and arn.startswith(requested)
        and arn[len(requested)] == "-"
    )


class _BulkFetch:
    """The state of one ``get_secret_values`` call.

    Ids wait in two queues: ids a batch call may carry, and ids to read with GetSecretValue
    only. Up to ``limit`` workers take from them: a batch call of up to 20 queued ids when the
    client's batch pacer allows one, otherwise one id with GetSecretValue at the client's
    single-read pace. A throttled id goes back to its queue.
    """

    __slots__ = (
        "_batchable",
        "_client",
        "_limit",
        "_pacing",
        "_progress",
        "_single",
        "_stage",
        "_tasks",
        "_workers",
        "errors",
        "requests",
        "values",
    )

    def __init__(
        self, client: BulkMixin, pacing: _Pacing, version_stage: str | None, limit: int
    ) -> None:
        self._client = client
        self._pacing = pacing
        self._stage = version_stage
        self._limit = limit
        self._batchable: collections.deque[str] = collections.deque()
        self._single: collections.deque[str] = collections.deque()
        self._workers = 0
        self._tasks: set[asyncio.Task[None]] = set()
        #: when an id of this call last succeeded (throttled ids are retried until it is old)
        self._progress = _clock()
        self.values: dict[str, SecretValueEntry] = {}
        self.errors: dict[str, SecretsManagerError] = {}
        self.requests: collections.Counter[str] = collections.Counter()

    async def run(self, ids: tuple[str, ...], *, batch: bool) -> None:
        """Settle every id: each gets a value or an error."""
        if batch:
            self._batchable.extend(ids)
            units = -(-len(ids) // BATCH_LIMIT)
        else:
            self._single.extend(ids)
            units = len(ids)
        try:
            if units == 1:  # no task to spawn for one request's worth
                self._workers += 1
                await self._work()
            else:
                self._grow(units)
            while self._tasks:
                done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    self._tasks.discard(task)
                    task.result()  # a worker's exception fails the call
        except BaseException:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            raise

    def _grow(self, more: int) -> None:
        """Start up to ``more`` workers, within the limit."""
        for _ in range(min(more, self._limit - self._workers)):
            self._workers += 1
            self._tasks.add(asyncio.ensure_future(self._work()))

    def _queue(self, ids: Iterable[str], *, single: bool) -> None:
        """Queue ids to settle (again); more workers for them if the limit allows."""
        queue = self._single if single else self._batchable
        before = len(queue)
        queue.extend(ids)
        self._grow(len(queue) - before)

    async def _work(self) -> None:
        client, batch = self._client, self._pacing.batch
        batchable, single = self._batchable, self._single
        try:
            while True:
                if batchable and not client._bulk_batch_denied and batch.ready():
                    take = batchable.popleft
                    await self._batch([take() for _ in range(min(BATCH_LIMIT, len(batchable)))])
                elif single or batchable:
                    # singles eat batchable ids from the tail: batch calls take the head
                    await self._one((single or batchable).pop(), single=bool(single))
                else:
                    return
        finally:
            self._workers -= 1

    async def _batch(self, chunk: list[str]) -> None:
        """One batch call; its ids are settled or queued again.

        ``chunk`` becomes the request's ``secret_id_list`` as it is: nothing changes it.
        """
        client, pacer = self._client, self._pacing.batch
        sent = pacer.take()
        try:
            self.requests["BatchGetSecretValue"] += 1
            response: BatchGetSecretValueResponse = await client._invoke(
                BATCH_GET_SECRET_VALUE,
                BATCH_GET_SECRET_VALUE.build_input(secret_id_list=chunk),
                # a throttled batch goes to GetSecretValue's quota instead of retrying
                max_throttle_attempts=1,
            )
        except ServiceError as e:
            kind = classify(e)
            if e.code == "AccessDeniedException":
                if not client._bulk_batch_denied:
                    client._bulk_batch_denied = True
                    logger.warning(
                        "BatchGetSecretValue was denied (AccessDeniedException, request id "
                        "%s); this client fetches secrets with GetSecretValue from now on",
                        e.request_id,
                    )
                self._queue(chunk, single=True)
            elif kind is None:
                self._queue(chunk, single=True)  # isolates the id the service rejected
            elif kind == "throttle":
                pacer.throttled(sent)
                # back to the head: single reads take them now, a batch call once it may
                self._batchable.extendleft(reversed(chunk))
                self._grow(len(chunk))
            else:
                self._fail(chunk, e)  # the retry stage already gave up on it
            return
        except (ParamValidationError, ResponseParseError):
            self._queue(chunk, single=True)
            return
        except TransportError as e:
            self._fail(chunk, e)
            return
        self._progress = _clock()
        again = self._settle(chunk, response)
        if again:
            self._queue(again, single=True)

    def _fail(self, ids: Iterable[str], error: SecretsManagerError) -> None:
        for i in ids:
            self.errors[i] = error

    def _settle(self, chunk: list[str], response: BatchGetSecretValueResponse) -> tuple[str, ...]:
        """Record what the response settles; return the ids to fetch singly."""
        values = self.values
        before = len(values)
        wanted = set(chunk)
        for entry in response.secret_values or ():
            # an entry settles each requested id it answers to: its name, its ARN (both, when
            # the caller asked for both), else a partial ARN
            name, arn = entry.name, entry.arn
            if name in wanted:
                values[name] = entry
                if arn in wanted:
                    values[arn] = entry
            elif arn in wanted:
                values[arn] = entry
            elif arn is not None:
                for requested in chunk:
                    if requested.startswith("arn:") and _matches_partial_arn(requested, arn):
                        values[requested] = entry
        errors = response.errors
        if not errors and len(values) - before == len(wanted):
            # the usual answer: only ids of this chunk were added, so as many as it holds
            # means every one has its value
            return ()
        again: list[str] = []
        request_id = response.metadata.request_id
        for error in errors or ():
            secret_id = error.secret_id
            if secret_id is None or secret_id not in wanted or secret_id in values:
                continue
            typed = _entry_error(error, request_id)
            if classify(typed) is None:
                self.errors[secret_id] = typed
            else:
                again.append(secret_id)
        # transient per-secret errors, and ids the response left out, are fetched singly
        again += [i for i in chunk if i not in values and i not in self.errors]
        return tuple(dict.fromkeys(again))

    async def _one(self, secret_id: str, *, single: bool) -> None:
        """Read one id at the client's pace; a throttled id is queued again."""
        pacer = self._pacing.get
        sent = await pacer.wait()
        try:
            self.requests["GetSecretValue"] += 1
            r: GetSecretValueResponse = await self._client._invoke(
                GET_SECRET_VALUE,
                GET_SECRET_VALUE.build_input(secret_id=secret_id, version_stage=self._stage),
                # throttled reads come back here at once, paced by the client (see _Pacer)
                max_throttle_attempts=1,
            )
        except _PER_ID_ERRORS as e:
            if classify(e) == "throttle":
                pacer.throttled(sent)
                if _clock() - self._progress < THROTTLE_PATIENCE:
                    (self._single if single else self._batchable).append(secret_id)
                    return
            self.errors[secret_id] = e
            return
        self._progress = _clock()
        self.errors.pop(secret_id, None)
        self.values[secret_id] = _as_entry(r)


def _as_entry(r: GetSecretValueResponse) -> SecretValueEntry:
    from ._generated.models import SecretValueEntry

    return SecretValueEntry(
        arn=r.arn,
        created_date=r.created_date,
        name=r.name,
        secret_binary=r.secret_binary,
        secret_string=r.secret_string,
        version_id=r.version_id,
        version_stages=r.version_stages,
    )
