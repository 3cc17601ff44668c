"""A fleet at start-up against an account's API quotas, scaled down (``nox -s fleet``).

A local endpoint (``server.py``'s precomputed responses) enforces the four Secrets Manager
quotas that bound a fleet, each divided by ``--scale`` (default 50):

=====================  ===============  =============
API                    AWS quota (/s)   here, /50 (/s)
=====================  ===============  =============
GetSecretValue         10,000           200
DescribeSecret         40,000           800
BatchGetSecretValue    100              2 (40 secrets)
ListSecrets            100              2
=====================  ===============  =============

Each quota is a token bucket refilled at that rate holding at most one second's worth (full at
the start); a request finding it empty is answered as the service answers, HTTP 400
with ``__type`` ``ThrottlingException``, and costs no token. N service instances, each with
its own client, spread over worker processes, all start at the same instant and read the same
M secrets. Per strategy the run reports the time until every instance is ready, the
quota-bound optimum (the N x M secrets beyond what the full buckets allow at once, over the
combined read quota: GetSecretValue plus twenty times BatchGetSecretValue), the throttled
requests and the failed starts (an instance with any secret missing):

- ``ours``: ``get_secret_values`` with its defaults;
- ``batch-only``: BatchGetSecretValue chunks of 20, every throttled chunk tried again (after
  the retry stage, with a jittered pause of at most 1 s) until it succeeds: the batch quota's
  bound;
- ``get-only``: GetSecretValue per secret, tried again the same way: GetSecretValue's bound;
- ``aiobotocore``: aiobotocore with its default configuration (legacy retries, 5 attempts),
  BatchGetSecretValue chunks of 20 in flight together; an exception fails the start.

Each run's JSON also gives ``late``: how long after the common start instant the last worker
process had its clients set up (negative: in time), so a slow spawn is not mistaken for slow
reads. Writes ``results/fleet.json``, ``results/fleet.md`` and ``results/fleet.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _data
import server as bench_server

RESULTS = Path(__file__).resolve().parent / "results"
QUOTAS = {  # requests per second per account and region, as AWS sets them
    "getsecretvalue": 10_000,
    "describesecret": 40_000,
    "batchgetsecretvalue": 100,
    "listsecrets": 100,
}
BURST_SECONDS = 1.0
STRATEGIES = ("ours", "batch-only", "get-only", "aiobotocore")
#: a strategy still not ready after this long counts its unready instances as failed starts
GIVE_UP = 150.0


# -- the quota-enforcing endpoint ------------------------------------------------------------


class Bucket:
    """A token bucket: ``rate`` per second, at most ``capacity`` saved up."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * BURST_SECONDS)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


_THROTTLED = bench_server.error_response("ThrottlingException", "Rate exceeded", 400)


class QuotaHandler(bench_server.Handler):
    """``server.Handler`` behind per-API token buckets; counts answers per API."""

    def __init__(self, store: bench_server.SecretStore, scale: float) -> None:
        super().__init__(store)
        self.scale = scale
        self.reset()

    def reset(self) -> dict[str, Any]:
        """Refill the buckets, zero the counters; return the counters as they were."""
        counts = dict(getattr(self, "counts", {}))
        self.buckets = {op: Bucket(q / self.scale) for op, q in QUOTAS.items()}
        self.counts: dict[str, int] = {}
        return counts

    def handle(self, target: bytes, body: bytes) -> bytes:
        if target == b"bench.fleetreset":
            return bench_server.http_response(200, json.dumps(self.reset()).encode())
        op = target.rpartition(b".")[2].decode()
        bucket = self.buckets.get(op)
        if bucket is not None and not bucket.take():
            key = f"{op}:throttled"
            self.counts[key] = self.counts.get(key, 0) + 1
            return _THROTTLED
        key = f"{op}:ok"
        self.counts[key] = self.counts.get(key, 0) + 1
        return super().handle(target, body)


def _serve(count: int, scale: float, port_queue: Any, stop: Any) -> None:
    async def main() -> None:
        handler = QuotaHandler(bench_server.SecretStore(count), scale)
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(
            lambda: bench_server.HttpProtocol(handler), "127.0.0.1", 0, backlog=4096
        )
        port_queue.put(srv.sockets[0].getsockname()[1])
        # the stop flag is a multiprocessing Event: wait for it off the loop
        await asyncio.to_thread(stop.wait)
        srv.close()

    asyncio.run(main())


def _post(port: int, target: str) -> dict[str, Any]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/", body=b"{}", headers={"X-Amz-Target": target})
    data = json.loads(conn.getresponse().read())
    conn.close()
    return dict(data)


# -- the instances ---------------------------------------------------------------------------


