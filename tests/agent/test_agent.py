"""AgentTransport against a stand-in for the Secrets Manager Agent, and a scripted service."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from secretsmanager_async import (
    AgentTransport,
    ConfigurationError,
    Credentials,
    InternalServiceError,
    InvalidParameterException,
    ResourceNotFoundException,
    SecretCache,
    SecretsManagerClient,
    ServiceError,
    fresh_reads,
)
from secretsmanager_async._middleware.retry import RetryStage

from ..integration.scripted_server import ScriptedServer, ok
from .agent_server import TOKEN_HEADER, AgentStandIn

SSRF = "ssrf-token-123"
SESSION = "session-token-must-not-leak"
V0 = "00000000-0000-0000-0000-00000000000a"
SERVICE_VALUE = {"ARN": "arn", "Name": "direct", "SecretString": "from-service", "VersionId": "v"}


@pytest.fixture
async def agent() -> AsyncIterator[AgentStandIn]:
    server = AgentStandIn(SSRF)
    server.add("db", "from-agent")
    server.add(
        "db", "previous-value", stage="AWSPREVIOUS", version="00000000-0000-0000-0000-00000000000a"
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def service() -> AsyncIterator[ScriptedServer]:
    srv = ScriptedServer()
    srv.default = lambda headers, body: ok(SERVICE_VALUE)
    await srv.start()
    yield srv
    await srv.stop()


def _client(service: ScriptedServer, transport: AgentTransport) -> SecretsManagerClient:
    client = SecretsManagerClient(
        region="us-east-1",
        endpoint_url=service.url,
        credentials=Credentials("AKIDTEST", "secret-key", SESSION),
        transport=transport,
    )
    stage = client.middleware["retry"]
    assert isinstance(stage, RetryStage)
    stage.backoff = False
    return client


_OPEN: list[AgentTransport] = []


@pytest.fixture(autouse=True)
async def _close_transports() -> AsyncIterator[None]:
    """A transport passed to a client stays the caller's to close."""
    yield
    while _OPEN:
        await _OPEN.pop().close()


