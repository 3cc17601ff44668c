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
from ._middleware.base import Handler, Middleware, MiddlewareStack
from ._middleware.endpoint import EndpointStage
from ._middleware.errors import ErrorParsingStage
from ._middleware.recursion import RecursionDetectionStage, in_lambda
from ._middleware.retry import RetryMode, RetryStage
from ._middleware.signing import SigningStage
from ._paginators import PaginatorsMixin
from ._protocol import Operation, Request, ResponseMetadata
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
        if in_lambda():
            # innermost: a trace header set by any other stage is seen and kept
            self.middleware.add(RecursionDetectionStage())
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

    async def _invoke(
        self, operation: Operation[I, O], params: I, *, options: CallOptions | None = None
    ) -> O:
        # Validate and encode first: bad input fails before any setup or I/O.
        body = operation.serialize(params)
        if not self._ready:
            await self._prepare()
        context = CallContext(operation.name)
        request = HttpRequest("POST", "", self._headers_for(operation), body, context)
        if options is None:
            handler, timeout = self.middleware.handler, self._timeout
        else:
            handler, timeout = options.apply(self.middleware, self._timeout, context)
        if timeout is None:
            response = await handler(request)
        else:
            response = await self._call_with_timeout(handler, request, timeout)
        headers = response.headers
        metadata = ResponseMetadata(
            request_id=headers.get("x-amzn-requestid"),
            status_code=response.status,
            attempts=context.attempts,
            total_retry_delay=context.total_retry_delay,
        )
        return operation.parse(response.body, metadata)

    async def _call_with_timeout(
        self, handler: Handler, request: HttpRequest, timeout: float
    ) -> HttpResponse:
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout):
                    return await handler(request)
            else:  # pragma: no cover - Python 3.10
                return await asyncio.wait_for(handler(request), timeout)
        except (TimeoutError, asyncio.TimeoutError) as e:  # distinct classes on Python 3.10
            raise CallTimeoutError(
                f"{request.context.operation} did not finish within {timeout} s "
                f"({request.context.attempts} attempt(s))"
            ) from e

    # -- per-call options and the command style --------------------------------------------------

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_attempts: int | None = None,
        retry_mode: RetryMode | None = None,
        middleware: Iterable[Middleware] = (),
    ) -> ClientView:
        """A view of this client whose calls use other settings.

        The view shares this client's connection pool, credentials, retry quota and rate
        limiter, and its lifecycle: close the client, not the view. ``timeout`` replaces the
        per-call time limit, ``max_attempts`` and ``retry_mode`` the retry settings;
        ``middleware`` runs in the calls made through the view only, at the place extra
        middleware takes in the client's stack (per attempt, just outside error parsing).
        Options left ``None`` are the client's. Making a view costs about a microsecond; use
        one inline (``await client.with_options(timeout=0.5).get_secret_value(...)``) or keep it.
        """
        return ClientView(self, CallOptions(timeout, max_attempts, retry_mode, tuple(middleware)))

    async def send(self, request: Request[O]) -> O:
        """Send any operation's request model; return that operation's response model.

        ``await client.send(GetSecretValueRequest(secret_id="app/db"))`` is
        ``await client.get_secret_value(secret_id="app/db")``, as the JavaScript SDK's
        ``client.send(command)``.
        """
        return await self._invoke(operation_for(request), request)


