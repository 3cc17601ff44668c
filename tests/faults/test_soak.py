"""Soak: thousands of mixed calls through the fault proxy, checked against moto's state.

Every call must succeed or raise a typed ``SecretsManagerError``; none may outlive its timeout;
each PutSecretValue/CreateSecret that reached moto (however many times it was resent) must have
made exactly one secret version; nothing may leak (connections, sockets, ResourceWarnings,
memory). The figures are printed at the end of each run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import resource
import time
import tracemalloc
import uuid
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async._middleware.retry import RetryStage
from secretsmanager_async._protocol import HttpRequest
from secretsmanager_async.exceptions import SecretsManagerError

from .conftest import MotoProcess, open_client
from .proxy import FaultPlan, FaultProxy

CONCURRENCY = 64
FAULT_RATE = 0.10
POOL = 64  # secrets read and written by the batches
CALL_TIMEOUT = 10.0  # the client's per-call total
READ_TIMEOUT = 1.0  # per attempt: what a stalled response costs
# The test's own bound around each call: a call still running past this has hung.
HANG_LIMIT = CALL_TIMEOUT + 5.0
#: operation -> share of the calls
MIX = {
    "GetSecretValue": 0.5,
    "PutSecretValue": 0.25,
    "CreateSecret": 0.1,
    "BatchGetSecretValue": 0.15,
}


@dataclass
class Figures:
    """What a soak run did and found."""

    calls: Counter[str] = field(default_factory=Counter)
    succeeded: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    foreign: list[str] = field(default_factory=list)  # exceptions outside our tree: must be none
    hung: int = 0
    slowest_call: float = 0.0
    retries: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    def merge(self, other: Figures) -> None:
        self.calls += other.calls
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.foreign += other.foreign
        self.hung += other.hung
        self.slowest_call = max(self.slowest_call, other.slowest_call)
        self.retries += other.retries
        self.elapsed += other.elapsed


@dataclass
class Ledger:
    """What the client was told succeeded, for the comparison with moto's state."""

    #: (secret, value) -> version id returned, for each successful put
    puts: dict[tuple[str, str], str] = field(default_factory=dict)
    #: name -> version id, for each successful create
    creates: dict[str, str] = field(default_factory=dict)


async def run_batch(
    client: SecretsManagerClient,
    pool: list[str],
    calls: int,
    *,
    seed: int,
    ledger: Ledger | None,
) -> Figures:
    """``calls`` mixed calls at CONCURRENCY, each bounded by HANG_LIMIT.

    With ``ledger`` None nothing is kept about the calls (for the memory measurement).
    """
    figures = Figures()
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:8]  # unique values and names per batch, same shape every batch
    ops = rng.choices(list(MIX), list(MIX.values()), k=calls)
    plans = [(i, op, rng.choice(pool), rng.sample(pool, 5)) for i, op in enumerate(ops)]
    work = iter(plans)

    async def call(i: int, op: str, secret: str, batch: list[str]) -> None:
        if op == "GetSecretValue":
            await client.get_secret_value(secret_id=secret)
        elif op == "PutSecretValue":
            value = f"{tag}-{i}"
            result = await client.put_secret_value(secret_id=secret, secret_string=value)
            assert result.version_id is not None
            if ledger is not None:
                ledger.puts[(secret, value)] = result.version_id
        elif op == "CreateSecret":
            name = f"soak/{tag}/{i}"
            created = await client.create_secret(name=name, secret_string="created")
            assert created.version_id is not None
            if ledger is not None:
                ledger.creates[name] = created.version_id
        else:
            await client.batch_get_secret_value(secret_id_list=batch)

    async def worker() -> None:
        for i, op, secret, batch in work:
            figures.calls[op] += 1
            start = time.monotonic()
            try:
                await asyncio.wait_for(call(i, op, secret, batch), HANG_LIMIT)
            except asyncio.TimeoutError:
                figures.hung += 1
            except SecretsManagerError as error:
                figures.failed[type(error).__name__] += 1
            except Exception as error:  # counted; the test fails on any
                figures.foreign.append(f"{op}: {type(error).__name__}: {error}")
            else:
                figures.succeeded += 1
            figures.slowest_call = max(figures.slowest_call, time.monotonic() - start)

    retry = client.middleware["retry"]
    assert isinstance(retry, RetryStage)

    def on_retry(request: HttpRequest, error: SecretsManagerError, delay: float) -> None:
        figures.retries[type(error).__name__] += 1

    retry.on_retry = on_retry
    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    figures.elapsed = time.monotonic() - started
    retry.on_retry = None
    return figures


