"""CPU per call of telemetry, per-call options and the Lambda trace header, instant transport.

Run: ``python benchmarks/telemetry_cost.py`` (needs the ``[otel]`` extra and
``opentelemetry-sdk``). Every variant makes GetSecretValue calls through the whole stack over a
transport that answers at once, so what is measured is the library's own CPU per call
(``time.process_time``: threads included, e.g. a batch span processor's worker). Variants run
interleaved, ``rounds`` times each; the first quartile is reported (on a shared machine the
slower rounds measure the neighbours).

- ``plain``: a client not instrumented (the cost every user pays);
- ``otel api only``: instrumented, no SDK installed as provider (the API's no-op objects);
- ``otel sdk, batch``: instrumented with the SDK, a ``BatchSpanProcessor`` and an exporter that
  drops everything, metrics to a reader that is never collected during the run;
- ``otel sdk, simple``: the same with a ``SimpleSpanProcessor`` (exports inline, per span);
- ``library only``: instrumented with providers that do nothing but whose spans say they
  record: the instrumentation's own work (stages, attributes, timing), without the SDK's;
- ``sdk floor``: a plain call wrapped by hand in the SDK work an instrumented call needs (one
  span, current during the call, its attributes, three histogram measurements; batch
  processor; the attempts and errors counters are observable, read at collection, so a call
  makes no counter measurement): what the SDK alone costs, so ``otel sdk, batch`` minus
  ``sdk floor`` is the library's part;
- ``view``: calls through ``client.with_options(timeout=30, max_attempts=3)``;
- ``lambda header``: a client built with ``AWS_LAMBDA_FUNCTION_NAME`` and ``_X_AMZN_TRACE_ID``.

``--plain-only`` runs only ``plain``, so the same script measures another checkout (run it with
``PYTHONPATH=<checkout>``) to compare an uninstrumented client before and after a change.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import timeit
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from secretsmanager_async import Credentials, SecretsManagerClient

BODY = (
    b'{"ARN":"arn:aws:secretsmanager:us-east-1:1:secret:s-AbCdEf","Name":"s",'
    b'"SecretString":"v","VersionId":"1","VersionStages":["AWSCURRENT"]}'
)
HEADERS = {"x-amzn-requestid": "r"}


class Instant:
    """A transport that answers at once."""

    async def send(self, request: Any) -> Any:
        from secretsmanager_async import HttpResponse

        return HttpResponse(200, HEADERS, BODY)

    async def close(self) -> None:
        return None


def new_client() -> SecretsManagerClient:
    return SecretsManagerClient(
        region="us-east-1", credentials=Credentials("A", "B"), transport=Instant()
    )


def sdk_providers(simple: bool) -> dict[str, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SimpleSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class Drop(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    processor = SimpleSpanProcessor(Drop()) if simple else BatchSpanProcessor(Drop())
    tracer_provider.add_span_processor(processor)
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return {"tracer_provider": tracer_provider, "meter_provider": meter_provider}


async def variants(plain_only: bool) -> dict[str, Callable[[], Awaitable[Any]]]:
    clients: list[SecretsManagerClient] = []

    async def made(client: SecretsManagerClient) -> SecretsManagerClient:
        await client.__aenter__()
        await client.get_secret_value(secret_id="s")  # warm: setup, codec, caches
        clients.append(client)
        return client

    plain = await made(new_client())
    found: dict[str, Callable[[], Awaitable[Any]]] = {
        "plain": lambda: plain.get_secret_value(secret_id="s")
    }
    if plain_only:
        return found
    from secretsmanager_async.telemetry import instrument

    api_only = new_client()
    instrument(api_only)  # the global providers: the API's no-op ones (no SDK set globally)
    api_only = await made(api_only)
    found["otel api only"] = lambda: api_only.get_secret_value(secret_id="s")
    for label, providers in (
        ("otel sdk, batch", sdk_providers(simple=False)),
        ("otel sdk, simple", sdk_providers(simple=True)),
        ("library only", null_providers()),
    ):
        client = new_client()
        instrument(client, **providers)
        client = await made(client)
        found[label] = (lambda c: lambda: c.get_secret_value(secret_id="s"))(client)
    found["sdk floor"] = sdk_floor(plain)
    view = plain.with_options(timeout=30.0, max_attempts=3)
    found["view"] = lambda: view.get_secret_value(secret_id="s")
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = "bench"
    os.environ["_X_AMZN_TRACE_ID"] = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    try:
        in_lambda = await made(new_client())
    finally:
        del os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    found["lambda header"] = lambda: in_lambda.get_secret_value(secret_id="s")
    return found


def sdk_floor(plain: SecretsManagerClient) -> Callable[[], Awaitable[Any]]:
    """A plain call wrapped in the SDK work an instrumented call needs, done by hand.

    One span (the same name, kind and attributes, current during the call) and the three
    histogram measurements of a successful call (call, attempt and signing time), with a
    batch span processor: what the SDK costs per call whatever the instrumentation does, the
    floor under ``otel sdk, batch``.
    """
    from opentelemetry import context, trace

    providers = sdk_providers(simple=False)
    tracer = providers["tracer_provider"].get_tracer("floor")
    meter = providers["meter_provider"].get_meter("floor")
    duration, attempt, signing = (meter.create_histogram(f"h{i}") for i in range(3))
    start_attributes = {
        "rpc.system": "aws-api",
        "rpc.service": "Secrets Manager",
        "rpc.method": "GetSecretValue",
        "cloud.region": "us-east-1",
        "server.address": "secretsmanager.us-east-1.amazonaws.com",
        "server.port": 443,
    }
    end_attributes = {
        "retry_attempts": 0,
        "http.response.status_code": 200,
        "aws.request_id": "r",
        "aws.secretsmanager.secret.arn": "arn:aws:secretsmanager:us-east-1:1:secret:s-AbCdEf",
    }
    dims = {"rpc.service": "Secrets Manager", "rpc.method": "GetSecretValue"}
    kind = trace.SpanKind.CLIENT
    attach, detach, in_context = context.attach, context.detach, trace.set_span_in_context

    async def call() -> Any:
        span = tracer.start_span(
            "Secrets Manager.GetSecretValue", kind=kind, attributes=start_attributes
        )
        token = attach(in_context(span))
        response = await plain.get_secret_value(secret_id="s")
        detach(token)
        span.set_attributes(end_attributes)
        span.end()
        duration.record(0.001, dims)
        attempt.record(0.001, dims)
        signing.record(0.0001, dims)
        return response

    return call


def null_providers() -> dict[str, Any]:
    """Providers whose spans record (so every attribute is built) and whose work is nothing."""

    class Span:
        def is_recording(self) -> bool:
            return True

        def set_attributes(self, attributes: Any) -> None:
            return None

        def set_status(self, *args: Any) -> None:
            return None

        def add_event(self, *args: Any) -> None:
            return None

        def end(self) -> None:
            return None

    class Tracer:
        def start_span(self, name: str, kind: Any = None, attributes: Any = None) -> Span:
            return Span()

    class Instrument:
        def record(self, value: float, attributes: Any = None) -> None:
            return None

        add = record

    class Meter:
        def create_histogram(self, *args: Any, **kwargs: Any) -> Instrument:
            return Instrument()

        create_counter = create_histogram

        def create_observable_counter(self, *args: Any, **kwargs: Any) -> None:
            return None

    class TracerProvider:
        def get_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
            return Tracer()

    class MeterProvider:
        def get_meter(self, *args: Any, **kwargs: Any) -> Meter:
            return Meter()

    return {"tracer_provider": TracerProvider(), "meter_provider": MeterProvider()}


async def main(n: int = 250, rounds: int = 121, plain_only: bool = False) -> None:
    calls = await variants(plain_only)
    results: dict[str, list[float]] = {name: [] for name in calls}
    # many short rounds, every variant in each: the machine's load changes by the second
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.process_time()
            for _ in range(n):
                await call()
            results[name].append((time.process_time() - start) / n * 1e6)
    # the lowest quartile: on a shared machine the slow rounds measure the neighbours
    med = {k: statistics.quantiles(v, n=4)[0] for k, v in results.items()}
    print(
        f"CPU per GetSecretValue call, 1st quartile of {rounds} x {n} (Python {sys.version[:6]}):"
    )
    for name, value in med.items():
        extra = "" if name == "plain" else f"  ({value - med['plain']:+.2f} us vs plain)"
        print(f"  {name:18s} {value:7.2f} us{extra}")
    if not plain_only:
        ours = med["otel sdk, batch"] - med["sdk floor"]
        print(f"  otel sdk, batch minus sdk floor: {ours:+.2f} us per call (the library's part)")
        client = new_client()
        per = timeit.timeit(lambda: client.with_options(timeout=0.5), number=100000) / 100000
        print(f"  with_options(timeout=0.5): {per * 1e6:.2f} us to make a view")


if __name__ == "__main__":
    asyncio.run(main(plain_only="--plain-only" in sys.argv))
