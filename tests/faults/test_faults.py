"""Each injected fault surfaces as its own typed error, and is retried when it should be."""

from __future__ import annotations

import socket

import pytest

from secretsmanager_async.exceptions import (
    ConnectError,
    ConnectionClosedError,
    InternalServiceError,
    ReadTimeoutError,
    ResponseParseError,
    SecretsManagerError,
    ServiceError,
)

from .conftest import ClientFactory
from .proxy import FaultProxy

# fault kind -> (error type, code or None) with a single attempt
EXPECTED: dict[str, tuple[type[SecretsManagerError], str | None]] = {
    "status_500": (ServiceError, "500"),
    "status_503": (ServiceError, "503"),
    "internal_error": (InternalServiceError, "InternalServiceError"),
    "throttle": (ServiceError, "ThrottlingException"),
    "reset_before": (ConnectionClosedError, None),
    "html_502": (ServiceError, "502"),
    "invalid_json": (ResponseParseError, None),
    "stall": (ReadTimeoutError, None),
    "reset_after": (ConnectionClosedError, None),
    "reset_mid": (ConnectionClosedError, None),
    "truncated": (ConnectionClosedError, None),
    "status_503_after": (ServiceError, "ServiceUnavailable"),
}
RETRIED = sorted(set(EXPECTED) - {"invalid_json"})


@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_fault_raises_typed_error(
    kind: str, proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """With one attempt, each fault raises its typed error, and the client stays usable."""
    error_type, code = EXPECTED[kind]
    async with make_client(proxy.url, max_attempts=1, read_timeout=0.3) as client:
        proxy.inject(kind)
        with pytest.raises(error_type) as info:
            await client.get_secret_value(secret_id=secret)
        assert type(info.value) is error_type
        if code is not None:
            assert isinstance(info.value, ServiceError)
            assert info.value.code == code
        assert proxy.injected[kind] == 1
        # the next call, on a fresh or reused connection, works
        value = await client.get_secret_value(secret_id=secret)
        assert value.secret_string == "initial"


@pytest.mark.parametrize("kind", RETRIED)
async def test_fault_is_retried(
    kind: str, proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """A transient fault costs one attempt: the call succeeds on the second."""
    async with make_client(proxy.url, max_attempts=3, read_timeout=0.3) as client:
        proxy.inject(kind)
        value = await client.get_secret_value(secret_id=secret)
    assert value.secret_string == "initial"
    assert value.metadata.attempts == 2


async def test_invalid_json_is_not_retried(
    proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """A 200 with a body that is not JSON is a parse error, not retried (it may have applied)."""
    async with make_client(proxy.url, max_attempts=3) as client:
        proxy.inject("invalid_json")
        with pytest.raises(ResponseParseError):
            await client.get_secret_value(secret_id=secret)
    assert proxy.requests_seen == 1


async def test_throttle_burst_exhausts_attempts(
    proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """A burst longer than the attempts raises the throttle after exactly max_attempts tries."""
    async with make_client(proxy.url, max_attempts=3) as client:
        proxy.inject("throttle", "throttle", "throttle", "throttle")
        with pytest.raises(ServiceError) as info:
            await client.get_secret_value(secret_id=secret)
    assert info.value.code == "ThrottlingException"
    assert proxy.requests_seen == 3


async def test_refused_port(make_client: ClientFactory) -> None:
    """A port nobody listens on raises ConnectError after every attempt was tried."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # the socket is closed: connecting to the port is refused
    async with make_client(f"http://127.0.0.1:{port}", max_attempts=2) as client:
        with pytest.raises(ConnectError) as info:
            await client.get_secret_value(secret_id="anything")
    assert f"127.0.0.1:{port}" in str(info.value)


@pytest.mark.parametrize("kind", ["reset_after", "reset_mid", "truncated", "status_503_after"])
async def test_retry_after_server_executed_put_is_idempotent(
    kind: str, proxy: FaultProxy, make_client: ClientFactory, secret: str
) -> None:
    """A put moto applied but whose answer was lost is resent with its token: one version."""
    async with make_client(proxy.url, max_attempts=3) as client:
        proxy.inject(kind)
        result = await client.put_secret_value(secret_id=secret, secret_string="second")
        assert result.metadata.attempts == 2
        versions = await client.list_secret_version_ids(secret_id=secret)
    puts = [body for op, body in proxy.forwarded if op == "PutSecretValue"]
    assert len(puts) == 2  # both attempts reached moto
    assert puts[0]["ClientRequestToken"] == puts[1]["ClientRequestToken"] == result.version_id
    assert len(versions.versions or []) == 2  # the initial version and exactly one new one


async def test_retry_after_server_executed_create_is_idempotent(
    proxy: FaultProxy, make_client: ClientFactory
) -> None:
    """A create that moto applied but whose answer was lost succeeds on retry, not 'exists'."""
    import uuid

    name = f"faults/{uuid.uuid4().hex[:12]}"
    async with make_client(proxy.url, max_attempts=3) as client:
        proxy.inject("reset_after")
        created = await client.create_secret(name=name, secret_string="v")
        versions = await client.list_secret_version_ids(secret_id=name)
    assert created.metadata.attempts == 2
    assert [v.version_id for v in versions.versions or []] == [created.version_id]
