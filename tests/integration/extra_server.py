"""A small local Secrets Manager endpoint for the five operations moto's server lacks.

It speaks the same AWS JSON 1.1 protocol over real HTTP on 127.0.0.1, checks each request is
a signed JSON 1.1 call, keeps a little state, and answers with the model's output shapes and
modeled errors.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

ACCOUNT = "123456789012"


class ExtraOpsServer:
    """AssociateCrossAccountReplica, DisassociateCrossAccountReplica, ListResourcePolicies,
    StopReplicationToReplica and ValidateResourcePolicy, from the model."""

    def __init__(self) -> None:
        self.secrets: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    def add_secret(self, name: str, *, policies: int = 1, replicated: bool = True) -> str:
        arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-{uuid.uuid4().hex[:6]}"
        self.secrets[name] = {
            "arn": arn,
            "policies": [f"policy-{i}" for i in range(policies)],
            "replicated": replicated,
            "cross_account": set(),
        }
        return arn

    def _find(self, secret_id: str) -> dict[str, Any] | None:
        for name, secret in self.secrets.items():
            if secret_id in (name, secret["arn"]):
                return secret
        return None

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
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def _error(code: str, message: str, status: int = 400) -> web.Response:
        return web.json_response(
            {"__type": code, "message": message},
            status=status,
            headers={"x-amzn-RequestId": str(uuid.uuid4())},
            content_type="application/x-amz-json-1.1",
        )

    async def _handle(self, request: web.Request) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        auth = request.headers.get("Authorization", "")
        if request.content_type != "application/x-amz-json-1.1":
            return self._error("UnsupportedMediaType", "expected application/x-amz-json-1.1", 415)
        if (
            not auth.startswith("AWS4-HMAC-SHA256 Credential=")
            or "X-Amz-Date" not in request.headers
        ):
            return self._error("MissingAuthenticationTokenException", "request is not signed", 403)
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            return self._error("SerializationException", "body is not JSON")
        op = target.removeprefix("secretsmanager.")
        self.requests.append((op, body, dict(request.headers)))
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            return self._error("UnknownOperationException", f"no operation {op}")
        result = handler(body)
        if isinstance(result, web.Response):
            return result
        return web.Response(
            body=json.dumps(result).encode(),
            headers={"x-amzn-RequestId": str(uuid.uuid4())},
            content_type="application/x-amz-json-1.1",
        )

    def _secret_or_error(self, body: dict[str, Any]) -> dict[str, Any] | web.Response:
        secret_id = body.get("SecretId")
        if not isinstance(secret_id, str):
            return self._error("InvalidParameterException", "SecretId is required")
        secret = self._find(secret_id)
        if secret is None:
            return self._error(
                "ResourceNotFoundException", "Secrets Manager can't find the specified secret."
            )
        return secret

    def _op_AssociateCrossAccountReplica(self, body: dict[str, Any]) -> Any:
        secret = self._secret_or_error(body)
        if isinstance(secret, web.Response):
            return secret
        replica = body["CrossAccountReplicaARN"]
        if replica in secret["cross_account"]:
            return self._error("InvalidRequestException", "the replica is already associated")
        secret["cross_account"].add(replica)
        return {
            "ARN": secret["arn"],
            "CrossAccountReplicaARN": replica,
            "ReplicationStatus": "InProgress",
        }

    def _op_DisassociateCrossAccountReplica(self, body: dict[str, Any]) -> Any:
        secret = self._secret_or_error(body)
        if isinstance(secret, web.Response):
            return secret
        replica = body["CrossAccountReplicaARN"]
        if replica not in secret["cross_account"]:
            return self._error("InvalidRequestException", "the replica is not associated")
        secret["cross_account"].discard(replica)
        return {"ARN": secret["arn"], "CrossAccountReplicaARN": replica}

    def _op_ListResourcePolicies(self, body: dict[str, Any]) -> Any:
        secret = self._secret_or_error(body)
        if isinstance(secret, web.Response):
            return secret
        policies = secret["policies"]
        start = 0
        if body.get("NextToken") is not None:
            try:
                start = int(body["NextToken"])
            except ValueError:
                return self._error("InvalidNextTokenException", "bad token")
        size = int(body.get("MaxResults") or 100)
        page = policies[start : start + size]
        result: dict[str, Any] = {"ResourcePolicies": [{"PolicyName": p} for p in page]}
        if start + size < len(policies):
            result["NextToken"] = str(start + size)
        return result

    def _op_StopReplicationToReplica(self, body: dict[str, Any]) -> Any:
        secret = self._secret_or_error(body)
        if isinstance(secret, web.Response):
            return secret
        if not secret["replicated"]:
            return self._error("InvalidRequestException", "the secret is not a replica")
        secret["replicated"] = False
        return {"ARN": secret["arn"]}

    def _op_ValidateResourcePolicy(self, body: dict[str, Any]) -> Any:
        if "SecretId" in body:
            secret = self._secret_or_error(body)
            if isinstance(secret, web.Response):
                return secret
        try:
            policy = json.loads(body["ResourcePolicy"])
        except (ValueError, KeyError):
            return self._error("MalformedPolicyDocumentException", "the policy is not valid JSON")
        errors = []
        if "Statement" not in policy:
            errors.append({"CheckName": "Statement", "ErrorMessage": "a Statement is required"})
        return {"PolicyValidationPassed": not errors, "ValidationErrors": errors}
