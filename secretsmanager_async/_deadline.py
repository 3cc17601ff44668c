"""A deadline for one await, cheaper than :func:`asyncio.timeout` on the hot path.

Every call and every attempt runs under one, so it is one timer handle and a closure:
:func:`asyncio.timeout` costs several times that (and :func:`asyncio.wait_for` on Python 3.10
creates a task). The expiry cancels the waiting task; the resulting ``CancelledError`` is
turned into :class:`DeadlineExpired` only when the deadline caused it, so a cancellation from
anyone else (the caller, an outer deadline) still propagates as itself.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class DeadlineExpired(Exception):
    """The awaited operation outlasted its deadline (internal: callers raise their own error)."""


async def within(seconds: float, awaitable: Awaitable[T]) -> T:
    """Await ``awaitable``, raising :class:`DeadlineExpired` once ``seconds`` have passed."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    cancelling = 0
    if sys.version_info >= (3, 11):
        cancelling = task.cancelling()
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    # The callback can run only while the task is suspended inside the try block below: the
    # handle is cancelled synchronously on the way out, before the task can yield again.
    handle = loop.call_at(loop.time() + seconds, expire)
    try:
        return await awaitable
    except asyncio.CancelledError:
        if not expired:
            raise
        if sys.version_info >= (3, 11):
            if task.uncancel() > cancelling:
                raise  # cancelled by someone else as well: theirs wins
        raise DeadlineExpired from None
    finally:
        handle.cancel()
