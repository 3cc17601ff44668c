"""secretsmanager_async.telemetry: spans, attempt events and metrics with the OTel SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from secretsmanager_async import (
    Credentials,
    ResourceNotFoundException,
    SecretsManagerClient,
    ServiceError,
)
from secretsmanager_async._middleware.base import Handler
from secretsmanager_async._protocol import HttpRequest, HttpResponse
from secretsmanager_async.telemetry import instrument, uninstrument
from secretsmanager_async.testing import FakeTransport, error_response, json_response

from .conftest import Otel

CREDS = Credentials("AKIDFAKE", "fake-secret-key")
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"
GSV = {
    "ARN": ARN,
    "Name": "app/db",
    "SecretString": "v",
    "VersionId": "v1",
    "VersionStages": ["AWSCURRENT"],
    "CreatedDate": 1700000000.5,
}


def make(transport: FakeTransport, otel: Otel, **kwargs: Any) -> SecretsManagerClient:
    client = SecretsManagerClient(
        region="eu-west-1", credentials=CREDS, transport=transport, **kwargs
    )
    client.middleware["retry"].backoff = False  # type: ignore[attr-defined]
    instrument(client, **otel.providers)
    return client


def one_point(otel: Otel, name: str) -> tuple[dict[str, Any], Any]:
    points = otel.metrics()[name]
    assert len(points) == 1, points
    return points[0]


async def test_span_per_call_with_botocore_attributes(otel: Otel) -> None:
    """One CLIENT span named 'Secrets Manager.GetSecretValue' with the botocore attributes."""
    transport = FakeTransport().add(json_response(200, GSV, {"x-amzn-requestid": "req-1"}))
    async with make(transport, otel) as client:
        await client.get_secret_value(secret_id="app/db")
    (span,) = otel.spans()
    assert span.name == "Secrets Manager.GetSecretValue"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "rpc.system": "aws-api",
        "rpc.service": "Secrets Manager",
        "rpc.method": "GetSecretValue",
        "cloud.region": "eu-west-1",
        "server.address": "secretsmanager.eu-west-1.amazonaws.com",
        "server.port": 443,
        "aws.request_id": "req-1",
        "retry_attempts": 0,
        "http.response.status_code": 200,
        # the id sent was a name: the ARN comes from the response
        "aws.secretsmanager.secret.arn": ARN,
    }
    assert span.events == ()


async def test_arn_sent_is_recorded_and_a_name_is_not(otel: Otel) -> None:
    """An ARN given as secret id is an attribute; a name never is, even when no ARN comes back."""
    transport = FakeTransport().add(
        json_response(200, GSV), json_response(200, {"Name": "app/db"}), json_response(200, {})
    )
    async with make(transport, otel) as client:
        await client.get_secret_value(secret_id=ARN[:-7])  # a partial ARN
        await client.describe_secret(secret_id="app/db")
        await client.tag_resource(secret_id="app/db", tags=[])
    first, second, third = otel.spans()
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["aws.secretsmanager.secret.arn"] == ARN[:-7]
    assert "aws.secretsmanager.secret.arn" not in second.attributes
    assert "app/db" not in json.dumps(dict(second.attributes))
    assert third.name == "Secrets Manager.TagResource"


async def test_retries_show_as_attempt_events_and_metrics(otel: Otel) -> None:
    """Two scripted 503s then a success: 3 attempts, 2 events, attempt metrics per attempt."""
    transport = FakeTransport().add(
        error_response("ServiceUnavailable", status=503, headers={"x-amzn-requestid": "r1"}),
        error_response("ServiceUnavailable", status=503, headers={"x-amzn-requestid": "r2"}),
        json_response(200, GSV, {"x-amzn-requestid": "r3"}),
    )
    async with make(transport, otel) as client:
        result = await client.get_secret_value(secret_id="app/db")
    assert result.metadata.attempts == 3
    (span,) = otel.spans()
    assert span.attributes is not None
    assert span.attributes["retry_attempts"] == 2
    assert span.attributes["aws.request_id"] == "r3"
    assert span.attributes["http.response.status_code"] == 200
    assert [e.name for e in span.events] == ["attempt", "attempt"]
    assert [dict(e.attributes or {}) for e in span.events] == [
        {
            "attempt": n,
            "error.type": "ServiceUnavailable",
            "http.response.status_code": 503,
            "aws.request_id": f"r{n}",
        }
        for n in (1, 2)
    ]
    dims = {
        "rpc.service": "Secrets Manager",
        "rpc.method": "GetSecretValue",
    }
    attrs, attempts = one_point(otel, "smithy.client.call.attempts")
    assert attrs == dims and attempts.value == 3
    attrs, duration = one_point(otel, "smithy.client.call.duration")
    assert attrs == dims and duration.count == 1
    assert one_point(otel, "smithy.client.call.attempt_duration")[1].count == 3
    assert one_point(otel, "smithy.client.call.auth.signing_duration")[1].count == 3
    assert "smithy.client.call.errors" not in otel.metrics()


async def test_failed_call_sets_error_status_type_and_error_metric(otel: Otel) -> None:
    """A modeled error: status ERROR described by its code only, error.type, errors counted."""
    transport = FakeTransport().add(
        error_response(
            "ResourceNotFoundException",
            "Secrets Manager can't find the secret app/db",
            headers={"x-amzn-requestid": "r-404"},
        )
    )
    async with make(transport, otel) as client:
        with pytest.raises(ResourceNotFoundException):
            await client.get_secret_value(secret_id="app/db")
    (span,) = otel.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ResourceNotFoundException"
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ResourceNotFoundException"
    assert span.attributes["http.response.status_code"] == 400
    assert span.attributes["aws.request_id"] == "r-404"
    assert span.attributes["retry_attempts"] == 0
    assert len(span.events) == 1  # the one attempt, failed
    attrs, errors = one_point(otel, "smithy.client.call.errors")
    assert attrs["error.type"] == "ResourceNotFoundException" and errors.value == 1
    assert "app/db" not in span.to_json()


async def test_network_error_type_is_the_class_name(otel: Otel) -> None:
    """A transport failure after all attempts: error.type is the exception's class name."""
    from secretsmanager_async.exceptions import ConnectionClosedError

    transport = FakeTransport().add(*(ConnectionClosedError("closed") for _ in range(3)))
    async with make(transport, otel) as client:
        with pytest.raises(ConnectionClosedError):
            await client.list_secrets()
    (span,) = otel.spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ConnectionClosedError"
    assert span.attributes["retry_attempts"] == 2
    assert [e.attributes["error.type"] for e in span.events if e.attributes] == [
        "ConnectionClosedError"
    ] * 3


