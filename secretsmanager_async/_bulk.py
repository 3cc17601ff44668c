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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable, Iterator
from typing import TYPE_CHECKING, Any, overload

from ._classify import classify
from ._generated.operations import OperationsMixin
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

__all__ = ["BATCH_LIMIT", "DEFAULT_MAX_CONCURRENCY", "BulkMixin", "BulkResult"]

logger = logging.getLogger("secretsmanager_async")

#: ids per BatchGetSecretValue request (the service's maximum)
BATCH_LIMIT = 20
#: requests in flight at once per bulk call. BatchGetSecretValue is limited to 100 requests
#: per second per region, shared by every caller in the account: 10 in flight at typical
#: latencies stays near that, and the retry stage absorbs the throttling beyond it.
DEFAULT_MAX_CONCURRENCY = 10

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

    __slots__ = ("errors", "ids", "values")

    def __init__(
        self,
        ids: tuple[str, ...],
        values: dict[str, SecretValueEntry],
        errors: dict[str, SecretsManagerError],
    ) -> None:
        #: the requested ids, de-duplicated, in the caller's order
        self.ids = ids
        #: id -> value, in the caller's order
        self.values = values
        #: id -> the typed error that id failed with, in the caller's order
        self.errors = errors

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

    async def get_secret_values(
        self,
        secret_ids: Iterable[str],
        *,
        version_stage: str | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> BulkResult:
        """Fetch the values of many secrets (names or ARNs) with as few requests as possible.

        Returns a :class:`BulkResult` mapping each requested id to its value or its error;
        failures of some ids never fail the others. At most ``max_concurrency`` requests
        are in flight. BatchGetSecretValue only reads ``AWSCURRENT``, so another
        ``version_stage`` is fetched with one GetSecretValue call per id.
        """
        if isinstance(secret_ids, (str, bytes)):
            # iterating a str would request one secret per character
            raise TypeError("secret_ids must be an iterable of ids, not a single str")
        if max_concurrency < 1:
            raise ParamValidationError("max_concurrency", "must be at least 1")
        ids = tuple(dict.fromkeys(secret_ids))
        if not ids:
            return BulkResult((), {}, {})
        run = _BulkFetch(self, version_stage, max_concurrency)
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
        )


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

    __slots__ = ("_client", "_limit", "_stage", "errors", "values")

    def __init__(self, client: BulkMixin, version_stage: str | None, limit: int) -> None:
        self._client = client
        self._stage = version_stage
        self._limit = asyncio.Semaphore(limit)
        self.values: dict[str, SecretValueEntry] = {}
        self.errors: dict[str, SecretsManagerError] = {}

    async def chunk(self, chunk: tuple[str, ...]) -> None:
        client = self._client
        if client._bulk_batch_denied:  # another chunk of this call was just denied
            await self.singles(chunk)
            return
        try:
            async with self._limit:
                response = await client.batch_get_secret_value(secret_id_list=list(chunk))
        except ServiceError as e:
            if e.code == "AccessDeniedException":
                if not client._bulk_batch_denied:
                    client._bulk_batch_denied = True
                    logger.warning(
                        "BatchGetSecretValue was denied (AccessDeniedException, request id "
                        "%s); this client fetches secrets with GetSecretValue from now on",
                        e.request_id,
                    )
                await self.singles(chunk)
            elif classify(e) is None:
                await self.singles(chunk)  # isolates the id the service rejected
            else:
                self._fail(chunk, e)  # the retry stage already gave up on it
            return
        except (ParamValidationError, ResponseParseError):
            await self.singles(chunk)
            return
        except TransportError as e:
            self._fail(chunk, e)
            return
        again = self._settle(chunk, response)
        if again:
            await self.singles(again)

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

    async def one(self, secret_id: str) -> None:
        try:
            async with self._limit:
                r = await self._client.get_secret_value(
                    secret_id=secret_id, version_stage=self._stage
                )
        except _PER_ID_ERRORS as e:
            self.errors[secret_id] = e
            return
        self.errors.pop(secret_id, None)
        self.values[secret_id] = _as_entry(r)

    async def singles(self, ids: tuple[str, ...]) -> None:
        await _all([self.one(i) for i in ids])


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
