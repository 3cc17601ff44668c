"""aiobotocore, configured for the benchmark: explicit credentials, a 64-connection pool."""

from __future__ import annotations

import asyncio
from typing import Any

import _data
import aiobotocore
import botocore
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

NAME = "aiobotocore"
BULK_METHOD = "batch_get_secret_value x20, concurrent"


def versions() -> dict[str, str]:
    """Versions of the libraries this client runs on."""
    import aiohttp

    return {
        "aiobotocore": aiobotocore.__version__,
        "botocore": botocore.__version__,
        "aiohttp": aiohttp.__version__,
    }


class Client:
    """Adapter: one aiobotocore client for the life of the context."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._context: Any = None
        self._client: Any = None

    async def __aenter__(self) -> Client:
        self._context = get_session().create_client(
            "secretsmanager",
            region_name=_data.REGION,
            endpoint_url=self._endpoint,
            aws_access_key_id=_data.ACCESS_KEY,
            aws_secret_access_key=_data.SECRET_KEY,
            # the default pool of 10 would cap concurrency 64 below what we measure
            config=AioConfig(max_pool_connections=64),
        )
        self._client = await self._context.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._context.__aexit__(None, None, None)

    async def get(self, secret_id: str) -> str:
        """GetSecretValue; returns the SecretString."""
        result = await self._client.get_secret_value(SecretId=secret_id)
        return str(result["SecretString"])

    async def bulk(self, ids: list[str]) -> dict[str, str]:
        """All of ``ids`` through concurrent BatchGetSecretValue calls of 20."""
        pages = await asyncio.gather(
            *(
                self._client.batch_get_secret_value(SecretIdList=ids[i : i + 20])
                for i in range(0, len(ids), 20)
            )
        )
        return {v["Name"]: v["SecretString"] for page in pages for v in page["SecretValues"]}
