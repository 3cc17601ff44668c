"""The retry stage: what is retried, backoff bounds, the quota and the attempt headers."""

from __future__ import annotations

import pytest

from secretsmanager_async._classify import classify
from secretsmanager_async._middleware.retry import (
    ClientRateLimiter,
    RetryQuota,
    RetryStage,
)
from secretsmanager_async._protocol import CallContext, HttpRequest, HttpResponse
from secretsmanager_async.exceptions import (
    CallTimeoutError,
    ConnectError,
    ConnectionClosedError,
    InternalServiceError,
    LimitExceededException,
    ReadTimeoutError,
    ResourceNotFoundException,
    ServiceError,
)

OK = HttpResponse(200, {}, b"{}")


def _request() -> HttpRequest:
    return HttpRequest("POST", "http://h/", {"X-Amz-Target": "t"}, b"{}", CallContext("Op"))


def _throttle(status: int = 400, code: str = "ThrottlingException") -> ServiceError:
    return ServiceError("slow", code=code, status_code=status)


class Script:
    """A stub `next` that raises or returns items in order and records requests."""

    def __init__(self, *items: object) -> None:
        self.items = list(items)
        self.requests: list[HttpRequest] = []

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        item = self.items.pop(0)
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, HttpResponse)
        return item


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_throttle(), "throttle"),
        (_throttle(429, "Whatever"), "throttle"),
        (_throttle(400, "TooManyRequestsException"), "throttle"),
        (_throttle(400, "RequestLimitExceeded"), "throttle"),
        (ServiceError("", code="X", status_code=503), "transient"),
        (ServiceError("", code="X", status_code=502), "transient"),
        (InternalServiceError("", code="InternalServiceError", status_code=500), "transient"),
        (ConnectError("refused"), "transient"),
        (ConnectionClosedError("reset"), "transient"),
        (ReadTimeoutError("slow"), "transient"),
        (LimitExceededException("", code="LimitExceededException", status_code=400), None),
        (ResourceNotFoundException("", code="ResourceNotFoundException", status_code=400), None),
        (ServiceError("", code="AccessDeniedException", status_code=400), None),
        (CallTimeoutError("total"), None),
    ],
)
def test_classify(error: Exception, kind: str | None) -> None:
    """Throttles, 5xx and network errors are retried; quotas, 4xx and call timeouts are not."""
    assert classify(error) == kind  # type: ignore[arg-type]


async def test_retries_until_success_and_counts_attempts() -> None:
    """Two transient failures then success: three attempts, headers per attempt."""
    sleeps = Sleeps()
    stage = RetryStage(max_attempts=3, sleep=sleeps, random=lambda: 1.0)
    nxt = Script(ConnectError("x"), _throttle(), OK)
    request = _request()
    assert await stage.handle(request, nxt) is OK
    assert request.context.attempts == 3
    assert [r.headers["amz-sdk-request"] for r in nxt.requests] == [
        "attempt=1; max=3",
        "attempt=2; max=3",
        "attempt=3; max=3",
    ]
    ids = {r.headers["amz-sdk-invocation-id"] for r in nxt.requests}
    assert ids == {request.context.invocation_id}
    # full jitter with random()=1: transient base 50 ms, then throttle base 1 s * 2
    assert sleeps.delays == [0.05, 2.0]
    assert request.context.total_retry_delay == pytest.approx(2.05)


async def test_gives_up_after_max_attempts() -> None:
    """The last error is raised after max_attempts."""
    stage = RetryStage(max_attempts=2, sleep=Sleeps())
    nxt = Script(ConnectError("1"), ConnectError("2"))
    with pytest.raises(ConnectError, match="2"):
        await stage.handle(_request(), nxt)
    assert len(nxt.requests) == 2


async def test_non_retryable_is_raised_at_once() -> None:
    """LimitExceededException is a quota, not a burst: no retry."""
    stage = RetryStage(sleep=Sleeps())
    nxt = Script(LimitExceededException("", code="LimitExceededException", status_code=400))
    with pytest.raises(LimitExceededException):
        await stage.handle(_request(), nxt)
    assert len(nxt.requests) == 1


def test_backoff_bounds() -> None:
    """Delays are full-jitter exponential, capped at 20 s; Retry-After is honoured within it."""
    stage = RetryStage(random=lambda: 1.0)
    assert stage.delay_for("transient", 1, None) == 0.05
    assert stage.delay_for("transient", 3, None) == 0.2
    assert stage.delay_for("throttle", 1, None) == 1.0
    assert stage.delay_for("throttle", 10, None) == 20.0
    assert stage.delay_for("transient", 1, 3.0) == 3.0
    assert stage.delay_for("transient", 1, 300.0) == 20.0
    low = RetryStage(random=lambda: 0.0)
    assert low.delay_for("throttle", 5, None) == 0.0
    assert RetryStage(backoff=False).delay_for("throttle", 5, 9.0) == 0.0


