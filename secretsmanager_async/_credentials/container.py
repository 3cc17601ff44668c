"""Container credentials: ECS task roles and EKS Pod Identity.

``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` is a path on the ECS agent (169.254.170.2);
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` is a whole URL, allowed only for botocore's hosts: any
loopback address, 169.254.170.2 (ECS), 169.254.170.23 and fd00:ec2::23 (EKS Pod Identity), and
localhost. The ``Authorization`` header comes from ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``
(read on every load: EKS rotates it) or ``AWS_CONTAINER_AUTHORIZATION_TOKEN``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit

from ..exceptions import TransportError
from .base import Credentials
from .common import CredentialRetrievalError, CredentialsHttp, credentials_from_json

_log = logging.getLogger("secretsmanager_async.credentials")

ECS_HOST = "169.254.170.2"
ALLOWED_HOSTS = frozenset({ECS_HOST, "169.254.170.23", "fd00:ec2::23", "localhost"})
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 2.0
ATTEMPTS = 3
_PROVIDER = "container"


def _is_allowed_host(host: str | None) -> bool:
    if not host:
        return False
    if host in ALLOWED_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_file(path: str) -> str:
    from .._files import read_regular_file  # a FIFO would block its thread forever

    return read_regular_file(path)


class ContainerProvider:
    """Credentials from the ECS / EKS Pod Identity credentials endpoint."""

    name = _PROVIDER

    def __init__(
        self,
        http: CredentialsHttp,
        *,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._environ = environ
        self._sleep = sleep

    def __repr__(self) -> str:
        return "ContainerProvider()"

    def _env(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def configured(self) -> bool:
        """Whether either URI variable is set."""
        env = self._env()
        return bool(
            env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            or env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        )

    def url(self) -> str:
        """The endpoint URL, after the allowed-host check."""
        env = self._env()
        relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        if relative:
            return f"http://{ECS_HOST}{relative if relative.startswith('/') else '/' + relative}"
        full = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        parts = urlsplit(full)
        if parts.scheme not in ("http", "https") or not _is_allowed_host(parts.hostname):
            raise CredentialRetrievalError(
                _PROVIDER,
                f"AWS_CONTAINER_CREDENTIALS_FULL_URI host {parts.hostname!r} is not allowed: use a "
                f"loopback address or one of {', '.join(sorted(ALLOWED_HOSTS))}",
            )
        return full

    async def _headers(self) -> dict[str, str]:
        env = self._env()
        token: str | None = None
        token_file = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        if token_file:
            try:
                token = (await asyncio.to_thread(_read_file, token_file)).strip()
            except OSError as exc:
                raise CredentialRetrievalError(
                    _PROVIDER,
                    f"cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {token_file!r}: "
                    f"{exc.strerror or type(exc).__name__}",
                ) from None
        elif env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"):
            token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        if token is None:
            return {"Accept": "application/json"}
        if "\r" in token or "\n" in token:
            # a header injection guard, as in botocore
            raise CredentialRetrievalError(_PROVIDER, "the authorization token contains a newline")
        return {"Accept": "application/json", "Authorization": token}

    async def load(self) -> Credentials | None:
        """None outside a container; once configured, failures raise (no fall-through)."""
        if not self.configured():
            return None
        url = self.url()
        headers = await self._headers()
        problem = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                await self._sleep(1.0)
            try:
                status, _, body = await self._http.request(
                    "GET",
                    url,
                    headers=headers,
                    connect_timeout=CONNECT_TIMEOUT,
                    read_timeout=READ_TIMEOUT,
                )
            except TransportError as exc:
                problem = type(exc).__name__
                _log.debug("container credentials attempt %d failed: %s", attempt + 1, problem)
                continue
            if status == 200:
                return credentials_from_json(_PROVIDER, body, session_field="Token")
            problem = f"HTTP {status}"
            if 400 <= status < 500:
                break  # the agent refused us (bad token, ...): retrying will not help
        raise CredentialRetrievalError(_PROVIDER, f"no credentials from {url}: {problem}")
