"""Attempts and failed calls are counted per call and reported by observable counters.

A call records its three times as histogram measurements and adds its attempts (and its
failure) to counts that ``smithy.client.call.attempts`` / ``.errors`` read at collection.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider, ObservableCounter
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

from secretsmanager_async import Credentials, ResourceNotFoundException, SecretsManagerClient
from secretsmanager_async.telemetry import instrument, uninstrument
from secretsmanager_async.testing import FakeTransport, error_response, json_response

from .conftest import Otel

CREDS = Credentials("AKIDFAKE", "fake-secret-key")
GSV = {"ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:a-AbCdEf", "Name": "a"}
DIMS = {"rpc.service": "Secrets Manager", "rpc.method": "GetSecretValue"}


def make(transport: FakeTransport, **providers: Any) -> SecretsManagerClient:
    client = SecretsManagerClient(region="eu-west-1", credentials=CREDS, transport=transport)
    client.middleware["retry"].backoff = False  # type: ignore[attr-defined]
    instrument(client, **providers)
    return client


def values(otel: Otel, name: str) -> dict[tuple[tuple[str, Any], ...], Any]:
    """Attributes (sorted items) -> value of each point of one metric, from one collection."""
    return {tuple(sorted(a.items())): p.value for a, p in otel.metrics().get(name, [])}


class _Spy:
    """Wraps an SDK meter provider: which instruments are made, what each call measures."""

    def __init__(self, provider: MeterProvider) -> None:
        self.provider = provider
        self.made: dict[str, str] = {}  # instrument name -> create_* method
        self.measured: list[tuple[str, str]] = []  # (instrument name, method)

    def get_meter(self, *args: Any, **kwargs: Any) -> Any:
        meter = self.provider.get_meter(*args, **kwargs)
        spy = self

        class Instrument:
            def __init__(self, name: str, real: Any) -> None:
                self.name, self.real = name, real

            def record(self, *args: Any, **kwargs: Any) -> None:
                spy.measured.append((self.name, "record"))
                self.real.record(*args, **kwargs)

            def add(self, *args: Any, **kwargs: Any) -> None:
                spy.measured.append((self.name, "add"))
                self.real.add(*args, **kwargs)

        class Meter:
            def __getattr__(self, method: str) -> Any:
                def create(name: str, *args: Any, **kwargs: Any) -> Any:
                    spy.made[name] = method
                    return Instrument(name, getattr(meter, method)(name, *args, **kwargs))

                return create

        return Meter()


async def test_a_call_makes_three_measurements_and_counts_at_collection(otel: Otel) -> None:
    """Per call: call, signing and attempt time recorded; attempts/errors read when collected."""
    spy = _Spy(otel.meter_provider)
    transport = FakeTransport().add(json_response(200, GSV))
    async with make(transport, tracer_provider=otel.tracer_provider, meter_provider=spy) as client:
        await client.get_secret_value(secret_id="a")
    assert spy.made["smithy.client.call.attempts"] == "create_observable_counter"
    assert spy.made["smithy.client.call.errors"] == "create_observable_counter"
    assert sorted(spy.measured) == [
        ("smithy.client.call.attempt_duration", "record"),
        ("smithy.client.call.auth.signing_duration", "record"),
        ("smithy.client.call.duration", "record"),
    ]
    assert values(otel, "smithy.client.call.attempts") == {tuple(sorted(DIMS.items())): 1}


async def test_counts_are_cumulative_per_operation_and_error_type(otel: Otel) -> None:
    """Attempts summed over calls and collections; failed calls counted by error.type."""
    transport = FakeTransport().add(
        json_response(200, GSV),
        error_response("InternalFailure", status=500),
        json_response(200, GSV),
        error_response("ResourceNotFoundException", "no such secret"),
        json_response(200, {"SecretList": []}),
    )
    async with make(transport, **otel.providers) as client:
        await client.get_secret_value(secret_id="a")  # 1 attempt
        await client.get_secret_value(secret_id="a")  # 2 attempts
        with pytest.raises(ResourceNotFoundException):
            await client.get_secret_value(secret_id="a")  # 1 attempt, failed
        gsv = tuple(sorted(DIMS.items()))
        assert values(otel, "smithy.client.call.attempts") == {gsv: 4}
        error = tuple(sorted({**DIMS, "error.type": "ResourceNotFoundException"}.items()))
        assert values(otel, "smithy.client.call.errors") == {error: 1}
        await client.list_secrets()
    listing = tuple(sorted({**DIMS, "rpc.method": "ListSecrets"}.items()))
    # cumulative: the second collection reports the totals, each operation apart
    assert values(otel, "smithy.client.call.attempts") == {gsv: 4, listing: 1}
    assert values(otel, "smithy.client.call.errors") == {error: 1}


async def test_delta_temporality_reports_the_calls_since_the_last_collection() -> None:
    """A reader asking for deltas gets each interval's attempts (the SDK subtracts)."""
    reader = InMemoryMetricReader(
        preferred_temporality={ObservableCounter: AggregationTemporality.DELTA}
    )
    provider = MeterProvider(metric_readers=[reader])

    def attempts() -> list[int]:
        data = reader.get_metrics_data()
        assert data is not None
        return [
            point.value
            for rm in data.resource_metrics
            for sm in rm.scope_metrics
            for metric in sm.metrics
            if metric.name == "smithy.client.call.attempts"
            for point in metric.data.data_points
        ]

    transport = FakeTransport().add(*(json_response(200, GSV) for _ in range(3)))
    async with make(transport, meter_provider=provider) as client:
        await client.get_secret_value(secret_id="a")
        await client.get_secret_value(secret_id="a")
        assert attempts() == [2]
        await client.get_secret_value(secret_id="a")
        assert attempts() == [1]
    provider.shutdown()