class CallOptions:
    """Overrides for the calls made through a :class:`ClientView`, checked once when made."""

    __slots__ = ("_base", "_composed", "max_attempts", "middleware", "retry_mode", "timeout")

    def __init__(
        self,
        timeout: float | None,
        max_attempts: int | None,
        retry_mode: RetryMode | None,
        middleware: tuple[Middleware, ...],
    ) -> None:
        if timeout is not None and not timeout > 0:
            raise ConfigurationError(f"timeout: must be positive (got {timeout!r})")
        if max_attempts is not None and (
            not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1
        ):
            raise ConfigurationError(f"max_attempts: must be at least 1 (got {max_attempts!r})")
        if retry_mode is not None and retry_mode not in ("standard", "adaptive"):
            raise ConfigurationError(
                f"retry_mode: must be one of standard, adaptive (got {retry_mode!r})"
            )
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retry_mode = retry_mode
        self.middleware = middleware
        # the client's composed chain this view's chain was built over, and the result
        self._base: Handler | None = None
        self._composed: Handler | None = None

    def __repr__(self) -> str:
        return (
            f"CallOptions(timeout={self.timeout!r}, max_attempts={self.max_attempts!r}, "
            f"retry_mode={self.retry_mode!r}, middleware={self.middleware!r})"
        )

    def merged(self, other: CallOptions) -> CallOptions:
        """These options with ``other``'s set ones on top (a view of a view)."""
        return CallOptions(
            other.timeout if other.timeout is not None else self.timeout,
            other.max_attempts if other.max_attempts is not None else self.max_attempts,
            other.retry_mode if other.retry_mode is not None else self.retry_mode,
            self.middleware + other.middleware,
        )

    def apply(
        self, stack: MiddlewareStack, timeout: float | None, context: CallContext
    ) -> tuple[Handler, float | None]:
        """Set the call's overrides on ``context``; return its chain and time limit."""
        context.max_attempts = self.max_attempts
        context.retry_mode = self.retry_mode
        handler = stack.handler
        if self.middleware:
            if handler is not self._base:
                # first call, or the client's stack changed since: compose once more
                self._composed = stack.compose(self.middleware)
                self._base = handler
            handler = self._composed  # type: ignore[assignment]
        return handler, self.timeout if self.timeout is not None else timeout


class ClientView(PaginatorsMixin, BulkMixin):
    """A :class:`SecretsManagerClient` with per-call overrides (see ``with_options``).

    Every operation, paginator, ``get_secret_values`` and ``send`` of the client is here;
    lifecycle and settings stay on the client, available as :attr:`client`.
    """

    def __init__(self, client: SecretsManagerClient, options: CallOptions) -> None:
        self._client = client
        self._options = options

    def __repr__(self) -> str:
        return f"<ClientView of {self._client!r} with {self._options!r}>"

    @property
    def client(self) -> SecretsManagerClient:
        """The client this view calls through."""
        return self._client

    @property
    def options(self) -> CallOptions:
        """The overrides applied to calls made through this view."""
        return self._options

    @property
    def _bulk_batch_denied(self) -> bool:
        return self._client._bulk_batch_denied

    @_bulk_batch_denied.setter
    def _bulk_batch_denied(self, value: bool) -> None:
        self._client._bulk_batch_denied = value

    async def _invoke(self, operation: Operation[I, O], params: I, **kwargs: Any) -> O:
        return await self._client._invoke(operation, params, options=self._options, **kwargs)

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_attempts: int | None = None,
        retry_mode: RetryMode | None = None,
        middleware: Iterable[Middleware] = (),
    ) -> ClientView:
        """A view with these overrides on top of this view's."""
        more = CallOptions(timeout, max_attempts, retry_mode, tuple(middleware))
        return ClientView(self._client, self._options.merged(more))

    async def send(self, request: Request[O]) -> O:
        """As :meth:`SecretsManagerClient.send`, with this view's overrides."""
        return await self._invoke(operation_for(request), request)


_BY_REQUEST_NAME: dict[str, Operation[Any, Any]] = {}


def operation_for(request: Request[O]) -> Operation[Any, O]:
    """The operation whose input model ``request`` is (``send``)."""
    if not _BY_REQUEST_NAME:
        from ._operations import OPERATIONS

        # the generator names each input model <Operation>Request
        _BY_REQUEST_NAME.update({f"{name}Request": op for name, op in OPERATIONS.items()})
    cls = type(request)
    operation = _BY_REQUEST_NAME.get(cls.__name__)
    if operation is None or operation.input_type is not cls:
        raise TypeError(
            f"send() takes an operation's request model, such as GetSecretValueRequest "
            f"(got {cls.__name__})"
        )
    return operation


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
