"""The aiohttp implementation of :class:`~.common.CredentialsHttp`.

Imported only by code that builds a chain over aiohttp (the client); providers never import it.
aiohttp errors become our :class:`~secretsmanager_async.exceptions.TransportError` subclasses
through the transport's one mapping function.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import aiohttp

from .._transport.aiohttp import _map_error


class AiohttpCredentialsHttp:
    """Sends the providers' requests with per-request connect/read timeouts.

    Pass ``session`` (or ``session_getter``, called on each request, for a session created
    lazily by the client) to share the client's connection pool. With neither, a private
    session is created on first use and closed by :meth:`aclose`; it ignores proxy variables
    (``trust_env=False`` by default) because the metadata endpoints are link-local.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        session_getter: Callable[[], aiohttp.ClientSession] | None = None,
        trust_env: bool = False,
    ) -> None:
        self._session = session
        self._getter = session_getter
        self._owns = session is None and session_getter is None
        self._trust_env = trust_env

    def __repr__(self) -> str:
        return f"AiohttpCredentialsHttp(owns_session={self._owns})"

    def _get_session(self) -> aiohttp.ClientSession:
        if self._getter is not None:
            return self._getter()
        session = self._session
        if session is None or (self._owns and session.closed):
            session = self._session = aiohttp.ClientSession(
                trust_env=self._trust_env,
                connector=aiohttp.TCPConnector(limit=8, force_close=False),
            )
        return session

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        connect_timeout: float,
        read_timeout: float,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request and read the whole body."""
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        session = self._get_session()
        try:
            async with session.request(
                method,
                url,
                headers=dict(headers),
                data=body or None,
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                payload = await response.read()
                return response.status, response.headers, payload
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise _map_error(e) from e

    async def aclose(self) -> None:
        """Close the private session, if one was created."""
        session = self._session
        if self._owns and session is not None and not session.closed:
            await session.close()
