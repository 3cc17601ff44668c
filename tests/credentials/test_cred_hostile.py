"""Hostile credentials endpoints on 127.0.0.1: deep JSON, header-breaking tokens, bad regions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from secretsmanager_async._credentials.container import ContainerProvider
from secretsmanager_async._credentials.http import AiohttpCredentialsHttp
from secretsmanager_async._credentials.imds import ImdsProvider
from secretsmanager_async._credentials.sts import sts_client_for, sts_endpoint
from secretsmanager_async._credentials.web_identity import WebIdentityProvider
from secretsmanager_async.exceptions import ConfigurationError, CredentialRetrievalError

DEEP = b'{"SecretAccessKey": "TOPSECRET", "x": ' + b"[" * 100000

Serve = Callable[[dict[tuple[str, str], Any]], Awaitable[Any]]


def assert_clean(exc: BaseException, *secrets: str) -> None:
    """Nothing reachable from ``exc`` (message, attributes, causes, contexts) holds a secret."""
    seen: list[BaseException] = []
    node: BaseException | None = exc
    while node is not None and node not in seen:
        seen.append(node)
        text = repr(node) + str(node) + repr(vars(node))
        for secret in secrets:
            assert secret not in text
        assert not isinstance(node, RecursionError)
        node = node.__cause__ or node.__context__


async def test_container_deep_json(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """A container endpoint answering 100,000 nested brackets: our error, naming the source."""

    async def creds(request: web.Request) -> web.Response:
        return web.Response(body=DEEP, content_type="application/json")

    server = await serve({("GET", "/creds"): creds})
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url + "/creds")
    with pytest.raises(CredentialRetrievalError, match=r"^container: .*not valid JSON") as info:
        await ContainerProvider(http).load()
    assert_clean(info.value, "TOPSECRET", "[[[[")


async def imds_server(serve: Serve, token: bytes, document: bytes, role: bytes = b"r") -> Any:
    """An IMDSv2 stand-in that hands out ``token`` and serves ``document`` for role ``role``."""

    async def put_token(request: web.Request) -> web.Response:
        return web.Response(body=token)

    async def roles(request: web.Request) -> web.Response:
        return web.Response(body=role + b"\n")

    async def creds(request: web.Request) -> web.Response:
        return web.Response(body=document)

    return await serve(
        {
            ("PUT", "/latest/api/token"): put_token,
            ("GET", "/latest/meta-data/iam/security-credentials/"): roles,
            ("GET", "/latest/meta-data/iam/security-credentials/{name}"): creds,
        }
    )


def imds_env(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Point IMDS at the stand-in."""
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)


async def test_imds_deep_json(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """IMDS serving 100,000 nested brackets for the role: our error, naming IMDS."""
    server = await imds_server(serve, b"tok", DEEP)
    imds_env(monkeypatch, server.url)
    with pytest.raises(CredentialRetrievalError, match=r"^imds: .*not valid JSON") as info:
        await ImdsProvider(http).load()
    assert_clean(info.value, "TOPSECRET", "[[[[")


@pytest.mark.parametrize("token", [b"tok\r\nX-Injected: 1", b"tok\nabc", b"tok\x00abc", b"t k"])
async def test_imds_token_with_header_breaking_characters(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp, token: bytes
) -> None:
    """A token that cannot be a header value: CredentialRetrievalError, the token not shown."""
    server = await imds_server(serve, token, b"{}")
    imds_env(monkeypatch, server.url)
    with pytest.raises(CredentialRetrievalError, match="not a valid header value") as info:
        await ImdsProvider(http).load()
    assert_clean(info.value, "Injected", "abc")
    # nothing was sent with it
    assert [r.method for r in server.requests] == ["PUT"]


async def test_imds_role_name_is_checked(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """A role name that would change the metadata path is refused, not requested."""
    server = await imds_server(serve, b"tok", b"{}", role=b"../../api/token?x")
    imds_env(monkeypatch, server.url)
    with pytest.raises(CredentialRetrievalError, match="invalid IAM role name"):
        await ImdsProvider(http).load()
    assert len(server.requests) == 2


class RecordingHttp:
    """A CredentialsHttp that records and refuses every request."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        connect_timeout: float,
        read_timeout: float,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Record the URL; answer 500."""
        self.urls.append(url)
        return 500, {}, b""


@pytest.mark.parametrize(
    "region", ["evil.example#", "evil.example", "us-east-1/x", "a b", "us-east-1\n"]
)
async def test_web_identity_region_is_validated(
    region: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """AWS_REGION that is no DNS label: ConfigurationError, and no request (token unsent)."""
    token = tmp_path / "token"
    token.write_text("oidc-token")
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    monkeypatch.setenv("AWS_REGION", region)
    http = RecordingHttp()
    with pytest.raises(ConfigurationError, match="Invalid region name"):
        await WebIdentityProvider(http).load()
    assert http.urls == []


def test_sts_endpoint_region_rules() -> None:
    """The STS endpoint uses the service's region check; valid regions build regional hosts."""
    with pytest.raises(ConfigurationError, match="Invalid region name"):
        sts_endpoint("evil.example#", environ={})
    assert sts_endpoint("eu-west-1", environ={}) == (
        "https://sts.eu-west-1.amazonaws.com",
        "eu-west-1",
    )


def test_sts_uses_the_client_region() -> None:
    """STS goes to the service client's region, not AWS_REGION (botocore's rule)."""
    client = sts_client_for(
        RecordingHttp(), None, environ={"AWS_REGION": "evil.example#"}, region="eu-west-2"
    )
    assert "sts.eu-west-2.amazonaws.com" in repr(client)
