"""Per-attempt logs, the final WARNING, and X-Amzn-Trace-Id in Lambda."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from secretsmanager_async import Credentials, SecretsManagerClient, ServiceError
from secretsmanager_async._middleware.base import Handler
from secretsmanager_async._middleware.recursion import encode_trace_id
from secretsmanager_async._protocol import HttpRequest, HttpResponse
from secretsmanager_async.testing import FakeTransport, error_response, json_response

CREDS = Credentials("AKIDFAKE", "fake-secret-key")
CANARY = "CANARY-value-7f3a"
GSV = {"ARN": "arn:aws:secretsmanager:us-east-1:1:secret:a-1", "Name": "a", "SecretString": CANARY}


def make(transport: FakeTransport, **kwargs: Any) -> SecretsManagerClient:
    client = SecretsManagerClient(
        region="us-east-1", credentials=CREDS, transport=transport, **kwargs
    )
    client.middleware["retry"].backoff = False  # type: ignore[attr-defined]
    return client


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "secretsmanager_async" and r.levelno == level
    ]


async def test_one_debug_line_per_attempt(caplog: pytest.LogCaptureFixture) -> None:
    """Two 503s then 200: three DEBUG lines with attempt, status or code, request id, delay."""
    caplog.set_level(logging.DEBUG, logger="secretsmanager_async")
    transport = FakeTransport().add(
        error_response("ServiceUnavailable", status=503, headers={"x-amzn-requestid": "r1"}),
        error_response("ServiceUnavailable", status=503, headers={"x-amzn-requestid": "r2"}),
        json_response(200, GSV, {"x-amzn-requestid": "r3"}),
    )
    async with make(transport) as client:
        await client.get_secret_value(secret_id="a")
    assert lines(caplog, logging.DEBUG) == [
        "GetSecretValue attempt 1/3: ServiceUnavailable (HTTP 503), request id r1; "
        "retrying in 0.000 s",
        "GetSecretValue attempt 2/3: ServiceUnavailable (HTTP 503), request id r2; "
        "retrying in 0.000 s",
        "GetSecretValue attempt 3/3: HTTP 200, request id r3",
    ]
    assert lines(caplog, logging.WARNING) == []
    assert CANARY not in caplog.text


async def test_the_delay_is_the_one_slept(caplog: pytest.LogCaptureFixture) -> None:
    """The logged delay is the backoff actually waited (here set by x-amz-retry-after)."""
    caplog.set_level(logging.DEBUG, logger="secretsmanager_async")
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    transport = FakeTransport().add(
        error_response("ThrottlingException", headers={"x-amz-retry-after": "1500"}),
        json_response(200, GSV),
    )
    async with make(transport) as client:
        stage = client.middleware["retry"]
        stage.backoff = True  # type: ignore[attr-defined]
        stage._sleep = sleep  # type: ignore[attr-defined]
        stage._random = lambda: 0.0  # type: ignore[attr-defined]
        await client.get_secret_value(secret_id="a")
    assert slept == [1.5]
    assert "retrying in 1.500 s" in lines(caplog, logging.DEBUG)[0]


async def test_warning_once_when_a_call_fails_after_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three 500s: one WARNING naming the operation, attempts, code and request id."""
    caplog.set_level(logging.WARNING, logger="secretsmanager_async")
    transport = FakeTransport().add(
        *(
            error_response(
                "InternalFailure", f"leaked {CANARY}", 500, {"x-amzn-requestid": f"r{n}"}
            )
            for n in (1, 2, 3)
        )
    )
    async with make(transport) as client:
        with pytest.raises(ServiceError):
            await client.get_secret_value(secret_id="a")
    assert lines(caplog, logging.WARNING) == [
        "GetSecretValue failed after 3 attempts: InternalFailure (HTTP 500), request id r3 "
        "(attempts exhausted)"
    ]
    assert lines(caplog, logging.DEBUG) == []  # DEBUG off: not even formatted
    assert CANARY not in caplog.text  # the server's message is never logged


async def test_no_warning_for_a_permanent_first_attempt_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ResourceNotFound on the first attempt is the caller's to handle: DEBUG only."""
    caplog.set_level(logging.DEBUG, logger="secretsmanager_async")
    transport = FakeTransport().add(error_response("ResourceNotFoundException", "no such"))
    async with make(transport) as client:
        with pytest.raises(ServiceError):
            await client.describe_secret(secret_id="a")
    assert lines(caplog, logging.WARNING) == []
    assert lines(caplog, logging.DEBUG) == [
        "DescribeSecret attempt 1/3: ResourceNotFoundException (HTTP 400), request id "
        "fake-request-id; not retryable"
    ]


