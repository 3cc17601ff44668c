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
All of a call's measurements are recorded together when it ends, outside its span's context:
the three times as histogram measurements; its attempts and its failure are added to counts
that ``.attempts`` and ``.errors``, observable counters, read when metrics are collected (an
SDK measurement costs about a third of a span; a count, a dict update).

``instrument(cache)`` reports a :class:`~secretsmanager_async.SecretCache`'s counters as
observable instruments read from its ``stats`` at each collection (nothing is added to reads):
``secretsmanager_async.cache.hits``, ``.misses``, ``.stale_reads``, ``.requests`` (by
``rpc.method``), ``.errors``, ``.evictions``, ``.changes`` and the ``.size`` gauge; and
records each refresh of a held value (background or on demand, ok or failed) in the
``secretsmanager_async.cache.refresh.duration`` histogram (s), the one measurement a cache
makes as it works (refreshes are rare next to reads).

Only ``opentelemetry-api`` is needed; bring an SDK and exporters to see anything. The core
never imports this module; a client not instrumented pays nothing.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Awaitable, Iterable
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
        target._refresh_observer = None
        for registry in _CACHE_METERS.values():
            registry.caches.pop(target, None)


# -- the client ------------------------------------------------------------------------------


class _Metrics:
    """The metric instruments of one meter provider, and the counts two of them report.

    The call and attempt times are histograms, recorded when a call ends. Attempts and failed
    calls are counts: each call adds to a dict here, under a lock (clients on other threads
    may share the provider), and two observable counters report the totals when the provider
    collects. A call thus makes three SDK measurements instead of four or five: with the
    OpenTelemetry SDK one measurement costs about a third of what the call's span does (it
    validates and hashes the dimensions each time), a count a dict update.
    """

    def __init__(self, meter_provider: MeterProvider | None) -> None:
        import threading

        from opentelemetry import metrics

        #: the provider given to instrument(); None for the global one
        self.provider = meter_provider
        self.lock = threading.Lock()
        #: operation -> attempts made by its calls
        self.attempts: dict[str, int] = {}
        #: (operation, error.type) -> calls that failed
        self.errors: dict[tuple[str, str], int] = {}
        meter = metrics.get_meter(SCOPE, __version__, meter_provider)
        self.duration = meter.create_histogram(
            "smithy.client.call.duration", unit="s", description="Time of a whole call"
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
        meter.create_observable_counter(
            "smithy.client.call.attempts",
            callbacks=[self._observe_attempts],
            unit="{attempt}",
            description="Attempts made",
        )
        meter.create_observable_counter(
            "smithy.client.call.errors",
            callbacks=[self._observe_errors],
            unit="{error}",
            description="Calls that failed",
        )

    def effective_provider(self) -> object:
        """The provider the instruments report to now (the global one may be set late)."""
        if self.provider is not None:
            return self.provider
        from opentelemetry import metrics

        return metrics.get_meter_provider()

    def _group(self) -> list[_Metrics]:
        """The sets whose counts this set's counters report: all those on the same provider.

        A meter keeps the first callbacks registered under a name and ignores the later ones.
        Two sets share a provider when one was made on the global provider before an SDK was
        set (its instruments are created on the SDK's provider when it is set) and the other
        with that provider explicitly: whichever callback the meter kept reports both.
        """
        provider = self.effective_provider()
        return [m for m in list(_METRICS.values()) if m.effective_provider() is provider]

    def _observe_attempts(self, options: CallbackOptions) -> Iterable[Observation]:
        from opentelemetry.metrics import Observation

        totals: dict[str, int] = {}
        for metrics in self._group():
            with metrics.lock:
                counted = list(metrics.attempts.items())
            for operation, count in counted:
                totals[operation] = totals.get(operation, 0) + count
        return [
            Observation(count, {"rpc.service": SERVICE, "rpc.method": operation})
            for operation, count in totals.items()
        ]

    def _observe_errors(self, options: CallbackOptions) -> Iterable[Observation]:
        from opentelemetry.metrics import Observation

        totals: dict[tuple[str, str], int] = {}
        for metrics in self._group():
            with metrics.lock:
                counted = list(metrics.errors.items())
            for key, count in counted:
                totals[key] = totals.get(key, 0) + count
        return [
            Observation(
                count, {"rpc.service": SERVICE, "rpc.method": operation, "error.type": error}
            )
            for (operation, error), count in totals.items()
        ]


class _Operation:
    """What every call of one operation shares: its span name and attributes."""

    __slots__ = (
        "arn_in_request",
        "arn_in_response",
        "dimensions",
        "endpoint",
        "name",
        "span_attributes",
        "span_name",
    )

    def __init__(self, name: str, region: str | None, endpoint_url: str) -> None:
        self.name = name
        self.endpoint = endpoint_url
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
        self.arn_in_request, self.arn_in_response = _arn_fields(name)


def _arn_fields(operation: str) -> tuple[bool, bool]:
    """Whether the operation's request can name a secret, and its response names one by ARN."""
    import attrs

    from ._generated.operations import OPERATIONS

    op = OPERATIONS.get(operation)
    if op is None:  # not a modeled operation: look everywhere
        return True, False
    output = op.output_type
    return (
        not attrs.has(op.input_type) or "secret_id" in attrs.fields_dict(op.input_type),
        attrs.has(output) and "arn" in attrs.fields_dict(output),
    )


class _CallState:
    """Per-call state, kept in ``CallContext.observer`` for the per-attempt stages.

    Each attempt appends its signing time then its attempt time to ``times``; they are
    recorded with the call's metrics when it ends, outside its span's context.
    """

    __slots__ = ("sign_start", "span", "times")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.sign_start = 0.0
        self.times: list[float] = []


def _error_type(error: BaseException) -> str:
    if isinstance(error, ServiceError):
        return error.code
    return type(error).__name__


class _CallStage:
    """One span and the call metrics per call (outside retry)."""

    name = "telemetry.call"

    def __init__(
        self,
        client: SecretsManagerClient,
        tracer_provider: TracerProvider | None,
        metrics: _Metrics,
    ) -> None:
        from opentelemetry import context, trace

        self._client = client
        self._metrics = metrics
        self._operations: dict[str, _Operation] = {}
        self._start_span = trace.get_tracer(SCOPE, __version__, tracer_provider).start_span
        self._client_kind = trace.SpanKind.CLIENT
        self._error_status = trace.StatusCode.ERROR
        self._in_context = trace.set_span_in_context
        self._attach = context.attach
        self._detach = context.detach

    def _operation(self, name: str) -> _Operation:
        client = self._client
        op = self._operations[name] = _Operation(name, client.region, client.endpoint_url)
        return op

    def _record(self, op: _Operation, state: _CallState, elapsed: float, attempts: int) -> None:
        metrics = self._metrics
        dimensions = op.dimensions
        metrics.duration.record(elapsed, dimensions)
        times = state.times
        if len(times) == 2:  # one attempt, the usual case
            metrics.signing_duration.record(times[0], dimensions)
            metrics.attempt_duration.record(times[1], dimensions)
        else:
            for seconds in times[0::2]:
                metrics.signing_duration.record(seconds, dimensions)
            for seconds in times[1::2]:
                metrics.attempt_duration.record(seconds, dimensions)
        counts = metrics.attempts
        with metrics.lock:
            counts[op.name] = counts.get(op.name, 0) + attempts

    def _count_error(self, op: _Operation, error_type: str) -> None:
        metrics = self._metrics
        key = (op.name, error_type)
        with metrics.lock:
            metrics.errors[key] = metrics.errors.get(key, 0) + 1

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        context = request.context
        op = self._operations.get(context.operation)
        if op is None or op.endpoint != self._client.endpoint_url:
            # new, or the endpoint was resolved since (the cached attributes follow it)
            op = self._operation(context.operation)
        attributes = op.span_attributes
        found = _REQUEST_ARN.search(request.body) if op.arn_in_request else None
        if found is not None:
            arn = found.group(1).decode("utf-8", "replace")
            if ":secretsmanager:" in arn:
                attributes = {**attributes, ARN_ATTRIBUTE: arn}
            else:
                found = None
        span = self._start_span(op.span_name, kind=self._client_kind, attributes=attributes)
        state = context.observer = _CallState(span)
        token = self._attach(self._in_context(span))
        start = _perf_counter()
        try:
            response = await next(request)
        except BaseException as error:
            elapsed = _perf_counter() - start
            self._detach(token)
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
                span.set_status(self._error_status, error_type)
            span.end()
            self._record(op, state, elapsed, context.attempts)
            self._count_error(op, error_type)
            raise
        elapsed = _perf_counter() - start
        self._detach(token)
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
        self._record(op, state, elapsed, context.attempts)
        return response


class _SignStage:
    """Marks when an attempt reaches signing (just outside ``sign``)."""

    name = "telemetry.sign"

    def handle(self, request: HttpRequest, next: Handler) -> Awaitable[HttpResponse]:
        # a plain method handing back sign's awaitable: no coroutine of its own per attempt
        state = request.context.observer
        if type(state) is _CallState:
            state.sign_start = _perf_counter()
        return next(request)


class _AttemptStage:
    """Signing and attempt times; an event on the call's span for each failed attempt."""

    name = "telemetry.attempt"

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        context = request.context
        state = context.observer
        if type(state) is not _CallState:  # a call made before instrument(), still running
            return await next(request)
        start = _perf_counter()
        times = state.times
        times.append(start - state.sign_start)
        try:
            response = await next(request)
        except Exception as error:
            times.append(_perf_counter() - start)
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
        times.append(_perf_counter() - start)
        return response


#: id of the meter provider given (0: the global one) -> its instruments and counts
_METRICS: dict[int, _Metrics] = {}


def _metrics_for(meter_provider: MeterProvider | None) -> _Metrics:
    """The one set of instruments per provider (a meter ignores a second one of a name)."""
    if meter_provider is None:
        from opentelemetry import metrics

        # the global provider, once an SDK's is set, may also have been given explicitly
        current = metrics.get_meter_provider()
        found = _METRICS.get(id(current))
        if found is not None and found.provider is current:
            return found
    key = 0 if meter_provider is None else id(meter_provider)
    found = _METRICS.get(key)
    if found is None or found.provider is not meter_provider:
        found = _METRICS[key] = _Metrics(meter_provider)
    return found


def _instrument_client(
    client: SecretsManagerClient,
    tracer_provider: TracerProvider | None,
    meter_provider: MeterProvider | None,
) -> None:
    stack = client.middleware
    stack.insert_before("retry", _CallStage(client, tracer_provider, _metrics_for(meter_provider)))
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
        #: recorded by each refresh (the cache calls its observer when one ends, ok or not)
        self.refresh_duration = meter.create_histogram(
            "secretsmanager_async.cache.refresh.duration",
            unit="s",
            description="Time to refresh a held value (version check and read, or the failure)",
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
    number = registry.caches[cache] = next(_CACHE_NUMBERS)
    record = registry.refresh_duration.record
    attributes = {CACHE_ID_ATTRIBUTE: number}
    cache._refresh_observer = lambda seconds: record(seconds, attributes)
