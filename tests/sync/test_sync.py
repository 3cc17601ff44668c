"""The synchronous facade against moto's server: operations, errors, threads, paginators,
the cache, close and fork. These tests are plain functions: no event loop in the caller."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from secretsmanager_async import (
    CallTimeoutError,
    ClientClosedError,
    Credentials,
    GetSecretValueResponse,
    HttpRequest,
    HttpResponse,
    ParamValidationError,
    ResourceNotFoundException,
)
from secretsmanager_async import SecretsManagerClient as AsyncClient
from secretsmanager_async._middleware.base import Handler
from secretsmanager_async.sync import ClientView, Paginator, SecretCache, SecretsManagerClient

LOOP_THREAD = "secretsmanager-async-sync"


class Counter:
    """Middleware counting requests per operation (safe: it runs on the one loop thread)."""

    name = "counter"

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        op = request.context.operation
        self.calls[op] = self.calls.get(op, 0) + 1
        return await next(request)


@pytest.fixture
def sync_client(moto_url: str) -> Iterator[SecretsManagerClient]:
    """A sync client on moto's server."""
    with SecretsManagerClient(
        region="us-east-1",
        endpoint_url=moto_url,
        credentials=Credentials("AKIDSYNC", "sync-secret"),
    ) as client:
        yield client


def _name() -> str:
    return f"sync/{uuid.uuid4().hex[:10]}"


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == LOOP_THREAD]


def test_operations_models_and_errors(sync_client: SecretsManagerClient) -> None:
    """Calls return the async client's models and raise its errors, without await."""
    name = _name()
    created = sync_client.create_secret(name=name, secret_string="v1")
    value = sync_client.get_secret_value(secret_id=name)
    assert isinstance(value, GetSecretValueResponse)
    assert value.secret_string == "v1" and value.arn == created.arn
    with pytest.raises(ResourceNotFoundException):
        sync_client.get_secret_value(secret_id=_name())
    with pytest.raises(ParamValidationError):
        sync_client.get_secret_value(secret_id="")
    bulk = sync_client.get_secret_values([name, "sync/missing-one"])
    assert bulk[name].secret_string == "v1"
    assert isinstance(bulk.errors["sync/missing-one"], ResourceNotFoundException)


def test_every_async_method_has_a_sync_twin() -> None:
    """Each public coroutine and paginate_* method of the async client exists here too."""
    names = {
        name
        for name, member in inspect.getmembers(AsyncClient)
        if not name.startswith("_")
        and (inspect.iscoroutinefunction(member) or name.startswith("paginate_"))
        and name != "close"
    }
    assert len(names) >= 31  # 26 operations, the bulk fetch, four paginators
    missing = sorted(n for n in names if not hasattr(SecretsManagerClient, n))
    assert missing == []
    assert SecretsManagerClient.get_secret_value.__doc__ == AsyncClient.get_secret_value.__doc__


def test_paginators_are_plain_iterators(sync_client: SecretsManagerClient) -> None:
    """Pages and items iterate without an event loop; leaving early is clean."""
    prefix = f"sync/pages/{uuid.uuid4().hex[:8]}/"
    for i in range(5):
        sync_client.create_secret(name=f"{prefix}{i}", secret_string="x")
    from secretsmanager_async import Filter

    paginator = sync_client.paginate_list_secrets(
        filters=[Filter(key="name", values=[prefix])], max_results=2
    )
    assert isinstance(paginator, Paginator)
    pages = list(paginator)
    assert len(pages) == 3
    names = sorted(e.name or "" for e in paginator.items())
    assert names == [f"{prefix}{i}" for i in range(5)]
    for page in paginator:  # break after the first page: the async generator is closed
        assert page.secret_list
        break
    capped = sync_client.paginate_list_secrets(
        filters=[Filter(key="name", values=[prefix])], max_results=2, max_items=3
    )
    assert len(list(capped.items())) == 3 and capped.resume_token is not None


def test_many_threads_share_one_loop_thread(sync_client: SecretsManagerClient) -> None:
    """32 threads calling at once get their own answers through a single loop thread."""
    names = [_name() for _ in range(32)]
    for i, name in enumerate(names):
        sync_client.create_secret(name=name, secret_string=f"value-{i}")
    barrier = threading.Barrier(32)

    def read(i: int) -> str | None:
        barrier.wait()
        return sync_client.get_secret_value(secret_id=names[i]).secret_string

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(read, range(32)))
    assert results == [f"value-{i}" for i in range(32)]
    assert len(_loop_threads()) == 1