def _agent(port: int, **kwargs: str) -> AgentTransport:
    transport = AgentTransport(host="127.0.0.1", port=port, **kwargs)
    _OPEN.append(transport)
    return transport


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_reads_go_to_the_agent_with_only_the_token(
    agent: AgentStandIn, service: ScriptedServer
) -> None:
    """GetSecretValue is a GET to the agent carrying the SSRF token and no signature."""
    transport = _agent(agent.port, token=SSRF)
    async with _client(service, transport) as client:
        result = await client.get_secret_value(secret_id="db")
    assert result.secret_string == "from-agent"
    assert result.version_stages == ["AWSCURRENT"]
    assert result.created_date is not None and result.created_date.timestamp() == 1700000000.123
    assert service.requests == []
    headers, query = agent.requests[0]
    assert query == {"secretId": "db"}
    assert headers[TOKEN_HEADER] == SSRF
    lowered = {k.lower() for k in headers}
    assert not lowered & {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-target"}
    assert not any(k.startswith(("x-amz", "amz-sdk")) for k in lowered)
    assert not any(SESSION in v or "AKIDTEST" in v for v in headers.values())
    assert transport.agent_reads == 1
    assert SSRF not in repr(transport)


async def test_stages_and_version_ids(agent: AgentStandIn, service: ScriptedServer) -> None:
    """versionStage and versionId go into the query; the agent's answer is honoured."""
    transport = _agent(agent.port, token=SSRF)
    async with _client(service, transport) as client:
        previous = await client.get_secret_value(secret_id="db", version_stage="AWSPREVIOUS")
        by_id = await client.get_secret_value(
            secret_id="db", version_id="00000000-0000-0000-0000-00000000000a"
        )
        with pytest.raises(ResourceNotFoundException, match="staging label"):
            await client.get_secret_value(secret_id="db", version_stage="AWSPENDING")
    assert previous.secret_string == by_id.secret_string == "previous-value"
    assert [q for _, q in agent.requests] == [
        {"secretId": "db", "versionStage": "AWSPREVIOUS"},
        {"secretId": "db", "versionId": V0},
        {"secretId": "db", "versionStage": "AWSPENDING"},
    ]


async def test_cache_refresh_asks_the_agent_to_refresh(
    agent: AgentStandIn, service: ScriptedServer
) -> None:
    """SecretCache.refresh and fresh_reads() send refreshNow=true; plain reads do not."""
    transport = _agent(agent.port, token=SSRF)
    async with _client(service, transport) as client:
        cache = SecretCache(client)
        assert await cache.get_secret_string("db") == "from-agent"
        await cache.refresh("db")
        with fresh_reads():
            await client.get_secret_value(secret_id="db")
        await client.get_secret_value(secret_id="db")
        await cache.close()
    assert [q.get("refreshNow") for _, q in agent.requests] == [None, "true", "true", None]
    assert agent.counts == {"read": 2, "refresh": 2}


async def test_cache_read_with_refresh_asks_the_agent_to_refresh(
    agent: AgentStandIn, service: ScriptedServer
) -> None:
    """A read with refresh=True (after an authentication failure) bypasses the agent's cache."""
    transport = _agent(agent.port, token=SSRF)
    async with _client(service, transport) as client:
        cache = SecretCache(client, version_check=False, min_refresh_interval=0)
        await cache.get_secret_string("db")
        await cache.get_secret_string("db")  # a hit: nothing sent
        await cache.get_secret_string("db", refresh=True)
        await cache.close()
    assert [q.get("refreshNow") for _, q in agent.requests] == [None, "true"]


async def test_other_operations_go_to_the_service_signed(
    agent: AgentStandIn, service: ScriptedServer
) -> None:
    """Everything but GetSecretValue is sent to the service as the stack signed it."""
    service.default = lambda headers, body: ok({"SecretValues": [], "Errors": []})
    transport = _agent(agent.port, token=SSRF)
    async with _client(service, transport) as client:
        await client.batch_get_secret_value(secret_id_list=["db"])
    assert agent.requests == []
    headers, _, _ = service.requests[0]
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert headers["x-amz-security-token"] == SESSION
    assert headers["x-amz-target"] == "secretsmanager.BatchGetSecretValue"


async def test_refused_agent_falls_back_to_the_service(service: ScriptedServer) -> None:
    """While nothing listens on the agent's port (Lambda INIT), reads go to the service."""
    transport = _agent(_free_port(), token=SSRF)
    async with _client(service, transport) as client:
        result = await client.get_secret_value(secret_id="direct")
    assert result.secret_string == "from-service"
    assert transport.fallbacks == 1 and transport.agent_reads == 0
    headers, _, _ = service.requests[0]
    assert headers["x-amz-target"] == "secretsmanager.GetSecretValue"
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256")
    assert TOKEN_HEADER.lower() not in headers


async def test_token_sources(
    agent: AgentStandIn,
    service: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """AWS_TOKEN wins over AWS_SESSION_TOKEN; file:// references are read; none is an error."""
    for name in ("AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "wrong")
    monkeypatch.setenv("AWS_TOKEN", SSRF)
    async with _client(service, _agent(agent.port)) as client:
        assert (await client.get_secret_value(secret_id="db")).secret_string == "from-agent"
    token_file = tmp_path / "awssmatoken"
    token_file.write_text(SSRF + "\n")
    monkeypatch.delenv("AWS_TOKEN")
    monkeypatch.setenv("AWS_SESSION_TOKEN", f"file://{token_file}")
    async with _client(service, _agent(agent.port)) as client:
        assert (await client.get_secret_value(secret_id="db")).secret_string == "from-agent"
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", SSRF)
    async with _client(service, _agent(agent.port)) as client:
        assert (await client.get_secret_value(secret_id="db")).secret_string == "from-agent"
    monkeypatch.delenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    async with _client(service, _agent(agent.port)) as client:
        with pytest.raises(ConfigurationError, match="AWS_TOKEN"):
            await client.get_secret_value(secret_id="db")
    missing = _agent(agent.port, token="file:///no/such/file")
    async with _client(service, missing) as client:
        with pytest.raises(ConfigurationError, match="cannot read"):
            await client.get_secret_value(secret_id="db")
    assert len(agent.requests) == 3


async def test_agent_errors_become_typed_errors(
    agent: AgentStandIn, service: ScriptedServer
) -> None:
    """Bad token, bad parameters, limits, timeouts and missing secrets map to typed errors."""
    bad = _agent(agent.port, token="not-the-token")
    async with _client(service, bad) as client:
        with pytest.raises(ServiceError, match="Bad Token") as denied:
            await client.get_secret_value(secret_id="db")
    assert denied.value.code == "AccessDeniedException" and denied.value.status_code == 403
    assert "not-the-token" not in str(denied.value)
    transport = _agent(agent.port, token=SSRF)
    async with _client(service, transport) as client:
        with pytest.raises(ResourceNotFoundException) as missing:
            await client.get_secret_value(secret_id="nope")
        assert missing.value.status_code == 400
        # a 504 from the agent is transient: retried, then reported as the service's error
        agent.faults.extend([(504, '{"__type":"TimeoutError", "message":"Timeout"}')] * 3)
        with pytest.raises(ServiceError) as timeout:
            await client.get_secret_value(secret_id="db")
        assert timeout.value.code == "TimeoutError" and timeout.value.status_code == 504
        # the agent's connection limit is throttling: retried, and here it recovers
        agent.faults.append((429, "Connection limit exceeded"))
        result = await client.get_secret_value(secret_id="db")
        assert result.secret_string == "from-agent" and result.metadata.attempts == 2
        agent.faults.append((400, "unknown parameter: x"))
        with pytest.raises(InvalidParameterException, match="unknown parameter"):
            await client.get_secret_value(secret_id="db")
        agent.faults.append((500, '{"__type":"InternalFailure"}'))
        agent.faults.append((500, "boom"))
        agent.faults.append((500, "boom"))
        with pytest.raises(InternalServiceError):
            await client.get_secret_value(secret_id="db")
    assert service.requests == []


def test_port_is_checked() -> None:
    """A port outside 1..65535 is refused when the transport is made."""
    with pytest.raises(ConfigurationError, match="port"):
        AgentTransport(port=70000)


def test_token_header_is_redacted_in_reprs() -> None:
    """The SSRF token (often the session token) never shows in a request's repr."""
    from secretsmanager_async import CallContext, HttpRequest

    request = HttpRequest("GET", "http://h/", {TOKEN_HEADER: SSRF}, b"", CallContext("Op"))
    assert SSRF not in repr(request)
