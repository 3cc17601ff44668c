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
(2,000 secrets), GetSecretValue 10,000. A throttled batch call is therefore not retried: its
ids are read with GetSecretValue at once, and batch calls pause for this client (0.5 s,
doubling while they stay throttled, at most 4 s, with jitter), after which the next chunk
tries the batch call again; a success resets the pause. Single reads are not retried on
throttling by the retry stage either (a start-up storm must not drain the client's retry
quota): the bulk call tries them again itself, after a jittered pause starting at 0.05 s and
doubling up to 0.5 s, as long as it keeps making progress: they fail only when no id of the
call succeeded for :data:`THROTTLE_PATIENCE` seconds. When a fleet starts at once this reads
at the combined quota of both APIs instead of failing starts on the smaller one.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import time
from collections.abc import Coroutine, Iterable, Iterator
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
#: latencies stays near that, and the retry stage absorbs the throttling beyond it.
DEFAULT_MAX_CONCURRENCY = 10
#: a bulk call gives up on throttled ids after this many seconds without any id succeeding
THROTTLE_PATIENCE = 10.0
#: first and longest pause of batch calls after a throttled one (seconds; doubled per throttle)
BATCH_PAUSE = (0.5, 4.0)
#: first and longest pause before throttled single reads are tried again (full jitter)
REQUEUE_PAUSE = (0.05, 0.5)

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
    #: the pause of batch calls after throttling, shared by this client's bulk calls
    _bulk_gate: _BatchGate | None = None

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
        ids = tuple(dict.fromkeys(secret_ids))
        if not ids:
            return BulkResult((), {}, {})
        if jitter:
            await _sleep(_random() * jitter)
        if self._bulk_gate is None:
            self._bulk_gate = _BatchGate()
        run = _BulkFetch(self, self._bulk_gate, version_stage, max_concurrency)
        if version_stage in (None, _CURRENT) and not self._bulk_batch_denied:
            await _all(
                [run.chunk(ids[i : i + BATCH_LIMIT]) for i in range(0, len(ids), BATCH_LIMIT)]
            )
        else:
            await run.singles(ids)
        values, errors = run.values, run.errors
        return BulkResult(
            ids,
            {i: values[i] for i in ids if i in values},
            {i: errors[i] for i in ids if i in errors and i not in values},
            dict(run.requests),
        )


# module-level so tests can observe and steer the jitter and pauses
_sleep = asyncio.sleep
_random = random.random


class _BatchGate:
    """Whether batch calls are paused after throttling; one per client."""

    __slots__ = ("closed_until", "pause")

    def __init__(self) -> None:
        self.closed_until = 0.0
        self.pause = 0.0

    def is_open(self) -> bool:
        return time.monotonic() >= self.closed_until

    def throttled(self) -> None:
        first, most = BATCH_PAUSE
        self.pause = min(most, self.pause * 2) if self.pause else first
        # jitter keeps a fleet's clients from probing the batch API in the same instant
        self.closed_until = time.monotonic() + self.pause * (0.5 + 0.5 * _random())

    def recovered(self) -> None:
        self.pause = 0.0
        self.closed_until = 0.0


