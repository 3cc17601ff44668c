"""The client: lifecycle, settings and the middleware stack every operation runs through."""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import sys
import warnings
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._bulk import BulkMixin
from ._config import ClientConfig
from ._credentials.base import Credentials, CredentialsProvider
from ._endpoints import resolve_endpoint
from ._http import CallContext, HttpRequest, HttpResponse
from ._middleware.base import Middleware, MiddlewareStack
from ._middleware.endpoint import EndpointStage
from ._middleware.errors import ErrorParsingStage
from ._middleware.retry import RetryStage
from ._middleware.signing import SigningStage
from ._paginators import PaginatorsMixin
from ._protocol import Operation, ResponseMetadata
from ._transport.base import Transport
from ._version import __version__
from .exceptions import (
    CallTimeoutError,
    ClientClosedError,
    ConfigurationError,
    NoCredentialsError,
)

if TYPE_CHECKING:
    import aiohttp

logger = logging.getLogger("secretsmanager_async")

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741

_CONTENT_TYPE = "application/x-amz-json-1.1"


class _State(enum.Enum):
    UNOPENED = 1
    OPENED = 2
    CLOSED = 3


class SecretsManagerClient(PaginatorsMixin, BulkMixin):
    """An asyncio client for AWS Secrets Manager.

    Use it as an async context manager, or call :meth:`close` when done. Every operation is
    an ``async`` method returning a frozen model; every call runs through :attr:`middleware`.

    Settings not given here come from ``config``, then the environment and the shared config
    profile (see :class:`ClientConfig`). ``credentials`` may be :class:`Credentials` or any
    provider with ``async def load() -> Credentials | None``; by default the standard chain is
    searched. Pass ``session`` to share your own :class:`aiohttp.ClientSession` (the client
    never closes it) or ``transport`` to replace the network layer entirely.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        credentials: Credentials | CredentialsProvider | None = None,
        profile: str | None = None,
        config: ClientConfig | None = None,
        use_fips: bool | None = None,
        use_dualstack: bool | None = None,
        retry_mode: str | None = None,
        max_attempts: int | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        timeout: float | None = None,
        max_connections: int | None = None,
        ca_bundle: str | None = None,
        verify_ssl: bool | None = None,
        user_agent_suffix: str | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        middleware: Iterable[Middleware] = (),
    ) -> None:
        self._config = (config or ClientConfig()).merge(
            region=region,
            endpoint_url=endpoint_url,
            profile=profile,
            use_fips=use_fips,
            use_dualstack=use_dualstack,
            retry_mode=retry_mode,
            max_attempts=max_attempts,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            timeout=timeout,
            max_connections=max_connections,
            ca_bundle=ca_bundle,
            verify_ssl=verify_ssl,
            user_agent_suffix=user_agent_suffix,
        )
        self._explicit_credentials = credentials
        self._session = session
        self._transport: Transport | None = transport
        self._owns_transport = transport is None
        self._state = _State.UNOPENED
        self._ready = False
        self._setup_lock: asyncio.Lock | None = None
        self._headers: dict[str, dict[str, str]] = {}
        self._timeout: float | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []

        # Stages are created now so the stack can be inspected and extended before the first
        # call; their settings are filled in by _prepare() once the configuration is resolved.
        self._retry = RetryStage()
        self._endpoint = EndpointStage("")
        self._signing = SigningStage(self._no_credentials, region="")
        self.middleware = MiddlewareStack(
            [self._retry, self._endpoint, self._signing, ErrorParsingStage()],
            self._not_prepared,
        )
        for extra in middleware:
            self.middleware.insert_before("parse_errors", extra)

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> SecretsManagerClient:
        await self._prepare()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool (if the client created it). Safe to call twice."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        self._ready = False
        closers, self._closers = self._closers, []
        for close in closers:
            await close()
        if self._owns_transport and self._transport is not None:
            await self._transport.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._state is _State.CLOSED

    def _forget_pool(self) -> None:
        """Drop the connection pool unclosed, to be set up again by the next call.

        For a forked child (``secretsmanager_async.sync``): the pool's sockets and its loop
        belong to the parent, so closing them here would break the parent's connections.
        """
        if self._owns_transport and self._transport is not None:
            _FORGOTTEN.append(self._transport)  # kept alive: never finalised in this process
            self._transport = None
        self._closers = []
        self._setup_lock = None
        self._ready = False
        if self._state is _State.OPENED:
            self._state = _State.UNOPENED

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        transport = getattr(self, "_transport", None)
        if (
            getattr(self, "_state", _State.CLOSED) is not _State.CLOSED
            and getattr(self, "_owns_transport", False)
            and getattr(transport, "session_created", False)
        ):
            _warn(
                f"unclosed {type(self).__name__}: use 'async with' or await client.close()",
                ResourceWarning,
                source=self,
                stacklevel=2,
            )

    @property
    def config(self) -> ClientConfig:
        """The settings as given; after the first call, as resolved."""
        return self._config

    @property
    def region(self) -> str | None:
        """The region, once resolved."""
        return self._config.region

    @property
    def endpoint_url(self) -> str:
        """The endpoint every request goes to, once resolved."""
        return self._endpoint.url

    async def _prepare(self) -> None:
        if self._state is _State.CLOSED:
            raise ClientClosedError("the client is closed; create a new SecretsManagerClient")
        if self._ready:
            return
        if self._setup_lock is None:
            self._setup_lock = asyncio.Lock()
        async with self._setup_lock:
            if not self._ready:
                await self._setup()
                self._state = _State.OPENED
                self._ready = True

    async def _setup(self) -> None:
        profile_settings = await _load_profile_settings(self._config)
        # only a profile given to us (not AWS_PROFILE) skips the environment keys, as in botocore
        explicit_profile = self._config.profile
        config = self._config.resolve(os.environ, profile_settings)
        if not config.region:
            raise ConfigurationError(
                "region: no region given; pass region=..., set AWS_REGION or "
                "AWS_DEFAULT_REGION, or set 'region' in the config profile"
            )
        self._config = config
        url = resolve_endpoint(
            config.region,
            use_fips=bool(config.use_fips),
            use_dualstack=bool(config.use_dualstack),
            endpoint_url=config.endpoint_url,
        )
        # JSON 1.1 operations POST to the endpoint's path, which is "/" for the rule endpoints
        self._endpoint.url = url if url.endswith("/") else url + "/"
        self._retry.configure(
            mode=config.retry_mode or "standard", max_attempts=config.max_attempts or 3
        )
        self._timeout = config.timeout

        if self._transport is None:
            from ._transport.aiohttp import AiohttpTransport

            self._transport = AiohttpTransport(
                session=self._session,
                max_connections=config.max_connections or 128,
                connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
                ca_bundle=config.ca_bundle,
                verify_ssl=config.verify_ssl is not False,
                trust_env=config.trust_env is not False,
            )
        self.middleware.terminal = self._transport.send

        self._signing.region = config.region
        self._signing.credentials = await self._credentials_source(config, explicit_profile)
        self._user_agent = _user_agent(config.user_agent_suffix)

    async def _credentials_source(
        self, config: ClientConfig, explicit_profile: str | None
    ) -> Callable[[], Awaitable[Credentials]]:
        from ._credentials.refresh import RefreshingCredentials

        explicit = self._explicit_credentials
        if isinstance(explicit, Credentials):
            return _Static(explicit).get
        provider: CredentialsProvider
        if explicit is not None:
            provider = explicit
        else:
            from ._credentials.chain import default_chain
            from ._credentials.http import AiohttpCredentialsHttp
            from ._transport.aiohttp import AiohttpTransport

            transport = self._transport
            # STS, container and IMDS requests share our connection pool when we have one
            http = AiohttpCredentialsHttp(
                session_getter=transport._get_session
                if isinstance(transport, AiohttpTransport)
                else None
            )
            self._closers.append(http.aclose)
            chain = default_chain(
                profile=explicit_profile,
                http=http,
                region=config.region,
                process_timeout=config.credential_process_timeout,
                process_max_bytes=config.credential_process_max_bytes,
            )
            # closed first (closers run in order): a running credential_process is killed
            self._closers.insert(0, chain.aclose)
            provider = chain
        refreshing = RefreshingCredentials(provider)
        self._closers.append(refreshing.aclose)
        return refreshing.get

    async def _no_credentials(self) -> Credentials:
        raise NoCredentialsError("the client is not set up yet")

    async def _not_prepared(self, request: HttpRequest) -> HttpResponse:
        raise ClientClosedError("the client is not open")

    # -- the hot path --------------------------------------------------------------------------

    def _headers_for(self, operation: Operation[Any, Any]) -> dict[str, str]:
        headers = self._headers.get(operation.name)
        if headers is None:
            headers = self._headers[operation.name] = {
                "Content-Type": _CONTENT_TYPE,
                "X-Amz-Target": operation.target,
                "User-Agent": self._user_agent,
            }
        return headers

    async def _invoke(self, operation: Operation[I, O], params: I) -> O:
        # Validate and encode first: bad input fails before any setup or I/O.
        body = operation.serialize(params)
        if not self._ready:
            await self._prepare()
        context = CallContext(operation.name)
        request = HttpRequest("POST", "", self._headers_for(operation), body, context)
        if self._timeout is None:
            response = await self.middleware.handler(request)
        else:
            response = await self._call_with_timeout(request, self._timeout)
        headers = response.headers
        metadata = ResponseMetadata(
            request_id=headers.get("x-amzn-requestid"),
            status_code=response.status,
            attempts=context.attempts,
            total_retry_delay=context.total_retry_delay,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s: HTTP %d after %d attempt(s), request id %s",
                operation.name,
                response.status,
                context.attempts,
                metadata.request_id,
            )
        return operation.parse(response.body, metadata)

    async def _call_with_timeout(self, request: HttpRequest, timeout: float) -> HttpResponse:
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout):
                    return await self.middleware.handler(request)
            else:  # pragma: no cover - Python 3.10
                return await asyncio.wait_for(self.middleware.handler(request), timeout)
        except (TimeoutError, asyncio.TimeoutError) as e:  # distinct classes on Python 3.10
            raise CallTimeoutError(
                f"{request.context.operation} did not finish within {timeout} s "
                f"({request.context.attempts} attempt(s))"
            ) from e


_FORGOTTEN: list[Transport] = []


class _Static:
    __slots__ = ("_credentials",)

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    async def get(self) -> Credentials:
        return self._credentials


async def _load_profile_settings(config: ClientConfig) -> dict[str, Any]:
    """The shared config profile's settings, read off the event loop (once per process)."""
    from ._profiles import aload_profile_settings

    settings = await aload_profile_settings(config.profile)
    # endpoint_url stays: ClientConfig.resolve applies ignore_configured_endpoint_urls (the
    # environment variable may override the profile's flag)
    return attrs.asdict(settings)


def _user_agent(suffix: str | None) -> str:
    from ._transport.aiohttp import AIOHTTP_VERSION

    agent = (
        f"secretsmanager-async/{__version__} "
        f"python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp/{AIOHTTP_VERSION}"
    )
    return f"{agent} {suffix}" if suffix else agent
