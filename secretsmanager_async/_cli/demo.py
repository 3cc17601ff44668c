"""``demo``: create, read and bulk-read secrets on the embedded local endpoint (or any
``--endpoint-url``), timing each step."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from .commands import _filters, _list_entries
from .common import EXIT_OK, CliError, local_settings
from .output import format_table


async def cmd_demo(args: argparse.Namespace) -> int:
    """Create, bulk-fetch and cache-read a few hundred secrets on a local endpoint; time it.

    The endpoint is the embedded one unless ``--endpoint-url`` names another: the demo never
    falls back to a real AWS account. Values are random and never printed.
    """
    if args.count < 1 or args.concurrency < 1:
        raise CliError("demo: --count and --concurrency must be at least 1")
    t0 = time.perf_counter()
    steps: list[tuple[str, int | None, float]] = []
    if args.local:
        steps.append(("start the local endpoint (moto)", None, args.local_start_seconds))
    steps += await _demo_steps(args, args.endpoint_url)
    total = time.perf_counter() - t0 + (args.local_start_seconds if args.local else 0.0)
    _print_demo(steps, total, args.endpoint_url, args.local)
    return EXIT_OK


def _print_demo(
    steps: Sequence[tuple[str, int | None, float]], total: float, endpoint: str, local: bool
) -> None:
    rows = [("STEP", "SECRETS", "TIME", "RATE")]
    for label, items, seconds in steps:
        rate = f"{items / seconds:,.0f}/s" if items and seconds > 0 else ""
        count = "" if items is None else str(items)
        rows.append((label, count, f"{seconds * 1000:,.1f} ms", rate))
    rows.append(("total", "", f"{total * 1000:,.1f} ms", ""))
    sys.stdout.write(format_table(rows))
    where = "embedded, in memory, gone on exit" if local else "as given"
    sys.stdout.write(f"\nAll values checked. Endpoint: {endpoint} ({where}).\n")
    sys.stdout.flush()


async def _demo_steps(args: argparse.Namespace, endpoint: str) -> list[tuple[str, int, float]]:
    import secrets as random_source

    from .._cache import SecretCache
    from .._client import SecretsManagerClient

    run = f"demo/{random_source.token_hex(4)}"
    names = [f"{run}/secret-{i:04d}" for i in range(args.count)]
    expected = {name: random_source.token_urlsafe(24) for name in names}
    n = len(names)
    steps: list[tuple[str, int, float]] = []

    def check(got: dict[str, str | None], what: str) -> None:
        if got != expected:
            wrong = sum(got.get(k) != v for k, v in expected.items())
            raise CliError(f"demo: {what} returned {wrong} of {n} values wrong or missing")

    settings = local_settings(args, endpoint)
    async with SecretsManagerClient(**settings, max_connections=args.concurrency) as client:
        limit = asyncio.Semaphore(args.concurrency)

        async def create(name: str) -> None:
            async with limit:
                await client.create_secret(name=name, secret_string=expected[name])

        started = time.perf_counter()
        await asyncio.gather(*(create(name) for name in names))
        steps.append(("create_secret, concurrently", n, time.perf_counter() - started))

        started = time.perf_counter()
        result = await client.get_secret_values(names)
        steps.append(("get_secret_values (bulk)", n, time.perf_counter() - started))
        check({i: e.secret_string for i, e in result.values.items()}, "get_secret_values")

        async with SecretCache(client, max_size=max(1024, n)) as cache:
            started = time.perf_counter()
            (await cache.warm(names)).raise_for_errors()
            steps.append(("SecretCache.warm (one bulk fetch)", n, time.perf_counter() - started))
            started = time.perf_counter()
            got = await asyncio.gather(*(cache.get_secret_string(i) for i in names))
            elapsed = time.perf_counter() - started
            stats = cache.stats
            check(dict(zip(names, got, strict=True)), "SecretCache")
            label = f"SecretCache reads: {stats.hits} hits, {stats.misses} misses"
            steps.append((label, n, elapsed))

        started = time.perf_counter()
        listed = 0
        async for _ in _list_entries(client, _filters([("name", run + "/")])):
            listed += 1
        steps.append(("paginate_list_secrets", listed, time.perf_counter() - started))
    return steps
