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


_INF = float("inf")


class CallDeadline:
    """A call's time limit and its current attempt's, kept on one timer.

    The client makes one per call (``CallContext.deadline``); a transport that knows about it
    bounds each attempt with :meth:`start_attempt` and :meth:`end_attempt` instead of a timer
    of its own. The timer is armed for the nearer of the two ends; when it fires for an
    attempt that has already ended it re-arms itself, so the common call (one attempt that
    finishes in time) costs one timer instead of two. ``attempt_hint`` arms the first timer
    for the first attempt's end up front, saving a re-arm when the transport starts it.

    On expiry the task is cancelled and :attr:`expired` says which limit passed; the code
    that owns that limit turns the ``CancelledError`` into its own error with :meth:`claim`.
    """

    __slots__ = (
        "_attempt_end",
        "_cancelling",
        "_handle",
        "_loop",
        "_task",
        "_when",
        "end",
        "expired",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        task: asyncio.Task[object],
        seconds: float | None,
        attempt_hint: float | None = None,
    ) -> None:
        self._loop = loop
        self._task = task
        self._cancelling = 0
        if sys.version_info >= (3, 11):
            self._cancelling = task.cancelling()
        now = loop.time()
        #: when the whole call must be over (loop time; infinite without a call limit)
        self.end = _INF if seconds is None else now + seconds
        self._attempt_end = _INF  # no attempt in progress
        #: "call" or "attempt" once that limit has cancelled the task, until claimed
        self.expired: str | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._when = _INF
        first = self.end if attempt_hint is None else min(self.end, now + attempt_hint)
        if first != _INF:
            self._arm(first)

    def _arm(self, when: float) -> None:
        self._when = when
        self._handle = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        when = self._when
        self._handle = None
        self._when = _INF
        if when >= self.end:
            self.expired = "call"
        elif self._attempt_end <= when:
            self.expired = "attempt"
        else:
            # armed for an attempt that has ended (or for the hint): wait for the next bound
            nearest = min(self.end, self._attempt_end)
            if nearest != _INF:
                self._arm(nearest)
            return
        self._task.cancel()

    def start_attempt(self, seconds: float | None) -> None:
        """Bound the attempt starting now to ``seconds`` (``None``: only the call's limit)."""
        if seconds is None:
            return
        end = self._attempt_end = self._loop.time() + seconds
        if end < self._when:
            if self._handle is not None:
                self._handle.cancel()
            self._arm(end)

    def end_attempt(self) -> None:
        """The attempt is over: only the call's limit applies until the next one starts."""
        self._attempt_end = _INF

    def claim(self, kind: str) -> bool:
        """True if this deadline's ``kind`` limit cancelled the task, and only it did.

        Called on ``CancelledError``; a True answer consumes the expiry (and, on Python 3.11+,
        the cancellation it caused), so the caller raises its timeout error instead. False
        means the cancellation is someone else's (the caller, an outer deadline) or the other
        limit's: let it propagate.
        """
        if self.expired != kind:
            return False
        self.expired = None
        if sys.version_info >= (3, 11):
            return self._task.uncancel() <= self._cancelling
        return True

    def cancel(self) -> None:
        """Disarm: the call is over (must run before the task can suspend again)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
