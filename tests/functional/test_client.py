"""The whole client over FakeTransport: lifecycle, stack, retries, tokens, metadata."""

from __future__ import annotations

import gc
import json
import warnings
from typing import Any

import pytest

from secretsmanager_async import (
    ClientClosedError,
    ConfigurationError,
    Credentials,
    ParamValidationError,
    ResourceNotFoundException,
    SecretsManagerClient,
    ServiceError,
)
from secretsmanager_async._middleware.base import Handler
from secretsmanager_async._protocol import HttpRequest, HttpResponse
from secretsmanager_async.exceptions import ConnectionClosedError
from secretsmanager_async.testing import FakeTransport, error_response, json_response

CREDS = Credentials("AKIDFAKE", "fake-secret-key")
GSV = {
    "ARN": "arn:aws:secretsmanager:us-east-1:1:secret:a-1",
    "Name": "a",
    "SecretString": "v",
    "VersionId": "v1",
    "VersionStages": ["AWSCURRENT"],
    "CreatedDate": 1700000000.5,
}


def make(transport: FakeTransport, **kwargs: Any) -> SecretsManagerClient:
    client = SecretsManagerClient(
        region="us-east-1", credentials=CREDS, transport=transport, **kwargs
    )
    client.middleware["retry"].backoff = False  # type: ignore[attr-defined]
    return client


async def test_request_shape_on_the_wire() -> None:
    """POST / with JSON 1.1 headers, target, signature, and members by wire name."""
    transport = FakeTransport().add(json_response(200, GSV))
    async with make(transport) as client:
        result = await client.get_secret_value(secret_id="a", version_stage="AWSCURRENT")
    request = transport.requests[0]
    assert request.method == "POST"
    assert request.url == "https://secretsmanager.us-east-1.amazonaws.com/"
    assert request.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert request.headers["X-Amz-Target"] == "secretsmanager.GetSecretValue"
    assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDFAKE/")
    assert "/us-east-1/secretsmanager/aws4_request" in request.headers["Authorization"]
    assert json.loads(request.body) == {"SecretId": "a", "VersionStage": "AWSCURRENT"}
    assert request.headers["User-Agent"].startswith("secretsmanager-async/")
    assert " python/3." in request.headers["User-Agent"]
    assert " aiohttp/" in request.headers["User-Agent"]
    assert result.secret_string == "v"
    assert result.created_date is not None and result.created_date.timestamp() == 1700000000.5
    assert result.metadata.request_id == "fake-request-id"
    assert result.metadata.attempts == 1
    assert not transport.closed  # a transport passed in stays the caller's


async def test_retries_are_resigned_and_counted() -> None:
    """Each attempt is signed afresh, carries attempt=N and the same invocation id."""
    transport = FakeTransport().add(
        error_response("ThrottlingException", "slow", 400),
        ConnectionClosedError("reset"),
        json_response(200, GSV),
    )
    async with make(transport) as client:
        result = await client.get_secret_value(secret_id="a")
    assert result.metadata.attempts == 3
    assert [r.headers["amz-sdk-request"] for r in transport.requests] == [
        "attempt=1; max=3",
        "attempt=2; max=3",
        "attempt=3; max=3",
    ]
    assert len({r.headers["amz-sdk-invocation-id"] for r in transport.requests}) == 1
    assert all("Authorization" in r.headers for r in transport.requests)


async def test_idempotency_token_filled_and_reused_across_retries() -> None:
    """An omitted ClientRequestToken is a fresh UUID4, identical on every attempt."""
    transport = FakeTransport().add(
        error_response("InternalServiceError", "", 500),
        json_response(200, {"ARN": "x", "Name": "n", "VersionId": "v"}),
        json_response(200, {"ARN": "x", "Name": "n", "VersionId": "v"}),
    )
    async with make(transport) as client:
        await client.put_secret_value(secret_id="n", secret_string="s")
        await client.put_secret_value(secret_id="n", secret_string="s")
    tokens = [json.loads(r.body)["ClientRequestToken"] for r in transport.requests]
    assert tokens[0] == tokens[1]
    assert tokens[2] != tokens[0]
    assert len(tokens[0]) == 36


