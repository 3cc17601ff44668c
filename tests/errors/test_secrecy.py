"""Nothing reachable from an exception holds a secret value, secret key, session token or signature.

Each failure mode runs over real HTTP (a raw server on 127.0.0.1) with credentials whose secret
key and session token are canaries, so a signed request carries them in its headers; the error
raised is then walked with :func:`tests.secrecy.walk_exception`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from secretsmanager_async import (
    CallTimeoutError,
    ConnectionClosedError,
    Credentials,
    ParamValidationError,
    ReadTimeoutError,
    ResourceNotFoundException,
    ResponseParseError,
    SecretCache,
    SecretsManagerClient,
    SecretsManagerError,
    ServiceError,
)
from secretsmanager_async._protocol import HttpResponse
from secretsmanager_async.testing import FakeTransport

from ..secrecy import SECRET_KEY, SECRET_VALUE, SESSION_TOKEN, assert_no_secrets, leaks
from .raw_server import RawServer, Script, reply, response, silent

CREDENTIALS = Credentials("AKIDCANARY", SECRET_KEY, SESSION_TOKEN)
JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "req-1"}


async def _failure(script: Script, call: str = "get", **settings: Any) -> BaseException:
    settings.setdefault("max_attempts", 2)
    async with RawServer(script) as url:
        client = SecretsManagerClient(
            region="us-east-1", endpoint_url=url, credentials=CREDENTIALS, **settings
        )
        async with client:
            client.middleware["retry"].backoff = False  # type: ignore[attr-defined]
            request = (
                client.put_secret_value(secret_id="s", secret_string=SECRET_VALUE)
                if call == "put"
                else client.get_secret_value(secret_id="s")
            )
            with pytest.raises(SecretsManagerError) as info:
                await request
    return info.value


SCRIPTS: dict[str, tuple[Script, type[SecretsManagerError], dict[str, Any]]] = {
    "malformed status line": (reply(b"HTTP/1.1 ABC nope\r\n\r\n"), ConnectionClosedError, {}),
    "malformed header": (
        reply(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
        ConnectionClosedError,
        {},
    ),
    "truncated body": (
        reply(
            b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n"
            + f'{{"SecretString": "{SECRET_VALUE}'.encode()
        ),
        ConnectionClosedError,
        {},
    ),
    "bad JSON success body": (
        reply(response(200, f'{{"SecretString": "{SECRET_VALUE}", '.encode(), JSON_HEADERS)),
        ResponseParseError,
        {},
    ),
    "body not UTF-8": (
        reply(response(200, f'{{"SecretString": "{SECRET_VALUE}\xff"}}'.encode("latin-1"))),
        ResponseParseError,
        {},
    ),
    "bad member next to the secret": (
        reply(
            response(
                200,
                json.dumps(
                    {
                        "SecretString": SECRET_VALUE,
                        "CreatedDate": SECRET_VALUE,  # GetSecretValue's output has it
                        "VersionStages": [1],  # PutSecretValue's too
                    }
                ).encode(),
                JSON_HEADERS,
            )
        ),
        ResponseParseError,
        {},
    ),
    "secret nested too deeply": (
        reply(response(200, b'{"SecretString": ' + b"[" * 5000 + SECRET_VALUE.encode())),
        ResponseParseError,
        {},
    ),
    "service error": (
        reply(
            response(
                400,
                b'{"__type": "ResourceNotFoundException", "message": "not found"}',
                JSON_HEADERS,
            )
        ),
        ResourceNotFoundException,
        {},
    ),
    "5xx with a deeply nested body": (
        reply(response(503, b"[" * 100_000)),
        ServiceError,
        {},
    ),
    "read timeout": (silent, ReadTimeoutError, {"read_timeout": 0.2, "max_attempts": 1}),
    "call timeout": (silent, CallTimeoutError, {"timeout": 0.3}),
}


@pytest.mark.parametrize("call", ["get", "put"])
@pytest.mark.parametrize("case", list(SCRIPTS))
async def test_no_secret_reachable_from_transport_and_parse_errors(case: str, call: str) -> None:
    """Every failure mode over HTTP raises our error, and nothing secret is reachable from it."""
    script, expected, settings = SCRIPTS[case]
    error = await _failure(script, call, **settings)
    assert isinstance(error, expected), repr(error)
    assert_no_secrets(error)


async def test_malformed_response_keeps_a_sanitised_summary() -> None:
    """The aiohttp error is replaced by a stand-in naming its class and message, not the request."""
    error = await _failure(reply(b"HTTP/1.1 ABC nope\r\n\r\n"))
    assert "malformed HTTP response" in str(error)
    cause = error.__cause__
    assert cause is not None and "aiohttp" in str(cause) and "ClientResponseError" in str(cause)
    assert cause.__cause__ is None and cause.__context__ is None
    assert not hasattr(cause, "request_info")


async def test_parse_error_cause_says_where_not_what() -> None:
    """A bad JSON body's error chains a position, never the document."""
    error = await _failure(
        reply(response(200, f'{{"SecretString": "{SECRET_VALUE}", '.encode(), JSON_HEADERS))
    )
    assert "line 1" in str(error.__cause__)
    assert not hasattr(error.__cause__, "doc")