async def test_clients_sharing_providers_add_up_and_counts_outlive_uninstrument(
    otel: Otel,
) -> None:
    """Two clients on one provider report one total; uninstrumenting keeps what was counted."""
    first = make(FakeTransport().add(json_response(200, GSV)), **otel.providers)
    second = make(
        FakeTransport().add(*(json_response(200, GSV) for _ in range(2))), **otel.providers
    )
    async with first, second:
        await first.get_secret_value(secret_id="a")
        await second.get_secret_value(secret_id="a")
        uninstrument(second)
        await second.get_secret_value(secret_id="a")  # not counted: not instrumented
    assert values(otel, "smithy.client.call.attempts") == {tuple(sorted(DIMS.items())): 2}


def test_clients_on_other_threads_are_all_counted(otel: Otel) -> None:
    """Clients on their own loops in two threads, one provider: no attempt is lost."""
    calls = 150

    def run() -> None:
        async def main() -> None:
            transport = FakeTransport().add(*(json_response(200, GSV) for _ in range(calls)))
            async with make(transport, **otel.providers) as client:
                for _ in range(calls):
                    await client.get_secret_value(secret_id="a")

        asyncio.run(main())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert values(otel, "smithy.client.call.attempts") == {tuple(sorted(DIMS.items())): 2 * calls}


def test_global_provider_set_late_and_the_same_given_explicitly() -> None:
    """Counts of clients instrumented through the global provider before an SDK was set, and
    of clients given that provider explicitly, are all reported (a meter keeps one callback)."""
    code = """
import asyncio
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from secretsmanager_async import Credentials, SecretsManagerClient
from secretsmanager_async.telemetry import instrument
from secretsmanager_async.testing import FakeTransport, json_response

def client():
    t = FakeTransport().add(json_response(200, {"Name": "a"}))
    return SecretsManagerClient(region="eu-west-1", credentials=Credentials("a", "b"), transport=t)

async def main():
    early, explicit, late = client(), client(), client()
    instrument(early)  # the API's proxy: no SDK yet
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    instrument(explicit, meter_provider=provider)
    metrics.set_meter_provider(provider)
    instrument(late)  # the global provider, now the SDK's
    for c in (early, explicit, late):
        async with c:
            await c.get_secret_value(secret_id="a")
    data = reader.get_metrics_data()
    print(sorted(
        p.value
        for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
        if m.name == "smithy.client.call.attempts" for p in m.data.data_points
    ))

asyncio.run(main())
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[3]", out.stderr


async def test_uninstrument_restores_the_very_same_stack(otel: Otel) -> None:
    """After uninstrument the stages are the original objects and a call carries no state."""
    seen: list[Any] = []

    class Capture:
        name = "capture"

        async def handle(self, request: Any, next: Any) -> Any:
            seen.append(request.context.observer)
            return await next(request)

    transport = FakeTransport().add(json_response(200, GSV), json_response(200, GSV))
    client = SecretsManagerClient(region="eu-west-1", credentials=CREDS, transport=transport)
    client.middleware.add(Capture())
    before = list(client.middleware)
    instrument(client, **otel.providers)
    async with client:
        await client.get_secret_value(secret_id="a")
        uninstrument(client)
        assert list(client.middleware) == before
        assert all(a is b for a, b in zip(client.middleware, before, strict=True))
        await client.get_secret_value(secret_id="a")
    assert seen[0] is not None and seen[1] is None