async def _patient(call: Any, deadline: float) -> Any:
    """Call until it is not throttled (or the deadline passes): a quota's own bound."""
    from secretsmanager_async import ServiceError

    pauses = 0
    while True:
        try:
            return await call()
        except ServiceError as e:
            if e.code != "ThrottlingException" or time.time() > deadline:
                raise
        pauses += 1
        await asyncio.sleep(random.random() * min(1.0, 0.05 * 2**pauses))


async def _instance_ours(endpoint: str, strategy: str, ids: list[str], start: float) -> Any:
    from secretsmanager_async import Credentials, SecretsManagerClient

    client = SecretsManagerClient(
        region=_data.REGION,
        endpoint_url=endpoint,
        credentials=Credentials(_data.ACCESS_KEY, _data.SECRET_KEY),
    )
    await client._prepare()  # set-up is not part of a start's reads
    deadline = start + GIVE_UP

    async def run() -> bool:
        if strategy == "ours":
            result = await client.get_secret_values(ids)
            return result.ok
        limit = asyncio.Semaphore(10)
        if strategy == "batch-only":

            async def chunk(part: list[str]) -> None:
                async with limit:
                    r = await _patient(
                        lambda: client.batch_get_secret_value(secret_id_list=part), deadline
                    )
                assert not r.errors and len(r.secret_values or ()) == len(part)

            await asyncio.gather(*(chunk(ids[i : i + 20]) for i in range(0, len(ids), 20)))
            return True

        async def one(secret_id: str) -> None:
            async with limit:
                await _patient(lambda: client.get_secret_value(secret_id=secret_id), deadline)

        await asyncio.gather(*(one(i) for i in ids))
        return True

    return client, run


async def _instance_aiobotocore(endpoint: str, ids: list[str], start: float) -> Any:
    from aiobotocore.session import get_session

    context = get_session().create_client(
        "secretsmanager",
        region_name=_data.REGION,
        endpoint_url=endpoint,
        aws_access_key_id=_data.ACCESS_KEY,
        aws_secret_access_key=_data.SECRET_KEY,
    )
    client = await context.__aenter__()

    async def run() -> bool:
        async def chunk(part: list[str]) -> None:
            r = await client.batch_get_secret_value(SecretIdList=part)
            assert len(r["SecretValues"]) == len(part)

        await asyncio.gather(*(chunk(ids[i : i + 20]) for i in range(0, len(ids), 20)))
        return True

    class Closer:
        async def close(self) -> None:
            await context.__aexit__(None, None, None)

    return Closer(), run


def _worker(
    endpoint: str, strategy: str, instances: int, ids: list[str], start: float, out: Any
) -> None:
    async def main() -> list[dict[str, Any]]:
        made = []
        for _ in range(instances):
            if strategy == "aiobotocore":
                made.append(await _instance_aiobotocore(endpoint, ids, start))
            else:
                made.append(await _instance_ours(endpoint, strategy, ids, start))

        async def timed(run: Any) -> dict[str, Any]:
            try:
                ok = await asyncio.wait_for(run(), GIVE_UP)
            except Exception as e:  # a failed start, whatever the reason
                return {"ok": False, "ready": None, "error": type(e).__name__}
            return {"ok": ok, "ready": time.time() - start if ok else None, "error": None}

        late = time.time() - start
        await asyncio.sleep(max(0.0, -late))
        results = await asyncio.gather(*(timed(run) for _, run in made))
        for r in results:
            r["late"] = late
        for client, _ in made:
            await client.close()
        return list(results)

    out.put(asyncio.run(main()))


