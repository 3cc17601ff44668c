"""Fixtures for fault tests: the fault proxy in front of moto, and client factories."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from secretsmanager_async import Credentials, SecretsManagerClient
from secretsmanager_async._middleware.retry import RetryStage

from ..conftest import MotoServer
from ..moto_process import moto_subprocess
from .proxy import FaultPlan, FaultProxy

CREDENTIALS = Credentials("AKIDFAULTS", "faults-secret-key")

ClientFactory = Callable[..., contextlib.AbstractAsyncContextManager[SecretsManagerClient]]


@pytest.fixture
async def proxy(moto_server: MotoServer) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of moto that forwards faithfully until told otherwise."""
    async with FaultProxy("127.0.0.1", moto_server.port, FaultPlan()) as p:
        yield p


@contextlib.asynccontextmanager
async def open_client(endpoint_url: str, **settings: Any) -> AsyncIterator[SecretsManagerClient]:
    """A client for ``endpoint_url`` with retry backoff switched off, so faults retry at once."""
    settings.setdefault("region", "us-east-1")
    settings.setdefault("credentials", CREDENTIALS)
    async with SecretsManagerClient(endpoint_url=endpoint_url, **settings) as client:
        retry = client.middleware["retry"]
        assert isinstance(retry, RetryStage)
        retry.backoff = False
        yield client


@pytest.fixture
def make_client() -> ClientFactory:
    """Open a no-backoff client for a URL: ``async with make_client(url, **settings)``."""
    return open_client


@pytest.fixture
async def secret(moto_server: MotoServer) -> str:
    """A secret created straight on moto (no proxy), for read-side fault tests."""
    name = f"faults/{uuid.uuid4().hex[:12]}"
    async with open_client(moto_server.url) as client:
        await client.create_secret(name=name, secret_string="initial")
    return name


@dataclass
class MotoProcess:
    """moto's server in its own process: its own core and its own memory."""

    port: int
    url: str


@pytest.fixture(scope="session")
def moto_process() -> Iterator[MotoProcess]:
    """moto's server as a subprocess on 127.0.0.1, for the soak.

    The soak runs moto out of process so that, on a 2-core CI box, moto and the client run in
    parallel instead of sharing one GIL, and so that tracemalloc sees only the client's memory.
    """
    with moto_subprocess() as url:
        yield MotoProcess(int(url.rsplit(":", 1)[1]), url)