def open_sockets() -> int | None:
    """Sockets this process holds open (Linux), or None where /proc is missing."""
    fd_dir = "/proc/self/fd"
    if not os.path.isdir(fd_dir):
        return None
    count = 0
    for fd in os.listdir(fd_dir):
        with contextlib.suppress(OSError):  # an fd closed while listing
            count += os.readlink(f"{fd_dir}/{fd}").startswith("socket:")
    return count


async def check_against_moto(
    moto_url: str, pool: list[str], proxy: FaultProxy, ledger: Ledger
) -> int:
    """Compare moto's versions with what reached it and what succeeded; return duplicates."""
    # what moto executed: puts per secret by value (each value is one logical call), and the
    # tokens each logical call carried across its attempts
    put_tokens: dict[tuple[str, str], set[str]] = defaultdict(set)
    create_tokens: dict[str, set[str]] = defaultdict(set)
    for op, body in proxy.forwarded:
        if op == "PutSecretValue":
            put_tokens[(body["SecretId"], body["SecretString"])].add(body["ClientRequestToken"])
        elif op == "CreateSecret":
            create_tokens[body["Name"]].add(body["ClientRequestToken"])
    # one logical call, one token, however often it was resent
    assert all(len(tokens) == 1 for tokens in put_tokens.values())
    assert all(len(tokens) == 1 for tokens in create_tokens.values())

    duplicates = 0
    async with open_client(moto_url) as direct:
        for secret in pool:
            listed = await direct.list_secret_version_ids(secret_id=secret, include_deprecated=True)
            versions = {v.version_id for v in listed.versions or []}
            reached = {next(iter(t)) for (s, _), t in put_tokens.items() if s == secret}
            # the initial version plus one per logical put that reached moto, no more
            duplicates += max(0, len(versions) - 1 - len(reached))
            assert reached <= versions
            assert len(versions) == len(reached) + 1
        for (secret, _value), version_id in ledger.puts.items():
            assert {version_id} == put_tokens[(secret, _value)]
        for name, tokens in create_tokens.items():
            listed = await direct.list_secret_version_ids(secret_id=name, include_deprecated=True)
            versions = [v.version_id for v in listed.versions or []]
            duplicates += max(0, len(versions) - 1)
            assert versions == list(tokens)
            if name in ledger.creates:
                assert versions == [ledger.creates[name]]
    return duplicates


