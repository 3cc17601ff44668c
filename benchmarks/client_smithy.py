"""AWS's smithy-based ``aws-sdk-secrets-manager`` (needs Python 3.12+)."""

from __future__ import annotations

import asyncio
import sys
from importlib.metadata import version
from typing import Any

if sys.version_info < (3, 12):
    raise ImportError(
        f"aws-sdk-secrets-manager needs Python 3.12+, this is {sys.version.split()[0]}"
    )

import _data
from aws_sdk_secrets_manager.client import AsyncSecretsManagerClient
from aws_sdk_secrets_manager.config import AsyncSecretsManagerConfig
from aws_sdk_secrets_manager.models import BatchGetSecretValueInput, GetSecretValueInput

NAME = "aws-sdk-secrets-manager (smithy)"
BULK_METHOD = "batch_get_secret_value x20, concurrent"


def versions() -> dict[str, str]:
    """Versions of the libraries this client runs on."""
    return {
        name: version(name)
        for name in ("aws-sdk-secrets-manager", "smithy-core", "smithy-http", "aiohttp")
    }


class Client:
    """Adapter: one smithy client for the life of the context."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._client: Any = None

    async def __aenter__(self) -> Client:
        config = await AsyncSecretsManagerConfig.resolve(
            endpoint_uri=self._endpoint,
            region=_data.REGION,
            aws_access_key_id=_data.ACCESS_KEY,
            aws_secret_access_key=_data.SECRET_KEY,
            config_file_path="/dev/null",
            credentials_file_path="/dev/null",
        )
        self._client = AsyncSecretsManagerClient(config=config)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.close()

    async def get(self, secret_id: str) -> str:
        """GetSecretValue; returns the SecretString."""
        result = await self._client.get_secret_value(GetSecretValueInput(secret_id=secret_id))
        return str(result.secret_string)

    async def bulk(self, ids: list[str]) -> dict[str, str]:
        """All of ``ids`` through concurrent BatchGetSecretValue calls of 20."""
        pages = await asyncio.gather(
            *(
                self._client.batch_get_secret_value(
                    BatchGetSecretValueInput(secret_id_list=ids[i : i + 20])
                )
                for i in range(0, len(ids), 20)
            )
        )
        return {v.name: v.secret_string for page in pages for v in page.secret_values or ()}
