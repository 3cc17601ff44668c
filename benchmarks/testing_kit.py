"""The testing kit's speed: 1,000 get_secret_value calls on the fake vs moto's server, and the
cost of creating the sm_fake + sm_client fixtures.

Run: python benchmarks/testing_kit.py  (targets: >= 20x faster than moto; fixture < 5 ms)
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time

from secretsmanager_async import Credentials, SecretsManagerClient
from secretsmanager_async.testing import FakeSecretsManager

CALLS = 1000


async def gets(client: SecretsManagerClient) -> float:
    name = f"bench-{time.perf_counter_ns()}"
    await client.create_secret(name=name, secret_string="value")
    start = time.perf_counter()
    for _ in range(CALLS):
        await client.get_secret_value(secret_id=name)
    return time.perf_counter() - start


async def on_fake() -> float:
    fake = FakeSecretsManager()
    async with fake.client() as client:
        return await gets(client)


async def on_moto(url: str) -> float:
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url=url, credentials=Credentials("AKIDTEST", "secret")
    ) as client:
        return await gets(client)


async def fixture_setup() -> float:
    """What sm_fake + sm_client cost per test: a fake, a client, opening and closing it."""
    start = time.perf_counter()
    fake = FakeSecretsManager()
    client = fake.client()
    await client.__aenter__()
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed


async def main() -> None:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"  # type: ignore[union-attr]
    try:
        await on_fake()  # warm-up: imports, model classes, converters
        fake = min([await on_fake() for _ in range(3)])
        moto = min([await on_moto(url) for _ in range(3)])
    finally:
        server.stop()
    setups = [await fixture_setup() for _ in range(200)]
    print(
        f"{CALLS} get_secret_value on FakeSecretsManager: {fake * 1000:8.1f} ms "
        f"({fake / CALLS * 1e6:.0f} us/call)"
    )
    print(
        f"{CALLS} get_secret_value on moto's server:      {moto * 1000:8.1f} ms "
        f"({moto / CALLS * 1e6:.0f} us/call)"
    )
    print(f"speed-up: {moto / fake:.1f}x (target >= 20x)")
    print(
        f"fixture setup (sm_fake + sm_client): median {statistics.median(setups) * 1000:.2f} ms, "
        f"p95 {sorted(setups)[int(len(setups) * 0.95)] * 1000:.2f} ms (target < 5 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
