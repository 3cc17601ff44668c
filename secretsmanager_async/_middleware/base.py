"""The middleware protocol and the ordered, inspectable stack that composes it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Protocol

from .._protocol import HttpRequest, HttpResponse

#: what code outside ``_middleware`` may import; the rest is this module's own
__all__ = ["Handler", "Middleware", "MiddlewareStack"]

#: the rest of the stack below a middleware
Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


class Middleware(Protocol):
    """One stage of the stack.

    ``handle`` gets the request and the next handler; it may change the request (returning a
    new one via :func:`attrs.evolve`), call ``next`` any number of times, inspect the response
    or raise. ``name`` identifies the stage for :meth:`MiddlewareStack.insert_before`.

    ``handle`` is usually ``async def``. A stage that only changes the request may instead be
    a plain method returning ``next(request)`` itself: it then adds no coroutine to the call
    (the endpoint stage does this).
    """

    name: str

    def handle(self, request: HttpRequest, next: Handler) -> Awaitable[HttpResponse]: ...


class MiddlewareStack:
    """An ordered list of named stages over a terminal handler (the transport).

    The chain is composed once and cached; changing the stack recomposes it.
    """

    def __init__(self, stages: list[Middleware], terminal: Handler) -> None:
        self._stages = list(stages)
        self._terminal = terminal
        self._handler: Handler | None = None

    @property
    def terminal(self) -> Handler:
        """The handler below the last stage: the transport's ``send``."""
        return self._terminal

    @terminal.setter
    def terminal(self, handler: Handler) -> None:
        self._terminal = handler
        self._handler = None

    @property
    def names(self) -> tuple[str, ...]:
        """The stage names, outermost first."""
        return tuple(stage.name for stage in self._stages)

    def __iter__(self) -> Iterator[Middleware]:
        return iter(self._stages)

    def __getitem__(self, name: str) -> Middleware:
        return self._stages[self._index(name)]

    def _index(self, name: str) -> int:
        for i, stage in enumerate(self._stages):
            if stage.name == name:
                return i
        raise KeyError(f"no middleware named {name!r}; stages are {self.names}")

    def insert_before(self, name: str, middleware: Middleware) -> None:
        """Insert ``middleware`` just outside the stage called ``name``."""
        self._stages.insert(self._index(name), middleware)
        self._handler = None

    def insert_after(self, name: str, middleware: Middleware) -> None:
        """Insert ``middleware`` just inside the stage called ``name``."""
        self._stages.insert(self._index(name) + 1, middleware)
        self._handler = None

    def add(self, middleware: Middleware) -> None:
        """Add ``middleware`` as the innermost stage, just above the transport."""
        self._stages.append(middleware)
        self._handler = None

    def remove(self, name: str) -> Middleware:
        """Remove and return the stage called ``name``."""
        self._handler = None
        return self._stages.pop(self._index(name))

    def compose(self, extra: Sequence[Middleware], *, before: str = "parse_errors") -> Handler:
        """A chain of this stack with ``extra`` stages added just outside ``before``.

        Not cached and the stack is not changed: for a per-call view (``with_options``), which
        keeps the result while :attr:`handler` stays the same.
        """
        stages = list(self._stages)
        names = self.names
        at = names.index(before) if before in names else len(stages)
        stages[at:at] = extra
        handler = self._terminal
        for stage in reversed(stages):
            handler = _bind(stage, handler)
        return handler

    @property
    def handler(self) -> Handler:
        """The composed chain: calling it runs every stage, outermost first."""
        if self._handler is None:
            handler = self._terminal
            for stage in reversed(self._stages):
                handler = _bind(stage, handler)
            self._handler = handler
        return self._handler


def _bind(stage: Middleware, next: Handler) -> Handler:
    handle = stage.handle

    def call(request: HttpRequest) -> Awaitable[HttpResponse]:
        return handle(request, next)

    return call
