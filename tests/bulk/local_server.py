"""A small Secrets Manager endpoint on 127.0.0.1 that counts requests and injects faults.

It answers GetSecretValue, BatchGetSecretValue (by SecretIdList) and DescribeSecret over
real HTTP with the JSON 1.1 protocol. Tests steer it: deny the batch call, fail chosen
secrets with chosen errors, drop ids from batch responses, hold requests at a gate, rotate
values, schedule rotations.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import uuid
from typing import Any

from aiohttp import web

ACCOUNT = "123456789012"
#: fault name -> (error code, HTTP status); "reset" drops the connection instead
FAULTS = {
    "throttle": ("ThrottlingException", 400),
    "internal": ("InternalServiceError", 500),
    "denied": ("AccessDeniedException", 400),
    "notfound": ("ResourceNotFoundException", 400),
    "decrypt": ("DecryptionFailure", 400),
}


def version_id(n: int) -> str:
    """The id of a secret's ``n``-th version (as long as the service's: 32 to 64 characters)."""
    return f"{n:08d}-0000-4000-8000-000000000000"


class LocalSecretsServer:
    """Serves secrets from memory; ``counts[operation]`` tells how often each was called."""

    def __init__(self) -> None:
        self.secrets: dict[str, dict[str, Any]] = {}
        self.counts: collections.Counter[str] = collections.Counter()
        self.batch_sizes: list[int] = []
        #: BatchGetSecretValue answers AccessDeniedException
        self.deny_batch = False
        #: DescribeSecret answers AccessDeniedException
        self.deny_describe = False
        #: secret id (name or ARN) or "*" -> fault name, for GetSecretValue
        self.fail: dict[str, str] = {}
        #: secret id -> error code reported in a batch response's Errors
        self.batch_errors: dict[str, str] = {}
        #: ids a batch response leaves out entirely
        self.omit: set[str] = set()
        #: when set, every request waits for it before answering
        self.gate: asyncio.Event | None = None
        #: the next this many BatchGetSecretValue / GetSecretValue calls are throttled
        self.throttle_batch = 0
        self.throttle_get = 0
        #: (operation, "throttled" or "ok") in the order answered
        self.log: list[tuple[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    # -- state ---------------------------------------------------------------------------------

    def add(self, name: str, value: str | bytes) -> str:
        """Create a secret; returns its full ARN."""
        arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-{uuid.uuid4().hex[:6]}"
        self.secrets[name] = {
            "arn": arn,
            "name": name,
            "value": value,
            "version": 1,
            # epoch seconds of the next rotation, reported by DescribeSecret when set
            "next_rotation": None,
        }
        return arn

    def rotate(self, name: str, value: str | bytes) -> None:
        """Give a secret a new current value and version."""
        secret = self.secrets[name]
        secret["value"] = value
        secret["version"] += 1

    def find(self, secret_id: str) -> dict[str, Any] | None:
        secret = self.secrets.get(secret_id)
        if secret is not None:
            return secret
        for s in self.secrets.values():
            if secret_id == s["arn"]:
                return s
        return None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.gate is not None:
            self.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- protocol ------------------------------------------------------------------------------

    @staticmethod
    def _error(code: str, message: str, status: int = 400) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps({"__type": code, "Message": message}).encode(),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "x-amzn-RequestId": str(uuid.uuid4()),
            },
        )

    @staticmethod
    def _ok(body: dict[str, Any]) -> web.Response:
        return web.Response(
            body=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "x-amzn-RequestId": str(uuid.uuid4()),
            },
        )

    @staticmethod
    def _entry(secret: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "ARN": secret["arn"],
            "Name": secret["name"],
            "VersionId": version_id(secret["version"]),
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": 1_700_000_000.0,
        }
        value = secret["value"]
        if isinstance(value, bytes):
            entry["SecretBinary"] = base64.b64encode(value).decode()
        else:
            entry["SecretString"] = value
        return entry

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        operation = request.headers.get("X-Amz-Target", "").rpartition(".")[2]
        self.counts[operation] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            params = json.loads(await request.read() or b"{}")
            if operation == "BatchGetSecretValue" and self.throttle_batch > 0:
                self.throttle_batch -= 1
                self.log.append((operation, "throttled"))
                return self._error("ThrottlingException", "Rate exceeded")
            if operation == "GetSecretValue" and self.throttle_get > 0:
                self.throttle_get -= 1
                self.log.append((operation, "throttled"))
                return self._error("ThrottlingException", "Rate exceeded")
            self.log.append((operation, "ok"))
            if operation == "GetSecretValue":
                return self._get(request, params)
            if operation == "BatchGetSecretValue":
                return self._batch(params)
            if operation == "DescribeSecret":
                return self._describe(request, params)
            return self._error("UnknownOperationException", operation)
        finally:
            self.in_flight -= 1

    def _get(self, request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
        secret_id = params["SecretId"]
        fault = self.fail.get(secret_id) or self.fail.get("*")
        if fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response()
        if fault is not None:
            code, status = FAULTS[fault]
            return self._error(code, f"injected {fault}", status)
        secret = self.find(secret_id)
        if secret is None:
            return self._error("ResourceNotFoundException", "Secrets Manager can't find it.")
        if params.get("VersionStage") not in (None, "AWSCURRENT"):
            return self._error("ResourceNotFoundException", "no such version stage")
        return self._ok(self._entry(secret))

    def _describe(self, request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
        if self.deny_describe:
            return self._error("AccessDeniedException", "not authorized to perform DescribeSecret")
        secret_id = params["SecretId"]
        fault = self.fail.get(secret_id) or self.fail.get("*")
        if fault == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response()
        if fault is not None:
            code, status = FAULTS[fault]
            return self._error(code, f"injected {fault}", status)
        secret = self.find(secret_id)
        if secret is None:
            return self._error("ResourceNotFoundException", "Secrets Manager can't find it.")
        body: dict[str, Any] = {
            "ARN": secret["arn"],
            "Name": secret["name"],
            "VersionIdsToStages": {version_id(secret["version"]): ["AWSCURRENT"]},
        }
        if secret["next_rotation"] is not None:
            body["RotationEnabled"] = True
            body["NextRotationDate"] = secret["next_rotation"]
        return self._ok(body)

    def _batch(self, params: dict[str, Any]) -> web.Response:
        if self.deny_batch:
            return self._error(
                "AccessDeniedException", "not authorized to perform BatchGetSecretValue"
            )
        ids = params.get("SecretIdList") or []
        self.batch_sizes.append(len(ids))
        if not 1 <= len(ids) <= 20 or any(i.startswith("bad!") for i in ids):
            return self._error("InvalidParameterException", "invalid SecretIdList")
        values: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for secret_id in ids:
            if secret_id in self.omit:
                continue
            code = self.batch_errors.get(secret_id)
            secret = self.find(secret_id)
            if code is None and secret is None:
                code = "ResourceNotFoundException"
            if code is not None:
                errors.append({"SecretId": secret_id, "ErrorCode": code, "Message": "per-id"})
            else:
                assert secret is not None
                values.append(self._entry(secret))
        return self._ok({"SecretValues": values, "Errors": errors})
