"""The aiohttp transport: the only module that imports aiohttp.

aiohttp's exceptions are mapped to ours at exactly one boundary, :func:`_map_error`, most
specific first, using aiohttp's typed timeout classes rather than message text.

Every attempt is bounded in time (``attempt_timeout``: connect, send and the whole body, which
a read timeout alone cannot give, as every trickled byte resets it) and in memory
(``max_response_bytes``, counted after decompression). We decompress ourselves, in bounded
steps, so that a small gzip body cannot inflate past the limit before it is counted. A
connection whose response was not read to the end is closed, never returned to the pool.

The original aiohttp error is neither chained nor left as context (it holds the signed request
headers): an :class:`OriginalError` with its class and message is chained instead.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections.abc import Awaitable, Mapping
from typing import Any

import aiohttp
from yarl import URL

from .. import exceptions as exc
from .._deadline import CallDeadline
from .._offload import off_loop
from .._protocol import HttpRequest, HttpResponse
from .._protocol.http import new_response

AIOHTTP_VERSION = aiohttp.__version__
_MAX_CACHED_URLS = 256
#: most bytes one decompression step produces
_INFLATE_STEP = 256 * 1024


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
        attempt_timeout: float | None = 30.0,
        max_response_bytes: int | None = 16 * 1024 * 1024,
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
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._attempt_timeout = attempt_timeout
        self._limit = max_response_bytes
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

    async def warm(self, url: str) -> None:
        """Resolve ``url``'s proxy and TLS settings off the loop (a CA bundle load blocks)."""
        if url not in self._urls:
            await off_loop(lambda: self._target(url))

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
        # One coroutine for the attempt (deadline, request, read): it stays suspended for the
        # whole round trip, and every frame above aiohttp's costs on each resumption.
        deadline = request.context.deadline
        own_deadline = None
        if deadline is None and self._attempt_timeout is not None:
            # called outside a client call (tests, code of our own): a timer of its own
            task = asyncio.current_task()
            assert task is not None
            deadline = own_deadline = CallDeadline(asyncio.get_running_loop(), task, None)
        if deadline is not None:
            deadline.start_attempt(self._attempt_timeout)
        url, proxy, tls = self._target(request.url)
        session = self._session or self._get_session()
        error: exc.TransportError
        original: OriginalError | None
        try:
            async with session.request(
                request.method,
                url,
                data=request.body,
                headers=_with_accept_encoding(request.headers),
                allow_redirects=False,
                proxy=proxy,
                ssl=tls,
                auto_decompress=False,
            ) as response:
                try:
                    body = await self._read(response, request, url)
                except BaseException:
                    # A body not read to its end leaves the connection mid-message: discard it.
                    response.close()
                    raise
                # CIMultiDictProxy is a case-insensitive Mapping: no copy needed
                return new_response(response.status, response.headers, body)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            error, original = self._map_error(e, request, url), OriginalError.of(e)
        except asyncio.CancelledError:
            if deadline is None or not deadline.claim("attempt"):
                raise
            error, original = self._attempt_timed_out(request, url), None
        finally:
            if deadline is not None:
                deadline.end_attempt()
                if own_deadline is not None:
                    own_deadline.cancel()
        # Raised outside the except block, from a stand-in: aiohttp's errors carry the request
        # (request_info with its signed Authorization and X-Amz-Security-Token headers).
        raise error from original

    def _attempt_timed_out(self, request: HttpRequest, url: URL) -> exc.AttemptTimeoutError:
        context = request.context
        timeout = self._attempt_timeout
        assert timeout is not None
        return exc.AttemptTimeoutError(
            f"{context.operation}: attempt {context.attempts} to {url.host} did not complete "
            f"within attempt_timeout={timeout:g} s",
            timeout=timeout,
            operation=context.operation,
            host=url.host,
            attempts=context.attempts,
        )

    def _read(
        self, response: aiohttp.ClientResponse, request: HttpRequest, url: URL
    ) -> Awaitable[bytes]:
        # A plain method handing back the read to await: the common case (a Content-Length
        # body within the limit) adds no coroutine of ours to every attempt.
        limit = self._limit
        length = response.content_length
        encoding = response.headers.get("Content-Encoding")
        if encoding is None or encoding == "identity":
            if limit is not None and length is not None and length > limit:
                raise self._too_large(request, url, length)  # before reading a byte of it
            if length is not None or limit is None:
                # aiohttp reads exactly Content-Length bytes, already checked against the limit
                return response.read()
            return self._read_counted(response, request, url, limit)
        return self._read_decoded(response, request, url, encoding.strip().lower())

    async def _read_counted(
        self, response: aiohttp.ClientResponse, request: HttpRequest, url: URL, limit: int
    ) -> bytes:
        parts: list[bytes] = []
        size = 0
        content = response.content
        while chunk := await content.readany():
            size += len(chunk)
            if size > limit:
                raise self._too_large(request, url, None)
            parts.append(chunk)
        return b"".join(parts)

    async def _read_decoded(
        self, response: aiohttp.ClientResponse, request: HttpRequest, url: URL, encoding: str
    ) -> bytes:
        gzip = encoding in ("gzip", "x-gzip")
        decoder: Any = None
        if gzip:
            decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            decoder = None  # zlib-wrapped or raw: decided by the first byte, as aiohttp does
        else:
            raise exc.ConnectionClosedError(
                f"{request.context.operation}: unsupported Content-Encoding {encoding!r} "
                f"from {url.host}",
                operation=request.context.operation,
                host=url.host,
                attempts=request.context.attempts,
            )
        limit = self._limit
        parts: list[bytes] = []
        size = 0
        content = response.content
        try:
            while data := await content.readany():
                if decoder is None:
                    raw = data[0] & 0x0F != 8
                    decoder = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
                while data:
                    # Inflate in small steps, never more than one byte past the limit: a bomb
                    # gets no further in memory, and no step allocates much at once.
                    room = _INFLATE_STEP if limit is None else min(_INFLATE_STEP, limit - size + 1)
                    out = decoder.decompress(data, room)
                    size += len(out)
                    if limit is not None and size > limit:
                        raise self._too_large(request, url, None)
                    parts.append(out)
                    data = decoder.unconsumed_tail
                    if not data and gzip and decoder.eof and decoder.unused_data:
                        # another gzip member follows (RFC 1952 allows several)
                        data = decoder.unused_data
                        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
            if decoder is not None:
                out = decoder.flush()
                size += len(out)
                if limit is not None and size > limit:
                    raise self._too_large(request, url, None)
                parts.append(out)
        except zlib.error as e:
            raise exc.ConnectionClosedError(
                f"{request.context.operation}: a {encoding} response body from {url.host} "
                f"does not decompress: {e}",
                operation=request.context.operation,
                host=url.host,
                attempts=request.context.attempts,
            ) from None
        return b"".join(parts)

    def _too_large(
        self, request: HttpRequest, url: URL, length: int | None
    ) -> exc.ResponseTooLargeError:
        context = request.context
        said = f" (Content-Length {length})" if length is not None else ""
        return exc.ResponseTooLargeError(
            f"{context.operation}: the response from {url.host}{said} exceeds "
            f"max_response_bytes={self._limit} (attempt {context.attempts}); "
            "the connection was discarded",
            limit=self._limit,
            operation=context.operation,
            host=url.host,
            attempts=context.attempts,
        )

    def _map_error(self, e: BaseException, request: HttpRequest, url: URL) -> exc.TransportError:
        context = request.context
        return _map_error(
            e,
            operation=context.operation,
            host=url.host,
            attempts=context.attempts,
            connect_timeout=self._connect_timeout,
            read_timeout=self._read_timeout,
        )

    async def close(self) -> None:
        session = self._session
        if session is not None and self._owns_session and not session.closed:
            await session.close()


