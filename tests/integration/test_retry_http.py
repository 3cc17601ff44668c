"""Retry, timeouts and clock-skew correction over real HTTP against a scripted local server."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator

import pytest

from secretsmanager_async import (
    CallTimeoutError,
    Credentials,
    LimitExceededException,
    ReadTimeoutError,
    SecretsManagerClient,
    ServiceError,
)
from secretsmanager_async._middleware.retry import RetryStage

from .scripted_server import HANG, RESET, ScriptedServer, error, ok

VALUE = {"ARN": "arn", "Name": "n", "SecretString": "s", "VersionId": "v"}


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    srv = ScriptedServer()
    await srv.start()
    yield srv
    await srv.stop()


def _client(server: ScriptedServer, **kwargs: object) -> SecretsManagerClient:
    return SecretsManagerClient(
        region="us-east-1",
        endpoint_url=server.url,
        credentials=Credentials("AKID", "SECRET"),
        **kwargs,  # type: ignore[arg-type]
    )


def _no_backoff(client: SecretsManagerClient) -> RetryStage:
    stage = client.middleware["retry"]
    assert isinstance(stage, RetryStage)
    stage.backoff = False
    return stage


async def test_throttle_5xx_reset_then_success(server: ScriptedServer) -> None:
    """Throttle, 503 and a reset connection are retried; metadata counts four attempts."""
    server.script.extend(
        [error("ThrottlingException"), error("ServiceUnavailable", 503), RESET, ok(VALUE)]
    )
    async with _client(server, max_attempts=4) as client:
        _no_backoff(client)
        result = await client.get_secret_value(secret_id="n")
    assert result.secret_string == "s"
    assert result.metadata.attempts == 4
    assert result.metadata.total_retry_delay == 0
    assert [h["amz-sdk-request"] for h, _, _ in server.requests] == [
        f"attempt={n}; max=4" for n in range(1, 5)
    ]
    dates = {h["x-amz-date"] for h, _, _ in server.requests}
    assert all(h["authorization"].startswith("AWS4-HMAC-SHA256") for h, _, _ in server.requests)
    assert dates  # every attempt signed


async def test_gives_up_with_the_last_error(server: ScriptedServer) -> None:
    """After max_attempts the last error is raised; LimitExceeded is never retried."""
    server.script.extend([error("InternalServiceError", 500)] * 3)
    async with _client(server) as client:
        _no_backoff(client)
        with pytest.raises(ServiceError) as info:
            await client.get_secret_value(secret_id="n")
        assert info.value.code == "InternalServiceError"
        assert len(server.requests) == 3
        server.script.append(error("LimitExceededException"))
        with pytest.raises(LimitExceededException):
            await client.get_secret_value(secret_id="n")
        assert len(server.requests) == 4


async def test_backoff_delays_with_fake_sleep(server: ScriptedServer) -> None:
    """Backoff follows base 50 ms / 1 s throttle, with Retry-After honoured."""
    server.script.extend(
        [
            error("InternalServiceError", 500),
            error("ThrottlingException", x_amz_retry_after="3000"),
            ok(VALUE),
        ]
    )
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    async with _client(server) as client:
        stage = _no_backoff(client)
        stage.backoff = True
        stage._sleep = sleep
        stage._random = lambda: 1.0
        result = await client.get_secret_value(secret_id="n")
    assert slept == [0.05, 3.0]
    assert result.metadata.total_retry_delay == pytest.approx(3.05)


async def test_quota_drains_under_sustained_failure(server: ScriptedServer) -> None:
    """With a failing service, retries stop once the 500-token quota is spent."""
    server.default = lambda h, b: error("InternalServiceError", 500)
    async with _client(server) as client:
        stage = _no_backoff(client)
        calls = 0
        while stage.quota.available >= 14:
            with pytest.raises(ServiceError):
                await client.get_secret_value(secret_id="n")
            calls += 1
        before = len(server.requests)
        with pytest.raises(ServiceError):
            await client.get_secret_value(secret_id="n")
        assert len(server.requests) == before + 1  # no retry without quota
    assert calls == 18  # 500 tokens / (2 retries x 14) per call


async def test_read_timeout_is_retried_then_typed(server: ScriptedServer) -> None:
    """Headers that never arrive: a ReadTimeoutError after each attempt's read timeout."""
    server.script.extend([HANG, HANG])
    async with _client(server, read_timeout=0.2, max_attempts=2) as client:
        _no_backoff(client)
        start = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            await client.get_secret_value(secret_id="n")
        assert time.monotonic() - start < 4
    assert len(server.requests) == 2


async def test_call_timeout_bounds_the_whole_call(server: ScriptedServer) -> None:
    """The per-call total timeout covers every attempt and is its own error."""
    server.script.extend([HANG] * 5)
    async with _client(server, read_timeout=5, timeout=0.3) as client:
        start = time.monotonic()
        with pytest.raises(CallTimeoutError):
            await client.get_secret_value(secret_id="n")
        assert time.monotonic() - start < 4
        server.script.clear()
        server.script.append(ok(VALUE))
        assert (await client.get_secret_value(secret_id="n")).secret_string == "s"


async def test_clock_skew_is_corrected_and_retried_once(server: ScriptedServer) -> None:
    """A skewed clock: the server says so, the client learns the offset and re-signs."""
    server.clock_offset = 0.0

    def check(headers: dict[str, str], body: bytes) -> tuple[str, object]:
        signed = dt.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=dt.timezone.utc
        )
        if abs(signed.timestamp() - time.time()) > 300:
            return error("InvalidSignatureException", 400, "Signature expired")
        return ok(VALUE)

    server.default = check
    async with _client(server) as client:
        signing = client.middleware["sign"]
        signing._clock = lambda: time.time() - 3600  # type: ignore[attr-defined]
        result = await client.get_secret_value(secret_id="n")
        assert result.secret_string == "s"
        assert len(server.requests) == 2
        assert abs(signing.clock_offset - 3600) < 5  # type: ignore[attr-defined]
        await client.get_secret_value(secret_id="n")  # the offset sticks: one request
        assert len(server.requests) == 3


async def test_signature_expired_is_resigned_once_whatever_the_skew(
    server: ScriptedServer,
) -> None:
    """'Signature expired' with a right clock (Lambda thaw): re-signed and sent once more."""
    server.clock_offset = 0.0
    server.script.extend(
        [error("InvalidSignatureException", 400, "Signature expired: 20240101T000000Z"), ok(VALUE)]
    )
    async with _client(server, max_attempts=1) as client:
        result = await client.get_secret_value(secret_id="n")
        assert result.secret_string == "s"
        assert len(server.requests) == 2
        assert all("authorization" in r[0] for r in server.requests)
        assert client.middleware["sign"].clock_offset == 0.0  # type: ignore[attr-defined]
        # only once: a second expiry in a row reaches the caller
        server.script.extend([error("InvalidSignatureException", 400, "Signature expired")] * 2)
        with pytest.raises(ServiceError, match="Signature expired"):
            await client.get_secret_value(secret_id="n")
        # another InvalidSignatureException is not re-sent
        server.script.extend([error("InvalidSignatureException", 400, "bad key"), ok(VALUE)])
        with pytest.raises(ServiceError, match="bad key"):
            await client.get_secret_value(secret_id="n")
        assert len(server.requests) == 5
