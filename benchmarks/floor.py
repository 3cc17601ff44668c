"""The floor: raw aiohttp posting GetSecretValue with a minimal hand-written SigV4 signature.

No retries, no models, no error handling beyond ``raise_for_status``: what any client must
at least spend to make the call. The signing key is derived once per day, not per call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlsplit

import _data
import aiohttp

NAME = "floor (aiohttp + SigV4)"
BULK_METHOD = "BatchGetSecretValue x20, concurrent"
_CONTENT_TYPE = "application/x-amz-json-1.1"
_SIGNED_HEADERS = "content-type;host;x-amz-date;x-amz-target"
_SERVICE = "secretsmanager"


def versions() -> dict[str, str]:
    """Versions of the libraries this client runs on."""
    return {"aiohttp": aiohttp.__version__}


class Client:
    """Just enough of a Secrets Manager client to be the floor."""

    def __init__(self, endpoint: str) -> None:
        self._url = endpoint.rstrip("/") + "/"
        self._host = urlsplit(endpoint).netloc
        self._datestamp = ""
        self._key = b""
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._session is not None
        await self._session.close()

    def _sign(self, target: str, body: bytes) -> dict[str, str]:
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        datestamp = amz_date[:8]
        if datestamp != self._datestamp:
            key = ("AWS4" + _data.SECRET_KEY).encode()
            for part in (datestamp, _data.REGION, _SERVICE, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._key, self._datestamp = key, datestamp
        canonical = (
            f"POST\n/\n\ncontent-type:{_CONTENT_TYPE}\nhost:{self._host}\n"
            f"x-amz-date:{amz_date}\nx-amz-target:{target}\n\n{_SIGNED_HEADERS}\n"
            + hashlib.sha256(body).hexdigest()
        )
        scope = f"{datestamp}/{_data.REGION}/{_SERVICE}/aws4_request"
        to_sign = (
            f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n"
            + hashlib.sha256(canonical.encode()).hexdigest()
        )
        signature = hmac.new(self._key, to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Content-Type": _CONTENT_TYPE,
            "X-Amz-Date": amz_date,
            "X-Amz-Target": target,
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={_data.ACCESS_KEY}/{scope}, "
                f"SignedHeaders={_SIGNED_HEADERS}, Signature={signature}"
            ),
        }

    async def _call(self, operation: str, params: dict[str, Any]) -> Any:
        assert self._session is not None
        body = json.dumps(params).encode()
        target = "secretsmanager." + operation
        async with self._session.post(
            self._url, data=body, headers=self._sign(target, body)
        ) as response:
            response.raise_for_status()
            return json.loads(await response.read())

    async def get(self, secret_id: str) -> str:
        """GetSecretValue; returns the SecretString."""
        result = await self._call("GetSecretValue", {"SecretId": secret_id})
        return str(result["SecretString"])

    async def bulk(self, ids: list[str]) -> dict[str, str]:
        """All of ``ids`` through concurrent BatchGetSecretValue calls of 20."""
        import asyncio

        pages = await asyncio.gather(
            *(
                self._call("BatchGetSecretValue", {"SecretIdList": ids[i : i + 20]})
                for i in range(0, len(ids), 20)
            )
        )
        return {v["Name"]: v["SecretString"] for page in pages for v in page["SecretValues"]}
