"""Cached credentials, refreshed before they expire, one refresh at a time.

Windows are measured before the expiration time:

* more than ``advisory_refresh`` seconds left (default 15 min): use the cached keys;
* inside the advisory window: the first caller starts a background refresh and everyone keeps
  using the cached keys; if that refresh fails the keys are kept, a warning is logged (no
  secrets), and the next attempt waits ``advisory_retry_delay`` seconds;
* inside the mandatory window (default 10 min) or past expiry: callers wait for the refresh.

Refreshes are single-flight: however many callers arrive, the provider is asked once per
refresh. Credentials without an expiration are cached forever and served from a fast path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from ..exceptions import NoCredentialsError
from .base import Credentials, CredentialsProvider

_log = logging.getLogger("secretsmanager_async.credentials")

ADVISORY_REFRESH_SECONDS = 15 * 60.0
MANDATORY_REFRESH_SECONDS = 10 * 60.0
ADVISORY_RETRY_DELAY_SECONDS = 30.0


class RefreshingCredentials:
    """Wraps a provider; :meth:`get` returns current credentials, refreshing when due."""

    __slots__ = (
        "_advisory",
        "_clock",
        "_creds",
        "_expires_at",
        "_mandatory",
        "_next_advisory",
        "_provider",
        "_retry_delay",
        "_task",
        "loads",
    )

    def __init__(
        self,
        provider: CredentialsProvider,
        *,
        advisory_refresh: float = ADVISORY_REFRESH_SECONDS,
        mandatory_refresh: float = MANDATORY_REFRESH_SECONDS,
        advisory_retry_delay: float = ADVISORY_RETRY_DELAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if mandatory_refresh > advisory_refresh:
            raise ValueError("the mandatory window must not be longer than the advisory one")
        self._provider = provider
        self._advisory = advisory_refresh
        self._mandatory = mandatory_refresh
        self._retry_delay = advisory_retry_delay
        self._clock = clock
        self._creds: Credentials | None = None
        #: expiration as epoch seconds; None for credentials that never expire
        self._expires_at: float | None = None
        self._next_advisory = 0.0
        self._task: asyncio.Task[Credentials] | None = None
        #: how many times the provider was asked (for tests and metrics)
        self.loads = 0

    def __repr__(self) -> str:
        return f"RefreshingCredentials(provider={self._provider!r}, cached={self._creds})"

    @property
    def provider(self) -> CredentialsProvider:
        """The wrapped provider."""
        return self._provider

    @property
    def current(self) -> Credentials | None:
        """The cached credentials, without refreshing (None before the first load)."""
        return self._creds

    async def get(self) -> Credentials:
        """Current credentials; loads or refreshes as the windows above say."""
        creds = self._creds
        if creds is not None:
            expires_at = self._expires_at
            if expires_at is None:
                return creds
            now = self._clock()
            remaining = expires_at - now
            if remaining > self._advisory:
                return creds
            if remaining > self._mandatory:
                if now >= self._next_advisory:
                    self._refresh_task()
                return creds
        return await asyncio.shield(self._refresh_task())

    def invalidate(self) -> None:
        """Drop the cached credentials (e.g. after the service rejected them)."""
        self._creds = None
        self._expires_at = None

    async def aclose(self) -> None:
        """Cancel a refresh in flight."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            # cancelled or failed: either way it is over
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _refresh_task(self) -> asyncio.Task[Credentials]:
        task = self._task
        loop = asyncio.get_running_loop()
        # a task from another (finished) loop would never complete here
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(self._load())
            task.add_done_callback(self._on_done)
            self._task = task
        return task

    async def _load(self) -> Credentials:
        self.loads += 1
        creds = await self._provider.load()
        if creds is None:
            raise NoCredentialsError(f"{self._provider!r} returned no credentials")
        expires_at = creds.expiration.timestamp() if creds.expiration else None
        if expires_at is not None and expires_at <= self._clock():
            # keep whatever we had: a refresh that yields dead keys has failed
            raise NoCredentialsError(
                f"{self._provider!r} returned credentials that have already expired"
            )
        self._creds = creds
        self._expires_at = expires_at
        return creds

    def _on_done(self, task: asyncio.Task[Credentials]) -> None:
        if task.cancelled():
            return
        exc = task.exception()  # also marks it retrieved: waiters may all be gone
        if exc is None:
            return
        self._next_advisory = self._clock() + self._retry_delay
        creds, expires_at = self._creds, self._expires_at
        if creds is not None and expires_at is not None and expires_at > self._clock():
            _log.warning(
                "credentials refresh failed (%s: %s); still using access key %s, which "
                "expires in %.0f s",
                type(exc).__name__,
                exc,
                creds.access_key_id,
                expires_at - self._clock(),
            )
