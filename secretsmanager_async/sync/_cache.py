"""The synchronous cache: the async :class:`SecretCache`, run on the shared loop thread."""

from __future__ import annotations

from typing import Any

from .._cache import CacheStats
from .._cache import SecretCache as AsyncCache
from ._bridge import SyncFacade, SyncMethod, SyncPlain
from ._client import SecretsManagerClient

_C = AsyncCache


class SecretCache(SyncFacade):
    """A thread-safe, synchronous cache of secret values over a sync client.

    The same cache as the async one (single-flight fetches, refresh-ahead, stale-if-error,
    eviction), with the same arguments, for code without an event loop::

        client = SecretsManagerClient(region="eu-west-1")
        cache = SecretCache(client, ttl=300)
        password = cache.get_secret_string("prod/db")

    Reads from many threads share one fetch per secret. The cache never closes the client.
    """

    def __init__(self, client: SecretsManagerClient, **kwargs: Any) -> None:
        self._client = client
        # created on the loop thread: the async cache's locks and tasks live there
        self._inner: AsyncCache = self._run(_make(client, kwargs))

    def __repr__(self) -> str:
        return repr(self._inner).replace("<SecretCache", "<sync SecretCache", 1)

    def _target(self) -> AsyncCache:
        return self._inner

    @property
    def stats(self) -> CacheStats:
        """The counters so far."""
        return self._inner.stats

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._inner.closed

    close = SyncMethod(_C.close)
    get_secret_string = SyncMethod(_C.get_secret_string)
    get_secret_binary = SyncMethod(_C.get_secret_binary)
    get_secret_json = SyncMethod(_C.get_secret_json)
    get_secret_model = SyncMethod(_C.get_secret_model)
    refresh = SyncMethod(_C.refresh)
    warm = SyncMethod(_C.warm)
    invalidate = SyncPlain(_C.invalidate)
    clear = SyncPlain(_C.clear)
    #: callbacks run on the loop thread (a sync one there, an async one as a task)
    on_change = SyncPlain(_C.on_change)


async def _make(client: SecretsManagerClient, kwargs: dict[str, Any]) -> AsyncCache:
    return AsyncCache(client.aio, **kwargs)