async def _all(coros: list[Coroutine[Any, Any, None]]) -> None:
    """Run ``coros`` concurrently; if one raises, cancel the rest and re-raise."""
    if len(coros) == 1:
        await coros[0]
        return
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


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
    """The state of one ``get_secret_values`` call."""

    __slots__ = (
        "_client",
        "_gate",
        "_limit",
        "_progress",
        "_stage",
        "errors",
        "requests",
        "values",
    )

    def __init__(
        self, client: BulkMixin, gate: _BatchGate, version_stage: str | None, limit: int
    ) -> None:
        self._client = client
        self._gate = gate
        self._stage = version_stage
        self._limit = asyncio.Semaphore(limit)
        #: when an id of this call last succeeded (throttled ids are retried until it is old)
        self._progress = time.monotonic()
        self.values: dict[str, SecretValueEntry] = {}
        self.errors: dict[str, SecretsManagerError] = {}
        self.requests: collections.Counter[str] = collections.Counter()

    async def chunk(self, chunk: tuple[str, ...]) -> None:
        ids = chunk
        pauses = 0
        while True:
            if not self._client._bulk_batch_denied and self._gate.is_open():
                left = await self._batch(ids)
                if left is None:  # settled, or handed to single reads for good
                    return
                ids = left  # throttled: read these singly now, batch again once it recovers
            ids = await self._round(ids)
            if not ids:
                return
            pauses += 1
            await self._pause(pauses)

    async def _batch(self, chunk: tuple[str, ...]) -> tuple[str, ...] | None:
        """One batch call; returns the ids to read singly after throttling, else None."""

        client = self._client
        try:
            async with self._limit:
                self.requests["BatchGetSecretValue"] += 1
                response: BatchGetSecretValueResponse = await client._invoke(
                    BATCH_GET_SECRET_VALUE,
                    BATCH_GET_SECRET_VALUE.build_input(secret_id_list=list(chunk)),
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
                await self.singles(chunk)
            elif kind is None:
                await self.singles(chunk)  # isolates the id the service rejected
            elif kind == "throttle":
                self._gate.throttled()
                return chunk
            else:
                self._fail(chunk, e)  # the retry stage already gave up on it
            return None
        except (ParamValidationError, ResponseParseError):
            await self.singles(chunk)
            return None
        except TransportError as e:
            self._fail(chunk, e)
            return None
        self._gate.recovered()
        self._progress = time.monotonic()
        again = self._settle(chunk, response)
        if again:
            await self.singles(again)
        return None

    async def _pause(self, pauses: int) -> None:
        first, most = REQUEUE_PAUSE
        await _sleep(_random() * min(most, first * 2.0 ** (pauses - 1)))

    def _fail(self, ids: Iterable[str], error: SecretsManagerError) -> None:
        for i in ids:
            self.errors[i] = error

    def _settle(
        self, chunk: tuple[str, ...], response: BatchGetSecretValueResponse
    ) -> tuple[str, ...]:
        """Record what the response settles; return the ids to fetch singly."""
        values = self.values
        wanted = set(chunk)
        for entry in response.secret_values or ():
            matched = False
            for key in (entry.name, entry.arn):
                if key is not None and key in wanted:
                    values[key] = entry
                    matched = True
            if not matched and entry.arn is not None:
                arn = entry.arn
                for requested in chunk:
                    if requested.startswith("arn:") and _matches_partial_arn(requested, arn):
                        values[requested] = entry
        again: list[str] = []
        request_id = response.metadata.request_id
        for error in response.errors or ():
            secret_id = error.secret_id
            if secret_id is None or secret_id not in wanted or secret_id in values:
                continue
            typed = _entry_error(error, request_id)
            if classify(typed) is None:
                self.errors[secret_id] = typed
            else:
                again.append(secret_id)
        # transient per-secret errors, and ids the response left out, are fetched singly
        again.extend(i for i in chunk if i not in values and i not in self.errors)
        return tuple(dict.fromkeys(again))

    async def one(self, secret_id: str) -> bool:
        """Read one id; False when it was throttled and is worth another try later."""
        try:
            async with self._limit:
                self.requests["GetSecretValue"] += 1
                r: GetSecretValueResponse = await self._client._invoke(
                    GET_SECRET_VALUE,
                    GET_SECRET_VALUE.build_input(secret_id=secret_id, version_stage=self._stage),
                    # throttled reads come back here at once, paced by this call (see _pause)
                    max_throttle_attempts=1,
                )
        except _PER_ID_ERRORS as e:
            if classify(e) == "throttle" and time.monotonic() - self._progress < THROTTLE_PATIENCE:
                return False
            self.errors[secret_id] = e
            return True
        self._progress = time.monotonic()
        self.errors.pop(secret_id, None)
        self.values[secret_id] = _as_entry(r)
        return True

    async def _round(self, ids: tuple[str, ...]) -> tuple[str, ...]:
        """Read each id once; returns the ids that were throttled and are tried again."""
        if len(ids) == 1:
            return () if await self.one(ids[0]) else ids
        done: list[bool] = [False] * len(ids)

        async def read(n: int, secret_id: str) -> None:
            done[n] = await self.one(secret_id)

        await _all([read(n, i) for n, i in enumerate(ids)])
        return tuple(i for i, settled in zip(ids, done, strict=True) if not settled)

    async def singles(self, ids: tuple[str, ...]) -> None:
        pauses = 0
        while ids:
            ids = await self._round(ids)
            if ids:
                pauses += 1
                await self._pause(pauses)


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
