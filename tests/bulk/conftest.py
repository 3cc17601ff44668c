"""Fixtures for paginator and bulk-fetch tests: a populated moto server, a local fault server."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

from secretsmanager_async import Credentials, HttpRequest, HttpResponse, SecretsManagerClient
from secretsmanager_async._middleware.base import Handler

from ..conftest import MotoServer
from .local_server import LocalSecretsServer

POPULATION = 300


@attrs.define
class Population:
    """Secrets created in moto for one test module."""

    prefix: str
    names: list[str]
    arns: dict[str, str]


@pytest.fixture(scope="module")
def population(moto_server: MotoServer) -> Population:
    """300 secrets under a prefix no other module uses, created through boto3."""
    import boto3

    b = boto3.client(
        "secretsmanager",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="test-secret-key",
    )
    prefix = f"bulk-{uuid.uuid4().hex[:8]}/"
    names = [f"{prefix}{i:04d}" for i in range(POPULATION)]
    arns = {n: b.create_secret(Name=n, SecretString=f"value-of-{n}")["ARN"] for n in names}
    return Population(prefix, names, arns)


class Counting:
    """A middleware stage that counts requests per operation and the most in flight."""

    name = "counting"

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        self.counts[request.headers["X-Amz-Target"].rpartition(".")[2]] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await next(request)
        finally:
            self.in_flight -= 1


def make_client(url: str, **kwargs: Any) -> SecretsManagerClient:
    """Our client against a local endpoint with test credentials."""
    return SecretsManagerClient(
        region="us-east-1",
        endpoint_url=url,
        credentials=Credentials("AKIDTEST", "test-secret-key"),
        **kwargs,
    )


@pytest.fixture
async def counted(moto_url: str) -> AsyncIterator[tuple[SecretsManagerClient, Counting]]:
    """A client on moto with a request-counting stage."""
    counting = Counting()
    async with make_client(moto_url, middleware=[counting]) as c:
        yield c, counting


@pytest.fixture
async def local() -> AsyncIterator[LocalSecretsServer]:
    """The local fault-injecting server, started and stopped around one test."""
    server = LocalSecretsServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def local_client(local: LocalSecretsServer) -> AsyncIterator[SecretsManagerClient]:
    """Our client on the local server; one attempt per call so faults surface at once."""
    async with make_client(local.url, max_attempts=1) as c:
        yield c
