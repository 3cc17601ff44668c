"""The aiohttp transport: the only module that imports aiohttp.

aiohttp's exceptions are mapped to ours at exactly one boundary, :func:`_map_error`, most
specific first, using aiohttp's typed timeout classes rather than message text.
"""

from __future__ import annotations

import asyncio
import ssl

import aiohttp
from yarl import URL

from .. import exceptions as exc
from .._http import HttpRequest, HttpResponse

AIOHTTP_VERSION = aiohttp.__version__
_MAX_CACHED_URLS = 256


class AiohttpTransport:
    """Sends requests over one shared :class:`aiohttp.ClientSession`.

    The session is created lazily inside the running loop (aiohttp needs one) and closed by
    :meth:`close` only when this transport created it: a session passed in stays the caller's.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        max_connections: int = 128,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 30.0,
        ca_bundle: str | None = None,
        verify_ssl: bool = True,
        trust_env: bool = True,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._ca_bundle = ca_bundle
        self._ssl_context: ssl.SSLContext | None = None
        self._verify_ssl = verify_ssl
        self._trust_env = trust_env
        # A URL string parses (and its proxy and TLS settings resolve) once: our URLs repeat.
        self._urls: dict[str, tuple[URL, URL | None, ssl.SSLContext | bool]] = {}

    @property
    def session_created(self) -> bool:
        """True once this transport created a session it must close."""
        return self._owns_session and self._session is not None and not self._session.closed

    def _ssl(self, scheme: str) -> ssl.SSLContext | bool:
        # Built only for https URLs: loading a CA bundle costs milliseconds at cold start.
        if not self._verify_ssl:
            return False
        if self._ca_bundle and scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context(cafile=self._ca_bundle)
            return self._ssl_context
        return True

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=self._max_connections,
                ssl=self._verify_ssl,
                ttl_dns_cache=300,
            )
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                # With trust_env, aiohttp reads netrc and proxy settings in a worker thread on
                # EVERY request; we resolve the proxy once per URL instead (_target).
                trust_env=False,
            )
        return session

    def _target(self, url_text: str) -> tuple[URL, URL | None, ssl.SSLContext | bool]:
        target = self._urls.get(url_text)
        if target is None:
            url = URL(url_text, encoded=True)
            proxy = _env_proxy(url) if self._trust_env else None
            if len(self._urls) >= _MAX_CACHED_URLS:  # bounded: agent URLs vary per secret
                self._urls.clear()
            target = self._urls[url_text] = (url, proxy, self._ssl(url.scheme))
        return target

    async def send(self, request: HttpRequest) -> HttpResponse:
        url, proxy, tls = self._target(request.url)
        session = self._session or self._get_session()
        try:
            async with session.request(
                request.method,
                url,
                data=request.body,
                headers=request.headers,
                allow_redirects=False,
                proxy=proxy,
                ssl=tls,
            ) as response:
                body = await response.read()
                # CIMultiDictProxy is a case-insensitive Mapping: no copy needed
                return HttpResponse(response.status, response.headers, body)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise _map_error(e) from e

    async def close(self) -> None:
        session = self._session
        if session is not None and self._owns_session and not session.closed:
            await session.close()


def _env_proxy(url: URL) -> URL | None:
    """The proxy for ``url`` from HTTP(S)_PROXY / NO_PROXY, as curl and botocore read them."""
    import urllib.request

    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme or "https")
    if not proxy or urllib.request.proxy_bypass(url.host or ""):
        return None
    return URL(proxy)


def _map_error(e: BaseException) -> exc.TransportError:
    """Our error for an aiohttp (or socket) failure, the most specific match first."""
    if isinstance(e, aiohttp.ConnectionTimeoutError):
        return exc.ConnectTimeoutError("timed out connecting to the endpoint")
    if isinstance(e, aiohttp.SocketTimeoutError):
        return exc.ReadTimeoutError("timed out reading the response")
    if isinstance(e, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
        return exc.TLSError(f"TLS failure connecting to the endpoint: {e}")
    if isinstance(e, aiohttp.ClientConnectorError):
        return exc.ConnectError(f"cannot connect to {e.host}:{e.port}: {e.strerror}")
    if isinstance(e, aiohttp.ServerDisconnectedError):
        return exc.ConnectionClosedError("the server closed the connection")
    if isinstance(e, aiohttp.ClientPayloadError):
        return exc.ConnectionClosedError("the response body was incomplete")
    if isinstance(e, aiohttp.ClientResponseError):
        return exc.ConnectionClosedError(f"malformed HTTP response: {e.message}")
    if isinstance(e, aiohttp.ClientOSError):
        return exc.ConnectionClosedError(f"connection error: {e.strerror or e}")
    if isinstance(e, aiohttp.ClientError):
        return exc.TransportError(f"{type(e).__name__}: {e}")
    if isinstance(e, asyncio.TimeoutError):
        return exc.ReadTimeoutError("timed out waiting for the response")
    if isinstance(e, OSError):
        return exc.ConnectionClosedError(f"connection error: {e.strerror or e}")
    return exc.TransportError(f"{type(e).__name__}: {e}")
