"""The aiohttp implementation of :class:`~.common.CredentialsHttp`.

Imported only by code that builds a chain over aiohttp (the client); providers never import it.
aiohttp errors become our :class:`~secretsmanager_async.exceptions.TransportError` subclasses
through the transport's one mapping function, chained from a stand-in as the transport does
(aiohttp's errors carry the request: STS signatures, container and SSO tokens). Each request
is bounded like a service call: a whole-request deadline and a cap on the body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import aiohttp

from .. import exceptions as exc
from .._transport.aiohttp import OriginalError, _map_error

#: the largest credentials response read: STS, IMDS, container and SSO documents are a few KB
MAX_BODY_BYTES = 1024 * 1024


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
        """Send one request and read the whole body (at most :data:`MAX_BODY_BYTES`)."""
        # total: a server dripping one byte per read_timeout cannot hold the request forever
        timeout = aiohttp.ClientTimeout(
            total=connect_timeout + 2 * read_timeout,
            sock_connect=connect_timeout,
            sock_read=read_timeout,
        )
        session = self._get_session()
        try:
            async with session.request(
                method,
                url,
                # never inflated: a compressed body is refused by the parsers, not unpacked
                headers={**headers, "Accept-Encoding": "identity"},
                data=body or None,
                timeout=timeout,
                allow_redirects=False,
                auto_decompress=False,
            ) as response:
                payload = await _read_bounded(response)
                return response.status, response.headers, payload
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            error, original = _map_error(e, read_timeout=read_timeout), OriginalError.of(e)
        raise error from original

    async def aclose(self) -> None:
        """Close the private session, if one was created."""
        session = self._session
        if self._owns and session is not None and not session.closed:
            await session.close()


async def _read_bounded(response: aiohttp.ClientResponse) -> bytes:
    length = response.content_length
    if length is not None and length > MAX_BODY_BYTES:
        response.close()  # not read: the connection cannot be reused
        raise _too_large(response)
    parts: list[bytes] = []
    size = 0
    while chunk := await response.content.readany():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            response.close()
            raise _too_large(response)
        parts.append(chunk)
    return b"".join(parts)


def _too_large(response: aiohttp.ClientResponse) -> exc.ResponseTooLargeError:
    host = response.url.host
    return exc.ResponseTooLargeError(
        f"a credentials response from {host} exceeds {MAX_BODY_BYTES} bytes; "
        "the connection was discarded",
        limit=MAX_BODY_BYTES,
        host=host,
    )
