"""Bad response bodies (deeply nested JSON, empty 2xx) and how service errors print.

Over a fake transport: these are bodies a real service does not send, which is the point.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secretsmanager_async import (
    Credentials,
    HttpRequest,
    HttpResponse,
    InternalServiceError,
    ResourceNotFoundException,
    ResponseParseError,
    SecretCache,
    SecretsManagerClient,
    ServiceError,
)
from secretsmanager_async._generated.operations import OPERATIONS
from secretsmanager_async._middleware.errors import parse_error
from secretsmanager_async._protocol import NO_METADATA, EmptyResponse
from secretsmanager_async.testing import FakeTransport, error_response, json_response

DEEP = b"[" * 100_000
MODEL = Path(__file__).resolve().parents[2] / "codegen" / "model" / "service-2.json"


def _client(responder: Callable[[HttpRequest], HttpResponse], **kw: Any) -> SecretsManagerClient:
    kw.setdefault("max_attempts", 3)
    client = SecretsManagerClient(
        region="us-east-1",
        credentials=Credentials("AKID", "secret"),
        transport=FakeTransport(responder),
        **kw,
    )
    client.middleware["retry"].backoff = False  # type: ignore[attr-defined]
    return client


def _target(request: HttpRequest) -> str:
    return request.headers["X-Amz-Target"].split(".")[1]


# -- item 3: deeply nested JSON -------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, ServiceError), ({"x-amzn-errortype": "InternalServiceError"}, InternalServiceError)],
)
async def test_5xx_with_deeply_nested_body_is_retried_as_a_5xx(
    headers: dict[str, str], expected: type[ServiceError]
) -> None:
    """A 503 whose body is 100 kB of '[' is retried and ends as that 503's ServiceError."""
    calls = []

    def respond(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        return HttpResponse(503, {"x-amzn-requestid": "r-503", **headers}, DEEP)

    async with _client(respond) as client:
        with pytest.raises(expected) as info:
            await client.get_secret_value(secret_id="s")
    assert len(calls) == 3
    assert info.value.status_code == 503 and info.value.request_id == "r-503"


def test_error_parsing_never_fails_on_deep_json() -> None:
    """parse_error reads status and headers when the body is too deep, nested in an object too."""
    for body in (DEEP, b'{"__type": "X", "message": ' + DEEP):
        error = parse_error(HttpResponse(400, {"x-amzn-errortype": "ThrottlingException"}, body))
        assert error.code == "ThrottlingException" and error.status_code == 400


@pytest.mark.parametrize("body", [DEEP, b'{"SecretString": ' + DEEP + b"}"])
async def test_2xx_with_deeply_nested_body_is_a_parse_error(body: bytes) -> None:
    """A 200 too deep to decode raises ResponseParseError, not RecursionError."""
    async with _client(lambda _: HttpResponse(200, {}, body)) as client:
        with pytest.raises(ResponseParseError, match="not valid JSON") as info:
            await client.get_secret_value(secret_id="s")
    assert "nested too deeply" in str(info.value.__cause__)


async def test_bulk_fetch_treats_a_deep_503_like_any_503() -> None:
    """get_secret_values: a chunk failing with a deep 503 fails its ids as a plain 503 does."""
    results = {}
    for body in (DEEP, b""):

        def respond(request: HttpRequest, body: bytes = body) -> HttpResponse:
            ids = json.loads(request.body).get("SecretIdList", [])
            if _target(request) == "BatchGetSecretValue" and "bad-0" in ids:
                return HttpResponse(503, {}, body)
            entries = [{"Name": i, "SecretString": f"v-{i}"} for i in ids]
            return json_response(200, {"SecretValues": entries, "Errors": []})

        async with _client(respond) as client:
            ids = [f"bad-{i}" for i in range(20)] + [f"good-{i}" for i in range(5)]
            result = await client.get_secret_values(ids)
        results[body] = result
        assert sorted(result.values) == [f"good-{i}" for i in range(5)]
        assert all(type(e) is ServiceError and e.status_code == 503 for e in result.errors.values())
    deep, plain = results[DEEP], results[b""]
    assert list(deep.errors) == list(plain.errors)
    assert {str(e) for e in deep.errors.values()} == {str(e) for e in plain.errors.values()}


async def test_cache_serves_stale_value_when_refresh_gets_a_deep_503() -> None:
    """stale-if-error: a refresh failing with a deep 503 keeps the last good value in service."""
    now = [1000.0]
    fail = [False]

    def respond(request: HttpRequest) -> HttpResponse:
        if fail[0]:
            return HttpResponse(503, {}, DEEP)
        return json_response(200, {"Name": "s", "SecretString": "good"})

    async with (
        _client(respond, max_attempts=1) as client,
        SecretCache(client, ttl=10, clock=lambda: now[0]) as cache,
    ):
        assert await cache.get_secret_string("s") == "good"
        fail[0] = True
        now[0] += 11  # expired: this read must fetch, and the fetch fails
        assert await cache.get_secret_string("s") == "good"
        assert cache.stats.stale_hits == 1


# -- item 4: empty 2xx bodies ----------------------------------------------------------------


def _operations_without_output() -> set[str]:
    model = json.loads(MODEL.read_text(encoding="utf-8"))
    out = set()
    for name, op in model["operations"].items():
        shape = op.get("output", {}).get("shape")
        if shape is None or not model["shapes"][shape].get("members"):
            out.add(name)
    return out


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_empty_body_accepted_only_when_the_output_has_no_members(name: str) -> None:
    """An empty 2xx body is an EmptyResponse for member-less outputs, a parse error otherwise."""
    operation = OPERATIONS[name]
    if name in _operations_without_output():
        assert isinstance(operation.parse(b"", NO_METADATA), EmptyResponse)
    else:
        with pytest.raises(ResponseParseError, match=f"^{name}: empty response body$"):
            operation.parse(b"", NO_METADATA)
        operation.parse(b"{}", NO_METADATA)  # an empty object is an answer: members absent


async def test_empty_2xx_over_the_client() -> None:
    """get_secret_value on an empty 200 raises; tag_resource on one succeeds."""
    async with _client(lambda _: HttpResponse(200, {}, b"")) as client:
        with pytest.raises(ResponseParseError):
            await client.get_secret_value(secret_id="s")
        assert isinstance(await client.tag_resource(secret_id="s", tags=[]), EmptyResponse)


# -- item 15: the code once ------------------------------------------------------------------


async def test_service_error_prints_its_code_once() -> None:
    """A modeled error's traceback line names the code once and keeps the request id."""
    response = error_response("ResourceNotFoundException", "no such secret", 400)
    async with _client(lambda _: response) as client:
        with pytest.raises(ResourceNotFoundException) as info:
            await client.get_secret_value(secret_id="s")
    line = "".join(traceback.format_exception_only(info.value)).strip()
    assert line.count("ResourceNotFoundException") == 1
    assert line.endswith(": no such secret (request id fake-request-id)")
    assert repr(info.value).count("ResourceNotFoundException") == 1


def test_unmodeled_error_names_its_code() -> None:
    """A plain ServiceError names the code (its class does not)."""
    error = parse_error(error_response("ThrottlingException", "Rate exceeded", 400))
    assert type(error) is ServiceError
    assert str(error) == "ThrottlingException: Rate exceeded (request id fake-request-id)"
    bare = parse_error(HttpResponse(503, {}, b""))
    assert str(bare) == "503: HTTP 503 with a non-JSON error body"
