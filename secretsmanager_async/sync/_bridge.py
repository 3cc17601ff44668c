"""Descriptors that give a synchronous face to an async object's methods, fully typed.

``get_secret_value = SyncMethod(AsyncClient.get_secret_value)`` on a facade class makes
``facade.get_secret_value(...)`` run the async method on the loop thread and return its
result: the parameters and the return type are the async method's, so mypy checks sync calls
exactly as it checks async ones, and there is one implementation of each operation.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from ._loop import loop_thread

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
PageT = TypeVar("PageT")
ItemT = TypeVar("ItemT")
D = TypeVar("D")
PageT_co = TypeVar("PageT_co", covariant=True)
ItemT_co = TypeVar("ItemT_co", covariant=True)


class Facade(Protocol):
    """What a descriptor needs from the facade: its async target and a way to run on the loop."""

    def _target(self) -> Any: ...

    def _run(self, coro: Coroutine[Any, Any, T]) -> T: ...


S = TypeVar("S", bound="SyncFacade")


class SyncFacade:
    """What the sync client and cache share: calls run on the loop thread; ``with`` closes."""

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return loop_thread().run(coro)

    def close(self) -> None:
        """Close (subclasses say what)."""
        raise NotImplementedError

    def __enter__(self: S) -> S:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SyncMethod(Generic[P, R]):
    """A coroutine method of the target, called synchronously."""

    def __init__(self, method: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]) -> None:
        self._name = method.__name__
        self.__doc__ = method.__doc__
        self._wrapped = method

    @overload
    def __get__(self: D, facade: None, owner: type[Any]) -> D: ...
    @overload
    def __get__(self, facade: Facade, owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, facade: Facade | None, owner: type[Any]) -> Any:
        if facade is None:
            return self
        name = self._name

        @functools.wraps(self._wrapped)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            coro: Coroutine[Any, Any, R] = getattr(facade._target(), name)(*args, **kwargs)
            return facade._run(coro)

        return call


class SyncPlain(Generic[P, R]):
    """A plain method of the target, run on the loop thread (the target is not thread-safe)."""

    def __init__(self, method: Callable[Concatenate[Any, P], R]) -> None:
        self._name = method.__name__
        self.__doc__ = method.__doc__
        self._wrapped = method

    @overload
    def __get__(self: D, facade: None, owner: type[Any]) -> D: ...
    @overload
    def __get__(self, facade: Facade, owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, facade: Facade | None, owner: type[Any]) -> Any:
        if facade is None:
            return self
        name = self._name

        @functools.wraps(self._wrapped)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            async def on_loop() -> R:
                result: R = getattr(facade._target(), name)(*args, **kwargs)
                return result

            return facade._run(on_loop())

        return call


class _AsyncPaginator(Protocol[PageT_co, ItemT_co]):
    def __aiter__(self) -> AsyncIterator[PageT_co]: ...

    def items(self) -> AsyncIterator[ItemT_co]: ...

    @property
    def resume_token(self) -> str | None: ...


class Paginator(Generic[PageT, ItemT]):
    """The pages of one listing call as a plain iterator (``for page in paginator``).

    :meth:`items` iterates the entries across pages; :attr:`resume_token` is the async
    paginator's. Pages are fetched one at a time on the loop thread, as iteration asks.
    """

    __slots__ = ("_facade", "_paginator")

    def __init__(self, facade: Facade, paginator: _AsyncPaginator[PageT, ItemT]) -> None:
        self._facade = facade
        self._paginator = paginator

    def __iter__(self) -> Iterator[PageT]:
        return _iterate(self._facade, self._paginator.__aiter__())

    def items(self) -> Iterator[ItemT]:
        """The entries of every page (within the caps)."""
        return _iterate(self._facade, self._paginator.items())

    @property
    def resume_token(self) -> str | None:
        """Where a capped iteration stopped (see the async paginator)."""
        return self._paginator.resume_token


def _iterate(facade: Facade, iterator: AsyncIterator[T]) -> Iterator[T]:
    async def step() -> T:
        return await iterator.__anext__()

    try:
        while True:
            try:
                yield facade._run(step())
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:  # a loop left early: let the async generator clean up
            facade._run(aclose())


class SyncPaginate(Generic[P, PageT, ItemT]):
    """A ``paginate_*`` method of the target, returning a synchronous :class:`Paginator`."""

    def __init__(
        self, method: Callable[Concatenate[Any, P], _AsyncPaginator[PageT, ItemT]]
    ) -> None:
        self._name = method.__name__
        self.__doc__ = method.__doc__
        self._wrapped = method

    @overload
    def __get__(self: D, facade: None, owner: type[Any]) -> D: ...
    @overload
    def __get__(self, facade: Facade, owner: type[Any]) -> Callable[P, Paginator[PageT, ItemT]]: ...
    def __get__(self, facade: Facade | None, owner: type[Any]) -> Any:
        if facade is None:
            return self
        name = self._name

        @functools.wraps(self._wrapped)
        def call(*args: P.args, **kwargs: P.kwargs) -> Paginator[PageT, ItemT]:
            # building a paginator sends nothing and validates its caps: no loop needed
            return Paginator(facade, getattr(facade._target(), name)(*args, **kwargs))

        return call
