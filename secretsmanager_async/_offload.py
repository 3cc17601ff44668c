"""Blocking setup work (the first call's imports) off the event loop, unless nothing waits.

A worker thread keeps the loop responsive while a first call imports aiohttp (100+ ms), but it
costs a short-lived process more than it saves: starting the thread pool, a thread handoff
each way (on a busy machine each one waits for a CPU) and, when ``asyncio.run`` ends, joining
the pool. A script or a Lambda cold start has nothing else on its loop for the work to delay.

So the work runs inline when the loop is provably idle: the calling task is its only task, no
callback is ready, no timer is scheduled and no file descriptor is watched except the loop's
own wake-up pipe. That is read from attributes of the standard library's selector loops;
any other loop (uvloop, the Windows proactor), and a loop in debug mode, gets the thread.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def loop_is_idle() -> bool:
    """True when blocking the running loop now delays nothing else scheduled on it."""
    loop = asyncio.get_running_loop()
    # debug mode reports slow callbacks: there the work stays off the loop, as it always was
    if loop.get_debug() or not isinstance(loop, asyncio.selector_events.BaseSelectorEventLoop):
        return False
    # private to asyncio, unchanged since 3.4; missing ones mean "busy"
    ready = getattr(loop, "_ready", None)
    scheduled = getattr(loop, "_scheduled", None)
    selector = getattr(loop, "_selector", None)
    if ready is None or scheduled is None or selector is None:
        return False
    # a cancelled handle stays queued until the loop drops it, and will never run
    if any(not handle.cancelled() for handle in (*ready, *scheduled)):
        return False
    # the loop's self-pipe is always registered: one more descriptor is someone's I/O
    if len(selector.get_map()) > 1:
        return False
    tasks = asyncio.all_tasks(loop)
    return len(tasks) == 1 and asyncio.current_task(loop) in tasks


async def off_loop(fn: Callable[[], T]) -> T:
    """``fn()`` in a worker thread, or right here when the loop is idle (see the module doc)."""
    if loop_is_idle():
        return fn()
    return await asyncio.to_thread(fn)
