"""Measure one client in this (fresh) process and print the result as one JSON line.

    python benchmarks/runner.py probe  CLIENT ENDPOINT
    python benchmarks/runner.py cold   CLIENT ENDPOINT
    python benchmarks/runner.py steady CLIENT ENDPOINT [calls=N warmup=N concurrency=N
                                                         bulk=N bulk_reps=N]

CLIENT is ``floor``, ``aiobotocore``, ``smithy``, ``ours`` or (cold only) ``none``, the
bare interpreter plus asyncio. A client whose library cannot be imported here prints
``{"skipped": reason}``. ``run.py`` drives this; it is also handy on its own.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

MODULES = {
    "floor": "floor",
    "aiobotocore": "client_aiobotocore",
    "smithy": "client_smithy",
    "ours": "client_ours",
}


def _emit(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def _load(client: str) -> Any:
    import importlib

    try:
        return importlib.import_module(MODULES[client])
    except ImportError as exc:
        _emit({"skipped": f"{type(exc).__name__}: {exc}"})
        raise SystemExit(0) from None


def cold(client: str, endpoint: str) -> dict[str, Any]:
    """Import, create a client, make one call: the work of a short-lived job."""
    import asyncio

    if client == "none":
        asyncio.run(asyncio.sleep(0))
        return {"import_ms": 0.0, "client_ms": 0.0, "call_ms": 0.0}
    module = _load(client)
    t_import = time.perf_counter()
    marks: list[float] = []

    async def once() -> str:
        async with module.Client(endpoint) as c:
            marks.append(time.perf_counter())
            value: str = await c.get("bench/secret-0000")
            marks.append(time.perf_counter())
        return value

    value = asyncio.run(once())
    if not value.startswith("{"):
        raise RuntimeError("unexpected SecretString")
    return {
        "import_ms": (t_import - _T0) * 1e3,
        "client_ms": (marks[0] - t_import) * 1e3,
        "call_ms": (marks[1] - marks[0]) * 1e3,
    }


async def _calls(
    get: Any,
    names: list[str],
    values: list[str],
    calls: int,
    concurrency: int,
    latencies: list[float] | None = None,
) -> int:
    """``calls`` GetSecretValue calls from ``concurrency`` workers; returns mismatches.

    With ``latencies``, each call's wall time (s) is appended to it (one clock read per call).
    """
    import asyncio

    per_worker = calls // concurrency
    n = len(names)
    clock = time.perf_counter

    async def worker(w: int) -> int:
        bad = 0
        for k in range(per_worker):
            i = (w * per_worker + k) % n
            if latencies is None:
                if await get(names[i]) != values[i]:
                    bad += 1
                continue
            t = clock()
            value = await get(names[i])
            latencies.append(clock() - t)
            if value != values[i]:
                bad += 1
        return bad

    return sum(await asyncio.gather(*(worker(w) for w in range(concurrency))))


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


async def _steady(module: Any, endpoint: str, opts: dict[str, int]) -> dict[str, Any]:
    import _data
    from server import fetch_stats_async

    port = int(endpoint.rsplit(":", 1)[1].strip("/"))
    concurrency = opts["concurrency"]
    calls = opts["calls"] // concurrency * concurrency
    names = [_data.secret_name(i) for i in range(opts["bulk"])]
    values = [_data.secret_value(i) for i in range(opts["bulk"])]
    out: dict[str, Any] = {"calls": calls, "concurrency": concurrency}
    async with module.Client(endpoint) as c:
        bad = await _calls(c.get, names, values, opts["warmup"], concurrency)
        s0 = await fetch_stats_async(port)
        latencies: list[float] = []
        cpu0, t0 = time.process_time(), time.perf_counter()
        bad += await _calls(c.get, names, values, calls, concurrency, latencies)
        cpu1, t1 = time.process_time(), time.perf_counter()
        s1 = await fetch_stats_async(port)
        latencies.sort()
        if bad:
            raise RuntimeError(f"{bad} calls returned the wrong SecretString")
        wall, cpu = t1 - t0, cpu1 - cpu0
        out |= {
            "wall_s": wall,
            "cpu_s": cpu,
            "cpu_us_per_call": cpu / calls * 1e6,
            "calls_per_s": calls / wall,
            "latency_p50_ms": latencies[len(latencies) // 2] * 1e3,
            "latency_p99_ms": latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1e3,
            "server_cpu_s": s1["cpu"] - s0["cpu"],
            # the stats call itself is one request
            "server_requests": s1["requests"] - s0["requests"] - 1,
        }
        expected = dict(zip(names, values, strict=True))
        if await c.bulk(names) != expected:  # warm-up and correctness check
            raise RuntimeError("bulk fetch returned the wrong secrets")
        walls, cpus, server_cpus = [], [], []
        for _ in range(opts["bulk_reps"]):
            s0 = await fetch_stats_async(port)
            cpu0, t0 = time.process_time(), time.perf_counter()
            got = await c.bulk(names)
            cpu1, t1 = time.process_time(), time.perf_counter()
            s1 = await fetch_stats_async(port)
            if len(got) != len(names):
                raise RuntimeError("bulk fetch returned too few secrets")
            walls.append((t1 - t0) * 1e3)
            cpus.append((cpu1 - cpu0) * 1e3)
            server_cpus.append((s1["cpu"] - s0["cpu"]) * 1e3)
        out |= {
            "bulk_count": len(names),
            "bulk_wall_ms": _median(walls),
            "bulk_cpu_ms": _median(cpus),
            "bulk_server_cpu_ms": _median(server_cpus),
            "bulk_walls_ms": walls,
        }
    return out


def steady(client: str, endpoint: str, args: list[str]) -> dict[str, Any]:
    """Warm up, then calls at fixed concurrency, then bulk fetches: CPU and wall for each."""
    import asyncio

    opts = {"calls": 10000, "warmup": 1000, "concurrency": 64, "bulk": 1000, "bulk_reps": 3}
    for arg in args:
        key, _, value = arg.partition("=")
        if key not in opts:
            raise SystemExit(f"unknown option {key!r}")
        opts[key] = int(value)
    module = _load(client)
    return asyncio.run(_steady(module, endpoint, opts))


def probe(client: str) -> dict[str, Any]:
    """Can this client run here, and on which library versions?"""
    module = _load(client)
    return {
        "name": module.NAME,
        "bulk_method": module.BULK_METHOD,
        "versions": module.versions(),
        "python": sys.version.split()[0],
    }


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[0] not in ("probe", "cold", "steady"):
        raise SystemExit(__doc__)
    mode, client, endpoint = argv[:3]
    if client not in MODULES and not (client == "none" and mode == "cold"):
        raise SystemExit(f"unknown client {client!r}")
    if mode == "cold":
        result = cold(client, endpoint)
    elif mode == "steady":
        result = steady(client, endpoint, argv[3:])
    else:
        result = probe(client)
    _emit(result)


if __name__ == "__main__":
    main(sys.argv[1:])
