"""The retry stage: standard and adaptive modes as the AWS SDKs ship them.

Standard: exponential backoff with full jitter (base 50 ms, 1 s for throttling, capped at 20 s),
and a retry quota (500 tokens; a retry costs 14, 5 for throttling; a success refunds what its
call took, or 1 when it needed no retry) so a failing service is not hammered by every caller.
Adaptive adds a client-side CUBIC rate limiter per operation, switched on by that operation's
first throttle and shared by every call of it on one client: AWS sets quotas per API, so a
throttled BatchGetSecretValue must not slow GetSecretValue down.

A call may lower the attempts spent on throttling (``CallContext.max_throttle_attempts``): the
bulk fetch sends BatchGetSecretValue that way and hands a throttled chunk to single reads.

A call may override ``max_attempts`` and the mode (``client.with_options``); the quota and the
rate limiter stay the client's. Each attempt is logged at DEBUG (operation, attempt, status or
error code, request id, the delay before the next one); a call that fails after more than one
attempt is logged once at WARNING. Neither line carries a message or a value.

The retry loop sits outside the other stages, so each attempt is re-resolved, re-signed with
a fresh date and current credentials, and re-sent; the idempotency token is in the body,
which does not change.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import Literal, Protocol

from .._classify import ErrorKind, classify
from .._protocol import CallContext, HttpRequest, HttpResponse
from ..exceptions import SecretsManagerError, ServiceError
from .base import Handler

#: what code outside ``_middleware`` may import; the rest is this module's own
__all__ = ["RetryHook", "RetryMode", "RetryQuota", "RetryStage"]

RetryMode = Literal["standard", "adaptive"]

logger = logging.getLogger("secretsmanager_async")

BASE_DELAY = 0.05
THROTTLE_BASE_DELAY = 1.0
MAX_BACKOFF = 20.0
QUOTA_CAPACITY = 500
RETRY_COST = 14
THROTTLING_RETRY_COST = 5
NO_RETRY_INCREMENT = 1


class RetryHook(Protocol):
    """Called before each retry sleep, e.g. for metrics."""

    def __call__(self, request: HttpRequest, error: SecretsManagerError, delay: float) -> None: ...


class RetryQuota:
    """The token bucket that limits retries when the service is failing."""

    __slots__ = ("available", "capacity")

    def __init__(self, capacity: int = QUOTA_CAPACITY, available: int | None = None) -> None:
        self.capacity = capacity
        self.available = capacity if available is None else available

    def __repr__(self) -> str:
        return f"RetryQuota(capacity={self.capacity}, available={self.available})"

    def acquire(self, cost: int) -> bool:
        if cost > self.available:
            return False
        self.available -= cost
        return True

    def release(self, amount: int) -> None:
        self.available = min(self.capacity, self.available + amount)


class RetryStage:
    """Retries throttling, 5xx and network errors with backoff, within a quota."""

    name = "retry"

    def __init__(
        self,
        *,
        mode: RetryMode = "standard",
        max_attempts: int = 3,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random.random,
        backoff: bool = True,
        quota: RetryQuota | None = None,
        rate_limiter: Callable[[], ClientRateLimiter] = lambda: ClientRateLimiter(),
        on_retry: RetryHook | None = None,
    ) -> None:
        self.mode: RetryMode = mode
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._random = random
        self.backoff = backoff
        self.quota = quota if quota is not None else RetryQuota()
        #: makes the limiter of each operation (adaptive mode)
        self.new_rate_limiter = rate_limiter
        #: operation name -> its rate limiter; None in standard mode
        self.rate_limiters: dict[str, ClientRateLimiter] | None = {} if mode == "adaptive" else None
        self.on_retry = on_retry
        self._adaptive_overrides: dict[str, ClientRateLimiter] = {}
        # prebuilt per-attempt header values: attempt=N; max=M
        self._attempt_headers = tuple(
            f"attempt={n}; max={max_attempts}" for n in range(1, max_attempts + 1)
        )

    def configure(self, *, mode: RetryMode, max_attempts: int) -> None:
        """Apply the resolved retry settings (the client does this when it opens)."""
        self.mode = mode
        self.max_attempts = max_attempts
        if mode == "adaptive" and self.rate_limiters is None:
            self.rate_limiters = {}
        elif mode == "standard":
            self.rate_limiters = None
        self._attempt_headers = tuple(
            f"attempt={n}; max={max_attempts}" for n in range(1, max_attempts + 1)
        )

    def rate_limiter(self, operation: str) -> ClientRateLimiter | None:
        """The rate limiter of ``operation`` (adaptive mode), made on first use."""
        limiters = self.rate_limiters
        if limiters is None:
            return None
        limiter = limiters.get(operation)
        if limiter is None:
            limiter = limiters[operation] = self.new_rate_limiter()
        return limiter

    def delay_for(self, kind: ErrorKind, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        if not self.backoff:
            return 0.0
        base = THROTTLE_BASE_DELAY if kind == "throttle" else BASE_DELAY
        delay: float = self._random() * min(MAX_BACKOFF, base * 2.0 ** (attempt - 1))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, MAX_BACKOFF)

    def _limiter_for(self, context: CallContext) -> ClientRateLimiter | None:
        """The rate limiter of a call, whose mode may differ from the stage's."""
        mode = context.retry_mode
        if mode is None or mode == self.mode:
            return None if self.rate_limiters is None else self.rate_limiter(context.operation)
        if mode == "standard":
            return None
        # adaptive calls on a standard client: limiters per operation, shared by those calls
        limiter = self._adaptive_overrides.get(context.operation)
        if limiter is None:
            limiter = self._adaptive_overrides[context.operation] = self.new_rate_limiter()
        return limiter

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        context = request.context
        base_headers = request.headers
        limiter = (
            None
            if self.rate_limiters is None and context.retry_mode is None
            else self._limiter_for(context)
        )
        max_attempts = context.max_attempts
        if max_attempts is None:
            max_attempts = self.max_attempts
            attempt_headers = self._attempt_headers
        else:  # a per-call override (with_options)
            attempt_headers = tuple(
                f"attempt={n}; max={max_attempts}" for n in range(1, max_attempts + 1)
            )
        throttle_attempts = context.max_throttle_attempts or max_attempts
        debug = logger.isEnabledFor(logging.DEBUG)
        attempt = 0
        cost = 0  # quota tokens taken by the latest retry of this call
        while True:
            attempt += 1
            context.attempts += 1
            headers = dict(base_headers)
            headers["amz-sdk-invocation-id"] = context.invocation_id
            headers["amz-sdk-request"] = (
                attempt_headers[attempt - 1]
                if attempt <= len(attempt_headers)
                else f"attempt={attempt}; max={max_attempts}"
            )
            if limiter is not None:
                await limiter.acquire(self._sleep)
            try:
                response = await next(request.with_headers(headers))
            except SecretsManagerError as error:
                kind = classify(error)
                if limiter is not None:
                    limiter.record(throttled=kind == "throttle")
                if (
                    kind is None
                    or attempt >= max_attempts
                    or (kind == "throttle" and attempt >= throttle_attempts)
                ):
                    _log_final(context.operation, attempt, max_attempts, error, debug)
                    raise
                cost = THROTTLING_RETRY_COST if kind == "throttle" else RETRY_COST
                if not self.quota.acquire(cost):
                    _log_final(context.operation, attempt, max_attempts, error, debug, "quota")
                    raise
                retry_after = error.retry_after if isinstance(error, ServiceError) else None
                delay = self.delay_for(kind, attempt, retry_after)
                if debug:
                    logger.debug(
                        "%s attempt %d/%d: %s, request id %s; retrying in %.3f s",
                        context.operation,
                        attempt,
                        max_attempts,
                        _outcome(error),
                        getattr(error, "request_id", None),
                        delay,
                    )
                if self.on_retry is not None:
                    self.on_retry(request, error, delay)
                context.total_retry_delay += delay
                if delay > 0:
                    await self._sleep(delay)
                continue
            if limiter is not None:
                limiter.record(throttled=False)
            self.quota.release(cost if attempt > 1 else NO_RETRY_INCREMENT)
            if debug:
                logger.debug(
                    "%s attempt %d/%d: HTTP %d, request id %s",
                    context.operation,
                    attempt,
                    max_attempts,
                    response.status,
                    response.headers.get("x-amzn-requestid"),
                )
            return response