async def test_span_is_current_during_the_call_and_nests_in_the_callers(otel: Otel) -> None:
    """Middleware in the call sees the call's span as current; the caller's span is its parent."""
    seen: list[Any] = []

    class Capture:
        name = "capture"

        async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
            seen.append(trace.get_current_span())
            return await next(request)

    transport = FakeTransport().add(json_response(200, GSV))
    tracer = otel.tracer_provider.get_tracer("app")
    async with make(transport, otel, middleware=[Capture()]) as client:
        with tracer.start_as_current_span("handler") as parent:
            await client.get_secret_value(secret_id="app/db")
            assert trace.get_current_span() is parent  # restored after the call
    ours = next(s for s in otel.spans() if s.name.startswith("Secrets Manager."))
    assert seen[0].get_span_context().span_id == ours.context.span_id
    assert ours.parent is not None and ours.parent.span_id == parent.get_span_context().span_id


async def test_instrument_twice_replaces_and_uninstrument_removes(otel: Otel) -> None:
    """Stages are added once however often instrument() runs; uninstrument() takes them out."""
    transport = FakeTransport().add(json_response(200, GSV), json_response(200, GSV))
    async with make(transport, otel) as client:
        instrument(client, **otel.providers)
        assert client.middleware.names == (
            "telemetry.call",
            "retry",
            "endpoint",
            "telemetry.sign",
            "sign",
            "telemetry.attempt",
            "parse_errors",
        )
        await client.get_secret_value(secret_id="app/db")
        assert len(otel.spans()) == 1
        uninstrument(client)
        assert client.middleware.names == ("retry", "endpoint", "sign", "parse_errors")
        await client.get_secret_value(secret_id="app/db")
    assert len(otel.spans()) == 1


async def test_views_share_the_instrumentation(otel: Otel) -> None:
    """A with_options view's calls are traced, with its attempt limit visible."""
    transport = FakeTransport().add(
        *(error_response("InternalFailure", status=500) for _ in range(4)),
        json_response(200, GSV),
    )
    async with make(transport, otel) as client:
        await client.with_options(max_attempts=5).get_secret_value(secret_id="app/db")
    (span,) = otel.spans()
    assert span.attributes is not None and span.attributes["retry_attempts"] == 4


def test_instrument_refuses_other_objects() -> None:
    """instrument() names what it accepts."""
    with pytest.raises(TypeError, match="SecretsManagerClient or a SecretCache"):
        instrument(object())  # type: ignore[arg-type]


async def test_service_error_message_never_reaches_the_span(otel: Otel) -> None:
    """A server message (free text, may hold a name) is not the status description or an event."""
    transport = FakeTransport().add(
        *(error_response("ThrottlingException", "slow down, CANARYNAME") for _ in range(3))
    )
    async with make(transport, otel) as client:
        with pytest.raises(ServiceError):
            await client.get_secret_value(secret_id="x")
    (span,) = otel.spans()
    assert "CANARYNAME" not in span.to_json()


def test_the_core_never_imports_telemetry() -> None:
    """A call on a client that is not instrumented imports neither the add-on nor OpenTelemetry."""
    code = """
import asyncio, sys
from secretsmanager_async import Credentials, SecretsManagerClient
from secretsmanager_async.testing import FakeTransport, json_response

async def main():
    t = FakeTransport().add(json_response(200, {"Name": "n"}))
    async with SecretsManagerClient(
        region="us-east-1", credentials=Credentials("a", "b"), transport=t
    ) as c:
        await c.describe_secret(secret_id="n")

asyncio.run(main())
prefixes = ("opentelemetry", "secretsmanager_async.telemetry")
bad = sorted(m for m in sys.modules if m.startswith(prefixes))
print(bad)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
