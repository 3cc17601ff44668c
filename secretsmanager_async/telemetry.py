"""OpenTelemetry tracing and metrics for the client and the cache (the ``[otel]`` extra).

``instrument(client)`` adds two kinds of stage to the client's middleware stack:

- ``telemetry.call``, outermost (outside ``retry``): one span of kind CLIENT per call, named
  ``Secrets Manager.<Operation>``, current while the call runs (so HTTP spans of an
  instrumented aiohttp nest under it), and the call metrics. The span carries the attributes
  of OpenTelemetry's botocore instrumentation: ``rpc.system="aws-api"``,
  ``rpc.service="Secrets Manager"``, ``rpc.method``, ``cloud.region``, ``server.address``,
  ``server.port``, ``aws.request_id``, ``retry_attempts`` (attempts after the first, as there),
  ``http.response.status_code``, ``error.type`` on failure (the service's error code, else the
  exception's class name; a call cut short by its ``timeout`` is cancelled, so it shows
  ``CancelledError``), and ``aws.secretsmanager.secret.arn`` only when the secret id sent is an
  ARN or the response names one. No secret value and no secret name outside an ARN is
  recorded; the span status description is the error code, never the message.
- ``telemetry.sign`` just outside ``sign`` and ``telemetry.attempt`` just inside it: per
  attempt, the signing time (credentials lookup included: they are cached) and the attempt
  time (sending and receiving, as Smithy defines it). Each attempt that fails adds an
  ``attempt`` event to the call's span with its number, ``error.type``, status and request id,
  so retries are visible on the span.

Metrics, with ``rpc.service``/``rpc.method`` dimensions, use the Smithy
reference-architecture names AWS's Go, .NET, Rust and C++ SDKs emit:
``smithy.client.call.duration`` (s), ``smithy.client.call.attempts``,
``smithy.client.call.errors`` (calls that failed, with ``error.type``),
``smithy.client.call.attempt_duration`` (s) and ``smithy.client.call.auth.signing_duration`` (s).
All of a call's measurements are recorded together when it ends, outside its span's context.

``instrument(cache)`` reports a :class:`~secretsmanager_async.SecretCache`'s counters as
observable instruments read from its ``stats`` at each collection (nothing is added to reads):
``secretsmanager_async.cache.hits``, ``.misses``, ``.stale_reads``, ``.requests`` (by
``rpc.method``), ``.errors``, ``.evictions``, ``.changes`` and the ``.size`` gauge.

Only ``opentelemetry-api`` is needed; bring an SDK and exporters to see anything. The core
never imports this module; a client not instrumented pays nothing.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._cache import SecretCache
from ._client import ClientView, SecretsManagerClient
from ._middleware.base import Handler
from ._protocol import HttpRequest, HttpResponse
from ._version import __version__
from .exceptions import ServiceError

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
    from opentelemetry.trace import Span, TracerProvider

__all__ = ["instrument", "uninstrument"]

SCOPE = "secretsmanager_async.telemetry"
SERVICE = "Secrets Manager"
ARN_ATTRIBUTE = "aws.secretsmanager.secret.arn"
STAGE_NAMES = ("telemetry.call", "telemetry.sign", "telemetry.attempt")

# Structural matches only: inside a JSON string every quote is escaped, so a secret value or a
# description can never produce `"SecretId":"` or `"ARN":"` unescaped.
_REQUEST_ARN = re.compile(rb'"SecretId"\s*:\s*"(arn:[^"\\]{1,2048})"')
_RESPONSE_ARN = re.compile(rb'"ARN"\s*:\s*"(arn:[^"\\]{1,2048})"')

_perf_counter = time.perf_counter


def _require_otel() -> None:
    """Import OpenTelemetry's API (on first use, not at import: it is an optional extra)."""
    try:
        import opentelemetry.metrics
        import opentelemetry.trace  # noqa: F401
    except ImportError as e:
        raise ImportError(
            "secretsmanager_async.telemetry needs OpenTelemetry's API: "
            "pip install 'secretsmanager-async[otel]'"
        ) from e


