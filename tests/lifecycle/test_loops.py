"""Item 9: a client belongs to one event loop; another loop gets ClientLoopError, leaks nothing."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from secretsmanager_async import (
    ClientClosedError,
    ClientLoopError,
    Credentials,
    ResourceNotFoundException,
    SecretsManagerClient,
)

CREDS = Credentials("AKIDLOOPS", "loops-secret-key")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def _probe(client: SecretsManagerClient) -> None:
    with pytest.raises(ResourceNotFoundException):
        await client.get_secret_value(secret_id="loops/missing")


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds through /proc")
def test_second_loop_in_another_thread_is_refused_and_opens_nothing(moto_url: str) -> None:
    """Loop A (alive, in a thread) owns the client; 50 calls from loop B are refused cleanly."""
    client = SecretsManagerClient(region="us-east-1", endpoint_url=moto_url, credentials=CREDS)
    loop_a = asyncio.new_event_loop()
    thread = threading.Thread(target=loop_a.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(_probe(client), loop_a).result(30)
        before = _open_fds()

        async def from_loop_b() -> list[BaseException]:
            results = await asyncio.gather(
                *(client.get_secret_value(secret_id=f"b{i}") for i in range(50)),
                return_exceptions=True,
            )
            return [r for r in results if isinstance(r, BaseException)]

        errors = asyncio.run(from_loop_b())
        assert len(errors) == 50
        assert all(isinstance(e, ClientLoopError) for e in errors)
        assert "one client per event loop" in str(errors[0])
        assert "still running" in str(errors[0])
        assert _open_fds() <= before  # loop B opened no socket
        asyncio.run_coroutine_threadsafe(_probe(client), loop_a).result(30)  # A unharmed
        with pytest.raises(ClientLoopError):
            asyncio.run(client.close())  # closing A's sockets from B would corrupt A
        asyncio.run_coroutine_threadsafe(client.close(), loop_a).result(30)
    finally:
        loop_a.call_soon_threadsafe(loop_a.stop)
        thread.join(10)
        loop_a.close()


def test_module_level_client_across_two_asyncio_runs(moto_url: str) -> None:
    """The second asyncio.run() gets ClientLoopError (naming the closed loop); close() is quiet."""
    client = SecretsManagerClient(region="us-east-1", endpoint_url=moto_url, credentials=CREDS)
    asyncio.run(_probe(client))

    async def second_run() -> None:
        with pytest.raises(ClientLoopError, match="now closed"):
            await client.get_secret_value(secret_id="loops/missing")
        await client.close()  # no raw RuntimeError, no warning
        with pytest.raises(ClientClosedError):
            await client.get_secret_value(secret_id="loops/missing")

    asyncio.run(second_run())
    assert client.closed


def test_closed_client_reused_in_a_new_loop_says_closed(moto_url: str) -> None:
    """A client closed in the first asyncio.run() stays closed: ClientClosedError in the next."""
    client = SecretsManagerClient(region="us-east-1", endpoint_url=moto_url, credentials=CREDS)

    async def first() -> None:
        async with client:
            await _probe(client)

    asyncio.run(first())

    async def second() -> None:
        with pytest.raises(ClientClosedError):
            await client.get_secret_value(secret_id="loops/missing")

    asyncio.run(second())
