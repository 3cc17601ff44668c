"""A synchronous face of the client and the cache, for Flask, Django and sync handlers.

``from secretsmanager_async.sync import SecretsManagerClient, SecretCache``: the same methods,
arguments, models and errors as the async names, without ``await``. One private event loop
thread per process serves every sync client and cache, so the async implementation is the
only one; clients and caches are safe to share between threads. Nothing here is imported by
``import secretsmanager_async``.
"""

from ._bridge import Paginator
from ._cache import SecretCache
from ._client import ClientView, SecretsManagerClient

__all__ = ["ClientView", "Paginator", "SecretCache", "SecretsManagerClient"]
