"""Item 9: the README's web-app patterns, run exactly as written, start twice in one process."""

from __future__ import annotations

import asyncio
import json
import re
import types
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(heading: str) -> str:
    """The one python code block under ``heading`` in README.md."""
    text = README.read_text()
    section = text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, f"{heading}: expected one python block"
    return blocks[0]


def load_readme_module(heading: str, name: str) -> types.ModuleType:
    """Execute the README block as a fresh module (what a user's app.py would be)."""
    module = types.ModuleType(name)
    exec(compile(readme_block(heading), f"README.md {heading}", "exec"), module.__dict__)
    return module


@pytest.fixture
def web_env(moto_url: str, boto3_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's secrets exist in moto, and the environment points the client there."""
    for name, value in (
        ("prod/db", json.dumps({"password": "pw"})),
        ("prod/api-key", "key"),
    ):
        try:
            boto3_client.create_secret(Name=name, SecretString=value)
        except boto3_client.exceptions.ResourceExistsException:
            boto3_client.put_secret_value(SecretId=name, SecretString=value)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")


@pytest.mark.usefixtures("web_env")
def test_fastapi_app_starts_twice_in_one_process() -> None:
    """FastAPI TestClient(app) twice (two event loops): both runs serve the secret."""
    from fastapi.testclient import TestClient

    app = load_readme_module("#### FastAPI", "readme_fastapi").app
    for _ in range(2):
        with TestClient(app) as http:
            response = http.get("/orders")
            assert response.status_code == 200, response.text
            assert response.json() == {"have_password": True}


@pytest.mark.usefixtures("web_env")
def test_aiohttp_app_starts_twice_in_one_process() -> None:
    """The aiohttp.web app (cleanup_ctx) started in two asyncio.run() calls serves both times."""
    from aiohttp.test_utils import TestClient, TestServer

    module = load_readme_module("#### aiohttp.web", "readme_aiohttp")

    async def serve_once() -> None:
        app = module.create_app()
        async with TestClient(TestServer(app)) as http:
            response = await http.get("/health")
            assert response.status == 200
            assert await response.text() == "ok"
        assert app[module.SECRETS].closed  # cleanup_ctx closed the cache (and the client)

    asyncio.run(serve_once())
    asyncio.run(serve_once())
