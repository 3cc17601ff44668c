"""Fixtures for the credentials tests: a clean AWS environment, a temporary HOME, and local
stand-ins on 127.0.0.1 for IMDS, the container credentials endpoint and STS."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from secretsmanager_async import _profiles
from secretsmanager_async._credentials.http import AiohttpCredentialsHttp

EXPIRES = "2099-01-01T00:00:00Z"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No AWS_* from the developer, HOME in tmp, IMDS off unless a test turns it on."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    _profiles.clear_cache()
    yield home
    _profiles.clear_cache()


@pytest.fixture
def home(clean_env: Path) -> Path:
    """The temporary HOME (``~/.aws`` exists and is empty)."""
    return clean_env


@pytest.fixture
def write_config(home: Path) -> Callable[[str], Path]:
    """Write ``~/.aws/config``."""

    def write(text: str) -> Path:
        path = home / ".aws" / "config"
        path.write_text(text)
        _profiles.clear_cache()
        return path

    return write


@pytest.fixture
def write_credentials(home: Path) -> Callable[[str], Path]:
    """Write ``~/.aws/credentials``."""

    def write(text: str) -> Path:
        path = home / ".aws" / "credentials"
        path.write_text(text)
        _profiles.clear_cache()
        return path

    return write


@pytest.fixture
async def http() -> AsyncIterator[AiohttpCredentialsHttp]:
    """The aiohttp implementation of the providers' HTTP seam (closed afterwards)."""
    client = AiohttpCredentialsHttp()
    yield client
    await client.aclose()


class LocalServer:
    """An aiohttp app on 127.0.0.1 that records requests."""

    def __init__(self, runner: web.AppRunner, port: int, requests: list[web.Request]) -> None:
        self.runner = runner
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.requests = requests


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[
    Callable[[dict[tuple[str, str], Handler]], Awaitable[LocalServer]]
]:
    """Start local servers from {(method, path): handler}; all are stopped at the end."""
    runners: list[web.AppRunner] = []

    async def start(routes: dict[tuple[str, str], Handler]) -> LocalServer:
        requests: list[web.Request] = []

        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            requests.append(request)
            return await handler(request)

        app = web.Application(middlewares=[record])
        for (method, path), handler in routes.items():
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return LocalServer(runner, port, requests)

    yield start
    for runner in runners:
        await runner.cleanup()


def creds_json(key_id: str = "AKIDCONTAINER", expiration: str = EXPIRES, **extra: Any) -> str:
    """A container/IMDS credentials document."""
    return json.dumps(
        {
            "AccessKeyId": key_id,
            "SecretAccessKey": "secret-" + key_id,
            "Token": "token-" + key_id,
            "Expiration": expiration,
            **extra,
        }
    )


class Imds:
    """State of the IMDS stand-in."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.role = "my-role"
        self.key_id = "AKIDIMDS"
        self.expire_tokens = False


@pytest.fixture
async def imds(
    serve: Callable[[dict[tuple[str, str], Handler]], Awaitable[LocalServer]],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[LocalServer, Imds]:
    """An IMDSv2 stand-in (token required, TTL header checked); IMDS env points at it."""
    state = Imds()

    async def token(request: web.Request) -> web.Response:
        ttl = request.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return web.Response(status=400)
        value = f"tok{len(state.tokens)}"
        state.tokens.append(value)
        return web.Response(text=value, headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})

    def authorized(request: web.Request) -> bool:
        got = request.headers.get("X-aws-ec2-metadata-token")
        if state.expire_tokens and got != state.tokens[-1]:
            return False
        return got in state.tokens

    async def roles(request: web.Request) -> web.Response:
        if not authorized(request):
            return web.Response(status=401)
        return web.Response(text=state.role + "\n")

    async def role(request: web.Request) -> web.Response:
        if not authorized(request):
            return web.Response(status=401)
        if request.match_info["name"] != state.role:
            return web.Response(status=404)
        return web.Response(
            text=creds_json(state.key_id, Code="Success", Type="AWS-HMAC"),
            content_type="text/plain",
        )

    server = await serve(
        {
            ("PUT", "/latest/api/token"): token,
            ("GET", "/latest/meta-data/iam/security-credentials/"): roles,
            ("GET", "/latest/meta-data/iam/security-credentials/{name}"): role,
        }
    )
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url + "/")
    return server, state


@pytest.fixture
async def container(
    serve: Callable[[dict[tuple[str, str], Handler]], Awaitable[LocalServer]],
) -> LocalServer:
    """A container credentials stand-in at /creds requiring ``Authorization: sesame``."""

    async def creds(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "sesame":
            return web.Response(status=401, text="bad token")
        return web.Response(text=creds_json(), content_type="application/json")

    return await serve({("GET", "/creds"): creds})


@pytest.fixture
def sts_env(moto_server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Send STS calls to moto's server on 127.0.0.1."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server.url)
    return str(moto_server.url)


def utc(*args: int) -> dt.datetime:
    """A UTC datetime."""
    return dt.datetime(*args, tzinfo=dt.timezone.utc)  # type: ignore[misc]
