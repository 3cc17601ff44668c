"""The client: lifecycle, settings and the middleware stack every operation runs through."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import importlib
import logging
import math
import os
import sys
import warnings
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ._bulk import BulkMixin
from ._config import UNSET, ClientConfig, _Unset
from ._credentials.base import Credentials, CredentialsProvider
from ._deadline import CallDeadline
from ._endpoints import resolve_endpoint
from ._middleware.base import Handler, Middleware, MiddlewareStack
from ._middleware.endpoint import EndpointStage
from ._middleware.errors import ErrorParsingStage
from ._middleware.recursion import RecursionDetectionStage, in_lambda
from ._middleware.retry import RetryMode, RetryStage
from ._middleware.signing import SigningStage
from ._offload import off_loop
from ._paginators import PaginatorsMixin
from ._protocol import (
    CallContext,
    HttpRequest,
    HttpResponse,
    Operation,
    Request,
)
from ._protocol.http import new_request
from ._protocol.wire import response_metadata
from ._transport.base import Transport
from ._version import __version__
from .exceptions import (
    CallTimeoutError,
    ClientClosedError,
    ClientLoopError,
    ConfigurationError,
    NoCredentialsError,
)

if TYPE_CHECKING:
    import aiohttp

logger = logging.getLogger("secretsmanager_async")

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741

_CONTENT_TYPE = "application/x-amz-json-1.1"

#: seconds close() lets calls in flight finish before it cancels them
DEFAULT_CLOSE_GRACE = 1.0
# after cancelling, how long close() waits for the calls to unwind before closing the pool
_UNWIND_SECONDS = 1.0

# Imported before the first call, off the loop unless it is idle (_offload): importing
# aiohttp alone blocks for 100+ ms (it builds its default TLS contexts, loading the CA store,
# at import time).
_COLD_IMPORTS = ("secretsmanager_async._transport.aiohttp", "secretsmanager_async._profiles")
#: what a client adds that refreshes credentials from a provider, or searches the chain
_PROVIDER_IMPORTS = ("secretsmanager_async._credentials.refresh",)
_CHAIN_IMPORTS = (
    *_PROVIDER_IMPORTS,
    "secretsmanager_async._credentials.http",
    "secretsmanager_async._credentials.chain",
)


class _State(enum.Enum):
    UNOPENED = 1
    OPENED = 2
    CLOSING = 3  # close() is waiting for calls in flight: new calls are refused
    CLOSED = 4


_SHUT = (_State.CLOSING, _State.CLOSED)


class SecretsManagerClient(PaginatorsMixin, BulkMixin):
    """An asyncio client for AWS Secrets Manager.

    Use it as an async context manager, or call :meth:`close` when done. Every operation is
    an ``async`` method returning a frozen model; every call runs through :attr:`middleware`.

    A client belongs to the event loop of its first call (or ``async with``): a call from any
    other loop raises :class:`ClientLoopError` and opens nothing. Create one client per loop,
    e.g. inside the coroutine given to :func:`asyncio.run` or in a web app's lifespan.
    :meth:`close` refuses new calls at once and gives calls in flight a grace period; see there.

    Settings not given here come from ``config``, then the environment and the shared config
    profile (see :class:`ClientConfig`). ``credentials`` may be :class:`Credentials` or any
    provider with ``async def load() -> Credentials | None``; by default the standard chain is
    searched. ``parameter_validation=False`` leaves the model's length, range and size rules
    to the service (types and required members are still checked). Pass ``session`` to share
    your own :class:`aiohttp.ClientSession` (the client never closes it) or ``transport`` to
    replace the network layer entirely.
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
        timeout: float | _Unset | None = UNSET,
        attempt_timeout: float | _Unset | None = UNSET,
        max_response_bytes: int | _Unset | None = UNSET,
        max_connections: int | None = None,
        ca_bundle: str | None = None,
        verify_ssl: bool | None = None,
        user_agent_suffix: str | None = None,
        parameter_validation: bool | None = None,
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
            attempt_timeout=attempt_timeout,
            max_response_bytes=max_response_bytes,
            max_connections=max_connections,
            ca_bundle=ca_bundle,
            verify_ssl=verify_ssl,
            user_agent_suffix=user_agent_suffix,
            parameter_validation=parameter_validation,
        )
        # Known now (argument or config only): calls are validated before any setup or I/O.
        self._check_limits = self._config.parameter_validation is not False
        self._explicit_credentials = credentials
        if not isinstance(credentials, Credentials):
            # static keys need none of the provider code
            _want_imports(_PROVIDER_IMPORTS if credentials is not None else _CHAIN_IMPORTS)
        self._session = session
        self._transport: Transport | None = transport
        self._owns_transport = transport is None
        self._state = _State.UNOPENED
        self._ready = False
        self._set_up = False
        self._setup_lock: asyncio.Lock | None = None
        self._headers: dict[str, dict[str, str]] = {}
        self._timeout: float | None = None
        #: the default transport's attempt limit: a call's first timer is armed for it
        self._attempt_hint: float | None = None
        self._host: str | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        #: tasks inside a call right now: close() waits for them, then cancels them
        self._inflight: set[asyncio.Future[Any]] = set()
        #: tasks close() cancelled; their calls raise ClientClosedError, not CancelledError
        self._cancelled_by_close: set[asyncio.Future[Any]] = set()
        #: set by close() while it waits; the last call to leave sets it
        self._idle: asyncio.Event | None = None
        self._closed_event: asyncio.Event | None = None

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

    async def close(self, *, grace: float = DEFAULT_CLOSE_GRACE) -> None:
        """Close the client and the connection pool it created. Safe to call twice.

        New calls are refused at once with :class:`ClientClosedError`. Calls in flight get
        ``grace`` seconds (default 1) to finish; those still running are then cancelled
        inside the library and their callers get :class:`ClientClosedError`, never a
        ``CancelledError`` they did not cause. Then the pool is closed. A session passed in
        as ``session=`` is left open. A second, concurrent ``close()`` waits for the first.
        """
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop():
            if not loop.is_closed():
                # The pool's sockets belong to that loop; closing them from here corrupts it.
                raise ClientLoopError(_other_loop_message(loop, "close()"))
            # That loop is gone (an earlier asyncio.run()): nothing in flight can remain. Mark
            # the pool closed; aiohttp awaits nothing of a closed loop's, so this is safe here.
            self._state = _State.CLOSED
            self._ready = False
            with contextlib.suppress(RuntimeError):  # "Event loop is closed", if anything
                await self._release()
            return
        if self._state in _SHUT:
            if self._closed_event is not None:
                await self._closed_event.wait()
            return
        self._state = _State.CLOSING
        self._ready = False
        self._closed_event = asyncio.Event()
        try:
            await self._drain(grace)
            await self._release()
        finally:
            self._state = _State.CLOSED
            self._closed_event.set()

    async def _release(self) -> None:
        closers, self._closers = self._closers, []
        for close in closers:
            await close()
        if self._owns_transport and self._transport is not None:
            await self._transport.close()

    async def _drain(self, grace: float) -> None:
        """Wait up to ``grace`` s for calls in flight, then cancel the rest and let them unwind."""
        me = asyncio.current_task()
        others = self._inflight - {me}
        if not others:
            return
        self._idle = idle = asyncio.Event()
        try:
            if grace > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(idle.wait(), grace)
            stragglers = [t for t in self._inflight if t is not me and not t.done()]
            if not stragglers:
                return
            logger.debug("close(): cancelling %d call(s) still in flight", len(stragglers))
            for task in stragglers:
                self._cancelled_by_close.add(task)
                task.cancel()
            idle.clear()
            if self._inflight - {me}:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(idle.wait(), _UNWIND_SECONDS)
        finally:
            self._idle = None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._state in _SHUT

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
        self._set_up = False
        # the parent's loop and calls are not this process's: bind to the child's loop anew
        self._loop = None
        self._inflight = set()
        self._cancelled_by_close = set()
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

    def _bind_loop(self) -> None:
        """Bind the client to the running loop on first use; refuse any other loop."""
        running = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = running
        elif self._loop is not running:
            raise ClientLoopError(_other_loop_message(self._loop, "a call"))

    async def _prepare(self) -> None:
        # CLOSING is let through: a call already in flight may finish its setup in the grace
        # period (new calls were refused in _invoke).
        state = self._state
        if state is _State.CLOSED or (
            state is _State.CLOSING and asyncio.current_task() not in self._inflight
        ):
            raise ClientClosedError("the client is closed; create a new SecretsManagerClient")
        self._bind_loop()
        if self._set_up:
            return
        if self._setup_lock is None:
            self._setup_lock = asyncio.Lock()
        async with self._setup_lock:
            if self._state is _State.CLOSED:
                raise ClientClosedError("the client was closed while it was being set up")
            if not self._set_up:
                await self._setup()
                self._set_up = True
                if self._state is _State.UNOPENED:
                    self._state = _State.OPENED
                    self._ready = True

    async def _setup(self) -> None:
        await _warm_up()
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
        self._timeout = _resolved(config.timeout)
        self._host = urlsplit(url).hostname

        if self._transport is None:
            from ._transport.aiohttp import AiohttpTransport

            self._transport = AiohttpTransport(
                session=self._session,
                max_connections=config.max_connections or 128,
                connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
                attempt_timeout=_resolved(config.attempt_timeout),
                max_response_bytes=_resolved(config.max_response_bytes),
                ca_bundle=config.ca_bundle,
                verify_ssl=config.verify_ssl is not False,
                trust_env=config.trust_env is not False,
            )
            self._attempt_hint = _resolved(config.attempt_timeout)
        self.middleware.terminal = self._transport.send
        warm = getattr(self._transport, "warm", None)
        if warm is not None:
            # e.g. a CA bundle load (tens of ms) happens in a worker thread, not on the loop
            await warm(self._endpoint.url)

        self._signing.region = config.region
        self._signing.credentials = await self._credentials_source(config, explicit_profile)
        self._user_agent = _user_agent(config.user_agent_suffix)

    async def _credentials_source(
        self, config: ClientConfig, explicit_profile: str | None
    ) -> Callable[[], Awaitable[Credentials]]:
        explicit = self._explicit_credentials
        if isinstance(explicit, Credentials):
            return _Static(explicit).get
        from ._credentials.refresh import RefreshingCredentials

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
                # resolved: None is the user's "no limit"
                process_timeout=_or_inf(config.credential_process_timeout),
                process_max_bytes=_or_inf(config.credential_process_max_bytes),
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
        self,
        operation: Operation[I, O],
        params: I,
        *,
        max_throttle_attempts: int | None = None,
        options: CallOptions | None = None,
    ) -> O:
        # One coroutine from the operation method to the stack: each extra frame here costs on
        # every call and on every resumption of a suspended one.
        if not self._ready and self._state in _SHUT:
            raise ClientClosedError("the client is closed; create a new SecretsManagerClient")
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._bind_loop()
        task = asyncio.current_task()
        inflight = self._inflight
        # A call made from inside a call (a middleware of the user's) is tracked by the outer
        # one. Tracking costs a set add and discard per call; close() needs it to wait for
        # calls and to tell the cancellations it causes from the caller's own.
        tracked = task is not None and task not in inflight
        if tracked:
            inflight.add(task)  # type: ignore[arg-type]
        deadline: CallDeadline | None = None
        try:
            if not self._ready:
                # Bad input fails before any setup or I/O; the imports a first call needs run
                # off the loop (importing aiohttp blocks for 100+ ms).
                operation.validate(params, self._check_limits)
                await _warm_up()
                await self._prepare()
            body = operation.serialize(params, limits=self._check_limits)
            context = CallContext(operation.name)
            if max_throttle_attempts is not None:
                context.max_throttle_attempts = max_throttle_attempts
            if options is None:
                handler, timeout = self.middleware.handler, self._timeout
            else:
                handler, timeout = options.apply(self.middleware, self._timeout, context)
            if task is not None and (timeout is not None or self._attempt_hint is not None):
                # one timer for the call and its attempts (see CallDeadline)
                deadline = context.deadline = CallDeadline(loop, task, timeout, self._attempt_hint)
            response = await handler(
                new_request("POST", "", self._headers_for(operation), body, context)
            )
        except asyncio.CancelledError:
            if deadline is not None and deadline.claim("call"):
                raise self._call_timeout(context, timeout) from None
            if tracked and self._state in _SHUT:
                self._closed_while_in_flight(task)  # type: ignore[arg-type]
            raise
        finally:
            if deadline is not None:
                deadline.cancel()
            if tracked:
                inflight.discard(task)
                if self._idle is not None and not inflight:
                    self._idle.set()
        metadata = response_metadata(
            response.headers.get("x-amzn-requestid"),
            response.status,
            context.attempts,
            context.total_retry_delay,
        )
        return operation.parse(response.body, metadata)

    def _call_timeout(self, context: CallContext, timeout: float | None) -> CallTimeoutError:
        return CallTimeoutError(
            f"{context.operation} did not finish within timeout={timeout:g} s "
            f"({context.attempts} attempt(s) to {self._host})",
            timeout=timeout,
            operation=context.operation,
            host=self._host,
            attempts=context.attempts,
        )

    def _closed_while_in_flight(self, task: asyncio.Future[Any]) -> None:
        """Turn a cancellation that close() caused into ClientClosedError; keep the caller's."""
        ours = task in self._cancelled_by_close
        self._cancelled_by_close.discard(task)
        if sys.version_info >= (3, 11):
            assert isinstance(task, asyncio.Task)
            if ours:
                task.uncancel()
            if task.cancelling():
                return  # the caller (or its timeout) cancelled too: theirs propagates
        elif not ours:  # pragma: no cover - Python 3.10 cannot tell who cancelled
            return
        raise ClientClosedError(
            "the client was closed while this call was in flight (close() grace period over)"
        ) from None

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