def instrument(
    target: SecretsManagerClient | SecretCache,
    *,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> None:
    """Trace and measure a client's calls, or report a cache's counters as metrics.

    Providers default to OpenTelemetry's global ones. Instrumenting again replaces the
    previous instrumentation. Views made with ``with_options`` share their client's.
    """
    if isinstance(target, (SecretsManagerClient, SecretCache)):
        _require_otel()
    if isinstance(target, SecretsManagerClient):
        uninstrument(target)
        _instrument_client(target, tracer_provider, meter_provider)
    elif isinstance(target, SecretCache):
        _instrument_cache(target, meter_provider)
    elif isinstance(target, ClientView):
        raise TypeError("instrument the client itself (view.client): its views share its stack")
    else:
        raise TypeError(
            f"instrument() takes a SecretsManagerClient or a SecretCache, not {type(target)!r}"
        )


def uninstrument(target: SecretsManagerClient | SecretCache) -> None:
    """Remove what :func:`instrument` added (metrics already exported stay exported)."""
    if isinstance(target, SecretsManagerClient):
        names = target.middleware.names
        for name in STAGE_NAMES:
            if name in names:
                target.middleware.remove(name)
    elif isinstance(target, SecretCache):
        for registry in _CACHE_METERS.values():
            registry.caches.pop(target, None)


# -- the client ------------------------------------------------------------------------------


class _Instruments:
    """The tracer and the metric instruments one instrumented client records to."""

    def __init__(
        self, tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
    ) -> None:
        from opentelemetry import context, metrics, trace

        self.tracer = trace.get_tracer(SCOPE, __version__, tracer_provider)
        self.client_kind = trace.SpanKind.CLIENT
        self.error_status = trace.StatusCode.ERROR
        self.in_context = trace.set_span_in_context
        self.attach = context.attach
        self.detach = context.detach
        meter = metrics.get_meter(SCOPE, __version__, meter_provider)
        self.duration = meter.create_histogram(
            "smithy.client.call.duration", unit="s", description="Time of a whole call"
        )
        self.attempts = meter.create_counter(
            "smithy.client.call.attempts", unit="{attempt}", description="Attempts made"
        )
        self.errors = meter.create_counter(
            "smithy.client.call.errors", unit="{error}", description="Calls that failed"
        )
        self.attempt_duration = meter.create_histogram(
            "smithy.client.call.attempt_duration",
            unit="s",
            description="Time of one attempt: sending the request and reading the response",
        )
        self.signing_duration = meter.create_histogram(
            "smithy.client.call.auth.signing_duration",
            unit="s",
            description="Time to sign one attempt (cached credentials lookup included)",
        )


class _Operation:
    """What every call of one operation shares: its span name and attributes."""

    __slots__ = ("arn_in_response", "dimensions", "name", "span_attributes", "span_name")

    def __init__(self, name: str, region: str | None, endpoint_url: str) -> None:
        self.name = name
        self.span_name = f"{SERVICE}.{name}"
        #: the metrics' dimensions, as the Smithy reference architecture has them
        self.dimensions: dict[str, Any] = {"rpc.service": SERVICE, "rpc.method": name}
        attributes: dict[str, Any] = {"rpc.system": "aws-api", **self.dimensions}
        if region:
            attributes["cloud.region"] = region
        parts = urlsplit(endpoint_url)
        if parts.hostname:
            attributes["server.address"] = parts.hostname
            attributes["server.port"] = parts.port or (443 if parts.scheme == "https" else 80)
        self.span_attributes = attributes
        self.arn_in_response = _has_top_level_arn(name)


def _has_top_level_arn(operation: str) -> bool:
    """Whether the operation's response model names one secret by ARN at its top level."""
    import attrs

    from ._generated.operations import OPERATIONS

    op = OPERATIONS.get(operation)
    if op is None:
        return False
    output = op.output_type
    return attrs.has(output) and "arn" in attrs.fields_dict(output)


class _CallState:
    """Per-call state, kept in ``CallContext.observer`` for the per-attempt stages.

    Attempt and signing times are kept here and recorded with the call's metrics when it
    ends: one batch of measurements per call, made outside the span's context.
    """

    __slots__ = ("attempt_times", "sign_start", "sign_times", "span")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.sign_start = 0.0
        self.sign_times: list[float] = []
        self.attempt_times: list[float] = []


def _error_type(error: BaseException) -> str:
    if isinstance(error, ServiceError):
        return error.code
    return type(error).__name__


class _CallStage:
    """One span and the call metrics per call (outside retry)."""

    name = "telemetry.call"

    def __init__(self, client: SecretsManagerClient, instruments: _Instruments) -> None:
        self._client = client
        self._instruments = instruments
        self._operations: dict[str, _Operation] = {}
        self._endpoint = ""

    def _operation(self, name: str) -> _Operation:
        client = self._client
        endpoint = client.endpoint_url
        if endpoint != self._endpoint:  # resolved at setup; cached attributes follow it
            self._operations.clear()
            self._endpoint = endpoint
        op = self._operations[name] = _Operation(name, client.region, endpoint)
        return op

    def _record(
        self, op: _Operation, state: _CallState, elapsed: float, attempts: int, error: str | None
    ) -> None:
        instruments = self._instruments
        dimensions = op.dimensions
        instruments.duration.record(elapsed, dimensions)
        instruments.attempts.add(attempts, dimensions)
        for seconds in state.attempt_times:
            instruments.attempt_duration.record(seconds, dimensions)
        for seconds in state.sign_times:
            instruments.signing_duration.record(seconds, dimensions)
        if error is not None:
            instruments.errors.add(1, {**dimensions, "error.type": error})

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        context = request.context
        op = self._operations.get(context.operation)
        if op is None or self._endpoint != self._client.endpoint_url:
            op = self._operation(context.operation)
        instruments = self._instruments
        attributes = op.span_attributes
        found = _REQUEST_ARN.search(request.body)
        if found is not None:
            arn = found.group(1).decode("utf-8", "replace")
            if ":secretsmanager:" in arn:
                attributes = {**attributes, ARN_ATTRIBUTE: arn}
            else:
                found = None
        span = instruments.tracer.start_span(
            op.span_name, kind=instruments.client_kind, attributes=attributes
        )
        state = context.observer = _CallState(span)
        token = instruments.attach(instruments.in_context(span))
        start = _perf_counter()
        try:
            response = await next(request)
        except BaseException as error:
            elapsed = _perf_counter() - start
            instruments.detach(token)
            error_type = _error_type(error)
            if span.is_recording():
                ended: dict[str, Any] = {
                    "retry_attempts": max(0, context.attempts - 1),
                    "error.type": error_type,
                }
                if isinstance(error, ServiceError):
                    ended["http.response.status_code"] = error.status_code
                    if error.request_id:
                        ended["aws.request_id"] = error.request_id
                span.set_attributes(ended)
                span.set_status(instruments.error_status, error_type)
            span.end()
            self._record(op, state, elapsed, context.attempts, error_type)
            raise
        elapsed = _perf_counter() - start
        instruments.detach(token)
        if span.is_recording():
            ended = {
                "retry_attempts": context.attempts - 1,
                "http.response.status_code": response.status,
            }
            request_id = response.headers.get("x-amzn-requestid")
            if request_id:
                ended["aws.request_id"] = request_id
            if found is None and op.arn_in_response:
                arn_found = _RESPONSE_ARN.search(response.body)
                if arn_found is not None:
                    ended[ARN_ATTRIBUTE] = arn_found.group(1).decode("utf-8", "replace")
            span.set_attributes(ended)
        span.end()
        self._record(op, state, elapsed, context.attempts, None)
        return response


class _SignStage:
    """Marks when an attempt reaches signing (just outside ``sign``)."""

    name = "telemetry.sign"

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        state = request.context.observer
        if type(state) is _CallState:
            state.sign_start = _perf_counter()
        return await next(request)


class _AttemptStage:
    """Signing and attempt times; an event on the call's span for each failed attempt."""

    name = "telemetry.attempt"

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        context = request.context
        state = context.observer
        if type(state) is not _CallState:  # a call made before instrument(), still running
            return await next(request)
        start = _perf_counter()
        state.sign_times.append(start - state.sign_start)
        try:
            response = await next(request)
        except Exception as error:
            state.attempt_times.append(_perf_counter() - start)
            span = state.span
            if span.is_recording():
                event: dict[str, Any] = {
                    "attempt": context.attempts,
                    "error.type": _error_type(error),
                }
                if isinstance(error, ServiceError):
                    event["http.response.status_code"] = error.status_code
                    if error.request_id:
                        event["aws.request_id"] = error.request_id
                span.add_event("attempt", event)
            raise
        state.attempt_times.append(_perf_counter() - start)
        return response


_INSTRUMENTS: dict[
    tuple[int, int], tuple[TracerProvider | None, MeterProvider | None, _Instruments]
] = {}


def _instrument_client(
    client: SecretsManagerClient,
    tracer_provider: TracerProvider | None,
    meter_provider: MeterProvider | None,
) -> None:
    key = (id(tracer_provider), id(meter_provider))
    cached = _INSTRUMENTS.get(key)
    if cached is None or cached[0] is not tracer_provider or cached[1] is not meter_provider:
        # one set per pair of providers: a meter ignores a second instrument of the same name
        cached = _INSTRUMENTS[key] = (
            tracer_provider,
            meter_provider,
            _Instruments(tracer_provider, meter_provider),
        )
    instruments = cached[2]
    stack = client.middleware
    stack.insert_before("retry", _CallStage(client, instruments))
    stack.insert_before("sign", _SignStage())
    stack.insert_after("sign", _AttemptStage())


# -- the cache -------------------------------------------------------------------------------

#: attribute telling apart the caches one process instruments (1, 2, ... in order)
CACHE_ID_ATTRIBUTE = "secretsmanager_async.cache.id"


class _CacheMeter:
    """Observable instruments of one meter, reading every cache instrumented with it.

    A meter keeps the first callbacks registered under a name and ignores later ones, so each
    meter gets one set of instruments whose callbacks visit all its caches.
    """

    def __init__(self, meter: Any) -> None:
        import weakref

        from opentelemetry.metrics import Observation

        self._observation = Observation
        self.meter = meter  # kept alive: the registry is keyed by its id
        #: cache -> its number, for the ``secretsmanager_async.cache.id`` attribute
        self.caches: weakref.WeakKeyDictionary[SecretCache, int] = weakref.WeakKeyDictionary()
        counters = (
            ("hits", "hits", "{read}", "Reads answered from memory"),
            ("misses", "misses", "{read}", "Reads that waited for a request"),
            ("stale_reads", "stale_hits", "{read}", "Reads answered with an expired value"),
            ("errors", "errors", "{request}", "Requests that failed"),
            ("evictions", "evictions", "{entry}", "Entries dropped to stay within max_size"),
            ("changes", "changes", "{version}", "Values replaced by a newer version"),
        )
        for name, field, unit, description in counters:
            meter.create_observable_counter(
                f"secretsmanager_async.cache.{name}",
                callbacks=[self._reader(field)],
                unit=unit,
                description=description,
            )
        meter.create_observable_counter(
            "secretsmanager_async.cache.requests",
            callbacks=[self._requests],
            unit="{request}",
            description="Requests the cache sent",
        )
        meter.create_observable_gauge(
            "secretsmanager_async.cache.size",
            callbacks=[self._reader("size")],
            unit="{entry}",
            description="Entries held",
        )

    def _reader(self, field: str) -> Any:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            return [
                self._observation(getattr(cache.stats, field), {CACHE_ID_ATTRIBUTE: number})
                for cache, number in list(self.caches.items())
            ]

        return observe

    def _requests(self, options: CallbackOptions) -> Iterable[Observation]:
        observations = []
        for cache, number in list(self.caches.items()):
            stats = cache.stats
            by_operation = getattr(stats, "requests", None)
            if by_operation is None:
                # a cache that does not count per operation: each miss and refresh was one
                observations.append(
                    self._observation(stats.misses + stats.refreshes, {CACHE_ID_ATTRIBUTE: number})
                )
                continue
            observations.extend(
                self._observation(
                    count,
                    {CACHE_ID_ATTRIBUTE: number, "rpc.service": SERVICE, "rpc.method": operation},
                )
                for operation, count in by_operation.items()
            )
        return observations


_CACHE_METERS: dict[int, _CacheMeter] = {}
_CACHE_NUMBERS = itertools.count(1)


def _instrument_cache(cache: SecretCache, meter_provider: MeterProvider | None) -> None:
    from opentelemetry import metrics

    meter = metrics.get_meter(SCOPE, __version__, meter_provider)
    registry = _CACHE_METERS.get(id(meter))
    if registry is None or registry.meter is not meter:
        registry = _CACHE_METERS[id(meter)] = _CacheMeter(meter)
    uninstrument(cache)
    registry.caches[cache] = next(_CACHE_NUMBERS)
