"""The per-await deadline behind attempt_timeout and timeout: precise, and cancellation-safe."""

from __future__ import annotations

import asyncio
import sys

import pytest

from secretsmanager_async._deadline import DeadlineExpired, within


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
