"""Text from a server reaches the terminal with its control characters escaped."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from .conftest import BASE_ENV, REPO

#: clear the screen, retitle the window, ring the bell, and a C1 CSI (colour red)
HOSTILE = "gone\x1b[2J\x1b]0;owned\x07 \u009b31mred\x7f"
#: what may never reach the terminal raw: ESC, BEL, DEL and the UTF-8 encoding of U+009B
RAW = [b"\x1b", b"\x07", b"\x7f", "\u009b".encode()]


def _reply(target: str) -> tuple[int, dict[str, Any]]:
    if target.endswith(".ListSecrets"):
        entry = {"Name": "app/" + HOSTILE, "ARN": "arn:x", "LastChangedDate": 1.7e9}
        return 200, {"SecretList": [entry]}
    if target.endswith(".DescribeSecret"):
        return 200, {
            "Name": "app/x",
            "Description": HOSTILE,
            "Tags": [{"Key": "k", "Value": HOSTILE}],
        }
    return 400, {"__type": "ResourceNotFoundException", "message": HOSTILE}


@pytest.fixture
async def hostile_url() -> AsyncIterator[str]:
    """A local endpoint whose error messages and metadata carry terminal escape sequences."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        status, body = _reply(request.headers.get("X-Amz-Target", ""))
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "rid-1"},
        )

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _cli(url: str, *args: str) -> tuple[int, bytes, bytes]:
    env = {
        **BASE_ENV,
        "AWS_ACCESS_KEY_ID": "AKIDTEST",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "AWS_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "secretsmanager_async",
        "--endpoint-url",
        url,
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out, err


def _assert_escaped(output: bytes) -> None:
    for raw in RAW:
        assert raw not in output, (raw, output)


async def test_service_error_message_is_escaped(hostile_url: str) -> None:
    """The one-line error shows ESC, BEL, DEL and C1 as \\xNN, on one line, exit 1."""
    code, out, err = await _cli(hostile_url, "get", "app/x")
    assert code == 1 and out == b""
    _assert_escaped(err)
    line = err.decode()
    assert line.count("\n") == 1
    assert "gone\\x1b[2J\\x1b]0;owned\\x07 \\x9b31mred\\x7f" in line


async def test_debug_traceback_is_escaped(hostile_url: str) -> None:
    """--debug's traceback carries the message too: escaped, its newlines kept."""
    code, _, err = await _cli(hostile_url, "--debug", "get", "app/x")
    assert code == 1
    assert b"Traceback (most recent call last)" in err
    _assert_escaped(err)


async def test_metadata_from_the_server_is_escaped(hostile_url: str) -> None:
    """list's table, describe's fields and get-many's per-id errors escape server text."""
    code, out, _ = await _cli(hostile_url, "list")
    assert code == 0
    _assert_escaped(out)
    assert b"app/gone\\x1b[2J" in out

    code, out, _ = await _cli(hostile_url, "describe", "app/x")
    assert code == 0
    _assert_escaped(out)
    assert b"\\x1b]0;owned\\x07" in out

    code, out, err = await _cli(hostile_url, "get-many", "--filter", "name=app/", "--partial")
    _assert_escaped(err)
    assert b"error: app/gone\\x1b[2J" in err
    _assert_escaped(out)