async def soak(moto: MotoProcess, *, calls: int, memory_calls: int, seed: int) -> dict[str, Any]:
    """The soak run and its checks; returns the figures."""
    pool = [f"soak/pool/{uuid.uuid4().hex[:12]}" for _ in range(POOL)]
    # the memory batches write elsewhere: the proxy does not record them (that would grow)
    memory_pool = [f"soak/memory/{uuid.uuid4().hex[:12]}" for _ in range(POOL)]
    async with open_client(moto.url) as direct:
        for name in pool + memory_pool:
            await direct.create_secret(name=name, secret_string="initial")

    gc.collect()
    sockets_before = open_sockets()
    ledger = Ledger()
    plan = FaultPlan(rate=FAULT_RATE, seed=seed)
    settings = {
        "max_attempts": 3,
        "timeout": CALL_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "connect_timeout": 2.0,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with FaultProxy("127.0.0.1", moto.port, plan) as proxy:
            async with open_client(proxy.url, **settings) as client:
                figures = await run_batch(client, pool, calls, seed=seed, ledger=ledger)
                soak_faults = Counter(proxy.injected)
                soak_requests = proxy.requests_seen

                # memory: two identical batches after the soak, nothing recorded about them
                # (moto is another process); the second must leave the heap where it was
                proxy.record = False
                gc.collect()
                tracemalloc.start()
                second = await run_batch(
                    client, memory_pool, memory_calls, seed=seed + 1, ledger=None
                )
                gc.collect()
                before = tracemalloc.take_snapshot()
                tracemalloc.reset_peak()
                third = await run_batch(
                    client, memory_pool, memory_calls, seed=seed + 1, ledger=None
                )
                gc.collect()
                after = tracemalloc.take_snapshot()
                _, traced_peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                proxy.record = True
                session: Any = client._transport._session  # type: ignore[attr-defined]
                connector = session.connector
                acquired_after = len(connector._acquired)
            assert session.closed
            assert connector.closed
            duplicates = await check_against_moto(moto.url, pool, proxy, ledger)
        del client, session, connector
        gc.collect()
    sockets_after = open_sockets()
    leaked_warnings = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]

    skip = [tracemalloc.Filter(False, tracemalloc.__file__)]
    growth = sum(
        stat.size_diff
        for stat in after.filter_traces(skip).compare_to(before.filter_traces(skip), "filename")
    )
    total = Figures()
    for part in (figures, second, third):
        total.merge(part)
    result = {
        "soak_calls": sum(figures.calls.values()),
        "calls_by_operation": dict(figures.calls),
        "requests_sent": soak_requests,
        "faults_injected": sum(soak_faults.values()),
        "faults_by_kind": dict(sorted(soak_faults.items())),
        "retries": sum(figures.retries.values()),
        "retries_by_error": dict(figures.retries),
        "succeeded": figures.succeeded,
        "failed_after_attempts": dict(figures.failed),
        "hung": total.hung,
        "foreign_errors": total.foreign,
        "slowest_call_s": round(total.slowest_call, 3),
        "slowest_call_by_batch_s": [round(f.slowest_call, 3) for f in (figures, second, third)],
        "memory_batches": [sum(second.calls.values()), sum(third.calls.values())],
        "memory_batch_elapsed_s": [round(second.elapsed, 2), round(third.elapsed, 2)],
        "soak_elapsed_s": round(figures.elapsed, 2),
        "calls_per_s": round(sum(figures.calls.values()) / figures.elapsed),
        "all_calls_incl_memory_batches": sum(total.calls.values()),
        "puts_succeeded": len(ledger.puts),
        "creates_succeeded": len(ledger.creates),
        "duplicates_found": duplicates,
        "heap_growth_bytes_second_to_third_batch": growth,
        "traced_peak_bytes_during_batch": traced_peak,
        "process_max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "acquired_connections_after": acquired_after,
        "sockets_before_after": (sockets_before, sockets_after),
        "resource_warnings": leaked_warnings,
    }
    return result


def check(figures: dict[str, Any], calls: int) -> None:
    """The soak's pass criteria."""
    assert figures["soak_calls"] == calls
    assert figures["foreign_errors"] == []
    assert figures["hung"] == 0
    # The client cuts every call at CALL_TIMEOUT; on a loaded 2-core box the event loop may
    # take a few seconds more to run the cut, so the bound checked is the hang guard's.
    assert figures["slowest_call_s"] < HANG_LIMIT
    assert figures["duplicates_found"] == 0
    assert figures["resource_warnings"] == []
    assert figures["acquired_connections_after"] == 0
    before, after = figures["sockets_before_after"]
    if before is not None:
        assert after <= before + 2  # the moto server thread may still hold a closing socket
    # faults really happened, at about the configured rate, and were mostly absorbed
    assert figures["faults_injected"] >= 0.06 * figures["requests_sent"]
    assert figures["retries"] > 0
    assert figures["succeeded"] >= 0.95 * calls
    # flat: the third batch retained (next to) nothing the second did not
    # Flat: the third batch keeps (next to) nothing the second did not. The pool's churn moves
    # the heap by a couple of hundred KiB either way; keeping any per-call object (a response,
    # a request, a context) costs 1 KiB or more per call, so the bound is half of that.
    assert figures["heap_growth_bytes_second_to_third_batch"] < 512 * figures["memory_batches"][1]


def report(figures: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\nsoak figures:")
        for key, value in figures.items():
            print(f"  {key}: {value}")


async def test_soak(moto_process: MotoProcess, capsys: pytest.CaptureFixture[str]) -> None:
    """5,000 mixed calls, 10% faulted: typed outcomes, no hangs, no duplicates, no leaks."""
    figures = await soak(moto_process, calls=5_000, memory_calls=1_000, seed=7)
    report(figures, capsys)
    check(figures, 5_000)


@pytest.mark.slow
async def test_soak_long(moto_process: MotoProcess, capsys: pytest.CaptureFixture[str]) -> None:
    """The long soak: 50,000 mixed calls and larger memory batches (opt in with --run-slow)."""
    figures = await soak(moto_process, calls=50_000, memory_calls=5_000, seed=11)
    report(figures, capsys)
    check(figures, 50_000)
