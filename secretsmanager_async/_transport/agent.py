"""Reads through the Secrets Manager Agent or the Lambda Parameters and Secrets extension.

Both serve ``GET /secretsmanager/get?secretId=...`` (with ``versionId``, ``versionStage`` and
``refreshNow``) on the host, port 2773 by default, from a cache they keep fresh, so a fleet's
reads stop counting against the account's API quota. Each request carries an SSRF token in
``X-Aws-Parameters-Secrets-Token``.

:class:`AgentTransport` wraps the normal transport. The stack signs every request before the
transport sees it; for a GetSecretValue the signed request is dropped and a plain GET built
from its body goes to the agent, carrying the SSRF token and nothing else (no signature, date
or session token). Every other operation, and a read while the agent refuses connections (a
Lambda extension is not reachable during INIT), goes to the service as signed.

Agent answers become the service's: its JSON errors keep their ``__type`` and status, and its
plain-text refusals get a matching code (403 AccessDeniedException, 429 ThrottlingException,
400 InvalidParameterException, 404/405 InvalidRequestException, 5xx InternalServiceError).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

from .._protocol.http import FRESH_READS, HttpRequest, HttpResponse
from ..exceptions import ConfigurationError, ConnectError, TLSError
from .base import Transport

__all__ = ["DEFAULT_AGENT_PORT", "TOKEN_ENV_VARS", "AgentTransport"]

DEFAULT_AGENT_PORT = 2773
#: where the token is looked up, in this order (the agent's and the extension's defaults)
TOKEN_ENV_VARS = ("AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN")
TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"  # noqa: S105 - a header name
_TARGET = "secretsmanager.GetSecretValue"
_MAX_TOKEN_FILE_BYTES = 64 * 1024
_MAX_MESSAGE = 200
_PLAIN_ERRORS = {
    400: "InvalidParameterException",
    403: "AccessDeniedException",
    404: "InvalidRequestException",
    405: "InvalidRequestException",
    429: "ThrottlingException",
}


class AgentTransport:
    """A :class:`Transport` that reads secret values through the local agent.

    ``SecretsManagerClient(transport=AgentTransport())`` reads GetSecretValue from
    ``http://localhost:2773`` and sends everything else to the service. ``service`` is the
    transport for the service (default: an aiohttp transport with default settings);
    ``agent`` the one for the agent (default: aiohttp without proxies, 1 s to connect, 30 s to
    read). ``token`` is the SSRF token, or ``file://path`` naming a file that holds it; by
    default the first of ``AWS_TOKEN``, ``AWS_SESSION_TOKEN`` and
    ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` that is set. Inside
    :func:`~secretsmanager_async.fresh_reads` (which ``SecretCache.refresh`` uses) reads ask
    the agent to refresh (``refreshNow=true``).
    """

    def __init__(
        self,
        *,
        host: str = "localhost",
        port: int = DEFAULT_AGENT_PORT,
        token: str | None = None,
        token_env_vars: Sequence[str] = TOKEN_ENV_VARS,
        service: Transport | None = None,
        agent: Transport | None = None,
    ) -> None:
        if not 0 < port < 65536:
            raise ConfigurationError(f"port: {port} is not a TCP port")
        self.url = f"http://{host}:{port}/secretsmanager/get?"
        self._token_source = token
        self._token_env_vars = tuple(token_env_vars)
        self._token: str | None = None
        self._service = service
        self._owns_service = service is None
        self._agent = agent
        self._owns_agent = agent is None
        #: reads answered by the agent, and reads sent to the service because it refused
        self.agent_reads = 0
        self.fallbacks = 0

    def __repr__(self) -> str:
        return f"AgentTransport({self.url.rstrip('?')!r})"  # never the token

    @property
    def session_created(self) -> bool:
        """True once a transport this one created holds connections to close."""
        return any(
            getattr(t, "session_created", False)
            for t, owned in ((self._service, self._owns_service), (self._agent, self._owns_agent))
            if owned
        )

    def _service_transport(self) -> Transport:
        if self._service is None:
            from .aiohttp import AiohttpTransport

            self._service = AiohttpTransport()
        return self._service

    def _agent_transport(self) -> Transport:
        if self._agent is None:
            from .aiohttp import AiohttpTransport

            # never through a proxy: the token must not leave the host
            self._agent = AiohttpTransport(connect_timeout=1.0, read_timeout=30.0, trust_env=False)
        return self._agent

    async def _get_token(self) -> str:
        if self._token is None:
            source = self._token_source
            if source is None:
                for name in self._token_env_vars:
                    source = os.environ.get(name)
                    if source:
                        break
                else:
                    raise ConfigurationError(
                        "token: no SSRF token for the Secrets Manager Agent; set one of "
                        f"{', '.join(self._token_env_vars)} or pass token=..."
                    )
            if source.startswith("file://"):
                source = await asyncio.to_thread(_read_token_file, source[len("file://") :])
            self._token = source
        return self._token

    async def send(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("X-Amz-Target") != _TARGET:
            return await self._service_transport().send(request)
        query = _query(request.body)
        if query is None:  # not a body we understand: let the service answer it
            return await self._service_transport().send(request)
        if FRESH_READS.get():
            query.append(("refreshNow", "true"))
        get = HttpRequest(
            "GET",
            self.url + urlencode(query),
            {TOKEN_HEADER: await self._get_token()},
            b"",
            request.context,
        )
        try:
            response = await self._agent_transport().send(get)
        except TLSError:
            raise
        except ConnectError:
            # not running, or not yet (a Lambda extension during INIT): ask the service
            self.fallbacks += 1
            return await self._service_transport().send(request)
        self.agent_reads += 1
        return _as_service_response(response)

    async def __aenter__(self) -> AgentTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the transports this one created (a client never closes a transport passed in)."""
        for transport, owned in (
            (self._agent, self._owns_agent),
            (self._service, self._owns_service),
        ):
            if owned and transport is not None:
                await transport.close()


def _read_token_file(path: str) -> str:
    try:
        with Path(path).open("rb") as f:
            data = f.read(_MAX_TOKEN_FILE_BYTES + 1)
    except OSError as e:
        raise ConfigurationError(
            f"token: cannot read the SSRF token file {path}: {e.strerror}"
        ) from None
    if len(data) > _MAX_TOKEN_FILE_BYTES:
        raise ConfigurationError(f"token: the SSRF token file {path} is larger than 64 KiB")
    token = data.decode("utf-8", "replace").strip()
    if not token:
        raise ConfigurationError(f"token: the SSRF token file {path} is empty")
    return token


def _query(body: bytes) -> list[tuple[str, str]] | None:
    try:
        params = json.loads(body)
    except ValueError:
        return None
    if not isinstance(params, dict) or not isinstance(params.get("SecretId"), str):
        return None
    query = [("secretId", params["SecretId"])]
    for key, name in (("VersionId", "versionId"), ("VersionStage", "versionStage")):
        value = params.get(key)
        if isinstance(value, str):
            query.append((name, value))
    return query


def _as_service_response(response: HttpResponse) -> HttpResponse:
    """The agent's answer as the service would give it."""
    status = response.status
    if status < 300:
        return response
    try:
        body = json.loads(response.body)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("__type"), str):
        return response  # the service's own error, relayed with its status
    code = _PLAIN_ERRORS.get(status, "InternalServiceError" if status >= 500 else "AgentError")
    text = response.body[:_MAX_MESSAGE].decode("utf-8", "replace").strip()
    message = f"Secrets Manager Agent answered HTTP {status}: {text or 'no message'}"
    return HttpResponse(
        status,
        {"content-type": "application/x-amz-json-1.1"},
        json.dumps({"__type": code, "message": message}).encode(),
    )