def _outcome(error: SecretsManagerError) -> str:
    """An error as a log line shows it: its code and status, never its message."""
    if isinstance(error, ServiceError):
        return f"{error.code} (HTTP {error.status_code})"
    return type(error).__name__


def _log_final(
    operation: str,
    attempt: int,
    max_attempts: int,
    error: SecretsManagerError,
    debug: bool,
    reason: str | None = None,
) -> None:
    """Log the attempt that ends a call with ``error``; WARNING if it was not the first."""
    if reason is None:
        reason = "attempts exhausted" if classify(error) is not None else "not retryable"
    else:
        reason = "retry quota exhausted"
    if debug:
        logger.debug(
            "%s attempt %d/%d: %s, request id %s; %s",
            operation,
            attempt,
            max_attempts,
            _outcome(error),
            getattr(error, "request_id", None),
            reason,
        )
    if attempt > 1 and logger.isEnabledFor(logging.WARNING):
        logger.warning(
            "%s failed after %d attempts: %s, request id %s (%s)",
            operation,
            attempt,
            _outcome(error),
            getattr(error, "request_id", None),
            reason,
        )


class ClientRateLimiter:
    """The adaptive mode's client-side rate limiter (CUBIC), as in the AWS SDKs.

    Disabled until the first throttle; then each request takes a token from a bucket whose
    fill rate follows CUBIC: cut by ``beta`` on a throttle, regrown along a cubic curve.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        beta: float = 0.7,
        scale: float = 0.4,
        smoothing: float = 0.8,
        min_fill_rate: float = 0.5,
    ) -> None:
        self._clock = clock
        self.beta = beta
        self.scale = scale
        self.smoothing = smoothing
        self.min_fill_rate = min_fill_rate
        self.enabled = False
        now = clock()
        # token bucket
        self.fill_rate = 0.0
        self.max_capacity = 0.0
        self.current_capacity = 0.0
        self._last_refill = now
        # CUBIC state
        self.last_max_rate = 0.0
        self.last_throttle_time = now
        self._time_window = 0.0
        # measured send rate
        self.measured_rate = 0.0
        self._last_tx_bucket: float = math.floor(now)
        self._request_count = 0

    def _refill(self, now: float) -> None:
        if self.enabled:
            fill = (now - self._last_refill) * self.fill_rate
            self.current_capacity = min(self.max_capacity, self.current_capacity + fill)
        self._last_refill = now

    async def acquire(self, sleep: Callable[[float], Awaitable[None]], amount: float = 1) -> None:
        """Wait for a send token (immediately while the limiter is off)."""
        if not self.enabled:
            return
        now = self._clock()
        self._refill(now)
        self.current_capacity -= amount
        if self.current_capacity < 0:
            # tokens are reserved by going negative, so concurrent callers queue fairly
            await sleep(-self.current_capacity / self.fill_rate)

    def _update_measured_rate(self, now: float) -> None:
        bucket = math.floor(now * 2) / 2
        self._request_count += 1
        if bucket > self._last_tx_bucket:
            current = self._request_count / (bucket - self._last_tx_bucket)
            self.measured_rate = current * self.smoothing + self.measured_rate * (
                1 - self.smoothing
            )
            self._request_count = 0
            self._last_tx_bucket = bucket

    def _cubic_success(self, now: float) -> float:
        dt = now - self.last_throttle_time
        return self.scale * (dt - self._time_window) ** 3 + self.last_max_rate

    def _cubic_throttle(self, rate: float) -> float:
        return rate * self.beta

    def record(self, *, throttled: bool) -> None:
        """Update the rates after a response (or error)."""
        now = self._clock()
        self._update_measured_rate(now)
        if throttled:
            rate = (
                self.measured_rate if not self.enabled else min(self.measured_rate, self.fill_rate)
            )
            self.last_max_rate = rate
            self._time_window = ((self.last_max_rate * (1 - self.beta)) / self.scale) ** (1 / 3)
            new_rate = self._cubic_throttle(rate)
            self.last_throttle_time = now
            self.enabled = True
        else:
            new_rate = self._cubic_success(now)
        self._set_fill_rate(min(new_rate, 2 * self.measured_rate), now)

    def _set_fill_rate(self, rate: float, now: float) -> None:
        self._refill(now)
        self.fill_rate = max(rate, self.min_fill_rate)
        self.max_capacity = max(rate, 1.0)
        self.current_capacity = min(self.current_capacity, self.max_capacity)