def run_strategy(
    port: int, strategy: str, instances: int, secrets: int, workers: int
) -> dict[str, Any]:
    """Start ``instances`` instances in ``workers`` processes; collect their outcomes."""
    endpoint = f"http://127.0.0.1:{port}"
    ids = [_data.secret_name(i) for i in range(secrets)]
    _post(port, "bench.fleetreset")
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + 3.0  # time for the workers to start and open their clients
    shares = [instances // workers + (1 if w < instances % workers else 0) for w in range(workers)]
    procs = [
        ctx.Process(target=_worker, args=(endpoint, strategy, n, ids, start, out))
        for n in shares
        if n
    ]
    for p in procs:
        p.start()
    outcomes: list[dict[str, Any]] = []
    for _ in procs:
        outcomes.extend(out.get(timeout=GIVE_UP + 60))
    for p in procs:
        p.join()
    counts = _post(port, "bench.fleetreset")
    ready = sorted(o["ready"] for o in outcomes if o["ok"])
    failed = sum(1 for o in outcomes if not o["ok"])
    return {
        "strategy": strategy,
        "instances": instances,
        "secrets_each": secrets,
        "ready_all": ready[-1] if not failed and ready else None,
        "ready_p50": ready[len(ready) // 2] if ready else None,
        "failed_starts": failed,
        "errors": sorted({o["error"] for o in outcomes if o["error"]}),
        "throttled": sum(v for k, v in counts.items() if k.endswith(":throttled")),
        "requests": counts,
        "late": max(o["late"] for o in outcomes),
    }


def optimum(instances: int, secrets: int, scale: float) -> float:
    """Seconds to read every secret: the full buckets at once, then the combined read rate."""
    rate = (QUOTAS["getsecretvalue"] + 20 * QUOTAS["batchgetsecretvalue"]) / scale
    burst = (
        Bucket(QUOTAS["getsecretvalue"] / scale).capacity
        + 20 * Bucket(QUOTAS["batchgetsecretvalue"] / scale).capacity
    )
    return max(0.0, instances * secrets - burst) / rate


# -- report ----------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Quotas / {report['scale']:g}; {report['secrets_each']} secrets per instance; "
        f"{report['workers']} worker processes; {report['machine']}.",
        "",
        "| instances | strategy | ready (all) | x optimum | ready (median) | throttled "
        "| failed starts |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in report["sizes"]:
        opt = size["optimum"]
        for r in size["runs"]:
            ready, median = r["ready_all"], r["ready_p50"]
            cells = [str(r["instances"]), r["strategy"]]
            if ready is None:
                cells += ["never", "-"]
            else:  # a fleet the full buckets serve at once has no ratio
                cells += [f"{ready:.1f} s", f"{ready / opt:.2f}x" if opt > 0 else "-"]
            cells.append(f"{median:.1f} s" if median is not None else "-")
            cells += [str(r["throttled"]), str(r["failed_starts"])]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append(f"| {size['instances']} | *optimum* | {opt:.1f} s | 1.00x | | | |")
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = report["sizes"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(STRATEGIES)
    for s_index, strategy in enumerate(STRATEGIES):
        xs, ys, labels = [], [], []
        for i, size in enumerate(sizes):
            run = next((r for r in size["runs"] if r["strategy"] == strategy), None)
            if run is None:
                continue
            ready = run["ready_all"]
            value = ready / size["optimum"] if ready is not None and size["optimum"] > 0 else 0.0
            xs.append(i + (s_index - (len(STRATEGIES) - 1) / 2) * width)
            ys.append(value)
            labels.append(
                f"{value:.2f}x"
                if run["ready_all"] is not None
                else f"{run['failed_starts']} failed"
            )
        bars = ax.bar(xs, ys, width, label=strategy)
        for bar, label in zip(bars, labels, strict=True):
            ax.annotate(
                label,
                (bar.get_x() + bar.get_width() / 2, max(bar.get_height(), 0.05)),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([f"{s['instances']} instances x {s['secrets_each']} secrets" for s in sizes])
    ax.set_ylabel("time until all ready / quota-bound optimum")
    ax.set_title(f"Fleet start-up against Secrets Manager quotas / {report['scale']:g}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="12,36", help="fleet sizes (instances), comma-separated")
    parser.add_argument("--secrets", type=int, default=50, help="secrets read per instance")
    parser.add_argument("--scale", type=float, default=50.0, help="quotas divided by this")
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--out", default=str(RESULTS / "fleet"), help="output path stem")
    args = parser.parse_args()
    strategies = [s for s in args.strategies.split(",") if s]
    ctx = mp.get_context("spawn")
    port_queue, stop = ctx.Queue(), ctx.Event()
    srv = ctx.Process(target=_serve, args=(args.secrets, args.scale, port_queue, stop))
    srv.start()
    began = time.monotonic()
    try:
        port = port_queue.get(timeout=30)
        sizes = []
        for n in (int(x) for x in args.sizes.split(",")):
            opt = optimum(n, args.secrets, args.scale)
            runs = []
            for strategy in strategies:
                run = run_strategy(port, strategy, n, args.secrets, args.workers)
                print(json.dumps(run), flush=True)
                runs.append(run)
            sizes.append(
                {"instances": n, "secrets_each": args.secrets, "optimum": opt, "runs": runs}
            )
    finally:
        stop.set()
        srv.join(10)
    report = {
        "scale": args.scale,
        "secrets_each": args.secrets,
        "workers": args.workers,
        "burst_seconds": BURST_SECONDS,
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs",
        "seconds": round(time.monotonic() - began, 1),
        "sizes": sizes,
    }
    stem = Path(args.out)
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    stem.with_suffix(".md").write_text(table)
    try:
        chart(report, stem.with_suffix(".png"))
    except ImportError:
        print("matplotlib is not installed: no chart", file=sys.stderr)
    print(table)
    print(f"total {report['seconds']} s")


if __name__ == "__main__":
    main()