async def test_param_validation_error_never_shows_the_value() -> None:
    """An over-long SecretString is refused without its value or length in the error."""
    transport = FakeTransport()
    async with SecretsManagerClient(
        region="us-east-1", credentials=CREDENTIALS, transport=transport
    ) as client:
        with pytest.raises(ParamValidationError) as info:
            await client.put_secret_value(secret_id="s", secret_string=SECRET_VALUE * 5000)
    assert_no_secrets(info.value)
    assert not transport.requests


async def _cache_error(secret_string: str, read: Callable[[SecretCache], Awaitable[Any]]) -> Any:
    body = json.dumps({"Name": "s", "SecretString": secret_string}).encode()
    transport = FakeTransport(lambda _: HttpResponse(200, {}, body))
    async with (
        SecretsManagerClient(
            region="us-east-1", credentials=CREDENTIALS, transport=transport
        ) as client,
        SecretCache(client) as cache,
    ):
        with pytest.raises(ValueError, match="not valid JSON") as info:
            await read(cache)
    return info.value


@pytest.mark.parametrize(
    "value",
    [f"{SECRET_VALUE} is not JSON", f'{{"password": "{SECRET_VALUE}"', "[" * 5000 + SECRET_VALUE],
    ids=["text", "truncated object", "nested too deeply"],
)
async def test_get_secret_json_error_holds_no_secret(value: str) -> None:
    """get_secret_json on a value that is not JSON: neither the error nor its context holds it."""
    error = await _cache_error(value, lambda cache: cache.get_secret_json("s"))
    assert_no_secrets(error)


def test_walker_finds_what_the_old_errors_held() -> None:
    """The walker reaches aiohttp's request_info headers and a JSON error's document."""
    import aiohttp
    from multidict import CIMultiDict, CIMultiDictProxy
    from yarl import URL

    headers = CIMultiDictProxy(CIMultiDict({"X-Amz-Security-Token": SESSION_TOKEN}))
    info = aiohttp.RequestInfo(URL("http://h/"), "POST", headers, URL("http://h/"))
    raw = aiohttp.ClientResponseError(info, (), status=400, message="bad")
    wrapped = ConnectionClosedError("malformed")
    wrapped.__cause__ = raw
    assert any(SESSION_TOKEN in found for found in leaks(wrapped))

    try:
        json.loads(f'{{"SecretString": "{SECRET_VALUE}"')
    except ValueError as e:
        decode_error = e
    parse = ResponseParseError("bad")
    parse.__context__ = decode_error
    assert any(SECRET_VALUE in found for found in leaks(parse))
    assert any("signature" in found for found in leaks(ValueError("Signature=abc")))