async def test_modeled_and_unmodeled_errors() -> None:
    """A modeled code raises its class; an unknown code a ServiceError keeping the code."""
    transport = FakeTransport().add(
        error_response("ResourceNotFoundException", "gone", 400),
        error_response("AccessDeniedException", "no", 400),
    )
    async with make(transport) as client:
        with pytest.raises(ResourceNotFoundException) as info:
            await client.get_secret_value(secret_id="a")
        assert info.value.request_id == "fake-request-id"
        with pytest.raises(ServiceError) as other:
            await client.get_secret_value(secret_id="a")
        assert type(other.value) is ServiceError
        assert other.value.code == "AccessDeniedException"


async def test_bad_input_is_refused_before_sending() -> None:
    """A validation error names the field; nothing reaches the transport."""
    transport = FakeTransport()
    async with make(transport) as client:
        with pytest.raises(ParamValidationError) as info:
            await client.get_secret_value(secret_id="")
    assert info.value.field == "secret_id"
    assert transport.requests == []


async def test_call_after_close_is_refused() -> None:
    """A closed client raises ClientClosedError."""
    client = make(FakeTransport())
    await client.close()
    with pytest.raises(ClientClosedError):
        await client.get_secret_value(secret_id="a")
    await client.close()  # twice is fine


async def test_missing_region_is_a_clear_error() -> None:
    """No region anywhere: ConfigurationError naming region."""
    client = SecretsManagerClient(credentials=CREDS, transport=FakeTransport())
    with pytest.raises(ConfigurationError, match="region"):
        await client.get_secret_value(secret_id="a")
    await client.close()


class Recorder:
    """A user middleware that records what passes through it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[HttpRequest] = []

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        self.seen.append(request)
        return await next(request)


async def test_user_middleware_positions() -> None:
    """A middleware before retry sees the call once; after it, every attempt."""
    transport = FakeTransport().add(
        error_response("ThrottlingException", "", 400), json_response(200, GSV)
    )
    client = make(transport)
    outer, inner = Recorder("outer"), Recorder("inner")
    client.middleware.insert_before("retry", outer)
    client.middleware.insert_after("sign", inner)
    assert client.middleware.names == (
        "outer",
        "retry",
        "endpoint",
        "sign",
        "inner",
        "parse_errors",
    )
    async with client:
        await client.get_secret_value(secret_id="a")
    assert len(outer.seen) == 1
    assert len(inner.seen) == 2
    assert "Authorization" in inner.seen[0].headers  # it runs after signing


async def test_metadata_total_retry_delay() -> None:
    """total_retry_delay adds up the backoff slept."""
    transport = FakeTransport().add(
        error_response("InternalServiceError", "", 500), json_response(200, GSV)
    )
    client = make(transport)
    retry = client.middleware["retry"]
    retry.backoff = True  # type: ignore[attr-defined]
    retry._random = lambda: 0.5  # type: ignore[attr-defined]
    slept: list[float] = []

    async def fake_sleep(d: float) -> None:
        slept.append(d)

    retry._sleep = fake_sleep  # type: ignore[attr-defined]
    async with client:
        result = await client.get_secret_value(secret_id="a")
    assert slept == [0.025]
    assert result.metadata.total_retry_delay == 0.025


async def test_real_session_lifecycle_and_pool_size() -> None:
    """The aiohttp session is created lazily in the loop, pooled >= 64, and closed by close()."""
    from secretsmanager_async._transport.aiohttp import AiohttpTransport

    client = SecretsManagerClient(region="us-east-1", credentials=CREDS)
    async with client:
        transport = client._transport
        assert isinstance(transport, AiohttpTransport)
        session = transport._get_session()
        assert session.connector is not None
        assert session.connector.limit >= 64
    assert session.closed


async def test_user_session_is_never_closed() -> None:
    """A session passed in is used and left open."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with SecretsManagerClient(
            region="us-east-1", credentials=CREDS, session=session
        ) as client:
            assert client._transport._get_session() is session  # type: ignore[union-attr]
        assert not session.closed


async def test_unclosed_client_warns() -> None:
    """A client that opened a session and was never closed warns with ResourceWarning."""
    client = SecretsManagerClient(region="us-east-1", credentials=CREDS)
    await client.__aenter__()
    transport = client._transport
    transport._get_session()  # type: ignore[union-attr]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    await transport.close()  # type: ignore[union-attr]