async def test_quota_costs_and_refunds() -> None:
    """A retry costs 14 (5 for throttles); success refunds it, or adds 1 without retries."""
    quota = RetryQuota(capacity=500, available=100)
    stage = RetryStage(sleep=Sleeps(), quota=quota)
    await stage.handle(_request(), Script(ConnectError("x"), OK))
    assert quota.available == 100  # took 14, refunded 14
    with pytest.raises(ServiceError):
        await stage.handle(_request(), Script(_throttle(), _throttle(), _throttle()))
    assert quota.available == 90  # two throttle retries at 5, never refunded
    await stage.handle(_request(), Script(OK))
    assert quota.available == 91


async def test_empty_quota_stops_retries() -> None:
    """With the quota drained, the first error is raised without retry."""
    stage = RetryStage(sleep=Sleeps(), quota=RetryQuota(available=10))
    nxt = Script(ConnectError("x"), OK)
    with pytest.raises(ConnectError):
        await stage.handle(_request(), nxt)
    assert len(nxt.requests) == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_adaptive_limiter_off_until_first_throttle() -> None:
    """The adaptive limiter lets requests through freely until a throttle switches it on."""
    clock = FakeClock()
    limiter = ClientRateLimiter(clock=clock)
    sleeps = Sleeps()
    for _ in range(20):
        await limiter.acquire(sleeps)
        limiter.record(throttled=False)
        clock.now += 0.05
    assert not limiter.enabled
    assert sleeps.delays == []
    rate_before = limiter.measured_rate
    limiter.record(throttled=True)
    assert limiter.enabled
    assert limiter.fill_rate == pytest.approx(max(0.5, rate_before * 0.7), rel=0.01)
    # now sending faster than the fill rate makes callers wait
    for _ in range(5):
        await limiter.acquire(sleeps)
    assert sleeps.delays
    assert sleeps.delays[-1] > 0


async def test_adaptive_rate_recovers_along_cubic() -> None:
    """After a throttle the allowed rate grows back over time (CUBIC)."""
    clock = FakeClock()
    limiter = ClientRateLimiter(clock=clock)
    for _ in range(40):
        limiter.record(throttled=False)
        clock.now += 0.025
    limiter.record(throttled=True)
    after_throttle = limiter.fill_rate
    for _ in range(200):
        clock.now += 0.025
        limiter.record(throttled=False)
    assert limiter.fill_rate > after_throttle


async def test_adaptive_mode_is_wired() -> None:
    """mode='adaptive' gives the stage a rate limiter; standard has none."""
    assert RetryStage(mode="adaptive").rate_limiter("GetSecretValue") is not None
    stage = RetryStage()
    assert stage.rate_limiter("GetSecretValue") is None
    stage.configure(mode="adaptive", max_attempts=5)
    assert stage.rate_limiter("GetSecretValue") is not None
    nxt = Script(OK)
    await stage.handle(_request(), nxt)
    assert nxt.requests[0].headers["amz-sdk-request"] == "attempt=1; max=5"


def _op_request(operation: str) -> HttpRequest:
    return HttpRequest("POST", "http://h/", {}, b"{}", CallContext(operation))


async def test_adaptive_limiter_is_per_operation() -> None:
    """A throttled operation is slowed down; another operation on the same client is not."""
    clock = FakeClock()
    sleeps = Sleeps()
    stage = RetryStage(
        mode="adaptive",
        max_attempts=1,
        sleep=sleeps,
        rate_limiter=lambda: ClientRateLimiter(clock=clock),
    )
    for _ in range(20):
        with pytest.raises(ServiceError):
            await stage.handle(_op_request("BatchGetSecretValue"), Script(_throttle()))
        clock.now += 0.01
    batch = stage.rate_limiter("BatchGetSecretValue")
    assert batch is not None and batch.enabled
    sleeps.delays.clear()
    for _ in range(50):
        await stage.handle(_op_request("GetSecretValue"), Script(OK))
    assert sleeps.delays == []  # GetSecretValue never waited for a token
    single = stage.rate_limiter("GetSecretValue")
    assert single is not None and not single.enabled
    await stage.handle(_op_request("BatchGetSecretValue"), Script(OK))
    assert sleeps.delays and sleeps.delays[-1] > 0  # the throttled operation still waits


async def test_max_throttle_attempts_per_call() -> None:
    """A call may spend fewer attempts on throttling; other errors keep the stage's count."""
    stage = RetryStage(max_attempts=3, backoff=False)
    request = _op_request("BatchGetSecretValue")
    request.context.max_throttle_attempts = 1
    nxt = Script(_throttle(), OK)
    with pytest.raises(ServiceError):
        await stage.handle(request, nxt)
    assert len(nxt.requests) == 1
    request = _op_request("BatchGetSecretValue")
    request.context.max_throttle_attempts = 1
    transient = ServiceError("", code="InternalServiceError", status_code=500)
    nxt = Script(transient, transient, OK)
    assert await stage.handle(request, nxt) is OK
    assert len(nxt.requests) == 3