class OriginalError(Exception):
    """What a foreign exception said (its class and message), chained in its place.

    The foreign exception itself is not kept: it may reference the request, its signed
    headers, or its own causes and contexts.
    """

    @classmethod
    def of(cls, e: BaseException) -> OriginalError:
        """The stand-in for ``e``."""
        kind = type(e)
        text = str(e)
        name = f"{kind.__module__}.{kind.__qualname__}"
        return cls(f"{name}: {text}" if text else name)


def _env_proxy(url: URL) -> URL | None:
    """The proxy for ``url`` from HTTP(S)_PROXY / NO_PROXY, as curl and botocore read them."""
    import urllib.request

    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme or "https")
    if not proxy or urllib.request.proxy_bypass(url.host or ""):
        return None
    return URL(proxy)


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:g} s"


def _with_accept_encoding(headers: Mapping[str, str]) -> Mapping[str, str]:
    # As botocore (http.client) sends: AWS answers uncompressed, and no body needs inflating
    # on the common path. A server that compresses anyway is decoded within the limit.
    if "Accept-Encoding" in headers:
        return headers
    return {**headers, "Accept-Encoding": "identity"}


def _map_error(
    e: BaseException,
    *,
    operation: str | None = None,
    host: str | None = None,
    attempts: int | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
) -> exc.TransportError:
    """Our error for an aiohttp (or socket) failure, with where and when it happened if known."""
    prefix = f"{operation}: " if operation else ""
    target = host or "the endpoint"
    attempt = f", attempt {attempts}" if attempts is not None else ""
    if isinstance(e, aiohttp.ConnectionTimeoutError):
        return exc.ConnectTimeoutError(
            f"{prefix}timed out connecting to {target} "
            f"(connect_timeout={_seconds(connect_timeout)}{attempt})",
            timeout=connect_timeout,
            operation=operation,
            host=host,
            attempts=attempts,
        )
    if isinstance(e, (aiohttp.SocketTimeoutError, asyncio.TimeoutError)):
        return exc.ReadTimeoutError(
            f"{prefix}timed out reading the response from {target} "
            f"(read_timeout={_seconds(read_timeout)}{attempt})",
            timeout=read_timeout,
            operation=operation,
            host=host,
            attempts=attempts,
        )
    cls, message = _classify(e)
    suffix = f" (attempt {attempts})" if attempts is not None else ""
    return cls(f"{prefix}{message}{suffix}", operation=operation, host=host, attempts=attempts)


