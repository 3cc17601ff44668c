"""CPU per call of the sync facade against the async client it wraps.

``python benchmarks/sync_cost.py [--calls N]``: against the benchmark server (a fresh
process), one caller makes N sequential ``get_secret_value`` calls with the async client in
``asyncio.run``, then N with ``secretsmanager_async.sync``; each side's process CPU time
(all threads: the sync facade's loop thread included) is divided by N. Target (issue 20):
sync within 1.5x of async.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _data
from server import ServerProcess

from secretsmanager_async import Credentials, SecretsManagerClient
from secretsmanager_async import sync as sm_sync

CREDS = Credentials("AKIDBENCH", "bench-secret")


def _ids(n: int) -> list[str]:
    return [_data.secret_name(i % 1000) for i in range(n)]


async def _async_run(endpoint: str, ids: list[str]) -> float:
    async with SecretsManagerClient(
        region=_data.REGION, endpoint_url=endpoint, credentials=CREDS
    ) as client:
        await client.get_secret_value(secret_id=ids[0])  # set up outside the measurement
        start = time.process_time()
        for secret_id in ids:
            await client.get_secret_value(secret_id=secret_id)
        return time.process_time() - start


def _sync_run(endpoint: str, ids: list[str]) -> float:
    with sm_sync.SecretsManagerClient(
        region=_data.REGION, endpoint_url=endpoint, credentials=CREDS
    ) as client:
        client.get_secret_value(secret_id=ids[0])
        start = time.process_time()
        for secret_id in ids:
            client.get_secret_value(secret_id=secret_id)
        return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ids = _ids(args.calls)
    results: dict[str, list[float]] = {"async_us": [], "sync_us": []}
    with ServerProcess(1000) as server:
        for _ in range(args.rounds):
            results["async_us"].append(asyncio.run(_async_run(server.endpoint, ids)))
            results["sync_us"].append(_sync_run(server.endpoint, ids))
    async_us = min(results["async_us"]) / args.calls * 1e6
    sync_us = min(results["sync_us"]) / args.calls * 1e6
    print(
        json.dumps(
            {
                "calls": args.calls,
                "async_cpu_us_per_call": round(async_us, 1),
                "sync_cpu_us_per_call": round(sync_us, 1),
                "ratio": round(sync_us / async_us, 3),
                "target": "<= 1.5",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
