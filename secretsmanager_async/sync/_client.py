"""The synchronous client: the async client's methods, run on the shared loop thread."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from .._client import ClientView as AsyncClientView
from .._client import SecretsManagerClient as AsyncClient
from .._middleware.base import Middleware
from .._middleware.retry import RetryMode
from ..exceptions import ClientClosedError
from ._bridge import SyncFacade, SyncMethod, SyncPaginate
from ._loop import current_generation

_A = AsyncClient


class _Operations(SyncFacade):
    """The operations, bulk fetch, ``send`` and paginators of the sync client and its views."""

    # -- operations: the async client's, one line each (a test checks none is missing) ------

    associate_cross_account_replica = SyncMethod(_A.associate_cross_account_replica)
    batch_get_secret_value = SyncMethod(_A.batch_get_secret_value)
    cancel_rotate_secret = SyncMethod(_A.cancel_rotate_secret)
    create_secret = SyncMethod(_A.create_secret)
    delete_resource_policy = SyncMethod(_A.delete_resource_policy)
    delete_secret = SyncMethod(_A.delete_secret)
    describe_secret = SyncMethod(_A.describe_secret)
    disassociate_cross_account_replica = SyncMethod(_A.disassociate_cross_account_replica)
    get_random_password = SyncMethod(_A.get_random_password)
    get_resource_policy = SyncMethod(_A.get_resource_policy)
    get_secret_value = SyncMethod(_A.get_secret_value)
    list_resource_policies = SyncMethod(_A.list_resource_policies)
    list_secret_version_ids = SyncMethod(_A.list_secret_version_ids)
    list_secrets = SyncMethod(_A.list_secrets)
    put_resource_policy = SyncMethod(_A.put_resource_policy)
    put_secret_value = SyncMethod(_A.put_secret_value)
    remove_regions_from_replication = SyncMethod(_A.remove_regions_from_replication)
    replicate_secret_to_regions = SyncMethod(_A.replicate_secret_to_regions)
    restore_secret = SyncMethod(_A.restore_secret)
    rotate_secret = SyncMethod(_A.rotate_secret)
    stop_replication_to_replica = SyncMethod(_A.stop_replication_to_replica)
    tag_resource = SyncMethod(_A.tag_resource)
    untag_resource = SyncMethod(_A.untag_resource)
    update_secret = SyncMethod(_A.update_secret)
    update_secret_version_stage = SyncMethod(_A.update_secret_version_stage)
    validate_resource_policy = SyncMethod(_A.validate_resource_policy)

    get_secret_values = SyncMethod(_A.get_secret_values)
    send = SyncMethod(_A.send)

    paginate_batch_get_secret_value = SyncPaginate(_A.paginate_batch_get_secret_value)
    paginate_list_resource_policies = SyncPaginate(_A.paginate_list_resource_policies)
    paginate_list_secret_version_ids = SyncPaginate(_A.paginate_list_secret_version_ids)
    paginate_list_secrets = SyncPaginate(_A.paginate_list_secrets)


class SecretsManagerClient(_Operations):
    """A synchronous client for AWS Secrets Manager, for Flask, Django and sync handlers.

    It takes the async client's keyword arguments (except ``session``) and has its methods,
    models and errors; every call runs on one private event loop thread shared by all sync
    clients of the process. Share one client between threads; use it as a context manager or
    call :meth:`close`. After ``os.fork()`` the child's first call builds a fresh connection
    pool on a fresh loop thread; the parent's is left to the parent.
    """

    def __init__(self, **kwargs: Any) -> None:
        if "session" in kwargs:
            raise TypeError("session= is for the async client; the sync client owns its pool")
        self._lock = threading.Lock()
        self._closed = False
        self._generation = current_generation()
        # built now, so settings errors surface here and middleware can be added before use
        self._inner = AsyncClient(**kwargs)

    def __repr__(self) -> str:
        return f"<sync SecretsManagerClient region={self._inner.region!r}>"

    @property
    def aio(self) -> AsyncClient:
        """The async client behind this one (for code running on its loop thread)."""
        return self._target()

    @property
    def middleware(self) -> Any:
        """The async client's middleware stack."""
        return self._target().middleware

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def _target(self) -> AsyncClient:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new SecretsManagerClient")
        if self._generation != current_generation():
            self._after_fork()
        return self._inner

    def _after_fork(self) -> None:
        with self._lock:
            if self._generation != current_generation():
                # the pool's sockets belong to the parent: set up afresh on this process's loop
                self._inner._forget_pool()
                self._generation = current_generation()

    def close(self) -> None:
        """Close the connection pool. Safe to call twice, and from any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._generation != current_generation():
            self._inner._forget_pool()  # nothing of this process's to close
            return
        self._run(self._inner.close())

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_attempts: int | None = None,
        retry_mode: RetryMode | None = None,
        middleware: Iterable[Middleware] = (),
    ) -> ClientView:
        """A view of this client whose calls use other settings (see the async client's).

        ``client.with_options(timeout=0.5).get_secret_value(secret_id=...)``: the view shares
        this client's pool, credentials, retry quota and lifecycle; close the client.
        """
        return ClientView(
            self,
            self._inner.with_options(
                timeout=timeout,
                max_attempts=max_attempts,
                retry_mode=retry_mode,
                middleware=middleware,
            ),
        )


class ClientView(_Operations):
    """A sync client's view with per-call overrides, made by ``with_options``.

    Its calls run through the async client's view (``aio``); the client's lifecycle applies:
    closing the client ends the view, and ``close()`` here does nothing.
    """

    def __init__(self, client: SecretsManagerClient, view: AsyncClientView) -> None:
        self._client = client
        self._view = view

    def __repr__(self) -> str:
        return f"<sync ClientView of {self._client!r} with {self._view.options!r}>"

    @property
    def aio(self) -> AsyncClientView:
        """The async view behind this one."""
        return self._target()

    def _target(self) -> AsyncClientView:
        self._client._target()  # refuses a closed client, re-arms after a fork
        return self._view

    def close(self) -> None:
        """Nothing to close: the client owns the pool."""

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_attempts: int | None = None,
        retry_mode: RetryMode | None = None,
        middleware: Iterable[Middleware] = (),
    ) -> ClientView:
        """A view with these overrides on top of this view's."""
        return ClientView(
            self._client,
            self._view.with_options(
                timeout=timeout,
                max_attempts=max_attempts,
                retry_mode=retry_mode,
                middleware=middleware,
            ),
        )
