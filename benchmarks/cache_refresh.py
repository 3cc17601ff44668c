"""Measure SecretCache's refresh traffic and staleness against moto's server, on simulated time.

    python benchmarks/cache_refresh.py

Prints, as JSON:

- ``requests_50x10``: requests per operation for 50 secrets each read every second over
  10 TTL periods (ttl 60 s), counted by a middleware stage in the client;
- ``put_delay``: seconds between a PutSecretValue and the first read returning the new value,
  for puts at several offsets into an entry's life, without a rotation schedule;
- ``rotation_delay``: the same for a value changed when a rotation schedule says it is due;
- ``jitter``: the spread of the expiry times of 1,000 entries loaded by one ``warm()``.

Time is simulated (an injected clock), so the numbers are exact for the cache's logic and do
not depend on the machine; the requests are real HTTP calls to moto. Options the cache does
not have (the script also runs against older versions) are left out.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import time
import uuid
from collections import Counter
from typing import Any

from secretsmanager_async import (
    Credentials,
    HttpRequest,
    HttpResponse,
    SecretCache,
    SecretsManagerClient,
)
from secretsmanager_async._middleware.base import Handler


class Counting:
    """Counts requests per operation."""

    name = "counting"

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        self.counts[request.headers["X-Amz-Target"].rpartition(".")[2]] += 1
        return await next(request)


class Clock:
    """Monotonic and wall clocks that move together, only when told."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall0 = time.time() - self.now

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall0 + self.now


def make_cache(client: SecretsManagerClient, clock: Clock, **options: Any) -> SecretCache:
    accepted = inspect.signature(SecretCache).parameters
    options = {k: v for k, v in {**options, "wall_clock": clock.wall}.items() if k in accepted}
    return SecretCache(client, clock=clock, **options)


async def settle(cache: SecretCache) -> None:
    while cache._tasks:
        await asyncio.gather(*list(cache._tasks), return_exceptions=True)


async def requests_50x10(client: SecretsManagerClient, counting: Counting, boto: Any) -> Any:
    ids = [f"bench/{uuid.uuid4().hex[:8]}/{i:02d}" for i in range(50)]
    for i in ids:
        boto.create_secret(Name=i, SecretString=f"value-{i}")
    clock = Clock()
    counting.counts.clear()
    async with make_cache(client, clock, ttl=60) as cache:
        for _second in range(600):
            for i in ids:
                await cache.get_secret_string(i)
            await settle(cache)
            clock.now += 1
        stats = cache.stats
    return {"counts": dict(counting.counts), "hits": stats.hits, "misses": stats.misses}


async def put_delay(client: SecretsManagerClient, boto: Any, offsets: list[float]) -> Any:
    """A PutSecretValue at each offset after loading; reads every 0.5 s until it shows."""
    delays = []
    for offset in offsets:
        name = f"bench/{uuid.uuid4().hex[:8]}"
        boto.create_secret(Name=name, SecretString="old")
        clock = Clock()
        async with make_cache(client, clock, ttl=300, ttl_jitter=0.0) as cache:
            await cache.get_secret_string(name)
            clock.now += offset
            boto.put_secret_value(SecretId=name, SecretString="new")
            put_at = clock.now
            while await cache.get_secret_string(name) != "new":
                await settle(cache)
                clock.now += 0.5
            delays.append(clock.now - put_at)
    return {"offsets": offsets, "delays": delays, "max": max(delays)}


async def rotation_delay(client: SecretsManagerClient, boto: Any, phases: list[float]) -> Any:
    """A secret with a rotation schedule, changed when the schedule says it is due.

    The cache is loaded 600 s + ``phase`` before the due time (so it has checked the version
    at least once and knows the schedule), read every 0.5 s; the value changes at the due time.
    """
    delays = []
    for phase in phases:
        name = f"bench/{uuid.uuid4().hex[:8]}"
        boto.create_secret(Name=name, SecretString="old")
        # moto applies the rotation at once (no Lambda) and schedules the next one a day later
        boto.rotate_secret(SecretId=name, RotationRules={"AutomaticallyAfterDays": 1})
        boto.put_secret_value(SecretId=name, SecretString="old")
        due = boto.describe_secret(SecretId=name)["NextRotationDate"].timestamp()
        clock = Clock()
        clock.wall0 = due - 600 - phase - clock.now
        async with make_cache(client, clock, ttl=300, ttl_jitter=0.0) as cache:
            await cache.get_secret_string(name)
            while clock.wall() < due:
                clock.now += 0.5
                await cache.get_secret_string(name)
                await settle(cache)
            boto.put_secret_value(SecretId=name, SecretString="new")  # the rotation completes
            put_at = clock.now
            while await cache.get_secret_string(name) != "new":
                await settle(cache)
                clock.now += 0.5
            delays.append(clock.now - put_at)
    return {"phases": phases, "delays": delays, "max": max(delays)}


async def jitter(client: SecretsManagerClient, boto: Any) -> Any:
    prefix = f"bench/{uuid.uuid4().hex[:8]}/"
    ids = [f"{prefix}{i:04d}" for i in range(1000)]
    for i in ids:
        boto.create_secret(Name=i, SecretString="x")
    clock = Clock()
    async with make_cache(client, clock, ttl=300, max_size=2000) as cache:
        await cache.warm(ids)
        expiries = sorted(e.expires_at - clock.now for e in cache._entries.values())
    return {
        "ttl": 300,
        "min": round(expiries[0], 2),
        "max": round(expiries[-1], 2),
        "distinct_seconds": len({int(e) for e in expiries}),
    }


async def main() -> None:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"  # type: ignore[union-attr]
    boto = boto3.client(
        "secretsmanager",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="test-secret-key",
    )
    counting = Counting()
    try:
        async with SecretsManagerClient(
            region="us-east-1",
            endpoint_url=url,
            credentials=Credentials("AKIDTEST", "test-secret-key"),
            middleware=[counting],
        ) as client:
            out = {
                "requests_50x10": await requests_50x10(client, counting, boto),
                "put_delay": await put_delay(client, boto, [1, 60, 150, 239, 241, 299]),
                "rotation_delay": await rotation_delay(client, boto, [0, 59, 120, 299]),
                "jitter": await jitter(client, boto),
            }
    finally:
        server.stop()
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    asyncio.run(main())
