"""Per-call cost of in-flight tracking (for close()) and the loop check, instant transport.

Run: ``python benchmarks/inflight_overhead.py``. Compares a GetSecretValue call through the
whole stack as shipped with the same call entering the stack below the tracking (``_run``).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from secretsmanager_async import Credentials, SecretsManagerClient
from secretsmanager_async._generated.operations import GET_SECRET_VALUE
from secretsmanager_async._protocol import HttpRequest, HttpResponse

BODY = b'{"Name":"s","SecretString":"v","VersionId":"1"}'
HEADERS = {"x-amzn-requestid": "r"}


class Instant:
    """A transport that answers at once: what remains is the library's own CPU per call."""

    async def send(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, HEADERS, BODY)

    async def close(self) -> None:
        return None


async def main(n: int = 20000, rounds: int = 7) -> None:
    async with SecretsManagerClient(
        region="us-east-1", credentials=Credentials("A", "B"), transport=Instant()
    ) as client:
        await client.get_secret_value(secret_id="s")
        params: Any = GET_SECRET_VALUE.build_input(secret_id="s")

        async def tracked() -> None:
            for _ in range(n):
                await client._invoke(GET_SECRET_VALUE, params)

        async def untracked() -> None:
            for _ in range(n):
                await client._run(GET_SECRET_VALUE, params)

        results: dict[str, list[float]] = {"tracked": [], "untracked": []}
        for _ in range(rounds):
            for name, fn in (("tracked", tracked), ("untracked", untracked)):
                start = time.perf_counter()
                await fn()
                results[name].append((time.perf_counter() - start) / n * 1e6)
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"per call, median of {rounds} x {n}:")
    for k, v in med.items():
        print(f"  {k:10s} {v:7.2f} us")
    print(f"  difference: {med['tracked'] - med['untracked']:+.2f} us per call (noise-bound)")


def _steps_ns(n: int = 1_000_000) -> float:
    """The exact steps _invoke adds, timed in a tight loop (minus the empty loop)."""

    async def run() -> float:
        loop = asyncio.get_running_loop()
        inflight: set[object] = set()
        idle = None
        get_loop = asyncio.get_running_loop
        current = asyncio.current_task
        start = time.perf_counter()
        for _ in range(n):
            if loop is not get_loop():
                raise AssertionError
            task = current()
            if task is None or task in inflight:
                raise AssertionError
            inflight.add(task)
            try:
                pass
            finally:
                inflight.discard(task)
                if idle is not None and not inflight:
                    raise AssertionError
        steps = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(n):
            pass
        empty = time.perf_counter() - start
        return (steps - empty) / n * 1e9

    return asyncio.run(run())


if __name__ == "__main__":
    asyncio.run(main())
    print(f"  the tracking steps alone: {_steps_ns():.0f} ns per call")