T = TypeVar("T", int, float)


def _resolved(value: T | _Unset | None) -> T | None:
    """A bound of a resolved config (never UNSET once resolved)."""
    return None if isinstance(value, _Unset) else value


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

    # the bulk fetch's per-client state stays the client's: views share it
    @property
    def _bulk_pacing(self) -> Any:
        return self._client._bulk_pacing

    @_bulk_pacing.setter
    def _bulk_pacing(self, value: Any) -> None:
        self._client._bulk_pacing = value

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
        from ._generated.operations import OPERATIONS

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


def _or_inf(bound: float | _Unset | None) -> float:
    assert not isinstance(bound, _Unset)  # resolved by ClientConfig.resolve
    return math.inf if bound is None else bound


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
    return settings._asdict()


#: module -> imported yet, for _warm_up; clients add what their credentials need
_warm: dict[str, bool] = dict.fromkeys(_COLD_IMPORTS, False)


def _want_imports(names: Iterable[str]) -> None:
    for name in names:
        _warm.setdefault(name, False)


async def _warm_up() -> None:
    """Import what first calls need, off the loop unless it is idle; once per module."""
    todo = [name for name, done in _warm.items() if not done]
    if todo:
        await off_loop(lambda: [importlib.import_module(name) for name in todo])
        for name in todo:
            _warm[name] = True


def _other_loop_message(bound: asyncio.AbstractEventLoop, what: str) -> str:
    state = "now closed, e.g. an earlier asyncio.run()" if bound.is_closed() else "still running"
    return (
        f"{what} came from another event loop than the one this client is bound to "
        f"({state}); a client and its connection pool belong to one loop: create one client "
        "per event loop, inside the coroutine you run or in your app's lifespan"
    )


def _user_agent(suffix: str | None) -> str:
    from ._transport.aiohttp import AIOHTTP_VERSION

    agent = (
        f"secretsmanager-async/{__version__} "
        f"python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp/{AIOHTTP_VERSION}"
    )
    return f"{agent} {suffix}" if suffix else agent
