"""Shared fixtures: a real Secrets Manager implementation (moto's server) on 127.0.0.1."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTDATA = Path(__file__).resolve().parent / "data"

# Only loopback: make sure nothing in the developer's environment can send us to AWS.
for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live-aws", action="store_true", help="run tests against real AWS")
    parser.addoption("--run-slow", action="store_true", help="run long soak tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "live_aws" in item.keywords and not config.getoption("--live-aws"):
            item.add_marker(pytest.mark.skip(reason="talks to real AWS; opt in with --live-aws"))
        if "slow" in item.keywords and not config.getoption("--run-slow"):
            item.add_marker(pytest.mark.skip(reason="long soak; opt in with --run-slow"))


class MotoServer:
    """moto's Secrets Manager server in a thread on 127.0.0.1."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self.port: int = self._server._server.server_port  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the whole run; tests use unique secret names."""
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def moto_url(moto_server: MotoServer) -> str:
    """The moto server's base URL."""
    return moto_server.url


@pytest.fixture
async def client(moto_url: str) -> AsyncIterator[object]:
    """Our client, pointed at moto's server."""
    from secretsmanager_async import Credentials, SecretsManagerClient

    async with SecretsManagerClient(
        region="us-east-1",
        endpoint_url=moto_url,
        credentials=Credentials("AKIDTEST", "test-secret-key"),
    ) as c:
        yield c


@pytest.fixture
def boto3_client(moto_url: str) -> object:
    """boto3 against the same moto server: the independent second opinion."""
    import boto3

    return boto3.client(
        "secretsmanager",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="test-secret-key",
    )


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A secret name no other test uses."""
    import uuid

    return f"test/{request.node.name[:40]}/{uuid.uuid4().hex[:8]}"