def test_new_clients_from_many_threads_start_one_loop_thread(moto_url: str) -> None:
    """Clients created and used concurrently in fresh threads still share one loop thread."""
    code = f"""
import threading
from concurrent.futures import ThreadPoolExecutor
from secretsmanager_async import Credentials
from secretsmanager_async.sync import SecretsManagerClient

barrier = threading.Barrier(32)

def work(i):
    barrier.wait()
    with SecretsManagerClient(region="us-east-1", endpoint_url="{moto_url}",
                              credentials=Credentials("AKID", "secret")) as c:
        c.get_random_password(password_length=16)

with ThreadPoolExecutor(32) as pool:
    list(pool.map(work, range(32)))
print(sum(t.name == "{LOOP_THREAD}" for t in threading.enumerate()))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "1"


def test_close_refuses_later_calls(moto_url: str) -> None:
    """After close() a call raises ClientClosedError; close() twice is fine."""
    client = SecretsManagerClient(
        region="us-east-1", endpoint_url=moto_url, credentials=Credentials("AKID", "s")
    )
    client.get_random_password(password_length=12)
    client.close()
    client.close()
    assert client.closed
    with pytest.raises(ClientClosedError):
        client.get_random_password(password_length=12)


def test_session_argument_refused() -> None:
    """The sync client owns its pool: an aiohttp session is an async-only argument."""
    with pytest.raises(TypeError, match="session"):
        SecretsManagerClient(session=object())


def test_calling_from_the_loop_thread_is_refused(sync_client: SecretsManagerClient) -> None:
    """A sync call made on the loop thread itself fails clearly instead of deadlocking."""
    from secretsmanager_async.sync._loop import loop_thread

    async def inner() -> str:
        try:
            sync_client.get_random_password(password_length=8)
        except RuntimeError as e:
            return str(e)
        return "no error"

    assert "use the async API" in loop_thread().run(inner())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_fork_child_gets_a_fresh_loop_and_pool(moto_url: str) -> None:
    """A client used before fork works in the child (new loop thread) and still in the parent."""
    code = f"""
import os, threading
from secretsmanager_async import Credentials
from secretsmanager_async.sync import SecretsManagerClient

client = SecretsManagerClient(region="us-east-1", endpoint_url="{moto_url}",
                              credentials=Credentials("AKID", "secret"))
client.create_secret(name="sync/fork/{uuid.uuid4().hex[:8]}", secret_string="before")
parent_loop = [t for t in threading.enumerate() if t.name == "{LOOP_THREAD}"][0].ident
pid = os.fork()
if pid == 0:
    try:
        assert len(client.get_random_password(password_length=20).random_password) == 20
        threads = [t for t in threading.enumerate() if t.name == "{LOOP_THREAD}"]
        assert len(threads) == 1
        client.close()
        os._exit(0)
    except BaseException as e:
        print("child failed:", type(e).__name__, e, flush=True)
        os._exit(1)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
assert len(client.get_random_password(password_length=10).random_password) == 10
client.close()
print("ok")
"""
    out = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip().endswith("ok"), out.stdout + out.stderr


def test_sync_cache_single_flight_across_threads(moto_url: str) -> None:
    """16 threads reading one uncached secret cause one GetSecretValue."""
    counter = Counter()
    with SecretsManagerClient(
        region="us-east-1",
        endpoint_url=moto_url,
        credentials=Credentials("AKID", "s"),
        middleware=[counter],
    ) as client:
        name = _name()
        client.create_secret(name=name, secret_string='{"user": "app", "password": "pw"}')
        with SecretCache(client, ttl=60) as cache:
            barrier = threading.Barrier(16)

            def read(_: int) -> str:
                barrier.wait()
                return cache.get_secret_string(name)

            with ThreadPoolExecutor(16) as pool:
                values = list(pool.map(read, range(16)))
            assert set(values) == {'{"user": "app", "password": "pw"}'}
            assert counter.calls.get("GetSecretValue") == 1
            assert cache.get_secret_json(name) == {"user": "app", "password": "pw"}
            cache.invalidate(name)
            cache.get_secret_string(name)
            assert counter.calls["GetSecretValue"] == 2
            warmed = cache.warm([name])
            assert warmed.ok
        assert cache.closed


def test_package_import_does_not_import_sync() -> None:
    """The sync add-on is imported only by those who ask for it."""
    code = "import sys, secretsmanager_async; print('secretsmanager_async.sync' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_send_takes_request_models(sync_client: SecretsManagerClient) -> None:
    """The sync client's send() takes a request model and returns its response model."""
    from secretsmanager_async import CreateSecretRequest, GetSecretValueRequest

    name = _name()
    sync_client.send(CreateSecretRequest(name=name, secret_string="sent"))
    value = sync_client.send(GetSecretValueRequest(secret_id=name))
    assert value.secret_string == "sent"


class Slow:
    """Middleware that holds each attempt for a while."""

    name = "slow"

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        import asyncio

        await asyncio.sleep(0.5)
        return await next(request)


def test_with_options_views_apply_their_overrides_only(
    sync_client: SecretsManagerClient,
) -> None:
    """A view's middleware and timeout apply to its calls, not to the client's."""
    name = _name()
    sync_client.create_secret(name=name, secret_string="v")
    counter = Counter()
    view = sync_client.with_options(middleware=[counter])
    assert isinstance(view, ClientView)
    assert view.get_secret_value(secret_id=name).secret_string == "v"
    assert sync_client.get_secret_value(secret_id=name).secret_string == "v"
    assert counter.calls == {"GetSecretValue": 1}  # the client's own call skipped it
    assert view.aio.options.middleware == (counter,)

    hurried = view.with_options(timeout=0.1, middleware=[Slow()])
    with pytest.raises(CallTimeoutError):
        hurried.get_secret_value(secret_id=name)
    assert counter.calls == {"GetSecretValue": 2}  # the view of a view keeps the first's stage
    assert view.get_secret_value(secret_id=name).secret_string == "v"  # no timeout here


def test_a_view_ends_with_its_client(moto_url: str) -> None:
    client = SecretsManagerClient(
        region="us-east-1", endpoint_url=moto_url, credentials=Credentials("AKID", "s")
    )
    view = client.with_options(max_attempts=1)
    with view:  # closing a view closes nothing
        pass
    assert not client.closed
    client.close()
    with pytest.raises(ClientClosedError):
        view.get_secret_value(secret_id="x")
