"""This library, secretsmanager_async, as a benchmark client."""

from __future__ import annotations

import asyncio
from typing import Any

from secretsmanager_async import SecretsManagerClient, __version__

try:
    from secretsmanager_async import Credentials
except ImportError:  # before the public export lands
    from secretsmanager_async._credentials.base import Credentials

import _data

NAME = "secretsmanager_async"
BULK_METHOD = "get_secret_values (else gather of get_secret_value)"
_FALLBACK_LIMIT = 64


def versions() -> dict[str, str]:
    """Versions of the libraries this client runs on."""
    import aiohttp

    return {"secretsmanager-async": __version__, "aiohttp": aiohttp.__version__}


def _text(item: Any) -> str:
    """The SecretString of a result, whatever shape ``get_secret_values`` gives it."""
    return item if isinstance(item, str) else str(item.secret_string)


class Client:
    """Adapter: one SecretsManagerClient for the life of the context."""

    def __init__(self, endpoint: str) -> None:
        self._client = SecretsManagerClient(
            region=_data.REGION,
            endpoint_url=endpoint,
            credentials=Credentials(_data.ACCESS_KEY, _data.SECRET_KEY),
        )

    async def __aenter__(self) -> Client:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.__aexit__(None, None, None)

    async def get(self, secret_id: str) -> str:
        """GetSecretValue; returns the SecretString."""
        result = await self._client.get_secret_value(secret_id=secret_id)
        return str(result.secret_string)

    async def bulk(self, ids: list[str]) -> dict[str, str]:
        """All of ``ids`` the library's own bulk way, if it has one."""
        bulk = getattr(self._client, "get_secret_values", None)
        if bulk is not None:
            # like the other clients here, all chunks in flight at once (the library's
            # default bound of 10 is there to respect the service's request quota)
            result = await bulk(ids, max_concurrency=len(ids) // 20 + 1)
            values = getattr(result, "values", None)
            if isinstance(values, dict):
                # BulkResult, read as its guide reads it: fail on any id's error, else its values
                result.raise_for_errors()
                return {key: str(entry.secret_string) for key, entry in values.items()}
            keys = list(result)
            if keys and isinstance(keys[0], str):
                # mapping-like (BulkResult): iterates the requested ids; [] raises an id's error
                return {key: _text(result[key]) for key in keys}
            return {item.name: _text(item) for item in keys}
        limit = asyncio.Semaphore(_FALLBACK_LIMIT)

        async def one(secret_id: str) -> tuple[str, str]:
            async with limit:
                return secret_id, await self.get(secret_id)

        return dict(await asyncio.gather(*(one(i) for i in ids)))
