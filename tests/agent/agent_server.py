"""A stand-in for the Secrets Manager Agent's local API, on 127.0.0.1.

It follows the agent's documented behaviour (aws/aws-secretsmanager-agent, server.rs, parse.rs,
cache_manager.rs, utils.rs): only GET; the SSRF token header must match, else 403 "Bad Token";
an ``X-Forwarded-For`` header is refused with 400 "Forwarded"; ``/secretsmanager/get`` takes
``secretId``, ``versionId``, ``versionStage`` and ``refreshNow`` (true/false/1/0), anything else
is 400 "unknown parameter: ..."; service errors come back with the service's status and a JSON
body ``{"__type": ..., "message": ...}``; timeouts reaching the service are 504 ``TimeoutError``;
``CreatedDate`` is a string of epoch seconds.
"""

from __future__ import annotations

import collections
import json
from typing import Any

from aiohttp import web

TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"


class AgentStandIn:
    """Serves secrets from memory; records every request's headers and query."""

    def __init__(self, token: str) -> None:
        self.token = token
        #: secret id -> {stage: (version id, value)}
        self.secrets: dict[str, dict[str, tuple[str, str]]] = {}
        self.requests: list[tuple[dict[str, str], dict[str, str]]] = []
        self.counts: collections.Counter[str] = collections.Counter()
        #: the next responses to give instead: (status, body text)
        self.faults: collections.deque[tuple[int, str]] = collections.deque()
        self.url = ""
        self.port = 0
        self._runner: web.AppRunner | None = None

    def add(self, name: str, value: str, stage: str = "AWSCURRENT", version: str = "v1") -> None:
        self.secrets.setdefault(name, {})[stage] = (version, value)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def _service_error(status: int, code: str, message: str) -> web.Response:
        body = json.dumps({"__type": code, "message": message})
        return web.Response(status=status, text=body)

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), dict(request.query)))
        if request.headers.get("X-Forwarded-For"):
            return web.Response(status=400, text="Forwarded")
        if request.headers.get(TOKEN_HEADER) != self.token:
            return web.Response(status=403, text="Bad Token")
        if request.method != "GET":
            return web.Response(status=405, text="Not allowed")
        if request.path == "/ping":
            return web.Response(text="healthy")
        if request.path != "/secretsmanager/get":
            return web.Response(status=404, text="Not found")
        if self.faults:
            status, text = self.faults.popleft()
            return web.Response(status=status, text=text)
        query: dict[str, Any] = {}
        for key, value in request.query.items():
            if key not in ("secretId", "versionId", "versionStage", "refreshNow"):
                return web.Response(status=400, text=f"unknown parameter: {key}")
            query[key] = value
        if "secretId" not in query:
            return web.Response(status=400, text="missing parameter secretId")
        refresh = query.get("refreshNow", "false").lower()
        if refresh not in ("true", "1", "false", "0"):
            return web.Response(status=400, text="invalid refreshNow value")
        self.counts["refresh" if refresh in ("true", "1") else "read"] += 1
        versions = self.secrets.get(query["secretId"])
        if versions is None:
            return self._service_error(
                400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."
            )
        stage = query.get("versionStage")
        version_id = query.get("versionId")
        for name, (vid, value) in versions.items():
            if (stage is None or stage == name) and (version_id is None or version_id == vid):
                if stage is None and version_id is None and name != "AWSCURRENT":
                    continue
                arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
                body = {
                    "ARN": f"{arn}{query['secretId']}-AbCdEf",
                    "Name": query["secretId"],
                    "VersionId": vid,
                    "SecretString": value,
                    "VersionStages": [name],
                    "CreatedDate": "1700000000.123",
                }
                return web.Response(text=json.dumps(body))
        return self._service_error(
            400,
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret value for staging label: "
            + str(stage),
        )