def _classify(e: BaseException) -> tuple[type[exc.TransportError], str]:
    """The error class and message for a non-timeout failure, the most specific match first."""
    if isinstance(e, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
        return exc.TLSError, f"TLS failure connecting to the endpoint: {e}"
    if isinstance(e, aiohttp.ClientConnectorError):
        return exc.ConnectError, f"cannot connect to {e.host}:{e.port}: {e.strerror}"
    if isinstance(e, aiohttp.ServerDisconnectedError):
        return exc.ConnectionClosedError, "the server closed the connection"
    if isinstance(e, aiohttp.ClientPayloadError):
        return exc.ConnectionClosedError, "the response body was incomplete"
    if isinstance(e, aiohttp.ClientResponseError):
        return (
            exc.ConnectionClosedError,
            f"malformed HTTP response ({type(e).__name__}, status {e.status}): {e.message}",
        )
    if isinstance(e, aiohttp.ClientOSError):
        return exc.ConnectionClosedError, f"connection error: {e.strerror or e}"
    if isinstance(e, aiohttp.ClientError):
        return exc.TransportError, f"{type(e).__name__}: {e}"
    if isinstance(e, OSError):
        return exc.ConnectionClosedError, f"connection error: {e.strerror or e}"
    return exc.TransportError, f"{type(e).__name__}: {e}"
