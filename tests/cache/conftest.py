"""Fixtures for SecretCache tests: the counting local server, a client on it, a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from secretsmanager_async import SecretsManagerClient

from ..bulk.conftest import make_client
from ..bulk.local_server import LocalSecretsServer


class FakeClock:
    """A monotonic clock, and a wall clock moving with it, that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0
        #: wall time minus monotonic time
        self.offset = 1_800_000_000.0 - self.now

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        """Epoch seconds, moving with the monotonic clock."""
        return self.now + self.offset

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock for the cache."""
    return FakeClock()


@pytest.fixture
async def server() -> AsyncIterator[LocalSecretsServer]:
    """The local server holding secrets s00..s49 and a JSON and a binary secret."""
    s = LocalSecretsServer()
    for i in range(50):
        s.add(f"s{i:02d}", f"value-{i:02d}")
    s.add("db/creds", '{"user": "app", "password": "hunter2", "port": 5432}')
    s.add("blob", b"\x00\x01binary")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def sm(server: LocalSecretsServer) -> AsyncIterator[SecretsManagerClient]:
    """Our client on the local server; one attempt per call, so each fault is one request."""
    async with make_client(server.url, max_attempts=1) as c:
        yield c
