"""Storms of reads racing invalidation, clearing and eviction: no reader gets a wrong error."""

from __future__ import annotations

import asyncio
import random

import pytest

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async._cache import SecretCache

from ..bulk.local_server import LocalSecretsServer


async def storm(sm: SecretsManagerClient, reads: int, *, seed: int) -> tuple[int, list[str]]:
    """Readers of 50 string and JSON secrets while others invalidate, clear and evict.

    Returns how many reads returned the right value and the wrong errors seen.
    """
    rng = random.Random(seed)
    wrong: list[str] = []
    ok = 0
    # max_size below the 50 ids: every round of reads also evicts
    async with SecretCache(sm, max_size=20, refresh_ahead=0) as cache:

        async def read(i: int) -> None:
            nonlocal ok
            name = f"s{i:02d}"
            try:
                if i % 3:
                    got = await cache.get_secret_string(name)
                    assert got == f"value-{i:02d}", got
                else:
                    assert await cache.get_secret_json("db/creds", "user") == "app"
                ok += 1
            except Exception as e:  # every error here is a wrong one
                wrong.append(f"{type(e).__name__}: {e}")

        async def disturb() -> None:
            # runs between the readers' steps for the whole storm
            while True:
                await asyncio.sleep(0)
                action = rng.random()
                if action < 0.3:
                    cache.invalidate(f"s{rng.randrange(50):02d}")
                elif action < 0.5:
                    cache.invalidate("db/creds")
                elif action < 0.52:
                    cache.clear()

        disturbers = [asyncio.ensure_future(disturb()) for _ in range(3)]
        try:
            for _ in range(reads // 500):
                await asyncio.gather(*(read(rng.randrange(50)) for _ in range(500)))
        finally:
            for d in disturbers:
                d.cancel()
            await asyncio.gather(*disturbers, return_exceptions=True)
    return ok, wrong


async def test_storm_of_reads_against_invalidation_and_eviction(
    server: LocalSecretsServer, sm: SecretsManagerClient
) -> None:
    """20,000 reads racing invalidate/clear/eviction: every read gets its own right value."""
    ok, wrong = await storm(sm, 20_000, seed=1)
    assert wrong == [] and ok == 20_000


@pytest.mark.slow
async def test_long_storm(server: LocalSecretsServer, sm: SecretsManagerClient) -> None:
    """The storm at 300,000 reads over several seeds (--run-slow)."""
    for seed in range(3):
        ok, wrong = await storm(sm, 100_000, seed=seed)
        assert wrong == [] and ok == 100_000
