"""Wall time and request count for get_secret_values of 1,000 secrets on local endpoints.

Run with ``-s`` to see the numbers; the assertions pin the request count, not the time.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from ..conftest import MotoServer
from .conftest import Counting, make_client

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "server.py"


def _bench_server() -> ModuleType:
    if not BENCH.exists():
        pytest.skip(f"{BENCH} is not in this checkout")
    spec = importlib.util.spec_from_file_location("bench_server", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_server", module)
    spec.loader.exec_module(module)
    return module


async def _measure(url: str, ids: list[str], runs: int = 5) -> tuple[float, list[float], int]:
    counting = Counting()
    async with make_client(url, middleware=[counting]) as client:
        start = time.perf_counter()
        result = await client.get_secret_values(ids)
        cold = time.perf_counter() - start
        assert result.ok and list(result.values) == ids
        requests = sum(counting.counts.values())
        warm = []
        for _ in range(runs):
            start = time.perf_counter()
            await client.get_secret_values(ids)
            warm.append(time.perf_counter() - start)
    return cold, warm, requests


async def test_1000_secrets_on_the_benchmark_server() -> None:
    """1,000 ids against the in-memory benchmark endpoint: 50 batch requests."""
    bench = _bench_server()
    ids = [bench._data.secret_name(i) for i in range(1000)]
    with bench.ServerProcess(1000) as server:
        before = server.stats()["requests"]
        cold, warm, requests = await _measure(server.endpoint, ids)
        served = server.stats()["requests"] - before - 1  # minus the first stats call
    assert requests == 50
    assert served == 50 * 6
    print(
        f"\nbenchmark server: 1000 secrets, {requests} requests; first call "
        f"{cold * 1000:.1f} ms, then median {statistics.median(warm) * 1000:.1f} ms"
    )


@pytest.mark.slow
async def test_1000_secrets_on_moto(moto_server: MotoServer) -> None:
    """1,000 ids against moto's server: 50 batch requests."""
    import boto3

    b = boto3.client(
        "secretsmanager",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="test-secret-key",
    )
    ids = [f"measure/{i:04d}" for i in range(1000)]
    for i in ids:
        b.create_secret(Name=i, SecretString=f"value-{i}")
    cold, warm, requests = await _measure(moto_server.url, ids, runs=3)
    assert requests == 50
    print(
        f"\nmoto: 1000 secrets, {requests} requests; first call {cold * 1000:.1f} ms, "
        f"then median {statistics.median(warm) * 1000:.1f} ms"
    )
