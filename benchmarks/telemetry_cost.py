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
    for label, simple in (("otel sdk, batch", False), ("otel sdk, simple", True)):
        client = new_client()
        instrument(client, **sdk_providers(simple))
        client = await made(client)
        found[label] = (lambda c: lambda: c.get_secret_value(secret_id="s"))(client)
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


def sdk_floor(n: int, rounds: int) -> float:
    """CPU of what the SDK does per instrumented call, done directly (batch processor)."""
    from opentelemetry import context, trace

    providers = sdk_providers(simple=False)
    tracer = providers["tracer_provider"].get_tracer("floor")
    meter = providers["meter_provider"].get_meter("floor")
    duration, attempt, signing = (meter.create_histogram(f"h{i}") for i in range(3))
    attempts = meter.create_counter("c")
    start_attributes = {
        "rpc.system": "aws-api",
        "rpc.service": "Secrets Manager",
        "rpc.method": "GetSecretValue",
        "cloud.region": "us-east-1",
        "server.address": "secretsmanager.us-east-1.amazonaws.com",
        "server.port": 443,
    }
    dims = {"rpc.service": "Secrets Manager", "rpc.method": "GetSecretValue"}
    kind = trace.SpanKind.CLIENT
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(n):
            span = tracer.start_span(
                "Secrets Manager.GetSecretValue", kind=kind, attributes=start_attributes
            )
            token = context.attach(trace.set_span_in_context(span))
            context.detach(token)
            span.set_attributes(
                {
                    "retry_attempts": 0,
                    "http.response.status_code": 200,
                    "aws.request_id": "r",
                    "aws.secretsmanager.secret.arn": "arn:aws:secretsmanager:us-east-1:1:secret:s",
                }
            )
            span.end()
            duration.record(0.001, dims)
            attempts.add(1, dims)
            attempt.record(0.001, dims)
            signing.record(0.0001, dims)
        times.append((time.process_time() - start) / n * 1e6)
    return statistics.quantiles(times, n=4)[0]


async def main(n: int = 2000, rounds: int = 41, plain_only: bool = False) -> None:
    calls = await variants(plain_only)
    results: dict[str, list[float]] = {name: [] for name in calls}
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
        floor = sdk_floor(n, rounds)
        print(
            f"  sdk floor          {floor:7.2f} us  (the SDK work alone: one span, 4 measurements)"
        )
        ours = med["otel sdk, batch"] - med["plain"] - floor
        print(f"  instrumentation beyond the SDK's own work: {ours:+.2f} us per call")
        client = new_client()
        per = timeit.timeit(lambda: client.with_options(timeout=0.5), number=100000) / 100000
        print(f"  with_options(timeout=0.5): {per * 1e6:.2f} us to make a view")


if __name__ == "__main__":
    asyncio.run(main(plain_only="--plain-only" in sys.argv))
