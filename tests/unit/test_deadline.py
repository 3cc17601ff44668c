"""The per-await deadline behind attempt_timeout and timeout: precise, and cancellation-safe."""

from __future__ import annotations

import asyncio
import sys

import pytest

from secretsmanager_async._deadline import CallDeadline, DeadlineExpired, within


async def test_result_before_the_deadline() -> None:
    """An awaitable that finishes in time returns its result, and no cancel is left pending."""
    assert await within(1.0, asyncio.sleep(0.01, result="done")) == "done"
    await asyncio.sleep(0.02)  # would raise CancelledError if a cancel were still pending
    if sys.version_info >= (3, 11):
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0


async def test_expiry_raises_deadline_expired() -> None:
    """An awaitable still running at the deadline is cancelled; the caller gets DeadlineExpired."""
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            cancelled.set()

    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(DeadlineExpired):
        await within(0.1, slow())
    assert 0.09 <= loop.time() - start < 1.0
    assert cancelled.is_set()
    if sys.version_info >= (3, 11):
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0  # uncancelled: TaskGroups stay right


async def test_an_outside_cancel_stays_a_cancel() -> None:
    """Cancelling the caller propagates CancelledError, not DeadlineExpired."""
    task = asyncio.create_task(within(5.0, asyncio.sleep(10)))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
async def test_an_outer_deadline_wins_over_an_inner_one() -> None:
    """Nested under asyncio.timeout, the outer expiry is the outer's TimeoutError."""
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):  # type: ignore[attr-defined,unused-ignore]
            await within(5.0, asyncio.sleep(10))


# -- CallDeadline: a call's limit and its attempts' on one timer ---------------------------------


def _current_task() -> asyncio.Task[object]:
    task = asyncio.current_task()
    assert task is not None
    return task


def _settled() -> None:
    if sys.version_info >= (3, 11):
        assert _current_task().cancelling() == 0


async def test_a_call_and_its_first_attempt_share_one_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The common call (one attempt, in time) arms one timer, not one per limit."""
    loop = asyncio.get_running_loop()
    armed: list[float] = []
    call_at = loop.call_at

    def counting(
        when: float, callback: object, *args: object, **kwargs: object
    ) -> asyncio.TimerHandle:
        if getattr(callback, "__name__", "") == "_fire":  # the deadline's own timers
            armed.append(when)
        return call_at(when, callback, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loop, "call_at", counting)
    deadline = CallDeadline(loop, _current_task(), 60.0, attempt_hint=30.0)
    deadline.start_attempt(30.0)
    await asyncio.sleep(0.01)
    deadline.end_attempt()
    deadline.cancel()
    assert len(armed) == 1


async def test_an_attempt_expiry_is_the_attempts_to_claim() -> None:
    """The attempt's limit cancels the task; only a claim for "attempt" takes it."""
    loop = asyncio.get_running_loop()
    deadline = CallDeadline(loop, _current_task(), None)
    deadline.start_attempt(0.05)
    start = loop.time()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.sleep(10)
    assert 0.04 <= loop.time() - start < 1.0
    assert deadline.expired == "attempt"
    assert not deadline.claim("call")
    assert deadline.claim("attempt")
    deadline.end_attempt()
    deadline.cancel()
    _settled()
    await asyncio.sleep(0.01)  # no cancellation left pending


async def test_a_timer_armed_for_an_ended_attempt_waits_for_the_call_limit() -> None:
    """After the attempt it was armed for ends, the timer re-arms for the call's end."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = CallDeadline(loop, _current_task(), 0.3, attempt_hint=0.05)
    deadline.start_attempt(0.05)
    deadline.end_attempt()
    await asyncio.sleep(0.1)  # past the attempt's end: nothing is cancelled
    assert deadline.expired is None
    with pytest.raises(asyncio.CancelledError):
        await asyncio.sleep(10)
    assert 0.28 <= loop.time() - start < 1.5
    assert deadline.claim("call")
    deadline.cancel()
    _settled()


async def test_a_later_attempt_gets_its_whole_time() -> None:
    """An attempt started after the hinted one still gets its full attempt limit."""
    loop = asyncio.get_running_loop()
    deadline = CallDeadline(loop, _current_task(), None, attempt_hint=0.1)
    await asyncio.sleep(0.08)  # e.g. credentials loading before the first attempt
    attempt_start = loop.time()
    deadline.start_attempt(0.1)
    await asyncio.sleep(0.05)  # past the hinted end, within this attempt's own
    assert deadline.expired is None
    with pytest.raises(asyncio.CancelledError):
        await asyncio.sleep(10)
    assert 0.09 <= loop.time() - attempt_start < 1.0
    assert deadline.claim("attempt")
    deadline.cancel()
    _settled()


async def test_an_outside_cancel_is_not_claimed() -> None:
    """A cancellation from someone else is never turned into a timeout."""

    async def call() -> None:
        deadline = CallDeadline(asyncio.get_running_loop(), _current_task(), 5.0, 1.0)
        deadline.start_attempt(1.0)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            assert not deadline.claim("attempt")
            assert not deadline.claim("call")
            raise
        finally:
            deadline.cancel()

    task = asyncio.create_task(call())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