async def test_quota_exhaustion_is_said(caplog: pytest.LogCaptureFixture) -> None:
    """A retry refused by the empty quota says so."""
    caplog.set_level(logging.DEBUG, logger="secretsmanager_async")
    transport = FakeTransport().add(error_response("InternalFailure", status=500))
    async with make(transport) as client:
        client.middleware["retry"].quota.available = 0  # type: ignore[attr-defined]
        with pytest.raises(ServiceError):
            await client.describe_secret(secret_id="a")
    assert lines(caplog, logging.DEBUG)[0].endswith("; retry quota exhausted")


# -- X-Amzn-Trace-Id -------------------------------------------------------------------------

TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def lambda_env(monkeypatch: pytest.MonkeyPatch, trace_id: str | None = TRACE_ID) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "my-function")
    if trace_id is None:
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    else:
        monkeypatch.setenv("_X_AMZN_TRACE_ID", trace_id)


async def test_trace_header_in_lambda_on_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """In Lambda every attempt carries the invocation's trace id, unsigned, as botocore sends it."""
    lambda_env(monkeypatch)
    transport = FakeTransport().add(
        error_response("ServiceUnavailable", status=503), json_response(200, GSV)
    )
    async with make(transport) as client:
        assert client.middleware.names[-1] == "recursion_detection"
        await client.get_secret_value(secret_id="a")
    for request in transport.requests:
        assert request.headers["X-Amzn-Trace-Id"] == TRACE_ID
        assert "x-amzn-trace-id" not in request.headers["Authorization"].lower()


async def test_trace_id_follows_each_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime sets a new trace id per invocation: each request takes the current one."""
    lambda_env(monkeypatch)
    transport = FakeTransport().add(json_response(200, GSV), json_response(200, GSV))
    async with make(transport) as client:
        await client.get_secret_value(secret_id="a")
        monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-2-3")
        await client.get_secret_value(secret_id="a")
    assert [r.headers["X-Amzn-Trace-Id"] for r in transport.requests] == [TRACE_ID, "Root=1-2-3"]


@pytest.mark.parametrize(
    "trace_id",
    [
        TRACE_ID,
        "Root=1-2-3;Lineage=a87bd80c:0,68fd508a:5",
        "café/ü space\t\"q\"'x'{a}[b]&+=",
        "?#%",
    ],
)
def test_encoding_matches_botocore(trace_id: str) -> None:
    """Percent-encoding is botocore's, character for character."""
    from botocore.handlers import add_recursion_detection_header

    params: dict[str, Any] = {"headers": {}}
    with pytest.MonkeyPatch.context() as mp:
        lambda_env(mp, trace_id)
        add_recursion_detection_header(params)
    assert encode_trace_id(trace_id) == params["headers"]["X-Amzn-Trace-Id"]


class SetsTraceHeader:
    name = "user_trace"

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        headers = {**request.headers, "x-amzn-trace-id": "Root=mine"}
        return await next(request.with_headers(headers))


async def test_a_header_the_user_set_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A trace header set by the user's middleware (any case) is kept, and not doubled."""
    lambda_env(monkeypatch)
    transport = FakeTransport().add(json_response(200, GSV), json_response(200, GSV))
    async with make(transport, middleware=[SetsTraceHeader()]) as client:
        await client.get_secret_value(secret_id="a")
        await client.with_options(middleware=[SetsTraceHeader()]).get_secret_value(secret_id="a")
    for request in transport.requests:
        assert [k for k in request.headers if k.lower() == "x-amzn-trace-id"] == ["x-amzn-trace-id"]
        assert request.headers["x-amzn-trace-id"] == "Root=mine"


async def test_no_stage_and_no_header_outside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside Lambda the stage is not even in the stack, even if a trace id is in the env."""
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_ID)
    transport = FakeTransport().add(json_response(200, GSV))
    async with make(transport) as client:
        assert "recursion_detection" not in client.middleware.names
        await client.get_secret_value(secret_id="a")
    assert not any(k.lower() == "x-amzn-trace-id" for k in transport.requests[0].headers)


async def test_lambda_without_a_trace_id_sends_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """In Lambda with no trace id set (tracing off), no header is sent."""
    lambda_env(monkeypatch, None)
    transport = FakeTransport().add(json_response(200, GSV))
    async with make(transport) as client:
        await client.get_secret_value(secret_id="a")
    assert "X-Amzn-Trace-Id" not in transport.requests[0].headers


async def test_trace_header_with_telemetry_instrumented(monkeypatch: pytest.MonkeyPatch) -> None:
    """Instrumenting with OpenTelemetry keeps the Lambda trace header."""
    from secretsmanager_async.telemetry import instrument

    lambda_env(monkeypatch)
    transport = FakeTransport().add(json_response(200, GSV))
    async with make(transport) as client:
        instrument(client)
        await client.get_secret_value(secret_id="a")
    assert transport.requests[0].headers["X-Amzn-Trace-Id"] == TRACE_ID
