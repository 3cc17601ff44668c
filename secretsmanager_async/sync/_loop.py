"""The one private event loop thread that serves every synchronous client in a process.

Sync calls hand their coroutine to this loop with ``run_coroutine_threadsafe`` and wait for
the result, so the async implementation is the only one. The thread starts on first use (a
lock makes concurrent first calls start one thread), is a daemon (a process never waits for
it) and is replaced after ``os.fork()``: a child must not touch its parent's loop, sockets or
locks. Each loop carries a generation number so clients notice they were made before a fork.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread."""

    __slots__ = ("generation", "loop", "thread")

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(ready,), name="secretsmanager-async-sync", daemon=True
        )
        self.thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule ``coro`` on the loop; the future resolves in the calling thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result (or re-raise its error)."""
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError(
                "a synchronous secretsmanager_async call was made from inside its own event "
                "loop thread (from a callback?); use the async API there"
            )
        return self.submit(coro).result()


_lock = threading.Lock()
_current: LoopThread | None = None
_generation = 0


def loop_thread() -> LoopThread:
    """The process's loop thread, started on first use."""
    current = _current
    if current is not None:
        return current
    return _start()


def _start() -> LoopThread:
    global _current
    with _lock:
        if _current is None:
            _current = LoopThread(_generation)
        return _current


def current_generation() -> int:
    """Changes in a forked child, so objects made before the fork know to start afresh."""
    return _generation


def _after_fork_in_child() -> None:
    # The parent's loop thread does not exist here; its loop, sockets and locks are unusable.
    global _current, _generation, _lock
    _current = None
    _generation += 1
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
